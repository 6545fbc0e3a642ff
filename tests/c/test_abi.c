#define _POSIX_C_SOURCE 200809L
/* The whole C ABI through the public header: sessions, labels, calls, spans, flush, and every
 * kind of bad input. Built with -Wall -Wextra -Werror under ASan and UBSan. */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char out_dir[256];

static void path_in_out_dir(char *buffer, size_t size, const char *name) {
  snprintf(buffer, size, "%s/%s", out_dir, name);
}

static void test_version(void) {
  const char *version = aiobs_version();
  CHECK(version != NULL && strlen(version) >= 5);
  CHECK(strchr(version, '.') != NULL);
}

static void test_no_session_yet(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_record_call("{\"provider\":\"openai\",\"api\":\"x\"}", ERR));
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_add_label("team", "ml", ERR));
  char *labels = NULL;
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_get_labels(&labels, ERR));
  CHECK(labels == NULL);
  char *span = NULL;
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_span_begin("{\"name\":\"f\"}", &span, ERR));
  CHECK(span == NULL);
  char id[AIOBS_SPAN_ID_SIZE] = "";
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_span_begin_into("{\"name\":\"f\"}", id, ERR));
  CHECK(id[0] == '\0');
}

static void test_error_messages(void) {
  char *error = (char *)(uintptr_t)1; /* set to NULL on entry, whatever it held */
  CHECK(aiobs_configure("{\"no_such_setting\":1}", &error) == AIOBS_ERR_INVALID_ARGUMENT);
  CHECK(error != NULL && strstr(error, "no_such_setting") != NULL);
  aiobs_string_free(error);
  CHECK(aiobs_configure("{\"runtime\":\"c\"}", &error) == AIOBS_OK);
  CHECK(error == NULL);
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_configure("{", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_configure(NULL, ERR));
  CHECK(aiobs_configure(NULL, NULL) == AIOBS_ERR_INVALID_ARGUMENT); /* error_out may be NULL */
  aiobs_string_free(NULL);
}

