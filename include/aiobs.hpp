/*
 * aiobs for C++17: a header-only layer over the C ABI in aiobs.h.
 *
 *   aiobs::session session("my-pipeline", {{"environment", "production"}});
 *   {
 *     AIOBS_SPAN(step, aiobs::span_options("research").module("pipeline").args(query));
 *     ... calls to OpenAI or Gemini (bindings/c records them) ...
 *     step.result(answer);
 *   }   // the span ends here, with the result, or with the exception leaving the scope
 *   // the session ends and is written when `session` goes out of scope (or by session.close())
 *
 * - Every failure of the core throws aiobs::error, whose what() is the core's message and whose
 *   status() is the aiobs_status code. Destructors never throw: they record what they can.
 * - The core has one active session per process: a session object starts it and ends it.
 * - Spans nest per thread: a span or call recorded on a thread while a span is open on it is that
 *   span's child. Thread safety is the C ABI's: every function may be called from any thread; a
 *   session or span object itself is not meant to be shared between threads without a lock.
 * - Link with libaiobs (pkg-config aiobs, or CMake aiobs::aiobs). Nothing here allocates on the
 *   core's behalf: strings the core returns are copied and freed at once.
 */
#ifndef AIOBS_HPP
#define AIOBS_HPP

#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#if defined(__has_include)
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#include <cstdlib>
#define AIOBS_HPP_DEMANGLE 1
#endif
#endif

#include "aiobs.h"

namespace aiobs {

/** A failed call into the core: what() is the core's message, status() its code. */
class error : public std::runtime_error {
 public:
  error(aiobs_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
  aiobs_status status() const noexcept { return status_; }

 private:
  aiobs_status status_;
};

/** Session labels: key -> value (see the label rules in aiobs.h). */
using labels = std::map<std::string, std::string>;

/** A place in the source; AIOBS_HERE names the place where it is written. */
struct callsite {
  const char *file = nullptr;
  int line = 0;
  const char *function = nullptr;
};

#define AIOBS_HERE (::aiobs::callsite{AIOBS_CALLSITE})

/** JSON text passed through as it is (e.g. a result the program already has as JSON). */
struct raw_json {
  std::string text;
};

namespace detail {

/** A string the core hands out, freed with aiobs_string_free when this goes away. */
class core_string {
 public:
  core_string() = default;
  core_string(const core_string &) = delete;
  core_string &operator=(const core_string &) = delete;
  ~core_string() { aiobs_string_free(text_); }
  char **out() noexcept { return &text_; }
  std::string str() const { return text_ ? std::string(text_) : std::string(); }

 private:
  char *text_ = nullptr;
};

inline void check(aiobs_status status, const core_string &message) {
  if (status == AIOBS_OK) return;
  std::string text = message.str();
  if (text.empty()) text = "aiobs status " + std::to_string(static_cast<unsigned>(status));
  throw error(status, text);
}

inline void append_json_string(std::string &out, std::string_view text) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += hex[byte >> 4];
          out += hex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

inline void append_json(std::string &out, std::nullptr_t) { out += "null"; }
// bool and char only as themselves: a pointer or an enum must not turn into true or a number.
template <class Bool, std::enable_if_t<std::is_same_v<Bool, bool>, int> = 0>
void append_json(std::string &out, Bool value) {
  out += value ? "true" : "false";
}
template <class Char, std::enable_if_t<std::is_same_v<Char, char>, int> = 0>
void append_json(std::string &out, Char value) {
  append_json_string(out, std::string_view(&value, 1));
}
inline void append_json(std::string &out, const char *value) {
  if (value) {
    append_json_string(out, value);
  } else {
    out += "null";
  }
}
inline void append_json(std::string &out, std::string_view value) { append_json_string(out, value); }
inline void append_json(std::string &out, const std::string &value) { append_json_string(out, value); }
inline void append_json(std::string &out, const raw_json &value) { out += value.text.empty() ? "null" : value.text; }

template <class Number, std::enable_if_t<std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool> &&
                                             !std::is_same_v<Number, char>,
                                         int> = 0>
void append_json(std::string &out, Number value) {
  if constexpr (std::is_integral_v<Number>) {
    out += std::to_string(value);
  } else if (std::isfinite(static_cast<double>(value))) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", static_cast<double>(value));
    out += text;
  } else {
    out += "null";  // JSON has no NaN or infinity
  }
}

template <class T>
void append_json(std::string &out, const std::vector<T> &values);
template <class T>
void append_json(std::string &out, const std::map<std::string, T> &values);

template <class T, class = void>
struct writable : std::false_type {};
template <class T>
struct writable<T, std::void_t<decltype(append_json(std::declval<std::string &>(), std::declval<const T &>()))>>
    : std::true_type {};

template <class T>
void append_json(std::string &out, const std::vector<T> &values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); i++) {
    if (i) out += ',';
    append_json(out, values[i]);
  }
  out += ']';
}

