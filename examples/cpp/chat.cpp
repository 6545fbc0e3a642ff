// One chat completion over libcurl, recorded by aiobs, from C++ (aiobs.hpp).
//
//   OPENAI_API_KEY=sk-... ./chat "What is an API?"
//   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy ./chat   (the local stub)
//
// The run is written to $LLM_OBS_OUT, else ./llm_observability.json.
#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "aiobs.hpp"
#include "openai_chat.h"

int main(int argc, char **argv) {
  const char *prompt = argc > 1 ? argv[1] : "What is an API? Answer in one sentence.";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int failed = 0;
  try {
    aiobs::session session("chat-cpp", {{"example", "chat"}, {"language", "c++"}});
    char *reply = nullptr;
    failed = openai_chat("gpt-4o-mini", nullptr, prompt, &reply);
    std::unique_ptr<char, decltype(&std::free)> owned(reply, &std::free);
    if (!failed) std::printf("%s\n", reply);
    std::printf("trace written to %s\n", session.close().c_str());
  } catch (const aiobs::error &failure) {
    std::fprintf(stderr, "aiobs: %s\n", failure.what());
    failed = 1;
  }
  curl_global_cleanup();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
