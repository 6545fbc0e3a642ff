// The public header compiles as C++ (twice included), and the ABI links and runs from C++.
#include "aiobs.h"
#include "aiobs.h"

#include <cstdio>
#include <cstring>
#include <string>

int main() {
  int failed = 0;
  std::string version = aiobs_version();
  if (version.empty()) failed++;
  char *error = nullptr;
  aiobs_status status = aiobs_observe("cpp", nullptr, nullptr, &error);
  if (status != AIOBS_OK) failed++;
  status = aiobs_record_call("{\"provider\":\"openai\",\"api\":\"embeddings.create\"}", &error);
  if (status != AIOBS_OK) failed++;
  status = aiobs_record_call("not json", &error);
  if (status != AIOBS_ERR_INVALID_JSON || error == nullptr) failed++;
  aiobs_string_free(error);
  std::printf("test_header: %d passed, %d failed\n", 4 - failed, failed);
  return failed == 0 ? 0 : 1;
}
