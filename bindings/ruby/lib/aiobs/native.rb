# frozen_string_literal: true

require "ffi"
require "json"
require_relative "errors"

module Aiobs
  # The one file that speaks to the C ABI (include/aiobs.h): it finds and loads libaiobs, attaches
  # its functions, turns status codes into Aiobs::Error subclasses and frees every string the
  # library returns. The rest of the gem calls the module functions below, never `aiobs_*`.
  module Native
    extend FFI::Library

    OK = 0
    NOT_LLM_ENDPOINT = 10
    LIBRARY_NAME = "aiobs"
    REPOSITORY_LIBRARY = File.expand_path(
      "../../../../target/release/#{FFI.map_library_name(LIBRARY_NAME)}", __dir__
    )

    # Where the library is looked for, in order: AIOBS_LIB alone when it is set (an explicit
    # choice that fails must not fall back to another build), else the repository's release
    # build, else the system library path.
    def self.library_candidates(env = ENV)
      explicit = env["AIOBS_LIB"]
      return [explicit] if explicit && !explicit.empty?

      [REPOSITORY_LIBRARY, LIBRARY_NAME]
    end

    # Loads the first candidate that loads. The handle is kept by this module for the life of the
    # process: unloading an FFI library has deadlocked forked children at exit.
    def self.load_library(candidates)
      failures = candidates.map do |candidate|
        ffi_lib(candidate)
        return candidate
      rescue LoadError => e
        "#{candidate}: #{e.message}"
      end
      raise LoadError, "aiobs could not load libaiobs; tried:\n  #{failures.join("\n  ")}\n" \
                       "Build it with `cargo build --release` at the root of the aiobs repository, " \
                       "or set AIOBS_LIB to the path of libaiobs.so."
    end

    LOADED_FROM = load_library(library_candidates)

    attach_function :aiobs_version, [], :string
    attach_function :aiobs_configure, %i[string pointer], :uint32
    attach_function :aiobs_observe, %i[string string pointer pointer], :uint32
    attach_function :aiobs_end, %i[pointer], :uint32
    # Flushing writes and fsyncs a file: other Ruby threads keep running meanwhile.
    attach_function :aiobs_flush, %i[string pointer pointer], :uint32, blocking: true
    attach_function :aiobs_add_label, %i[string string pointer], :uint32
    attach_function :aiobs_set_labels, %i[string bool pointer], :uint32
    attach_function :aiobs_remove_label, %i[string pointer], :uint32
    attach_function :aiobs_get_labels, %i[pointer pointer], :uint32
    attach_function :aiobs_record_http, %i[string pointer size_t pointer size_t pointer], :uint32
    attach_function :aiobs_span_begin, %i[string pointer pointer], :uint32
    attach_function :aiobs_span_end, %i[string string string pointer], :uint32
    attach_function :aiobs_string_free, %i[pointer], :void

    # Functions that only some builds export: the test hook, and those of newer cores.
    def self.attach_optional(name, params, result, **options)
      attach_function(name, params, result, **options)
      true
    rescue FFI::NotFoundError
      false
    end
    private_class_method :attach_optional

    HAS_STATS = attach_optional(:aiobs_stats, %i[pointer pointer], :uint32)
    HAS_SHUTDOWN = attach_optional(:aiobs_shutdown, %i[uint32 pointer], :uint32, blocking: true)
    HAS_TEST_PANIC = attach_optional(:aiobs_test_panic, %i[pointer], :uint32)
    HAS_HTTP_CHECK = attach_optional(:aiobs_http_check, %i[string string pointer], :uint32)
    HAS_SPAN_BEGIN_INTO = attach_optional(:aiobs_span_begin_into, %i[string pointer pointer], :uint32)
    # What aiobs_span_begin_into writes: 16 hex digits and a NUL (AIOBS_SPAN_ID_SIZE).
    SPAN_ID_SIZE = 17

    class << self
      def version
        aiobs_version
      end

      def configure(settings)
        call(:aiobs_configure, JSON.generate(settings))
      end

      # Returns the new session's id.
      def observe(session_name, labels)
        call(:aiobs_observe, session_name, labels && JSON.generate(labels), outs: 1).first
      end

      def end_session
        call(:aiobs_end)
      end

      # Returns the absolute path written.
      def flush(path)
        call(:aiobs_flush, path, outs: 1).first
      end

      def add_label(key, value)
        call(:aiobs_add_label, key, value)
      end

      def set_labels(labels, merge)
        call(:aiobs_set_labels, JSON.generate(labels), merge)
      end

      def remove_label(key)
        call(:aiobs_remove_label, key)
      end

      def labels
        JSON.parse(call(:aiobs_get_labels, outs: 1).first)
      end

      def stats
        raise Error, "this libaiobs has no aiobs_stats (#{LOADED_FROM})" unless HAS_STATS

        JSON.parse(call(:aiobs_stats, outs: 1).first)
      end

      def shutdown(timeout_ms)
        raise Error, "this libaiobs has no aiobs_shutdown (#{LOADED_FROM})" unless HAS_SHUTDOWN

        call(:aiobs_shutdown, timeout_ms)
      end

      def test_panic
        call(:aiobs_test_panic)
      end

      # Hands one HTTP exchange over; returns the status without raising, because capture must
      # never fail the program's own request (NOT_LLM_ENDPOINT and NO_SESSION are routine).
      def record_http(exchange_json, request_body, response_body)
        aiobs_record_http(exchange_json, request_body, request_body.bytesize,
                          response_body, response_body.bytesize, nil)
      end

      # Whether an exchange of `method` to `url` would be recorded now (an LLM endpoint, a session
      # active): asked before any body is teed, so other traffic costs one call. No message is
      # allocated (NULL error_out). A core without the check leaves the answer to record_http; a
      # URL ffi cannot pass (a NUL byte) is no endpoint.
      def http_check(method, url)
        !HAS_HTTP_CHECK || aiobs_http_check(method, url, nil) == OK
      rescue ArgumentError
        false
      end

      # Opens a span; returns its id, or nil when none opened (no active session, say). The
      # buffer is the thread's own, reused: the call does not switch threads or fibers. A core
      # that writes the id into it takes one call; an older one hands back a string to free.
      def span_begin(span_json)
        thread = Thread.current
        if HAS_SPAN_BEGIN_INTO
          buffer = thread.thread_variable_get(:__aiobs_span_id) ||
                   thread.thread_variable_set(:__aiobs_span_id, FFI::MemoryPointer.new(:char, SPAN_ID_SIZE))
          return nil unless aiobs_span_begin_into(span_json, buffer, nil) == OK

          return buffer.get_bytes(0, SPAN_ID_SIZE - 1).force_encoding(Encoding::UTF_8)
        end
        out = thread.thread_variable_get(:__aiobs_span_out) ||
              thread.thread_variable_set(:__aiobs_span_out, FFI::MemoryPointer.new(:pointer))
        return nil unless aiobs_span_begin(span_json, out, nil) == OK

        take_string(out)
      end

      # Ends a span; returns the status (a span opened before a fork is unknown in the child).
      def span_end(span_id, result_json, error)
        aiobs_span_end(span_id, result_json, error, nil)
      end

      private

      # Calls a fallible function with `outs` owned-string out-parameters and error_out last;
      # returns the out strings, or raises the status's error with the core's message.
      def call(function, *args, outs: 0)
        out_pointers = Array.new(outs) { FFI::MemoryPointer.new(:pointer) }
        error = FFI::MemoryPointer.new(:pointer)
        status = send(function, *args, *out_pointers, error)
        raise Error.for_status(status, take_string(error)) unless status == OK

        out_pointers.map { |pointer| take_string(pointer) }
      rescue ArgumentError => e
        # ffi refuses strings with NUL bytes before the core sees them.
        raise unless e.message.include?("null byte")

        raise InvalidArgumentError.new(e.message, status: 1)
      end

      # Copies the string an out-parameter points at and frees it (NULL gives nil).
      def take_string(out)
        pointer = out.read_pointer
        return nil if pointer.null?

        begin
          pointer.read_string.force_encoding(Encoding::UTF_8)
        ensure
          aiobs_string_free(pointer)
        end
      end
    end

    # Whether this core reads `response_headers` and `attempt` in an exchange. Older cores refuse
    # unknown keys, so a library found on the system path may predate them. The probe records
    # nothing: example.com is no LLM endpoint.
    EXCHANGE_EXTRAS = aiobs_record_http(
      '{"method":"GET","url":"https://example.com/","response_headers":{},"attempt":1}', nil, 0, nil, 0, nil
    ) == NOT_LLM_ENDPOINT
  end
end
