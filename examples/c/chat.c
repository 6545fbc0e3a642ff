/* One chat completion over libcurl, recorded by aiobs.
 *
 *   OPENAI_API_KEY=sk-... ./chat "What is an API?"
 *   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy ./chat   (the local stub)
 *
 * The run is written to $LLM_OBS_OUT, else ./llm_observability.json. */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "aiobs.h"
#include "openai_chat.h"

int main(int argc, char **argv) {
  const char *prompt = argc > 1 ? argv[1] : "What is an API? Answer in one sentence.";
  char *error = NULL, *written = NULL, *reply = NULL;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (aiobs_observe("chat-c", "{\"example\":\"chat\"}", NULL, &error) != AIOBS_OK) {
    fprintf(stderr, "aiobs: %s\n", error);
    aiobs_string_free(error);
    return EXIT_FAILURE;
  }
  int failed = openai_chat("gpt-4o-mini", NULL, prompt, &reply);
  if (!failed) printf("%s\n", reply);
  free(reply);
  aiobs_end(NULL);
  if (aiobs_flush(NULL, &written, &error) == AIOBS_OK) {
    printf("trace written to %s\n", written);
  } else {
    fprintf(stderr, "aiobs: %s\n", error);
    failed = 1;
  }
  aiobs_string_free(written);
  aiobs_string_free(error);
  curl_global_cleanup();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
