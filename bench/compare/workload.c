/* The comparison's workload through aiobs from C: the same events file, the same measures as
 * workload.py (recording and tracing in the calling thread's CPU time, a flush in wall time).
 * Prints one JSON object of medians.
 * Usage: workload EVENTS_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS
 *        workload --memory EVENTS_JSONL N   (one fresh process: RSS bytes retained per event) */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aiobs.h"

static double clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* What the calling thread paid, steady on a shared machine (as workload.py's thread_time). */
static double cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static double wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static void must(aiobs_status status, const char *what) {
  if (status != AIOBS_OK) {
    fprintf(stderr, "workload: %s returned %u\n", what, (unsigned)status);
    exit(1);
  }
}

static char **read_events(const char *path, long count) {
  FILE *file = fopen(path, "r");
  if (!file) {
    perror(path);
    exit(1);
  }
  char **events = calloc((size_t)count, sizeof *events);
  size_t capacity = 0;
  for (long i = 0; i < count; i++) {
    char *line = NULL;
    ssize_t len = getline(&line, &capacity, file);
    if (len <= 0) {
      fprintf(stderr, "workload: %s has fewer than %ld events\n", path, count);
      exit(1);
    }
    line[len - 1] = '\0';
    events[i] = strdup(line);
    capacity = 0;
    free(line);
  }
  fclose(file);
  return events;
}

static void free_events(char **events, long count) {
  for (long i = 0; i < count; i++) free(events[i]);
  free(events);
}

static void start_session(void) { must(aiobs_observe("compare", NULL, NULL, NULL), "observe"); }

/* Empties the store between repetitions without writing anything worth keeping. */
static void discard(const char *out_dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/c-discard.json", out_dir);
  must(aiobs_flush(path, NULL, NULL), "flush");
  remove(path);
}

static double record_ns(char **events, long count, const char *out_dir) {
  start_session();
  double started = cpu_ns();
  for (long i = 0; i < count; i++) must(aiobs_record_call(events[i], NULL), "record_call");
  double elapsed = cpu_ns() - started;
  discard(out_dir);
  return elapsed / (double)count;
}

/* The same function as workload.py's plain_add; noinline so the plain loop calls it too. */
__attribute__((noinline)) static long plain_add(long a, long b, long scale) {
  return (a + b) * scale;
}

static volatile long sink;

/* A traced call as a C program writes one: the arguments and the result as JSON, a callsite,
 * span begin and end around the call. */
static double traced_overhead_ns(long count, const char *out_dir) {
  start_session();
  double started = cpu_ns();
  for (long i = 0; i < count; i++) sink = plain_add(i, 2, 3);
  double plain = cpu_ns() - started;
  char span_json[256], result[64];
  started = cpu_ns();
  for (long i = 0; i < count; i++) {
    snprintf(span_json, sizeof span_json,
             "{\"name\":\"plain_add\",\"module\":\"workload\",\"args\":[%ld,2],"
             "\"kwargs\":{\"scale\":3},\"callsite\":{\"file\":\"%s\",\"line\":%d,"
             "\"function\":\"traced_overhead_ns\"}}",
             i, __FILE__, __LINE__);
    char *span = NULL;
    must(aiobs_span_begin(span_json, &span, NULL), "span_begin");
    long sum = plain_add(i, 2, 3);
    snprintf(result, sizeof result, "{\"sum\":%ld}", sum);
    must(aiobs_span_end(span, result, NULL, NULL), "span_end");
    aiobs_string_free(span);
    sink = sum;
  }
  double traced = cpu_ns() - started;
  discard(out_dir);
  return (traced - plain) / (double)count;
}

static double flush_seconds(char **events, long count, const char *out_dir, long *size) {
  start_session();
  for (long i = 0; i < count; i++) must(aiobs_record_call(events[i], NULL), "record_call");
  must(aiobs_end(NULL), "end");
  char path[512];
  snprintf(path, sizeof path, "%s/c-flush.json", out_dir);
  double started = wall_ns();
  must(aiobs_flush(path, NULL, NULL), "flush");
  double seconds = (wall_ns() - started) / 1e9;
  struct stat st;
  *size = stat(path, &st) == 0 ? (long)st.st_size : 0;
  remove(path);
  return seconds;
}

static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *statm = fopen("/proc/self/statm", "r");
  if (!statm || fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
  if (statm) fclose(statm);
  return resident * sysconf(_SC_PAGESIZE);
}

static double memory_per_event(const char *path, long count) {
  malloc_trim(0);
  long before = rss_bytes();
  char **events = read_events(path, count);
  start_session();
  for (long i = 0; i < count; i++) must(aiobs_record_call(events[i], NULL), "record_call");
  free_events(events, count);
  malloc_trim(0);
  return (double)(rss_bytes() - before) / (double)count;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof *values, by_value);
  return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

enum { MAX_REPS = 64 };

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--memory") == 0) {
    printf("%f\n", memory_per_event(argv[2], atol(argv[3])));
    return 0;
  }
  if (argc != 7) {
    fprintf(stderr, "usage: workload EVENTS_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS\n");
    return 2;
  }
  const char *out_dir = argv[2];
  long record_n = atol(argv[3]), traced_n = atol(argv[4]), flush_n = atol(argv[5]);
  int reps = atoi(argv[6]);
  if (reps < 1 || reps > MAX_REPS || record_n < 1 || traced_n < 1 || flush_n < 1) return 2;
  long loaded = record_n > flush_n ? record_n : flush_n;
  char **events = read_events(argv[1], loaded);
  double record[MAX_REPS], traced[MAX_REPS], flush[MAX_REPS];
  long size = 0;
  for (int r = 0; r < reps; r++) record[r] = record_ns(events, record_n, out_dir);
  for (int r = 0; r < reps; r++) traced[r] = traced_overhead_ns(traced_n, out_dir);
  for (int r = 0; r < reps; r++) flush[r] = flush_seconds(events, flush_n, out_dir, &size);
  double seconds = median(flush, reps);
  printf("{\"language\": \"aiobs %s from C\", \"record_ns\": %.1f, \"traced_ns\": %.1f, "
         "\"flush_events_per_s\": %.1f, \"flush_mb_per_s\": %.2f, "
         "\"flush_bytes_per_event\": %.1f, \"reps\": %d, \"record_n\": %ld, "
         "\"traced_n\": %ld, \"flush_n\": %ld}\n",
         aiobs_version(), median(record, reps), median(traced, reps),
         (double)flush_n / seconds, (double)size / seconds / 1e6, (double)size / (double)flush_n,
         reps, record_n, traced_n, flush_n);
  free_events(events, loaded);
  return 0;
}
