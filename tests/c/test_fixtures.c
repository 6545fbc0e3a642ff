/* Records every shared provider fixture through aiobs_record_http, one session per fixture named
 * after its folder, and flushes them to one file; compare_fixture_events.py then checks that each
 * session's event is the fixture's expected call, so C produces the same events as the core's
 * own tests (and every other binding). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sys/stat.h>

#include "check.h"

/* Reads a file's bytes; a missing file is an empty body. */
static unsigned char *read_body(const char *path, size_t *length) {
  *length = 0;
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *bytes = (unsigned char *)malloc(size > 0 ? (size_t)size : 1);
  *length = fread(bytes, 1, (size_t)size, file);
  fclose(file);
  return bytes;
}

static int is_dir(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static int visible_dir(const struct dirent *entry) { return entry->d_name[0] != '.'; }

static void record_case(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/exchange.json", dir);
  char *exchange = read_file(path);
  CHECK(exchange != NULL);
  if (!exchange) return;
  size_t request_length, response_length;
  snprintf(path, sizeof path, "%s/request.body", dir);
  unsigned char *request = read_body(path, &request_length);
  snprintf(path, sizeof path, "%s/response.body", dir);
  unsigned char *response = read_body(path, &response_length);
  CHECK_STATUS(AIOBS_OK, aiobs_record_http(exchange, request, request_length, response, response_length, ERR));
  free(exchange);
  free(request);
  free(response);
}

/* Calls `visit` on each sub-folder of `dir`, in name order; returns how many. */
static int each_subdir(const char *dir, void (*visit)(const char *dir, const char *name)) {
  struct dirent **entries = NULL;
  int count = scandir(dir, &entries, visible_dir, by_name);
  int visited = 0;
  for (int i = 0; i < count; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
    if (is_dir(path)) {
      visit(path, entries[i]->d_name);
      visited++;
    }
    free(entries[i]);
  }
  free(entries);
  return visited;
}

static void record_step(const char *dir, const char *name) {
  (void)name;
  record_case(dir);
}

static void record_fixture(const char *dir, const char *name) {
  CHECK_STATUS(AIOBS_OK, aiobs_observe(name, NULL, NULL, ERR));
  char exchange[1024];
  snprintf(exchange, sizeof exchange, "%s/exchange.json", dir);
  struct stat info;
  if (stat(exchange, &info) == 0) {
    record_case(dir);
  } else {
    CHECK(each_subdir(dir, record_step) >= 2); /* a sequence: submit and polls */
  }
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_fixtures FIXTURE_DIR OUTPUT_JSON\n");
    return 2;
  }
  CHECK_STATUS(AIOBS_ERR_NOT_LLM_ENDPOINT,
               aiobs_record_http("{\"method\":\"GET\",\"url\":\"https://example.com/\"}", NULL, 0, NULL, 0, ERR));
  /* aiobs_http_check answers before any body is teed, as aiobs_record_http would. */
  CHECK_STATUS(AIOBS_ERR_NO_SESSION, aiobs_http_check("POST", "https://api.openai.com/v1/chat/completions", ERR));
  CHECK_STATUS(AIOBS_ERR_NOT_LLM_ENDPOINT, aiobs_http_check("GET", "https://example.com/", ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT, aiobs_http_check(NULL, "https://example.com/", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_observe("not-recorded", NULL, NULL, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_http_check("POST", "https://api.openai.com/v1/chat/completions", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_http_check("post", "https://generativelanguage.googleapis.com/v1beta/models/"
                                                  "gemini-2.0-flash:generateContent?key=secret", ERR));
  CHECK_STATUS(AIOBS_ERR_NOT_LLM_ENDPOINT, aiobs_http_check("GET", "https://api.openai.com/v1/chat/completions", ERR));
  CHECK_STATUS(AIOBS_ERR_NOT_LLM_ENDPOINT, aiobs_http_check("POST", "https://example.com/upload", ERR));
  CHECK_STATUS(AIOBS_ERR_NOT_LLM_ENDPOINT,
               aiobs_record_http("{\"method\":\"GET\",\"url\":\"https://example.com/\"}", NULL, 0, NULL, 0, ERR));
  CHECK_STATUS(AIOBS_ERR_INVALID_ARGUMENT,
               aiobs_record_http("{\"method\":\"POST\",\"url\":\"https://x/v1/embeddings\"}", NULL, 3, NULL, 0, ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
  int fixtures = each_subdir(argv[1], record_fixture);
  CHECK(fixtures >= 40);
  CHECK_STATUS(AIOBS_OK, aiobs_flush(argv[2], NULL, ERR));
  return finish("test_fixtures");
}
