/* A three-step pipeline (research -> summarize -> critique), traced with aiobs.
 *
 * Each step is a traced function (a span); inside it the program "calls" an LLM. There is no
 * network here, so the calls are recorded with aiobs_record_call as a binding would record them
 * after the provider answered. The run ends in ./llm_observability.json (or $LLM_OBS_OUT). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aiobs.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reports a failed aiobs call and frees its message; tracing never stops the program. */
static void report(aiobs_status status, char *error) {
  if (status != AIOBS_OK) fprintf(stderr, "aiobs: status %u: %s\n", (unsigned)status, error ? error : "");
  aiobs_string_free(error);
}

/* Stands in for the provider's latency, so that each span really encloses its calls. */
static void wait_seconds(double seconds) {
  struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
}

static void chat_call(const char *model, const char *prompt, const char *answer, int prompt_tokens,
                      int completion_tokens, double seconds, int line) {
  double started = now_seconds();
  wait_seconds(seconds);
  double ended = now_seconds();
  char event[2048];
  snprintf(event, sizeof event,
           "{\"provider\":\"openai\",\"api\":\"chat.completions.create\","
           "\"request\":{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
           "\"temperature\":0.2,\"max_tokens\":256},"
           "\"response\":{\"id\":\"chatcmpl-demo-%d\",\"model\":\"%s\",\"text\":\"%s\","
           "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}},"
           "\"started_at\":%.6f,\"ended_at\":%.6f,"
           "\"callsite\":{\"file\":\"examples/pipeline.c\",\"line\":%d,\"function\":\"chat_call\"}}",
           model, prompt, line, model, answer, prompt_tokens, completion_tokens,
           prompt_tokens + completion_tokens, started, ended, line);
  char *error = NULL;
  aiobs_status status = aiobs_record_call(event, &error);
  report(status, error);
}

/* Runs `step` inside a span named `name`; the span ends with `result` as its JSON result. */
static void traced(const char *span_json, void (*step)(void), const char *result) {
  char *span_id = NULL, *error = NULL;
  aiobs_status status = aiobs_span_begin(span_json, &span_id, &error);
  report(status, error);
  step();
  if (status == AIOBS_OK) {
    status = aiobs_span_end(span_id, result, NULL, &error);
    report(status, error);
  }
  aiobs_string_free(span_id);
}

static void research(void) {
  chat_call("gpt-4o-mini", "What is an API? Give three key facts.",
            "An API is a contract between programs: endpoints, data formats and rules.", 14, 22, 0.062,
            __LINE__);
}

static void summarize(void) {
  chat_call("gpt-4o", "Summarize the facts in one sentence.",
            "APIs let programs talk through agreed endpoints and formats.", 41, 12, 0.048, __LINE__);
}

static void critique(void) {
  chat_call("gpt-4o-mini", "Critique the summary.", "Accurate, but it omits versioning.", 30, 9, 0.035,
            __LINE__);
  /* A failed call is recorded with its error and no response. */
  wait_seconds(0.0085);
  char *error = NULL;
  aiobs_status status = aiobs_record_call(
      "{\"provider\":\"gemini\",\"api\":\"models.generate_content\","
      "\"request\":{\"model\":\"gemini-2.0-flash\",\"contents\":\"Second opinion?\"},"
      "\"error\":\"RESOURCE_EXHAUSTED: Quota exceeded\",\"duration_ms\":8.5}",
      &error);
  report(status, error);
}

static void pipeline(void) {
  traced("{\"name\":\"research\",\"module\":\"pipeline\",\"args\":[\"What is an API?\"],"
         "\"enh_prompt\":true,\"auto_enhance_after\":3}",
         research, "\"3 facts\"");
  traced("{\"name\":\"summarize\",\"module\":\"pipeline\",\"enh_prompt\":true,\"auto_enhance_after\":10}",
         summarize, "\"1 sentence\"");
  traced("{\"name\":\"critique\",\"module\":\"pipeline\"}", critique, "{\"verdict\":\"ok\"}");
}

int main(void) {
  char *error = NULL, *session_id = NULL, *written = NULL;
  aiobs_status status =
      aiobs_observe("pipeline-demo", "{\"environment\":\"demo\",\"team\":\"docs\"}", &session_id, &error);
  report(status, error);
  for (int run = 0; run < 3; run++) {
    traced("{\"name\":\"run_pipeline\",\"module\":\"pipeline\",\"args\":[]}", pipeline, "null");
  }
  status = aiobs_end(&error);
  report(status, error);
  status = aiobs_flush(NULL, &written, &error);
  report(status, error);
  if (status == AIOBS_OK) printf("session %s written to %s\n", session_id, written);
  aiobs_string_free(session_id);
  aiobs_string_free(written);
  return status == AIOBS_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