template <class T>
void append_json(std::string &out, const std::map<std::string, T> &values) {
  out += '{';
  bool first = true;
  for (const auto &[key, value] : values) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, key);
    out += ':';
    append_json(out, value);
  }
  out += '}';
}

/** The name of an exception's type, demangled where the compiler allows. */
inline std::string type_name(const std::type_info &type) {
#ifdef AIOBS_HPP_DEMANGLE
  int status = 0;
  char *name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  if (status == 0 && name) {
    std::string text(name);
    std::free(name);
    return text;
  }
  std::free(name);
#endif
  return type.name();
}

inline void append_callsite(std::string &out, const callsite &where) {
  out += ",\"callsite\":{\"file\":";
  append_json(out, where.file);
  out += ",\"line\":";
  if (where.line > 0) {
    out += std::to_string(where.line);
  } else {
    out += "null";
  }
  out += ",\"function\":";
  append_json(out, where.function);
  out += '}';
}

}  // namespace detail

/** A value as JSON text: null, bool, numbers, strings, std::vector, std::map<std::string, T>,
 * raw_json. Other types are not writable (see to_json_or_null). */
template <class T>
std::string to_json(const T &value) {
  std::string out;
  detail::append_json(out, value);
  return out;
}

/** to_json for the types it knows, "null" for any other (a result aiobs cannot show). */
template <class T>
std::string to_json_or_null(const T &value) {
  if constexpr (detail::writable<T>::value) {
    return to_json(value);
  } else {
    return "null";
  }
}

/** The version of the library linked (the header's is AIOBS_VERSION_STRING). */
inline std::string version() { return aiobs_version(); }

/** Changes process-wide settings (aiobs_configure): a JSON object. */
inline void configure(const std::string &settings_json) {
  detail::core_string message;
  detail::check(aiobs_configure(settings_json.c_str(), message.out()), message);
}

/** Records one provider call already normalised (aiobs_record_call). */
inline void record_call(const std::string &event_json) {
  detail::core_string message;
  detail::check(aiobs_record_call(event_json.c_str(), message.out()), message);
}

/** Adds or overwrites a label of the active session. */
inline void add_label(const std::string &key, const std::string &value) {
  detail::core_string message;
  detail::check(aiobs_add_label(key.c_str(), value.c_str(), message.out()), message);
}

/** Sets labels of the active session; merge false replaces every user label. */
inline void set_labels(const labels &values, bool merge = true) {
  detail::core_string message;
  detail::check(aiobs_set_labels(to_json(values).c_str(), merge, message.out()), message);
}

/** Removes a user label of the active session. */
inline void remove_label(const std::string &key) {
  detail::core_string message;
  detail::check(aiobs_remove_label(key.c_str(), message.out()), message);
}

/** The active session's labels, system labels included, as a JSON object. */
inline std::string labels_json() {
  detail::core_string message, json;
  detail::check(aiobs_get_labels(json.out(), message.out()), message);
  return json.str();
}

