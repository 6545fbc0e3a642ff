# frozen_string_literal: true

require_relative "test_helper"

class Pipeline
  extend Aiobs::Observe

  observe def research(query, depth: 1)
    summarize(query * depth)
  end

  observe def summarize(text) = text.upcase, name: "summary"

  observe def login(user, password) = "#{user}:#{password.length}", capture_args: false

  observe def dataset = Array.new(3) { "row" }, capture_result: false

  observe def enhanced(text) = text, enh_prompt: true, auto_enhance_after: 10

  observe def failing = raise(ArgumentError, "bad input")

  observe def self.class_level(value) = value * 2

  def call_hidden = [hidden, secret]

  private observe def hidden = :hidden

  private

  observe def secret = :secret
end

# The observe decorator and Aiobs.span: options, nesting per fiber and thread, exact counts.
class TracingTest < Minitest::Test
  include ExportHelper

  def functions
    flush_export["function_events"].to_h { |event| [event["name"], event] }
  end

  def test_decorator_options_and_nesting
    Aiobs.observer.observe(session_name: "decorator")
    pipeline = Pipeline.new
    assert_equal "ABAB", pipeline.research("ab", depth: 2)
    assert_equal "ann:6", pipeline.login("ann", "secret")
    assert_equal %w[row row row], pipeline.dataset
    assert_equal "x", pipeline.enhanced("x")
    assert_equal 4, Pipeline.class_level(2)
    assert_equal %i[hidden secret], pipeline.call_hidden
    assert_raises(NoMethodError) { pipeline.hidden }
    assert_raises(NoMethodError) { pipeline.secret }
    error = assert_raises(ArgumentError) { pipeline.failing }
    assert_equal "bad input", error.message
    events = functions
    research = events.fetch("research")
    assert_equal "Pipeline.research", research["api"]
    assert_equal ["ab"], research["args"]
    assert_equal({ "depth" => 2 }, research["kwargs"])
    assert_equal "ABAB", research["result"]
    assert_equal "test_tracing.rb", File.basename(research["callsite"]["file"])
    assert_equal research["span_id"], events.fetch("summary")["parent_span_id"]
    assert_equal research["trace_id"], events.fetch("summary")["trace_id"]
    assert_nil research["parent_span_id"]
    assert_nil events.fetch("login")["args"]
    assert_nil events.fetch("login")["kwargs"]
    assert_nil events.fetch("dataset")["result"]
    assert_equal true, events.fetch("enhanced")["enh_prompt"]
    assert_equal 10, events.fetch("enhanced")["auto_enhance_after"]
    refute_nil events.fetch("enhanced")["enh_prompt_id"]
    assert_equal "ArgumentError: bad input", events.fetch("failing")["error"]
    assert_equal "Pipeline.class_level", events.fetch("class_level")["api"]
    assert events.key?("hidden")
    assert events.key?("secret")
  end

  def test_exception_messages_of_any_bytes_end_the_span_and_are_reraised
    Aiobs.observer.observe(session_name: "messages")
    ["nul\0byte", "bad\xffbyte".b].each do |message|
      error = assert_raises(ArgumentError) { Aiobs.span("raising") { raise ArgumentError, message } }
      assert_equal message, error.message
    end
    assert_equal 0, Aiobs.stats["open_spans"]
    errors = flush_export["function_events"].map { |event| event["error"] }
    assert_equal ["ArgumentError: bad\uFFFDbyte", "ArgumentError: nul\\0byte"], errors.sort
  end

  def test_untraced_without_a_session
    assert_equal "AB", Pipeline.new.summarize("ab")
    assert_equal 3, Aiobs.span("no session") { 3 }
  end

  def test_span_block_early_exits_end_the_span
    Aiobs.observer.observe(session_name: "exits")
    [1, 2].each { |i| Aiobs.span("broken") { break i } }
    catch(:out) { Aiobs.span("thrown") { throw :out } }
    outer = Aiobs.span("outer") { |id| Aiobs.span("inner") { Aiobs.current_span_id } && id }
    events = flush_export["function_events"]
    assert_equal %w[broken broken inner outer thrown], events.map { |event| event["name"] }.sort
    assert_equal outer, events.find { |event| event["name"] == "inner" }["parent_span_id"]
  end

  def test_threads_and_fibers_nest_on_their_own_with_exact_counts
    Aiobs.observer.observe(session_name: "concurrency")
    threads = Array.new(4) do |t|
      Thread.new do
        fibers = Array.new(3) do |f|
          Fiber.new do
            Aiobs.span("root #{t}.#{f}") do
              5.times do |i|
                Fiber.yield
                Aiobs.span("child #{t}.#{f}.#{i}") { Fiber.yield }
              end
            end
          end
        end
        fibers.each(&:resume) while fibers.any?(&:alive?)
      end
    end
    threads.each(&:join)
    events = flush_export["function_events"]
    assert_equal 4 * 3 * 6, events.length
    by_span = events.to_h { |event| [event["span_id"], event] }
    events.select { |event| event["name"].start_with?("child") }.each do |child|
      parent = by_span.fetch(child["parent_span_id"])
      assert_equal "root #{child['name'][/\d+\.\d+/]}", parent["name"]
    end
    assert_equal 12, events.count { |event| event["parent_span_id"].nil? }
  end

  def test_enumerator_fibers_see_the_span_of_their_caller
    Aiobs.observer.observe(session_name: "enumerator")
    enum = Enumerator.new { |y| y << Aiobs.current_span_id }
    seen, span = Aiobs.span("caller") { |id| [enum.next, id] }
    assert_equal span, seen
    assert_nil Enumerator.new { |y| y << Aiobs.current_span_id }.next
  end

  def test_spans_across_threads_take_an_explicit_parent
    Aiobs.observer.observe(session_name: "explicit")
    Aiobs.span("request") do |id|
      Thread.new { Aiobs.span("worker", parent: id) { nil } }.join
      Thread.new { Aiobs.span("detached") { nil } }.join
    end
    events = functions
    assert_equal events["request"]["span_id"], events["worker"]["parent_span_id"]
    assert_nil events["detached"]["parent_span_id"]
  end

  def test_gc_stress_over_the_ffi_calls
    Aiobs.observer.observe(session_name: "gc stress")
    GC.stress = true
    begin
      Aiobs.observer.add_label("gc", "stress")
      Aiobs.span("stressed") { Pipeline.new.summarize("gc") }
      Aiobs::Native.record_http('{"method":"POST","url":"https://api.openai.com/v1/embeddings","status":200}',
                                +'{"model":"m","input":"gc"}', +'{"data":[]}')
      labels = Aiobs.observer.get_labels
    ensure
      GC.stress = false
    end
    assert_equal "stress", labels["gc"]
    export = flush_export
    assert_equal %w[stressed summary], export["function_events"].map { |event| event["name"] }.sort
    assert_equal ["embeddings.create"], export["events"].map { |event| event["api"] }
  end

  def test_fork_with_threads_running
    Aiobs.observer.observe(session_name: "parent")
    stop = false
    workers = Array.new(3) { Thread.new { Aiobs.span("busy") { nil } until stop } }
    Dir.mktmpdir do |dir|
      pids = Array.new(2) do |n|
        fork do
          Aiobs.span("child work #{n}") { nil }
          Aiobs.observer.flush(File.join(dir, "child#{n}.json"))
          exit!(0)
        end
      end
      statuses = pids.map { |pid| wait_or_kill(pid) }
      stop = true
      workers.each(&:join)
      assert_equal [0, 0], statuses
      pids.each_index do |n|
        child = JSON.parse(File.read(File.join(dir, "child#{n}.json")))
        names = child["function_events"].map { |event| event["name"] }
        assert_equal ["child work #{n}"], names, "the child's file holds only what it recorded"
        assert_equal ["parent"], child["sessions"].map { |session| session["name"] }
      end
    end
    parent = flush_export["function_events"]
    assert(parent.all? { |event| event["name"] == "busy" })
  end

  private

  def wait_or_kill(pid)
    20.times do
      done, status = Process.wait2(pid, Process::WNOHANG)
      return status.exitstatus if done

      sleep 0.25
    end
    Process.kill(:KILL, pid)
    Process.wait(pid)
    :hung
  end
end
