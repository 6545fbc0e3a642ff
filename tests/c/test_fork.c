#define _GNU_SOURCE
/* 4 threads record and 1 flushes while the main thread forks 100 times. Every child must finish
 * (an alarm kills a hung one, which fails the test), write only its own events to its own
 * default path, and share no span id with the parent or another child; every parent event must
 * land in exactly one parent file. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

enum { RECORDERS = 4, FORKS = 100, CHILD_CALLS = 10 };

static volatile int stop = 0;
static char out_dir[512];

static void *record_calls(void *arg) {
  int thread = *(int *)arg;
  char event[256];
  size_t ok = 0;
  for (int i = 0; !stop; i++) {
    snprintf(event, sizeof event,
             "{\"provider\":\"openai\",\"api\":\"chat.completions.create\","
             "\"request\":{\"who\":\"parent\",\"thread\":%d,\"seq\":%d}}",
             thread, i);
    if (aiobs_record_call(event, NULL) == AIOBS_OK) ok++;
    /* Paced, so that the store stays small under AddressSanitizer and forks stay cheap. */
    if (i % 16 == 15) usleep(1000);
  }
  return (void *)ok;
}

static void *flush_often(void *arg) {
  (void)arg;
  char path[600];
  int n = 0;
  while (!stop) {
    snprintf(path, sizeof path, "%s/parent-%d.json", out_dir, n++);
    if (aiobs_flush(path, NULL, NULL) != AIOBS_OK) return (void *)1;
    usleep(5000);
  }
  return NULL;
}

/* The child: record a few calls in the session it continues, flush to the default path. */
static void run_child(void) {
  alarm(30); /* a hang is a failure, never a stuck CI job */
  int failures = 0;
  char span_json[] = "{\"name\":\"child_work\"}";
  char *span = NULL;
  if (aiobs_span_begin(span_json, &span, NULL) != AIOBS_OK) failures++;
  for (int i = 0; i < CHILD_CALLS; i++) {
    char event[200];
    snprintf(event, sizeof event,
             "{\"provider\":\"openai\",\"api\":\"chat.completions.create\","
             "\"request\":{\"who\":\"child\",\"seq\":%d}}", i);
    if (aiobs_record_call(event, NULL) != AIOBS_OK) failures++;
  }
  if (aiobs_span_end(span, NULL, NULL, NULL) != AIOBS_OK) failures++;
  aiobs_string_free(span);
  if (aiobs_flush(NULL, NULL, NULL) != AIOBS_OK) failures++;
  _exit(failures == 0 ? 0 : 1);
}

/* Appends every "span_id": "..." of `text` to ids. */
static void collect_span_ids(const char *text, uint64_t **ids, size_t *len, size_t *cap) {
  const char *key = "\"span_id\": \"";
  size_t key_len = strlen(key), n = strlen(text);
  /* A plain scan: strstr under AddressSanitizer measures the whole rest of the text each time. */
  for (size_t i = 0; i + key_len + 16 <= n; i++) {
    if (text[i] != '"' || memcmp(text + i, key, key_len) != 0) continue;
    const char *at = text + i;
    if (*len == *cap) {
      *cap = *cap ? 2 * *cap : 1024;
      *ids = realloc(*ids, *cap * sizeof **ids);
    }
    (*ids)[(*len)++] = strtoull(at + strlen(key), NULL, 16);
  }
}

