/* A three-step pipeline (research -> summarize -> critique) over libcurl, traced with aiobs:
 * each step is a span, and the chat completion inside it is its child.
 *
 *   OPENAI_API_KEY=sk-... ./pipeline "Your prompt here"
 *   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy ./pipeline   (the local stub)
 *
 * The run is written to $LLM_OBS_OUT, else ./llm_observability.json. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aiobs.h"
#include "openai_chat.h"

/* Tracing never stops the program: a failed aiobs call is reported and the work goes on. */
static void report(aiobs_status status, char *error) {
  if (status != AIOBS_OK) fprintf(stderr, "aiobs: %s\n", error ? error : "error");
  aiobs_string_free(error);
}

/* Appends `s` to `json` as a JSON string (quotes and control characters escaped). */
static void json_string(char *json, size_t size, const char *s) {
  size_t n = strlen(json);
  if (n + 1 < size) json[n++] = '"';
  for (; *s && n + 8 < size; s++) {
    if (*s == '"' || *s == '\\') {
      json[n++] = '\\';
      json[n++] = *s;
    } else if ((unsigned char)*s < 0x20) {
      n += (size_t)snprintf(json + n, size - n, "\\u%04x", (unsigned)(unsigned char)*s);
    } else {
      json[n++] = *s;
    }
  }
  if (n + 1 < size) json[n++] = '"';
  json[n] = '\0';
}

/* Begins a span `name` of module "pipeline" with `input` as its one argument, called from
 * `function` at `line` of this file. Returns the span id (free it with aiobs_string_free) or NULL:
 * tracing that fails leaves the program running. */
static char *begin_span(const char *name, const char *input, const char *function, int line) {
  char span_json[8192] = "{\"name\":";
  json_string(span_json, sizeof span_json, name);
  strncat(span_json, ",\"module\":\"pipeline\",\"args\":[", sizeof span_json - strlen(span_json) - 1);
  json_string(span_json, sizeof span_json, input);
  snprintf(span_json + strlen(span_json), sizeof span_json - strlen(span_json),
           "],\"callsite\":{\"file\":\"%s\",\"line\":%d,\"function\":\"%s\"}}", __FILE__, line, function);
  char *span = NULL, *error = NULL;
  report(aiobs_span_begin(span_json, &span, &error), error);
  return span;
}

/* Ends `span` (NULL: nothing to end) with `answer` as its result, or as failed when it is NULL. */
static void end_span(char *span, const char *answer) {
  if (span) {
    char result[8192] = "", *error = NULL;
    if (answer) json_string(result, sizeof result, answer);
    report(aiobs_span_end(span, answer ? result : NULL, answer ? NULL : "ChatError: the chat completion failed", &error),
           error);
  }
  aiobs_string_free(span);
}

/* One step: a span around one chat completion whose answer is the span's result. Returns the
 * answer (free it), or NULL. */
static char *step(const char *name, const char *model, const char *instruction, const char *input, int line) {
  char *span = begin_span(name, input, "run", line), *answer = NULL;
  char prompt[8192];
  snprintf(prompt, sizeof prompt, "%s\n\n%s", instruction, input);
  if (openai_chat(model, "You are a careful analyst.", prompt, &answer) != 0) answer = NULL;
  end_span(span, answer);
  return answer;
}

/* The pipeline, itself a span: research -> summarize -> critique. Returns 0 on success. */
static int run(const char *question) {
  char *span = begin_span("run", question, "main", __LINE__);
  char *research = step("research", "gpt-4o-mini", "Research the question; give three key facts.", question, __LINE__);
  char *summary = research ? step("summarize", "gpt-4o", "Summarize in one sentence.", research, __LINE__) : NULL;
  char *critique = summary ? step("critique", "gpt-4o-mini", "Critique this summary.", summary, __LINE__) : NULL;
  end_span(span, critique);
  if (critique) printf("research:  %s\nsummary:   %s\ncritique:  %s\n", research, summary, critique);
  int failed = critique == NULL;
  free(research);
  free(summary);
  free(critique);
  return failed;
}

int main(int argc, char **argv) {
  const char *question = argc > 1 ? argv[1] : "What is an API?";
  char *error = NULL, *written = NULL;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  aiobs_status status = aiobs_observe("pipeline-c", "{\"example\":\"pipeline\",\"language\":\"c\"}", NULL, &error);
  report(status, error);
  if (status != AIOBS_OK) return EXIT_FAILURE;

  int failed = run(question);

  error = NULL;
  report(aiobs_end(&error), error);
  error = NULL;
  status = aiobs_flush(NULL, &written, &error);
  report(status, error);
  if (status == AIOBS_OK) printf("trace written to %s\n", written);
  aiobs_string_free(written);
  curl_global_cleanup();
  return failed || status != AIOBS_OK ? EXIT_FAILURE : EXIT_SUCCESS;
}
