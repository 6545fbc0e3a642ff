// A three-step pipeline (research -> summarize -> critique) over libcurl, traced with aiobs.hpp:
// each step is a traced function; the chat completion inside it is the span's child.
//
//   OPENAI_API_KEY=sk-... ./pipeline "Your prompt here"
//   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy ./pipeline   (the local stub)
//
// The run is written to $LLM_OBS_OUT, else ./llm_observability.json.
#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "aiobs.hpp"
#include "openai_chat.h"

namespace {

std::string chat(const char *model, const std::string &instruction, const std::string &input) {
  char *reply = nullptr;
  const std::string prompt = instruction + "\n\n" + input;
  if (openai_chat(model, "You are a careful analyst.", prompt.c_str(), &reply) != 0) {
    throw std::runtime_error("the chat completion failed");
  }
  std::string text(reply);
  std::free(reply);
  return text;
}

// Each step runs inside a span that records its argument and its result (or its exception).
std::string research(const std::string &question) {
  return aiobs::traced(aiobs::span_options("research").module("pipeline").args(question), AIOBS_HERE,
                       [&] { return chat("gpt-4o-mini", "Research the question; give three key facts.", question); });
}

std::string summarize(const std::string &facts) {
  return aiobs::traced(aiobs::span_options("summarize").module("pipeline").args(facts), AIOBS_HERE,
                       [&] { return chat("gpt-4o", "Summarize in one sentence.", facts); });
}

std::string critique(const std::string &summary) {
  AIOBS_SPAN(span, aiobs::span_options("critique").module("pipeline").args(summary));
  std::string verdict = chat("gpt-4o-mini", "Critique this summary.", summary);
  span.result(verdict);
  return verdict;
}

// The pipeline, itself traced: its result is the critique.
std::string run(const std::string &question) {
  return aiobs::traced(aiobs::span_options("run").module("pipeline").args(question), AIOBS_HERE, [&] {
    const std::string facts = research(question);
    const std::string summary = summarize(facts);
    const std::string verdict = critique(summary);
    std::printf("research:  %s\nsummary:   %s\ncritique:  %s\n", facts.c_str(), summary.c_str(), verdict.c_str());
    return verdict;
  });
}

}  // namespace

int main(int argc, char **argv) {
  const std::string question = argc > 1 ? argv[1] : "What is an API?";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int status = EXIT_SUCCESS;
  try {
    aiobs::session session("pipeline-cpp", {{"example", "pipeline"}, {"language", "c++"}});
    try {
      run(question);
    } catch (const std::runtime_error &failure) {
      std::fprintf(stderr, "pipeline: %s\n", failure.what());
      status = EXIT_FAILURE;  // the session is still written, with the failed step
    }
    std::printf("trace written to %s\n", session.close().c_str());
  } catch (const aiobs::error &failure) {
    std::fprintf(stderr, "aiobs: %s\n", failure.what());
    status = EXIT_FAILURE;
  }
  curl_global_cleanup();
  return status;
}
