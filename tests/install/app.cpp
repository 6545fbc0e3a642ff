// A C++ application built out of the tree against an installed aiobs, through aiobs.hpp.
#include <aiobs.hpp>

#include <cstdio>

int main(int argc, char **argv) {
  int failed = 0;
  if (aiobs::version() != AIOBS_VERSION_STRING) failed++;
  try {
    aiobs::session session("installed-cpp", {{"language", "c++"}}, argc > 1 ? argv[1] : "");
    AIOBS_SPAN(step, aiobs::span_options("step").args(1));
    step.result("done");
  } catch (const aiobs::error &failure) {
    std::fprintf(stderr, "%s\n", failure.what());
    failed++;
  }
  std::printf("%s: %d passed, %d failed\n", argv[0], 2 - failed, failed);
  return failed == 0 ? 0 : 1;
}
