/* Records one session for the Jaeger test and exports it over OTLP: a traced pipeline with a
 * nested retrieval span, a chat, a streamed chat, an embeddings call and a failed call (the
 * shared provider fixtures, through aiobs_record_http), and a span that ends with an error.
 * Then it forks: the child records one span, which its own exporter thread sends.
 *
 * usage: jaeger_session FIXTURES_DIR OTLP_BASE_URL PROTOCOL SERVICE_NAME OUT_JSON */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>
#include <unistd.h>

#include "../c/check.h"

static unsigned char *read_bytes(const char *path, size_t *length) {
  char *text = read_file(path);
  *length = text ? strlen(text) : 0;
  return (unsigned char *)text;
}

static void record_fixture(const char *fixtures, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/exchange.json", fixtures, name);
  char *exchange = read_file(path);
  CHECK(exchange != NULL);
  size_t request_length, response_length;
  snprintf(path, sizeof path, "%s/%s/request.body", fixtures, name);
  unsigned char *request = read_bytes(path, &request_length);
  snprintf(path, sizeof path, "%s/%s/response.body", fixtures, name);
  unsigned char *response = read_bytes(path, &response_length);
  CHECK_STATUS(AIOBS_OK, aiobs_record_http(exchange, request, request_length, response, response_length, ERR));
  free(exchange);
  free(request);
  free(response);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s FIXTURES_DIR OTLP_BASE_URL PROTOCOL SERVICE_NAME OUT_JSON\n", argv[0]);
    return 2;
  }
  const char *fixtures = argv[1];
  char settings[1024];
  snprintf(settings, sizeof settings,
           "{\"otlp\": {\"endpoint\": \"%s\", \"protocol\": \"%s\", \"service_name\": \"%s\", "
           "\"schedule_delay_ms\": 100, \"capture_message_content\": true}}",
           argv[2], argv[3], argv[4]);
  CHECK_STATUS(AIOBS_OK, aiobs_configure(settings, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_observe("jaeger-session", "{\"team\": \"search\"}", NULL, ERR));

  char *pipeline = NULL, *retrieve = NULL, *summarise = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\": \"pipeline\", \"args\": [\"question\"]}", &pipeline, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\": \"retrieve\"}", &retrieve, ERR));
  record_fixture(fixtures, "openai_embeddings");
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(retrieve, "[\"doc-1\"]", NULL, ERR));
  record_fixture(fixtures, "openai_chat_basic");
  record_fixture(fixtures, "openai_chat_stream");
  record_fixture(fixtures, "openai_chat_http_error");
  CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\": \"summarise\"}", &summarise, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(summarise, NULL, "ValueError: nothing to summarise", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_span_end(pipeline, "\"answer\"", NULL, ERR));
  aiobs_string_free(pipeline);
  aiobs_string_free(retrieve);
  aiobs_string_free(summarise);

  CHECK_STATUS(AIOBS_OK, aiobs_flush(argv[5], NULL, ERR));

  /* The child inherits no exporter thread: its first span starts its own. */
  fflush(NULL);
  pid_t child = fork();
  if (child == 0) {
    char *work = NULL;
    CHECK_STATUS(AIOBS_OK, aiobs_observe("jaeger-session", "{\"team\": \"search\"}", NULL, ERR));
    CHECK_STATUS(AIOBS_OK, aiobs_span_begin("{\"name\": \"child-work\"}", &work, ERR));
    CHECK_STATUS(AIOBS_OK, aiobs_span_end(work, NULL, NULL, ERR));
    aiobs_string_free(work);
    CHECK_STATUS(AIOBS_OK, aiobs_shutdown(20000, ERR));
    char *stats = NULL;
    CHECK_STATUS(AIOBS_OK, aiobs_stats(&stats, ERR));
    CHECK(stats && strstr(stats, "\"exported\":1,") != NULL);
    aiobs_string_free(stats);
    _exit(checks_failed ? 1 : 0);
  }
  int child_status = 0;
  CHECK(child > 0 && waitpid(child, &child_status, 0) == child);
  CHECK(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);

  CHECK_STATUS(AIOBS_OK, aiobs_shutdown(20000, ERR));
  char *stats = NULL;
  CHECK_STATUS(AIOBS_OK, aiobs_stats(&stats, ERR));
  CHECK(stats && strstr(stats, "\"exported\":7,") != NULL && strstr(stats, "\"dropped\":0,") != NULL);
  aiobs_string_free(stats);
  return finish(argv[3]);
}
