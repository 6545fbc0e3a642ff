// The C++ header: RAII sessions and spans, nesting, results and exceptions, labels, errors.
// Usage: test_hpp OUT_DIR. Writes OUT_DIR/hpp.json (the export) and OUT_DIR/hpp_expect.json,
// which tests/c/expect_export.py then checks (parents, results, errors, callsites).
#include "aiobs.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../c/check.h"

namespace {

std::vector<std::string> expectations;  // JSON objects for "function_events"

void expect_function(const std::string &span_id, const std::string &parent, const std::string &extra) {
  std::string item = "{\"span_id\":" + aiobs::to_json(span_id) + ",\"parent_span_id\":" +
                     (parent.empty() ? std::string("null") : aiobs::to_json(parent));
  if (!extra.empty()) item += "," + extra;
  expectations.push_back(item + "}");
}

std::string research(const std::string &query, std::string &inner_id, const std::string &outer_id) {
  AIOBS_SPAN(step, aiobs::span_options("research").module("pipeline").args(query, 3, 0.5, true));
  inner_id = step.id();
  aiobs::record_call("{\"provider\":\"openai\",\"api\":\"chat.completions.create\"}");
  std::string answer = "facts about " + query;
  step.result(answer);
  expect_function(step.id(), outer_id,
                  "\"name\":\"research\",\"module\":\"pipeline\",\"args\":[\"What is an API?\",3,0.5,true],"
                  "\"result\":\"facts about What is an API?\",\"error\":null,"
                  "\"callsite\":{\"function\":\"research\"}");
  return answer;
}

void test_labels_and_errors() {
  // Labels from an initializer list, then from a std::map.
  aiobs::session labelled("labelled", {{"environment", "test"}, {"team", "c++"}});
  CHECK(labelled.id().size() == 36);
  aiobs::set_labels(aiobs::labels{{"region", "eu"}});
  aiobs::add_label("quote", "say \"hi\"\n");
  std::string labels = aiobs::labels_json();
  CHECK(labels.find("\"environment\":\"test\"") != std::string::npos);
  CHECK(labels.find("\"region\":\"eu\"") != std::string::npos);
  CHECK(labels.find("\"quote\":\"say \\\"hi\\\"\\n\"") != std::string::npos);
  CHECK(aiobs::stats_json().find("\"events_held\"") != std::string::npos);
  aiobs::remove_label("region");
  CHECK(aiobs::labels_json().find("region") == std::string::npos);

  // Errors are exceptions with the core's code and message.
  bool thrown = false;
  try {
    aiobs::add_label("Bad Key", "x");
  } catch (const aiobs::error &failure) {
    thrown = failure.status() == AIOBS_ERR_INVALID_LABEL && std::string(failure.what()).find("Bad Key") != std::string::npos;
  }
  CHECK(thrown);
  thrown = false;
  try {
    aiobs::record_call("not json");
  } catch (const aiobs::error &failure) {
    thrown = failure.status() == AIOBS_ERR_INVALID_JSON && std::string(failure.what()).size() > 0;
  }
  CHECK(thrown);
  thrown = false;
  try {
    aiobs::configure("{\"no_such_setting\":1}");
  } catch (const aiobs::error &failure) {
    thrown = failure.status() == AIOBS_ERR_INVALID_ARGUMENT &&
             std::string(failure.what()).find("no_such_setting") != std::string::npos;
  }
  CHECK(thrown);
  labelled.close();
  CHECK(labelled.close().empty());  // a second close does nothing

  // Without a session, a span cannot begin: the constructor throws and nothing is left open.
  thrown = false;
  try {
    aiobs::span orphan("orphan");
  } catch (const aiobs::error &failure) {
    thrown = failure.status() == AIOBS_ERR_NO_SESSION;
  }
  CHECK(thrown);
}

void test_spans(const std::string &out_dir) {
  const std::string path = out_dir + "/hpp.json";
  std::remove(path.c_str());
  {
    aiobs::session session("hpp", aiobs::labels{{"suite", "hpp"}}, path);
    std::string outer_id, inner_id;
    {
      AIOBS_SPAN(outer, aiobs::span_options("run_pipeline").module("pipeline").enh_prompt().auto_enhance_after(3));
      outer_id = outer.id();
      std::string answer = research("What is an API?", inner_id, outer_id);
      outer.result(std::vector<std::string>{answer});
      expect_function(outer_id, "", "\"result\":[\"facts about What is an API?\"],\"enh_prompt\":true,"
                                    "\"auto_enhance_after\":3");
    }
    CHECK(!inner_id.empty() && inner_id != outer_id);

    // aiobs::traced records the exception's type and message, and rethrows it unchanged.
    std::string failed_id;
    bool rethrown = false;
    try {
      aiobs::traced(aiobs::span_options("critique"), AIOBS_HERE, [&] {
        aiobs::span inner("inner_step");
        failed_id = inner.id();
        throw std::invalid_argument("the summary is empty");
      });
    } catch (const std::invalid_argument &failure) {
      rethrown = std::string(failure.what()) == "the summary is empty";
    }
    CHECK(rethrown);
    // The inner guard saw the exception leave its scope, without its type.
    expectations.push_back("{\"span_id\":" + aiobs::to_json(failed_id) +
                           ",\"error\":\"UnhandledException: an exception left the span\"}");
    expectations.push_back("{\"name\":\"critique\",\"error\":\"std::invalid_argument: the summary is empty\"}");

    // A traced function's result; a result of a type aiobs cannot write is null.
    int sum = aiobs::traced(aiobs::span_options("add").args(2, 3), AIOBS_HERE, [] { return 5; });
    CHECK(sum == 5);
    expectations.push_back("{\"name\":\"add\",\"args\":[2,3],\"result\":5,\"error\":null}");
    // Arguments of any type: literals, chars and bools as themselves, pointers and enums as null.
    enum class colour { red };
    int number = 1;
    std::string kept = "kept";
    std::string &same = aiobs::traced(aiobs::span_options("kinds").args("literal", 'c', false, &number, colour::red),
                                      AIOBS_HERE, [&]() -> std::string & { return kept; });
    CHECK(&same == &kept);  // a reference result comes back as the same object
    expectations.push_back("{\"name\":\"kinds\",\"args\":[\"literal\",\"c\",false,null,null],\"result\":\"kept\"}");
    struct opaque {
      int x;
    };
    opaque value = aiobs::traced(aiobs::span_options("opaque"), AIOBS_HERE, [] { return opaque{7}; });
    CHECK(value.x == 7);
    expectations.push_back("{\"name\":\"opaque\",\"result\":null}");

    // fail() with a caught exception; a root span while another is open; a moved guard ends once.
    {
      aiobs::span holder("holder");
      aiobs::span root(aiobs::span_options("detached").root());
      expect_function(root.id(), "", "\"name\":\"detached\",\"error\":\"std::runtime_error: quota\"");
      aiobs::span moved(std::move(root));
      try {
        throw std::runtime_error("quota");
      } catch (const std::exception &failure) {
        moved.fail(failure);
      }
      // Explicit parent across "threads": a span naming holder as its parent.
      aiobs::span child(aiobs::span_options("child").parent(holder.id()));
      expect_function(child.id(), holder.id(), "\"name\":\"child\"");
      child.end();
      bool thrown = false;
      try {
        aiobs::span bad(aiobs::span_options("bad").parent("not-a-span-id"));
      } catch (const aiobs::error &failure) {
        thrown = failure.status() != AIOBS_OK;
      }
      CHECK(thrown);
    }
    CHECK(session.close().size() > 0);
  }
  std::ofstream expect(out_dir + "/hpp_expect.json");
  expect << "{\"function_events\":[";
  for (std::size_t i = 0; i < expectations.size(); i++) expect << (i ? "," : "") << expectations[i];
  expect << "],\"events\":[{\"provider\":\"openai\"}],\"sessions\":[{\"name\":\"hpp\",\"labels\":{\"suite\":\"hpp\"}}]}\n";
}

void test_json() {
  CHECK(aiobs::to_json(std::string("a\"b\\c\x01")) == "\"a\\\"b\\\\c\\u0001\"");
  CHECK(aiobs::to_json(nullptr) == "null");
  CHECK(aiobs::to_json(1.0 / 0.0) == "null");
  CHECK(aiobs::to_json(std::map<std::string, int>{{"a", 1}, {"b", 2}}) == "{\"a\":1,\"b\":2}");
  CHECK(aiobs::to_json(aiobs::raw_json{"{\"x\":[1]}"}) == "{\"x\":[1]}");
  CHECK(aiobs::version() == AIOBS_VERSION_STRING);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  test_json();
  test_labels_and_errors();
  test_spans(argv[1]);
  return finish("test_hpp");
}
