/* bindings/c/aiobs_curl against the local provider stub: plain, streamed, aborted by the
 * caller's write callback, a streamed request body, a Veo operation and its polls, a URL that
 * is no LLM call, no session. The caller's callbacks must see every byte unchanged.
 * Usage: test_curl STUB_URL OUT_DIR. Writes OUT_DIR/curl.json and OUT_DIR/curl_expect.json,
 * which expect_export.py checks (events as the core parsed them, callsites). */
#define _POSIX_C_SOURCE 200809L
#include "aiobs_curl.h"

#include "check.h"

static const char *stub;

/* The caller's own sink: keeps what it is given; gives up after `stop_after` calls if set. */
typedef struct reply {
  char data[65536];
  size_t len;
  int calls, stop_after;
} reply;

static size_t on_data(char *data, size_t size, size_t count, void *user) {
  reply *r = (reply *)user;
  r->calls++;
  if (r->stop_after && r->calls > r->stop_after) return 0;
  size_t n = size * count;
  if (r->len + n < sizeof r->data) {
    memcpy(r->data + r->len, data, n);
    r->len += n;
    r->data[r->len] = '\0';
  }
  return n;
}

/* The caller's own header sink: counts lines. */
static size_t on_header(char *data, size_t size, size_t count, void *user) {
  (void)data;
  (*(int *)user)++;
  return size * count;
}

/* A streamed request body, handed over in small pieces. */
typedef struct source {
  const char *text;
  size_t at;
} source;

static size_t on_read(char *data, size_t size, size_t count, void *user) {
  source *s = (source *)user;
  size_t left = strlen(s->text) - s->at, n = size * count < 7 ? size * count : 7;
  if (n > left) n = left;
  memcpy(data, s->text + s->at, n);
  s->at += n;
  return n;
}

static CURL *handle(const char *path, struct curl_slist **headers) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", stub, path);
  CURL *easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url);
  *headers = curl_slist_append(NULL, "Content-Type: application/json");
  *headers = curl_slist_append(*headers, "Authorization: Bearer sk-SECRET-never-recorded");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
  return easy;
}

/* A request whose response goes to the caller's own callback, into `out`. */
static aiobs_curl_request writing_to(reply *out) {
  aiobs_curl_request request = {0};
  request.write = on_data;
  request.write_data = out;
  return request;
}

/* A request posting `body`, its response into `out`, its header lines counted in `lines`. */
static aiobs_curl_request posting(const char *body, reply *out, int *lines) {
  aiobs_curl_request request = writing_to(out);
  request.body = body;
  request.body_len = strlen(body);
  request.header = on_header;
  request.header_data = lines;
  return request;
}

/* Performs `request` on `easy`; checks curl's result and what recording gave, then frees the
 * record's message. */
static void perform_and_check(CURL *easy, const aiobs_curl_request *request, CURLcode expected_code,
                              aiobs_status expected_status, int line) {
  aiobs_curl_record record = {0};
  CURLcode code = aiobs_curl_perform(easy, request, &record);
  if (code != expected_code || record.status != expected_status) {
    fprintf(stderr, "line %d: curl %d, recorded %u (%s)\n", line, (int)code, (unsigned)record.status,
            record.error ? record.error : "no message");
  }
  CHECK(code == expected_code);
  CHECK(record.status == expected_status);
  aiobs_string_free(record.error);
}

/* Posts `body` to `path`; the reply goes to `into`; checks curl's result and the record's. */
static void post(const char *path, const char *body, reply *into, CURLcode expected_code,
                 aiobs_status expected_status, int line) {
  struct curl_slist *headers;
  CURL *easy = handle(path, &headers);
  aiobs_curl_request request = writing_to(into);
  request.body = body;
  request.body_len = strlen(body);
  perform_and_check(easy, &request, expected_code, expected_status, line);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

static void test_plain(void) {
  reply out = {0};
  post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"plain\"}]}",
       &out, CURLE_OK, AIOBS_OK, __LINE__);
  CHECK(strstr(out.data, "\"chat.completion\"") != NULL);
}