static void test_labels(void) {
  char *id = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_observe("labels", "{\"environment\":\"staging\"}", &id, ERR));
  CHECK(id != NULL && strlen(id) == 36);
  aiobs_string_free(id);

  CHECK_STATUS(AIOBS_OK, aiobs_add_label("user_tier", "enterprise", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_set_labels("{\"experiment_id\":\"exp-42\"}", true, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_remove_label("experiment_id", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_remove_label("never_set", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_LABEL, aiobs_add_label("Bad-Key", "x", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_LABEL, aiobs_add_label("aiobs_custom", "x", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_LABEL, aiobs_remove_label("aiobs_os", ERR));
  char long_value[300];
  memset(long_value, 'v', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  CHECK_STATUS(AIOBS_ERR_INVALID_LABEL, aiobs_add_label("long", long_value, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_LABEL, aiobs_set_labels("[\"not\",\"an object\"]", true, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_set_labels("{\"a\":", true, ERR));

  char *labels = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_get_labels(&labels, ERR));
  CHECK(labels && strstr(labels, "\"user_tier\":\"enterprise\""));
  CHECK(labels && strstr(labels, "\"environment\":\"staging\""));
  CHECK(labels && strstr(labels, "\"aiobs_runtime\":\"c\""));
  CHECK(labels && !strstr(labels, "experiment_id"));
  aiobs_string_free(labels);

  /* Fill to 64 labels: the 65th is refused, overwriting stays allowed. */
  char key[32];
  aiobs_status status = AIOBS_OK;
  int added = 0;
  for (int i = 0; status == AIOBS_OK && i < 100; i++) {
    snprintf(key, sizeof key, "fill_%d", i);
    status = aiobs_add_label(key, "x", NULL);
    if (status == AIOBS_OK) added++;
  }
  CHECK(status == AIOBS_ERR_LABEL_LIMIT);
  CHECK(added > 50 && added < 64);
  CHECK_STATUS(AIOBS_OK, aiobs_add_label("fill_0", "overwritten", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_set_labels("{\"only_one\":\"left\"}", false, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_get_labels(&labels, ERR));
  CHECK(labels && !strstr(labels, "fill_0") && strstr(labels, "only_one") && strstr(labels, "aiobs_os"));
  aiobs_string_free(labels);
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
}

static const char *chat_call =
    "{\"provider\":\"openai\",\"api\":\"chat.completions.create\","
    "\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]},"
    "\"response\":{\"id\":\"chatcmpl-1\",\"text\":\"Hello!\",\"usage\":{\"prompt_tokens\":8,"
    "\"completion_tokens\":2,\"total_tokens\":10}},"
    "\"started_at\":1767400000.25,\"ended_at\":1767400001.0,"
    "\"callsite\":{\"file\":\"test_abi.c\",\"line\":120,\"function\":\"test_calls_and_spans\"}}";

static void test_bad_inputs(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe(NULL, NULL, NULL, ERR));
  const char invalid_utf8[] = {'{', '"', 'a', '"', ':', '"', (char)0xff, '"', '}', 0};
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_record_call(NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_record_call(invalid_utf8, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_add_label("k", invalid_utf8, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_record_call("{\"provider\":", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_record_call("[1,2,3]", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_record_call("{\"provider\":\"openai\"}", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_record_call("{\"provider\":7,\"api\":\"x\"}", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT,
               aiobs_record_call("{\"provider\":\"p\",\"api\":\"x\",\"started_at\":2,\"ended_at\":1}", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_span_begin("{\"name\":\"f\"}", NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_UNKNOWN_SPAN, aiobs_span_end("00000000000000ff", NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_span_end("zz", NULL, NULL, ERR));

  /* An oversized input is refused before any work is spent on it. */
  CHECK_STATUS(AIOBS_OK, aiobs_configure("{\"max_input_bytes\":64}", ERR));
  CHECK_STATUS(AIOBS_ERR_TOO_LARGE, aiobs_record_call(chat_call, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_configure("{\"max_input_bytes\":16777216}", ERR));

  /* None of that lost the one good call. */
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  char path[512];
  path_in_out_dir(path, sizeof path, "bad_inputs.json");
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  char *text = read_file(path);
  CHECK(text != NULL);
  if (text) {
    CHECK(count_of(text, "\"event_type\": \"provider\"") == 1);
    free(text);
  }
}

/* Values that would make the export unreadable to strict JSON readers are refused with
 * AIOBS_ERR_INVALID_JSON and a message naming the argument, and nothing is recorded. */
static void test_unreadable_values_are_refused(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe("hostile", NULL, NULL, ERR));
  const size_t depth = 200000;
  const char *head = "{\"provider\":\"p\",\"api\":\"a\",\"request\":";
  size_t head_length = strlen(head);
  char *deep = (char *)malloc(head_length + 2 * depth + 2);
  memcpy(deep, head, head_length);
  memset(deep + head_length, '[', depth);
  memset(deep + head_length + depth, ']', depth);
  memcpy(deep + head_length + 2 * depth, "}", 2);
  char *message = NULL;
  CHECK(aiobs_record_call(deep, &message) == AIOBS_ERR_INVALID_JSON);
  CHECK(message != NULL && strstr(message, "event_json.request") && strstr(message, "deeper than 64"));
  aiobs_string_free(message);
  free(deep);

  message = NULL;
  CHECK(aiobs_record_call("{\"provider\":\"p\",\"api\":\"a\",\"response\":{\"text\":\"\\ud800\"}}", &message) ==
        AIOBS_ERR_INVALID_JSON);
  CHECK(message != NULL && strstr(message, "event_json.response") && strstr(message, "lone surrogate"));
  aiobs_string_free(message);
  message = NULL;
  CHECK(aiobs_record_call("{\"provider\":\"p\",\"api\":\"a\",\"request\":{\"n\":1e400}}", &message) ==
        AIOBS_ERR_INVALID_JSON);
  CHECK(message != NULL && strstr(message, "event_json.request") && strstr(message, "range of a double"));
  aiobs_string_free(message);

  char *span = NULL;
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_span_begin("{\"name\":\"f\",\"args\":[1e400]}", &span, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_span_begin("{\"name\":\"f\",\"kwargs\":{\"k\":\"\\udc00\"}}", &span, ERR));
  CHECK(span == NULL);
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\":\"f\"}", &span, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_span_end(span, "\"\\ud800\"", NULL, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(span, "\"\\ud83d\\ude00\"", NULL, ERR));
  aiobs_string_free(span);

  /* The same span begun into the caller's buffer: its id, NUL-terminated, and nothing to free. */
  char id[AIOBS_SPAN_ID_SIZE + 1];
  memset(id, 'x', sizeof id);
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_span_begin_into("{\"name\":\"f\"}", NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_span_begin_into("{\"name\":\"f\",\"args\":[1e400]}", id, ERR));
  CHECK(id[0] == 'x');
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin_into("{\"name\":\"into\"}", id, ERR));
  CHECK(strlen(id) + 1 == AIOBS_SPAN_ID_SIZE && strspn(id, "0123456789abcdef") == 16);
  CHECK(id[AIOBS_SPAN_ID_SIZE] == 'x');
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(id, NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_UNKNOWN_SPAN, aiobs_span_end(id, NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_set_labels("{\"a\":\"\\ud800\"}", true, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_JSON, aiobs_configure("{\"max_input_bytes\":1e400}", ERR));

  char path[512];
  path_in_out_dir(path, sizeof path, "hostile.json");
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  char *text = read_file(path);
  CHECK(text != NULL);
  if (text) {
    CHECK(count_of(text, "\"event_type\": \"provider\"") == 0);
    CHECK(count_of(text, "\"name\": \"f\"") >= 1);
    free(text);
  }
}

static void test_calls_and_spans(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe("pipeline", "{\"team\":\"ml\"}", NULL, ERR));
  char *outer = NULL, *inner = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\":\"research\",\"module\":\"app\",\"args\":[\"q\"],"
                                          "\"enh_prompt\":true,\"auto_enhance_after\":10}",
                                          &outer, ERR));
  CHECK(outer && strlen(outer) == 16);
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\":\"summarize\"}", &inner, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(inner, "\"short\"", NULL, ERR));
  CHECK_STATUS(AIOBS_ERR_UNKNOWN_SPAN, aiobs_span_end(inner, NULL, NULL, ERR)); /* twice */
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(outer, NULL, "RuntimeError: upstream failed", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));

  char path[512];
  path_in_out_dir(path, sizeof path, "nested/deeper/spans.json");
  char *written = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, &written, ERR));
  CHECK(written && written[0] == '/' && ends_with(written, path));
  aiobs_string_free(written);

  char *text = read_file(path);
  CHECK(text != NULL);
  if (text) {
    char parent[64];
    snprintf(parent, sizeof parent, "\"parent_span_id\": \"%s\"", inner);
    CHECK(count_of(text, parent) == 2); /* the call, in events and in the tree */
    snprintf(parent, sizeof parent, "\"parent_span_id\": \"%s\"", outer);
    CHECK(count_of(text, parent) == 2); /* the inner span, in function_events and the tree */
    CHECK(count_of(text, "\"event_type\": \"function\"") == 2);
    CHECK(count_of(text, "\"error\": \"RuntimeError: upstream failed\"") == 2);
    CHECK(strstr(text, "\"enh_prompt_traces\": [") != NULL);
    CHECK(strstr(text, "\"api\": \"app.research\"") != NULL);
    CHECK(strstr(text, "\"duration_ms\": 750.0") != NULL);
    CHECK(strstr(text, "\"version\": 1") != NULL);
    free(text);
  }
  aiobs_string_free(outer);
  aiobs_string_free(inner);
}

static void test_flush_failure_keeps_everything(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe("keep", NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  char blocker[512], bad[600], good[512];
  path_in_out_dir(blocker, sizeof blocker, "a_file");
  FILE *file = fopen(blocker, "w");
  CHECK(file != NULL);
  if (file) fclose(file);
  snprintf(bad, sizeof bad, "%s/cannot.json", blocker);
  char *error = NULL;
  char *written = NULL;
  CHECK(aiobs_flush(bad, &written, &error) == AIOBS_ERR_IO);
  CHECK(written == NULL);
  CHECK(error && strstr(error, "cannot.json"));
  aiobs_string_free(error);

  path_in_out_dir(good, sizeof good, "retry.json");
  CHECK_STATUS(AIOBS_OK, aiobs_flush(good, NULL, ERR));
  char *text = read_file(good);
  CHECK(text && count_of(text, "\"event_type\": \"provider\"") == 1);
  CHECK(text && strstr(text, "\"name\": \"keep\""));
  free(text);
}

static void test_default_path_and_environment(void) {
  char env_path[512];
  path_in_out_dir(env_path, sizeof env_path, "from_env.json");
  setenv("LLM_OBS_OUT", env_path, 1);
  char *written = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_flush(NULL, &written, ERR));
  CHECK(written && written[0] == '/' && ends_with(written, env_path));
  aiobs_string_free(written);
  unsetenv("LLM_OBS_OUT");

  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(chdir(out_dir) == 0);
  CHECK_STATUS(AIOBS_OK, aiobs_flush(NULL, &written, ERR));
  CHECK(written && strstr(written, "/llm_observability.json"));
  aiobs_string_free(written);
  struct stat info;
  CHECK(stat("llm_observability.json", &info) == 0);
  CHECK(chdir(cwd) == 0);
}

/* The number after `"key":` in a stats object. */
static long long stat_of(const char *stats, const char *key) {
  char needle[64];
  snprintf(needle, sizeof needle, "\"%s\":", key);
  const char *at = strstr(stats, needle);
  return at ? atoll(at + strlen(needle)) : -1;
}

static void test_stats_and_thread_parenting(void) {
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_stats(NULL, ERR));
  char *before = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_stats(&before, ERR));
  CHECK(before && stat_of(before, "flushes_failed") >= 0 && stat_of(before, "events_dropped") == 0);
  CHECK_STATUS(AIOBS_OK, aiobs_observe("stats", NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_configure("{\"thread_parenting\":false}", ERR));
  char *span = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\":\"outer\"}", &span, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  char *during = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_stats(&during, ERR));
  CHECK(during && stat_of(during, "open_spans") == 1 && stat_of(during, "events_held") == 1);
  CHECK(during && stat_of(during, "bytes_held") > (long long)strlen(chat_call) / 2);
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(span, NULL, NULL, ERR));
  aiobs_string_free(span);
  CHECK_STATUS(AIOBS_OK, aiobs_configure("{\"thread_parenting\":true}", ERR));
  char path[512];
  path_in_out_dir(path, sizeof path, "stats.json");
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  char *text = read_file(path);
  /* The call is a root: its parent_span_id is null although "outer" was open. */
  CHECK(text && count_of(text, "\"parent_span_id\": null") == 2 * 2);
  free(text);
  char *after = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_stats(&after, ERR));
  CHECK(before && after && stat_of(after, "flushes") == stat_of(before, "flushes") + 1);
  CHECK(after && stat_of(after, "events_held") == 0 && stat_of(after, "open_spans") == 0);
  aiobs_string_free(before);
  aiobs_string_free(during);
  aiobs_string_free(after);
}

#if defined(AIOBS_TEST_HOOKS)
static void test_panic_stops_at_the_boundary(void) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe("panics", NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  char *error = NULL;
  CHECK(aiobs_test_panic(&error) == AIOBS_ERR_PANIC);
  CHECK(error && strstr(error, "panic"));
  aiobs_string_free(error);
  CHECK_STATUS(AIOBS_OK, aiobs_record_call(chat_call, ERR));
  char path[512];
  path_in_out_dir(path, sizeof path, "after_panic.json");
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  char *text = read_file(path);
  CHECK(text && count_of(text, "\"event_type\": \"provider\"") == 2);
  free(text);
}
#endif

int main(int argc, char **argv) {
  snprintf(out_dir, sizeof out_dir, "%s", argc > 1 ? argv[1] : "build/c-test-out");
  mkdir(out_dir, 0755);
  test_version();
  test_no_session_yet();
  test_error_messages();
  test_labels();
  test_bad_inputs();
  test_unreadable_values_are_refused();
  test_calls_and_spans();
  test_flush_failure_keeps_everything();
  test_default_path_and_environment();
  test_stats_and_thread_parenting();
#if defined(AIOBS_TEST_HOOKS)
  test_panic_stops_at_the_boundary();
#else
#error "the C tests need the library and header built with the test hooks (AIOBS_TEST_HOOKS)"
#endif
  return finish("test_abi");
}
