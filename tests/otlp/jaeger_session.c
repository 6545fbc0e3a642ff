/* Records one session for the Jaeger test and exports it over OTLP: a traced pipeline with a
 * nested retrieval span, a chat, a streamed chat, an embeddings call and a failed call (the
 * shared provider fixtures, through aiobs_record_http), and a span that ends with an error.
 *
 * usage: jaeger_session FIXTURES_DIR OTLP_BASE_URL PROTOCOL SERVICE_NAME OUT_JSON */
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
  CHECK_STATUS(AIOBS_OK, aiobs_shutdown(20000, ERR));
  return finish(argv[3]);
}