/** What the core holds and has dropped, as a JSON object (aiobs_stats). */
inline std::string stats_json() {
  detail::core_string message, json;
  detail::check(aiobs_stats(json.out(), message.out()), message);
  return json.str();
}

/**
 * An active session from construction to close(): close() (or the destructor) ends it and
 * writes everything recorded to `output` (empty: $LLM_OBS_OUT, else ./llm_observability.json).
 * Movable, not copyable.
 */
class session {
 public:
  explicit session(const std::string &name = "", const labels &values = {}, std::string output = "")
      : output_(std::move(output)) {
    detail::core_string message, id;
    const std::string labels_text = to_json(values);
    detail::check(aiobs_observe(name.c_str(), values.empty() ? nullptr : labels_text.c_str(), id.out(),
                                message.out()),
                  message);
    id_ = id.str();
  }
  session(const session &) = delete;
  session &operator=(const session &) = delete;
  session(session &&other) noexcept
      : id_(std::move(other.id_)), output_(std::move(other.output_)), open_(std::exchange(other.open_, false)) {}
  session &operator=(session &&) = delete;

  /** Ends the session and writes it, quietly: a destructor cannot report a failure. */
  ~session() {
    if (!open_) return;
    aiobs_end(nullptr);
    aiobs_flush(output_.empty() ? nullptr : output_.c_str(), nullptr, nullptr);
  }

  const std::string &id() const noexcept { return id_; }

  /** Ends the session and writes it; returns the path written. Throws aiobs::error (then nothing
   * recorded is lost: the next flush writes it). Later calls do nothing and return "". */
  std::string close() {
    if (!open_) return std::string();
    open_ = false;
    detail::core_string message, written;
    detail::check(aiobs_end(message.out()), message);
    detail::check(aiobs_flush(output_.empty() ? nullptr : output_.c_str(), written.out(), message.out()), message);
    return written.str();
  }

 private:
  std::string id_;
  std::string output_;
  bool open_ = true;
};

/** What a span records when it begins: built with chained setters. */
class span_options {
 public:
  explicit span_options(std::string name) : name_(std::move(name)) {}

  span_options &module(std::string module_name) {
    module_ = std::move(module_name);
    return *this;
  }
  /** The function's positional arguments, each written with to_json_or_null. */
  template <class... Args>
  span_options &args(const Args &...values) {
    args_ = "[";
    bool first = true;
    ((args_ += first ? "" : ",", args_ += to_json_or_null(values), first = false), ...);
    args_ += "]";
    return *this;
  }
  /** The function's named arguments. */
  template <class T>
  span_options &kwargs(const std::map<std::string, T> &values) {
    kwargs_ = to_json(values);
    return *this;
  }
  span_options &enh_prompt(bool enabled = true) {
    enh_prompt_ = enabled;
    return *this;
  }
  span_options &auto_enhance_after(unsigned count) {
    auto_enhance_after_ = static_cast<long>(count);
    return *this;
  }
  /** Names the parent explicitly (a span id), instead of the innermost span of this thread. */
  span_options &parent(std::string span_id) {
    parent_ = std::move(span_id);
    has_parent_ = true;
    return *this;
  }
  /** Makes the span a root even when a span is open on this thread. */
  span_options &root() {
    parent_.clear();
    has_parent_ = true;
    return *this;
  }

  std::string to_json_text(const callsite &where) const {
    std::string out = "{\"name\":";
    detail::append_json_string(out, name_);
    if (!module_.empty()) {
      out += ",\"module\":";
      detail::append_json_string(out, module_);
    }
    if (!args_.empty()) out += ",\"args\":" + args_;
    if (!kwargs_.empty()) out += ",\"kwargs\":" + kwargs_;
    if (enh_prompt_) out += ",\"enh_prompt\":true";
    if (auto_enhance_after_ >= 0) out += ",\"auto_enhance_after\":" + std::to_string(auto_enhance_after_);
    if (has_parent_) {
      out += ",\"parent_span_id\":";
      if (parent_.empty()) {
        out += "null";
      } else {
        detail::append_json_string(out, parent_);
      }
    }
    if (where.file || where.function) detail::append_callsite(out, where);
    out += '}';
    return out;
  }