static int compare_ids(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  snprintf(out_dir, sizeof out_dir, "%s/fork", argc > 1 ? argv[1] : "build/c-test-out");
  mkdir(argc > 1 ? argv[1] : "build/c-test-out", 0755);
  mkdir(out_dir, 0755);
  DIR *old = opendir(out_dir);
  for (struct dirent *entry; old && (entry = readdir(old));) {
    if (entry->d_name[0] == '.') continue;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", out_dir, entry->d_name);
    remove(path);
  }
  if (old) closedir(old);
  char default_path[600];
  snprintf(default_path, sizeof default_path, "%s/child.json", out_dir);
  setenv("LLM_OBS_OUT", default_path, 1);
  alarm(600);

  CHECK_STATUS(AIOBS_OK, aiobs_configure("{\"flush_ends_session\":false}", ERR));
  CHECK_STATUS(AIOBS_OK, aiobs_observe("forking", "{\"role\":\"server\"}", NULL, ERR));
  pthread_t recorders[RECORDERS], flusher;
  int numbers[RECORDERS];
  for (int t = 0; t < RECORDERS; t++) {
    numbers[t] = t;
    CHECK(pthread_create(&recorders[t], NULL, record_calls, &numbers[t]) == 0);
  }
  CHECK(pthread_create(&flusher, NULL, flush_often, NULL) == 0);

  int children_ok = 0;
  size_t main_calls = 0;
  for (int f = 0; f < FORKS; f++) {
    /* The forking thread draws ids in the parent too, so a copied generator would repeat. */
    if (aiobs_record_call("{\"provider\":\"openai\",\"api\":\"a\",\"request\":{\"who\":\"parent\"}}",
                          NULL) == AIOBS_OK)
      main_calls++;
    pid_t pid = fork();
    if (pid == 0) run_child();
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      children_ok++;
    } else {
      fprintf(stderr, "child %d: %s %d\n", (int)pid, WIFSIGNALED(status) ? "killed by signal" : "exit",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
  stop = 1;
  size_t recorded = main_calls;
  for (int t = 0; t < RECORDERS; t++) {
    void *ok = NULL;
    pthread_join(recorders[t], &ok);
    recorded += (size_t)ok;
  }
  void *flush_failed = NULL;
  pthread_join(flusher, &flush_failed);
  CHECK(flush_failed == NULL);
  char last[600];
  snprintf(last, sizeof last, "%s/parent-last.json", out_dir);
  CHECK_STATUS(AIOBS_OK, aiobs_flush(last, NULL, ERR));
  CHECK(children_ok == FORKS);

  /* Read every file: parent events only in parent files, each once; children's files hold
   * exactly their own events, under a session of the same name and labels. */
  uint64_t *ids = NULL;
  size_t id_count = 0, id_cap = 0, parent_events = 0, child_files = 0;
  DIR *dir = opendir(out_dir);
  CHECK(dir != NULL);
  for (struct dirent *entry; dir && (entry = readdir(dir));) {
    if (entry->d_name[0] == '.') {
      CHECK(strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0);
      continue;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", out_dir, entry->d_name);
    char *text = read_file(path);
    CHECK(text != NULL);
    if (!text) continue;
    /* Each event's request appears in "events" and again in "trace_tree". */
    size_t parents = count_of(text, "\"who\":\"parent\"");
    size_t children = count_of(text, "\"who\":\"child\"");
    if (strncmp(entry->d_name, "parent-", 7) == 0) {
      CHECK(children == 0);
      parent_events += parents / 2;
    } else {
      child_files++;
      CHECK(strncmp(entry->d_name, "child.", 6) == 0); /* child.<pid>.json */
      CHECK(parents == 0);
      CHECK(children == 2 * CHILD_CALLS);
      CHECK(strstr(text, "\"name\": \"forking\"") != NULL);
      CHECK(strstr(text, "\"role\": \"server\"") != NULL);
    }
    collect_span_ids(text, &ids, &id_count, &id_cap);
    free(text);
  }
  if (dir) closedir(dir);
  CHECK(child_files == FORKS);
  CHECK(parent_events == recorded);
  /* Each id appears twice in a file (events and trace_tree): more than twice is a collision. */
  qsort(ids, id_count, sizeof *ids, compare_ids);
  size_t repeated = 0;
  for (size_t i = 2; i < id_count; i++) {
    if (ids[i] == ids[i - 2]) repeated++;
  }
  CHECK(repeated == 0);
  CHECK(id_count > 2 * (size_t)FORKS * CHILD_CALLS);
  free(ids);
  printf("test_fork: %zu parent events, %zu child files, %zu span ids\n", parent_events, child_files,
         id_count);
  return finish("test_fork");
}