/* A body large enough that curl asks for "100 Continue" first: the headers kept are the final
 * response's, and the whole body is recorded. */
static void test_large_body(void) {
  static char body[6000];
  int at = snprintf(body, sizeof body, "{\"model\":\"gpt-4o-large\",\"messages\":[{\"role\":\"user\",\"content\":\"");
  memset(body + at, 'x', 4096);
  snprintf(body + at + 4096, sizeof body - (size_t)at - 4096, "\"}]}");
  struct curl_slist *headers;
  CURL *easy = handle("/v1/chat/completions", &headers);
  headers = curl_slist_append(headers, "Expect: 100-continue");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  reply out = {0};
  int header_lines = 0;
  aiobs_curl_request request = posting(body, &out, &header_lines);
  perform_and_check(easy, &request, CURLE_OK, AIOBS_OK, __LINE__);
  CHECK(strstr(out.data, "\"chat.completion\"") != NULL);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

static void test_streamed(void) {
  reply out = {0};
  int header_lines = 0;
  struct curl_slist *headers;
  CURL *easy = handle("/v1/chat/completions", &headers);
  const char *body = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"streamed\"}]}";
  aiobs_curl_request request = posting(body, &out, &header_lines);
  perform_and_check(easy, &request, CURLE_OK, AIOBS_OK, __LINE__);
  CHECK(out.calls > 1);                            /* delivered in pieces, as it came */
  CHECK(count_of(out.data, "data: ") >= 5);        /* every event reached the caller */
  CHECK(strstr(out.data, "data: [DONE]") != NULL);
  CHECK(header_lines > 3);                         /* the caller's header callback ran too */

  /* The handle is the caller's again: a plain perform writes through the caller's callback. */
  reply again = {0};
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &again);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
  CHECK(curl_easy_perform(easy) == CURLE_OK);
  CHECK(again.len == out.len);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

static void test_aborted(void) {
  reply out = {0};
  out.stop_after = 1;
  post("/v1/chat/completions", "{\"model\":\"gpt-4o-aborted\",\"stream\":true,\"messages\":[]}", &out,
       CURLE_WRITE_ERROR, AIOBS_OK, __LINE__);
  CHECK(out.calls == 2);
}

static void test_streamed_request_body(void) {
  reply out = {0};
  struct curl_slist *headers;
  CURL *easy = handle("/v1/embeddings", &headers);
  source body = {"{\"model\":\"text-embedding-3-small\",\"input\":\"read in pieces\"}", 0};
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body.text));
  aiobs_curl_request request = writing_to(&out);
  request.read = on_read;
  request.read_data = &body;
  perform_and_check(easy, &request, CURLE_OK, AIOBS_OK, __LINE__);
  CHECK(strstr(out.data, "\"embedding\"") != NULL);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

/* Submits a Veo operation and polls it until done; returns its name in `name`. */
static void test_video(char *name, size_t size) {
  reply out = {0};
  post("/v1beta/models/veo-3.0-generate-001:predictLongRunning?key=SECRET", "{\"instances\":[{\"prompt\":\"a river\"}]}",
       &out, CURLE_OK, AIOBS_OK, __LINE__);
  const char *at = strstr(out.data, "models/");
  size_t n = at ? strcspn(at, "\"") : 0;
  CHECK(n > 0 && n < size);
  if (!n || n >= size) return;
  memcpy(name, at, n);
  name[n] = '\0';
  for (int poll = 0; poll < 5; poll++) {
    char path[512];
    snprintf(path, sizeof path, "/v1beta/%s", name);
    reply state = {0};
    struct curl_slist *headers;
    CURL *easy = handle(path, &headers);
    aiobs_curl_request request = writing_to(&state);
    perform_and_check(easy, &request, CURLE_OK, AIOBS_OK, __LINE__);
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    if (strstr(state.data, "\"done\": true")) return;
  }
  CHECK(!"the operation never finished");
}

