# frozen_string_literal: true

require_relative "test_helper"

# The session API of the user documentation, labels, and every error path.
class SessionTest < Minitest::Test
  include ExportHelper

  def test_observe_labels_and_flush
    id = Aiobs.observer.observe(session_name: "labels", labels: { environment: "staging" })
    assert_match(/\A\h{8}-\h{4}-4\h{3}-\h{4}-\h{12}\z/, id)
    Aiobs.observer.add_label("user_tier", "enterprise")
    Aiobs.observer.set_labels({ "experiment_id" => "exp-42", "feature_flag" => "new_model" })
    Aiobs.observer.remove_label("experiment_id")
    labels = Aiobs.observer.get_labels
    assert_equal "ruby", labels["aiobs_runtime"]
    assert_equal RUBY_VERSION, labels["aiobs_runtime_version"]
    assert_equal %w[environment feature_flag user_tier], labels.keys.grep_v(/\Aaiobs_/).sort
    Aiobs.observer.set_labels({ "environment" => "production" }, merge: false)
    assert_equal({ "environment" => "production" }, Aiobs.observer.get_labels.reject { |key, _| key.start_with?("aiobs_") })
    Aiobs.observer.end
    session = flush_export["sessions"].first
    assert_equal id, session["id"]
    assert_equal "labels", session["name"]
    refute_nil session["ended_at"]
  end

  def test_flush_path_defaults_to_llm_obs_out
    Aiobs.observer.observe(session_name: "env path")
    previous = ENV.fetch("LLM_OBS_OUT", nil)
    Dir.mktmpdir do |dir|
      path = File.join(dir, "out.json")
      ENV["LLM_OBS_OUT"] = path
      assert_equal path, Aiobs.observer.flush
      assert File.exist?(path)
    end
  ensure
    ENV["LLM_OBS_OUT"] = previous
  end

  def test_every_error_path_raises_its_class_with_the_core_message
    assert_raises(Aiobs::NoSessionError) { Aiobs.observer.add_label("a", "b") }
    Aiobs.observer.observe(session_name: "errors")
    error = assert_raises(Aiobs::InvalidLabelError) { Aiobs.observer.add_label("Bad Key", "x") }
    assert_equal 3, error.status
    assert_match(/Bad Key/, error.message)
    assert_raises(Aiobs::InvalidLabelError) { Aiobs.observer.remove_label("aiobs_os") }
    assert_raises(Aiobs::LabelLimitError) { Aiobs.observer.set_labels((1..70).to_h { |i| ["k#{i}", "v"] }) }
    assert_raises(Aiobs::InvalidArgumentError) { Aiobs.observer.add_label("key", "\xff".b) }
    assert_raises(Aiobs::InvalidArgumentError) { Aiobs.observer.add_label("key\0", "x") }
    assert_raises(Aiobs::InvalidArgumentError) { Aiobs.configure(no_such_setting: 1) }
    assert_raises(Aiobs::IOError) { Aiobs.observer.flush("/proc/aiobs/cannot/write.json") }
    assert_raises(Aiobs::TooLargeError) do
      Aiobs.configure(max_input_bytes: 64)
      Aiobs.observer.set_labels({ "k" => "v" * 100 })
    ensure
      Aiobs.configure(max_input_bytes: 16 * 1024 * 1024)
    end
    assert_raises(Aiobs::InvalidJSONError) { Aiobs::Native.send(:call, :aiobs_configure, "{") }
    assert_equal 6, Aiobs::Native.span_end("0123456789abcdef", nil, nil) # spans end quietly
    assert_raises(Aiobs::UnknownSpanError) { Aiobs::Native.send(:call, :aiobs_span_end, "0123456789abcdef", nil, nil) }
    assert_equal Aiobs::Native::NOT_LLM_ENDPOINT,
                 Aiobs::Native.record_http('{"method":"GET","url":"https://example.com/"}', "", "")
    assert_raises(Aiobs::NotLLMEndpointError) do
      Aiobs::Native.send(:call, :aiobs_record_http, '{"method":"GET","url":"https://example.com/"}', nil, 0, nil, 0)
    end
    assert_memory_limit_drops_and_counts
    assert_equal Aiobs::Error, Aiobs::Error.for_status(4242, "future").class
    assert_equal 4242, Aiobs::Error.for_status(4242, nil).status
  end

  def assert_memory_limit_drops_and_counts
    Aiobs.configure(max_memory_bytes: 1)
    Aiobs.span("held") { nil } # the first event fills the store
    dropped = Aiobs.stats["events_dropped"]
    error = assert_raises(Aiobs::MemoryLimitError) do
      Aiobs::Native.send(:call, :aiobs_record_http, '{"method":"POST","url":"https://api.openai.com/v1/embeddings"}',
                         nil, 0, nil, 0)
    end
    assert_equal 11, error.status
    assert_equal dropped + 1, Aiobs.stats["events_dropped"]
  ensure
    Aiobs.configure(max_memory_bytes: 256 * 1024 * 1024)
  end

  def test_shutdown_without_an_exporter_returns_and_recording_goes_on
    assert Aiobs::Native::HAS_SHUTDOWN
    Aiobs.observer.observe(session_name: "shutdown")
    assert_nil Aiobs.shutdown(timeout: 1)
    assert_nil Aiobs.shutdown(timeout: 1) # a second call returns at once
    Aiobs.span("after shutdown") { nil }
    assert_equal ["after shutdown"], flush_export["function_events"].map { |event| event["name"] }
    assert_equal Aiobs::TimeoutError, Aiobs::Error.for_status(12, "timed out").class
  end

  def test_stats_count_what_is_held
    Aiobs.observer.observe(session_name: "stats")
    before = Aiobs.observer.stats
    Aiobs.span("counted") { assert_equal before["open_spans"] + 1, Aiobs.stats["open_spans"] }
    after = Aiobs.stats
    assert_equal before["events_held"] + 1, after["events_held"]
    assert_operator after["bytes_held"], :>, before["bytes_held"]
    %w[events_dropped spans_abandoned flushes flushes_failed].each { |key| assert_kind_of Integer, after[key] }
  end

  def test_panic_inside_the_core_raises_panic_error_and_keeps_the_session
    skip "this libaiobs was built without test hooks" unless Aiobs::Native::HAS_TEST_PANIC

    Aiobs.observer.observe(session_name: "panic")
    assert_raises(Aiobs::PanicError) { Aiobs::Native.test_panic }
    Aiobs.observer.add_label("still", "working")
  end

  def test_library_lookup_order_and_message
    assert_equal ["/x/libaiobs.so"], Aiobs::Native.library_candidates({ "AIOBS_LIB" => "/x/libaiobs.so" })
    assert_equal [Aiobs::Native::REPOSITORY_LIBRARY, "aiobs"], Aiobs::Native.library_candidates({})
    assert Aiobs::Native::REPOSITORY_LIBRARY.end_with?("target/release/libaiobs.so")
    script = "require 'aiobs'"
    output = IO.popen({ "AIOBS_LIB" => "/nonexistent/libaiobs.so" },
                      [RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-e", script], err: %i[child out], &:read)
    assert_match(%r{could not load libaiobs; tried:.*\n  /nonexistent/libaiobs.so: }m, output)
    assert_match(/AIOBS_LIB/, output)
  end

  def test_flush_at_exit_runs_only_in_the_registering_process
    Dir.mktmpdir do |dir|
      script = <<~RUBY
        require "aiobs"
        Aiobs.observer.observe(session_name: "at exit")
        Aiobs.observer.flush_at_exit(#{File.join(dir, 'parent.json').dump})
        pid = fork { Aiobs.observer.observe(session_name: "child") }
        Process.wait(pid)
      RUBY
      system({ "LLM_OBS_OUT" => File.join(dir, "default.json") }, RbConfig.ruby, "-w", "-I", File.expand_path("../lib", __dir__),
             "-e", script, exception: true)
      assert_equal ["parent.json"], Dir.children(dir)
    end
  end
end
