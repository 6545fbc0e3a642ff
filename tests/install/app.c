/* An application built out of the tree against an installed aiobs: the header's version macros
 * must agree with the library's aiobs_version(), and a session must record and flush. */
#include <stdio.h>
#include <string.h>

#include <aiobs.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

int main(int argc, char **argv) {
  int failed = 0;
  const char *expected = STRINGIFY(AIOBS_VERSION_MAJOR) "." STRINGIFY(AIOBS_VERSION_MINOR) "." STRINGIFY(AIOBS_VERSION_PATCH);
  if (strcmp(aiobs_version(), AIOBS_VERSION_STRING) != 0) {
    fprintf(stderr, "library %s, header %s\n", aiobs_version(), AIOBS_VERSION_STRING);
    failed++;
  }
  if (strcmp(expected, AIOBS_VERSION_STRING) != 0) failed++;
  if (AIOBS_VERSION_NUMBER != AIOBS_VERSION_MAJOR * 1000000 + AIOBS_VERSION_MINOR * 1000 + AIOBS_VERSION_PATCH) failed++;
  char *error = NULL;
  if (aiobs_observe("installed", NULL, NULL, &error) != AIOBS_OK) failed++;
  if (aiobs_record_call("{\"provider\":\"openai\",\"api\":\"embeddings.create\"}", &error) != AIOBS_OK) failed++;
  if (aiobs_flush(argc > 1 ? argv[1] : NULL, NULL, &error) != AIOBS_OK) failed++;
  if (error) fprintf(stderr, "%s\n", error);
  aiobs_string_free(error);
  printf("%s: %d passed, %d failed\n", argv[0], 6 - failed, failed);
  return failed == 0 ? 0 : 1;
}