static void test_not_llm_and_no_session(void) {
  reply out = {0};
  struct curl_slist *headers;
  CURL *easy = handle("/health", &headers);
  aiobs_curl_request request = writing_to(&out);
  perform_and_check(easy, &request, CURLE_OK, AIOBS_ERR_NOT_LLM_ENDPOINT, __LINE__);
  CHECK(strcmp(out.data, "{\"status\":\"ok\"}") == 0);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);

  /* No session: the request still happens; the record says why nothing was kept. */
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
  reply later = {0};
  post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\"}", &later, CURLE_OK, AIOBS_ERR_NO_SESSION, __LINE__);
  CHECK(later.len > 0);
  /* A NULL record and a NULL request are fine (the body then goes to stdout: none here). */
  easy = handle("/v1/nothing-here", &headers);
  curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  CHECK(aiobs_curl_perform(easy, NULL, NULL) == CURLE_OK);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s STUB_URL OUT_DIR\n", argv[0]);
    return 2;
  }
  stub = argv[1];
  curl_global_init(CURL_GLOBAL_DEFAULT);
  char path[1024], operation[256] = "";
  snprintf(path, sizeof path, "%s/curl.json", argv[2]);
  remove(path);
  CHECK_STATUS(AIOBS_OK, aiobs_observe("curl", NULL, NULL, ERR));
  test_plain();
  test_large_body();
  test_streamed();
  test_aborted();
  test_streamed_request_body();
  test_video(operation, sizeof operation);
  test_not_llm_and_no_session();
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  curl_global_cleanup();
  char *written = read_file(path);
  /* Neither the key header, nor ?key=, nor the cookie the stub sets. */
  CHECK(written != NULL && count_of(written, "SECRET") == 0);
  free(written);

  snprintf(path, sizeof path, "%s/curl_expect.json", argv[2]);
  char xs[4097];
  memset(xs, 'x', 4096);
  xs[4096] = '\0';
  FILE *expect = fopen(path, "w");
  CHECK(expect != NULL);
  if (expect) {
    fprintf(expect,
            "{\"events\":["
            "{\"provider\":\"openai\",\"api\":\"chat.completions.create\",\"error\":null,"
            "\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"plain\"}]},"
            "\"response\":{\"model\":\"gpt-4o-mini\",\"text\":\"A weather service's REST API that apps call to fetch forecasts.\","
            "\"headers\":{\"openai-processing-ms\":\"12\",\"x-ratelimit-remaining-requests\":\"4999\"}},"
            "\"callsite\":{\"file\":\"tests/c/test_curl.c\",\"function\":\"perform_and_check\"}},"
            "{\"provider\":\"openai\",\"request\":{\"model\":\"gpt-4o-large\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]},"
            "\"response\":{\"headers\":{\"openai-processing-ms\":\"12\"}}},"
            "{\"provider\":\"openai\",\"request\":{\"model\":\"gpt-4o\",\"stream\":true},"
            "\"response\":{\"text\":\"Hello! How can I help you today?\",\"stream_complete\":true},"
            "\"error\":null},"
            "{\"provider\":\"openai\",\"request\":{\"model\":\"gpt-4o-aborted\"},"
            "\"response\":{\"stream_complete\":false},"
            "\"error\":\"aborted by the caller's write callback (curl: %s)\"},"
            "{\"provider\":\"openai\",\"api\":\"embeddings.create\",\"request\":{\"model\":\"text-embedding-3-small\","
            "\"input\":\"read in pieces\"}},"
            "{\"provider\":\"gemini\",\"api\":\"models.generate_videos\",\"error\":null,"
            "\"response\":{\"operation_name\":\"%s\",\"done\":true,\"polls\":3}}"
            "],\"sessions\":[{\"name\":\"curl\"}]}\n",
            xs, curl_easy_strerror(CURLE_WRITE_ERROR), operation);
    fclose(expect);
  }
  return finish("test_curl");
}
