/* A tiny test harness for the C tests: CHECK fails the run with the line and a message. */
#ifndef AIOBS_TEST_CHECK_H
#define AIOBS_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiobs.h"

static int checks_run = 0;
static int checks_failed = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    checks_run++;                                                                \
    if (!(cond)) {                                                               \
      checks_failed++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

/* Checks a status; inside `call`, ERR is the error_out argument. A message that came with a
 * failure is printed when the status is not the one expected, and freed in every case. */
#define ERR (&check_error_)
#define CHECK_STATUS(expected, call)                                             \
  do {                                                                           \
    char *check_error_ = NULL;                                                   \
    aiobs_status check_got_ = (call);                                            \
    checks_run++;                                                                \
    if (check_got_ != (aiobs_status)(expected)) {                                \
      checks_failed++;                                                           \
      fprintf(stderr, "%s:%d: %s returned %u, expected %u (%s)\n", __FILE__,     \
              __LINE__, #call, (unsigned)check_got_, (unsigned)(expected),       \
              check_error_ ? check_error_ : "no message");                       \
    }                                                                            \
    aiobs_string_free(check_error_);                                             \
  } while (0)

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
static inline char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = (char *)malloc((size_t)size + 1);
  size_t got = fread(text, 1, (size_t)size, file);
  text[got] = '\0';
  fclose(file);
  return text;
}

/* How often `needle` occurs in `haystack`. A plain scan: under AddressSanitizer every strstr
 * call measures the whole remaining haystack, which makes a strstr loop quadratic. */
static inline size_t count_of(const char *haystack, const char *needle) {
  size_t count = 0;
  size_t n = strlen(haystack), m = strlen(needle);
  for (size_t i = 0; m > 0 && i + m <= n; i++) {
    if (haystack[i] == needle[0] && memcmp(haystack + i, needle, m) == 0) {
      count++;
      i += m - 1;
    }
  }
  return count;
}

/* Whether `text` ends with `suffix` (aiobs returns absolute paths for relative ones). */
static inline int ends_with(const char *text, const char *suffix) {
  size_t n = strlen(text), m = strlen(suffix);
  return n >= m && strcmp(text + n - m, suffix) == 0;
}

static int finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, checks_run - checks_failed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
