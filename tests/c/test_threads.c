#define _POSIX_C_SOURCE 200809L
/* 8 threads record 100,000 calls each at once; the flushed file must hold exactly 800,000. */
#include <pthread.h>
#include <sys/stat.h>

#include "check.h"

/* Valgrind and ThreadSanitizer runs pass a smaller count (-DCALLS_PER_THREAD=...): they run
 * 20 to 100 times slower, and interleavings show with far fewer calls. */
#ifndef CALLS_PER_THREAD
#define CALLS_PER_THREAD 100000
#endif
enum { THREADS = 8 };

static void *record_calls(void *arg) {
  int thread = *(int *)arg;
  char event[256];
  size_t failures = 0;
  for (int i = 0; i < CALLS_PER_THREAD; i++) {
    snprintf(event, sizeof event,
             "{\"provider\":\"openai\",\"api\":\"chat.completions.create\","
             "\"request\":{\"thread\":%d,\"seq\":%d}}",
             thread, i);
    if (aiobs_record_call(event, NULL) != AIOBS_OK) failures++;
  }
  return (void *)failures;
}

int main(int argc, char **argv) {
  const char *out_dir = argc > 1 ? argv[1] : "build/c-test-out";
  mkdir(out_dir, 0755);
  CHECK_STATUS(AIOBS_OK, aiobs_observe("threads", NULL, NULL, ERR));
  pthread_t threads[THREADS];
  int numbers[THREADS];
  for (int t = 0; t < THREADS; t++) {
    numbers[t] = t;
    CHECK(pthread_create(&threads[t], NULL, record_calls, &numbers[t]) == 0);
  }
  for (int t = 0; t < THREADS; t++) {
    void *failures = NULL;
    pthread_join(threads[t], &failures);
    CHECK(failures == NULL);
  }
  CHECK_STATUS(AIOBS_OK, aiobs_end(ERR));
  char path[512];
  snprintf(path, sizeof path, "%s/threads.json", out_dir);
  CHECK_STATUS(AIOBS_OK, aiobs_flush(path, NULL, ERR));
  char *text = read_file(path);
  CHECK(text != NULL);
  if (text) {
    size_t provider_nodes = count_of(text, "\"event_type\": \"provider\"");
    CHECK(provider_nodes == (size_t)THREADS * CALLS_PER_THREAD);
    char last[64], last_compact[64];
    snprintf(last, sizeof last, "\"seq\": %d", CALLS_PER_THREAD - 1);
    snprintf(last_compact, sizeof last_compact, "\"seq\":%d", CALLS_PER_THREAD - 1);
    CHECK(strstr(text, last) != NULL || strstr(text, last_compact) != NULL);
    free(text);
  }
  remove(path);
  return finish("test_threads");
}