 private:
  std::string name_, module_, args_, kwargs_, parent_;
  bool enh_prompt_ = false, has_parent_ = false;
  long auto_enhance_after_ = -1;
};

/**
 * A traced function call: begins in the constructor, ends in the destructor with the result set
 * by result(), or with an error: the one given to fail(), else, when an exception is leaving the
 * scope, "UnhandledException: an exception left the span" (a destructor cannot see the exception
 * itself; aiobs::traced records its type and message). Movable, not copyable.
 */
class span {
 public:
  explicit span(const span_options &options, const callsite &where = {})
      : uncaught_at_begin_(std::uncaught_exceptions()) {
    detail::core_string message, id;
    detail::check(aiobs_span_begin(options.to_json_text(where).c_str(), id.out(), message.out()), message);
    id_ = id.str();
  }
  explicit span(std::string name, const callsite &where = {}) : span(span_options(std::move(name)), where) {}
  span(const span &) = delete;
  span &operator=(const span &) = delete;
  span(span &&other) noexcept
      : id_(std::move(other.id_)),
        result_(std::move(other.result_)),
        error_(std::move(other.error_)),
        uncaught_at_begin_(other.uncaught_at_begin_) {
    other.id_.clear();
  }
  span &operator=(span &&) = delete;

  ~span() {
    if (id_.empty()) return;
    if (error_.empty() && std::uncaught_exceptions() > uncaught_at_begin_) {
      error_ = "UnhandledException: an exception left the span";
    }
    aiobs_span_end(id_.c_str(), result_.empty() ? nullptr : result_.c_str(),
                   error_.empty() ? nullptr : error_.c_str(), nullptr);
  }

  /** The span id (16 hex digits), e.g. for parent() on another thread. */
  const std::string &id() const noexcept { return id_; }

  /** Sets the result recorded when the span ends (to_json_or_null of the value). */
  template <class T>
  void result(const T &value) {
    result_ = to_json_or_null(value);
  }

  /** Records the span as failed with the exception's type and message. */
  void fail(const std::exception &failure) { fail(detail::type_name(typeid(failure)), failure.what()); }
  void fail(const std::string &type, const std::string &message) { error_ = type + ": " + message; }

  /** Ends the span now, throwing aiobs::error if the core refuses; later calls do nothing. */
  void end() {
    if (id_.empty()) return;
    const std::string id = std::move(id_);
    id_.clear();
    detail::core_string message;
    detail::check(aiobs_span_end(id.c_str(), result_.empty() ? nullptr : result_.c_str(),
                                 error_.empty() ? nullptr : error_.c_str(), message.out()),
                  message);
  }

 private:
  std::string id_, result_, error_;
  int uncaught_at_begin_;
};

/** Declares a span named `variable` that begins here, with this line as its callsite. */
#define AIOBS_SPAN(variable, options) ::aiobs::span variable((options), AIOBS_HERE)

/**
 * Calls `function` inside a span: records its result (to_json_or_null), or the type and message
 * of the exception it throws, which is then rethrown unchanged.
 */
template <class Function>
auto traced(const span_options &options, const callsite &where, Function &&function) -> decltype(function()) {
  span current(options, where);
  try {
    if constexpr (std::is_void_v<decltype(function())>) {
      function();
    } else {
      decltype(auto) value = function();
      current.result(value);
      return std::forward<decltype(value)>(value);
    }
  } catch (const std::exception &failure) {
    current.fail(failure);
    throw;
  } catch (...) {
    current.fail("UnknownException", "a value that is not a std::exception was thrown");
    throw;
  }
}

}  // namespace aiobs

#endif  // AIOBS_HPP
