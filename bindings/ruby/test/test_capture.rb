# frozen_string_literal: true

require_relative "test_helper"
require_relative "fixture_server"
require_relative "openai_shaped_transport"
require "faraday"
require "stringio"

# Every shared provider fixture, replayed over real HTTP and captured through each way a Ruby
# program talks to a provider, gives the fixture's expected event.
class CaptureTest < Minitest::Test
  include ExportHelper

  SERVER = FixtureServer.new
  Minitest.after_run { SERVER.shutdown }
  FIXTURES = FixtureServer.fixtures
  # The transport stands in for the openai gem, whose frames are never the callsite.
  Aiobs::Callsite.skip_library(File.expand_path("openai_shaped_transport.rb", __dir__))
  CLOSED_PORT = TCPServer.new("127.0.0.1", 0).then do |server|
    port = server.addr[1]
    server.close
    port
  end

  def test_net_http_plain_requests
    replay_all do |kase|
      request = net_request(kase, body: kase.request_body)
      next Net::HTTP.new("127.0.0.1", CLOSED_PORT).request(request) if kase.no_response?

      Net::HTTP.start("127.0.0.1", SERVER.port) { |http| http.request(request) }
    end
  end

  def test_net_http_read_body_streaming_body_stream_uploads_and_keep_alive
    http = Net::HTTP.start("127.0.0.1", SERVER.port)
    replay_all do |kase|
      next Net::HTTP.new("127.0.0.1", CLOSED_PORT).request(net_request(kase, body: kase.request_body)) if kase.no_response?

      request = net_request(kase)
      if kase.request_body
        request.body_stream = StringIO.new(kase.request_body)
        request["content-length"] = kase.request_body.bytesize.to_s
      end
      received = +""
      http.request(request) { |response| response.read_body { |chunk| received << chunk } }
      assert_equal kase.response_body, received.b, "the caller reads the bytes sent"
    end
  ensure
    http&.finish if http&.started?
  end

  def test_net_http_request_body_on_the_wire_is_unchanged
    kase = FIXTURES.to_h["openai_chat_basic"].first
    request = net_request(kase)
    request.body_stream = StringIO.new(kase.request_body)
    request["content-length"] = kase.request_body.bytesize.to_s
    Net::HTTP.start("127.0.0.1", SERVER.port) { |http| http.request(request) }
    seen = drain_requests.last
    assert_equal kase.request_body, seen[:body].b
    assert_equal kase.request_body.bytesize, request.body_stream.tap(&:rewind).read.bytesize
    assert_kind_of StringIO, request.body_stream, "the caller's stream is given back"
  end

  def test_faraday
    replay_all do |kase|
      connection(kase).run_request(kase.exchange["method"].downcase.to_sym, kase.url_path, kase.request_body,
                                   faraday_headers(kase))
    end
  end

  def test_faraday_on_data_streams
    replay_all do |kase|
      received = +""
      connection(kase).run_request(kase.exchange["method"].downcase.to_sym, kase.url_path, kase.request_body,
                                   faraday_headers(kase)) do |request|
        request.options.on_data = proc { |chunk, _size| received << chunk }
      end
      assert_equal kase.response_body, received.b unless kase.cut_mid_body?
    end
  end

  # An adapter without Net::HTTP (Faraday's in-memory test adapter): Faraday's capture records.
  def test_faraday_over_another_adapter
    stubs = Faraday::Adapter::Test::Stubs.new
    FIXTURES.each do |_name, steps|
      steps.each do |kase|
        next if kase.no_response? || kase.cut_mid_body?

        request = kase.request_body ? [kase.request_body, kase.headers] : [kase.headers]
        stubs.send(kase.exchange["method"].downcase, kase.url_path, *request) do
          headers = (kase.exchange["response_headers"] || {}).transform_values { |value| Array(value).join(", ") }
          [kase.exchange["status"], headers.merge("Content-Type" => kase.exchange["content_type"]), kase.response_body]
        end
      end
    end
    connection = Faraday.new(url: SERVER.origin) { |builder| builder.adapter(:test, stubs) }
    replayed = FIXTURES.reject { |_, steps| steps.any? { |kase| kase.no_response? || kase.cut_mid_body? } }
    replay_all(replayed) do |kase|
      connection.run_request(kase.exchange["method"].downcase.to_sym, kase.url_path, kase.request_body, faraday_headers(kase))
    end
  end

  def test_openai_shaped_transport_through_the_adapter
    client = Aiobs::OpenAIHTTPClient.new(OpenAIShapedTransport.new("127.0.0.1", SERVER.port))
    refused = Aiobs::OpenAIHTTPClient.new(OpenAIShapedTransport.new("127.0.0.1", CLOSED_PORT))
    replay_all do |kase|
      request = { method: kase.exchange["method"].downcase.to_sym, url: URI(url_for(kase)),
                  headers: kase.headers, body: kase.request_body }
      _status, _response, body = (kase.no_response? ? refused : client).execute(request)
      received = body.to_a.join.b
      assert_equal kase.response_body, received unless kase.cut_mid_body?
    end
  end

  def test_openai_shaped_stream_stopped_early_is_recorded_once_under_the_callers_span
    kase = FIXTURES.to_h["openai_chat_stream"].first
    client = Aiobs::OpenAIHTTPClient.new(OpenAIShapedTransport.new("127.0.0.1", SERVER.port))
    Aiobs.observer.observe(session_name: "early")
    span_id = Aiobs.span("ask") do |id|
      _status, _response, body = client.execute(
        { method: :post, url: URI(SERVER.url(kase)), headers: { "X-Fixture" => kase.name }, body: kase.request_body }
      )
      chunks = []
      body.each do |chunk|
        chunks << chunk
        break # one chunk, then the caller stops
      end
      assert_equal 1, chunks.length
      id
    end
    events = flush_export["events"]
    assert_equal 1, events.length
    event = events.first
    assert_equal span_id, event["parent_span_id"]
    # Net::HTTP reads what is left after a `break` out of read_body, and the capture with it.
    assert_equal FixtureServer.expected("openai_chat_stream", SERVER.origin)["response"], event["response"]
    assert_equal "test_capture.rb", File.basename(event["callsite"]["file"])
  end

  def test_openai_shaped_transport_without_the_adapter_keeps_the_parent
    kase = FIXTURES.to_h["openai_chat_basic"].first
    transport = OpenAIShapedTransport.new("127.0.0.1", SERVER.port)
    Aiobs.observer.observe(session_name: "bare")
    span_id = Aiobs.span("ask") do |id|
      transport.execute({ method: :post, url: URI(SERVER.url(kase)), headers: { "X-Fixture" => kase.name },
                          body: kase.request_body }).last.to_a
      id
    end
    events = flush_export["events"]
    assert_equal [span_id], events.map { |event| event["parent_span_id"] }
  end

  def test_break_and_throw_out_of_read_body_record_once
    kase = FIXTURES.to_h["gemini_stream_sse"].first
    Aiobs.observer.observe(session_name: "left early")
    Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
      http.request(net_request(kase, body: kase.request_body)) { |response| response.read_body { break } }
    end
    catch(:done) do
      Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
        http.request(net_request(kase, body: kase.request_body)) { |response| response.read_body { throw :done } }
      end
    end
    assert_raises(ArgumentError) do
      Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
        http.request(net_request(kase, body: kase.request_body)) { |response| response.read_body { raise ArgumentError, "stop" } }
      end
    end
    events = flush_export["events"]
    assert_equal 3, events.length
    assert_equal "ArgumentError: stop", events.last["error"]
  end

  def test_request_headers_are_never_recorded_and_response_headers_are_passed
    kase = FIXTURES.to_h["openai_chat_basic"].first
    Aiobs.observer.observe(session_name: "headers")
    request = net_request(kase, body: kase.request_body)
    request["Authorization"] = "Bearer sk-SECRET-never-recorded"
    Net::HTTP.start("127.0.0.1", SERVER.port) { |http| http.request(request) }
    export = flush_export
    refute_includes JSON.generate(export), "SECRET"
    expected = FixtureServer.expected("openai_chat_basic", SERVER.origin)["response"]["headers"]
    refute_empty expected
    assert_equal expected, export["events"].first["response"]["headers"], "allow-listed headers only, not WEBrick's"
    assert_equal 1, export["events"].first["request"]["attempt"]
  end

  def test_threads_and_fibers_capturing_at_once_record_each_exchange_once
    kase = FIXTURES.to_h["openai_embeddings"].first
    Aiobs.observer.observe(session_name: "concurrent")
    threads = Array.new(4) do
      Thread.new do
        Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
          fibers = Array.new(2) do
            Fiber.new do
              3.times { Aiobs.span("call") { http.request(net_request(kase, body: kase.request_body)) } }
            end
          end
          fibers.each(&:resume) while fibers.any?(&:alive?)
        end
      end
    end
    threads.each(&:join)
    export = flush_export
    assert_equal 24, export["events"].length
    spans = export["function_events"].map { |event| event["span_id"] }
    assert_equal spans.sort, export["events"].map { |event| event["parent_span_id"] }.sort
  end

  def test_response_headers_that_are_not_utf8_still_record
    exchange = Aiobs::Exchange.new("POST", "https://api.openai.com/v1/embeddings")
    exchange.request_body = '{"model":"m","input":"x"}'
    exchange.respond(200, "application/json", { "x-request-id" => ["req_\xff".b] })
    Aiobs.observer.observe(session_name: "bytes")
    assert_equal Aiobs::Native::OK, exchange.record
    assert_equal({ "x-request-id" => "req_\uFFFD" }, flush_export["events"].first["response"]["headers"])
  end

  # Header values holding quotes, backslashes and control characters reach the core escaped and
  # come back as they were sent, beside plain ones, an empty array and a repeated header.
  def test_response_headers_needing_escapes_record_as_sent
    headers = {
      "x-request-id" => ["req \"quoted\" \\ and\ttab"],
      "openai-version" => "2020-10-01",
      "retry-after" => [],
      "x-ratelimit-limit-requests" => %w[10 20]
    }
    expected = { "x-request-id" => "req \"quoted\" \\ and\ttab", "openai-version" => "2020-10-01",
                 "x-ratelimit-limit-requests" => "10, 20" }
    [headers, headers.reject { |name, _| name == "x-request-id" }].each do |sent|
      exchange = Aiobs::Exchange.new("POST", "https://api.openai.com/v1/embeddings")
      exchange.request_body = '{"model":"m","input":"x"}'
      exchange.respond(200, "application/json", sent.transform_keys(&:b))
      Aiobs.observer.observe(session_name: "escapes")
      assert_equal Aiobs::Native::OK, exchange.record
      want = expected.select { |name, _| sent.key?(name) }
      assert_equal want, flush_export["events"].first["response"]["headers"]
    end
  end

  def test_capture_installs_once
    2.times { Aiobs.install_capture }
    assert_equal 1, Net::HTTP.ancestors.count(Aiobs::NetHTTPCapture)
    assert_equal 1, Net::HTTPResponse.ancestors.count(Aiobs::NetHTTPCapture::ResponseTee)
    assert_equal 1, Faraday::RackBuilder.ancestors.count(Aiobs::FaradayCapture::BuilderHook)
    assert_equal 1, Enumerator.ancestors.count(Aiobs::Context::EnumeratorResume)
  end

  def test_other_traffic_is_not_recorded
    Aiobs.observer.observe(session_name: "other")
    Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
      http.request(Net::HTTP::Get.new("/health", "X-Fixture" => "openai_chat_basic"))
    end
    assert_empty flush_export["events"]
  end

  # A request the core would not record (no session, or no LLM endpoint) is left alone: its body
  # stream is not swapped for a tee, no response chunk passes through aiobs, nothing is recorded.
  def test_requests_not_recorded_pass_through_untouched
    kase = FIXTURES.to_h["openai_chat_stream"].first
    [[nil, kase.url_path], ["other", "/health"]].each do |session, path|
      Aiobs.observer.observe(session_name: session) if session
      assert_equal [false, false], net_http_teed(kase, path), "Net::HTTP to #{path} in session #{session.inspect}"
      assert_equal [false], faraday_teed(kase, path), "Faraday to #{path} in session #{session.inspect}"
      Aiobs.observer.end
    end
    assert_empty flush_export["events"]

    Aiobs.observer.observe(session_name: "recorded")
    assert_equal [true, true], net_http_teed(kase, kase.url_path)
    assert_equal [true], faraday_teed(kase, kase.url_path)
    assert_equal 2, flush_export["events"].length
  end

  def test_callsites_and_parents
    kase = FIXTURES.to_h["openai_embeddings"].first
    Aiobs.observer.observe(session_name: "callsite")
    line = nil
    span_id = Aiobs.span("embed") do |id|
      line = __LINE__ + 1
      connection(kase).post(kase.url_path, kase.request_body, faraday_headers(kase))
      id
    end
    event = flush_export["events"].first
    assert_equal span_id, event["parent_span_id"]
    assert_equal "test_capture.rb", File.basename(event["callsite"]["file"])
    assert_equal line, event["callsite"]["line"]
  end

  private

  def replay_all(fixtures = FIXTURES)
    fixtures.each do |name, steps|
      Aiobs.observer.observe(session_name: name)
      steps.each do |kase|
        yield kase
      rescue StandardError => e
        raise unless kase.exchange["transport_error"]

        # Faraday wraps the error its adapter saw; a body cut mid-read is recorded by the Net::HTTP
        # capture under it, which saw the original.
        e = e.cause if e.is_a?(Faraday::Error) && kase.cut_mid_body?
        @transport_errors[name] = "#{e.class}: #{e.message}"
      end
      Aiobs.observer.end
    end
    assert_fixture_events(flush_export, fixtures)
  end

  def before_setup
    super
    @transport_errors = {}
    drain_requests
  end

  def assert_fixture_events(export, fixtures)
    sessions = export["sessions"].to_h { |session| [session["id"], session["name"]] }
    events = export["events"].group_by { |event| sessions.fetch(event["session_id"]) }
    fixtures.each do |name, steps|
      origin = steps.first.no_response? ? "http://127.0.0.1:#{CLOSED_PORT}" : SERVER.origin
      expected = FixtureServer.expected(name, origin, @transport_errors[name])
      actual = (events[name] || []).map { |event| event.slice(*expected.keys) }
      assert_equal [expected], actual, "fixture #{name}"
      assert_equal "test_capture.rb", File.basename(events[name].first["callsite"]["file"]), "callsite of #{name}"
    end
    assert_operator fixtures.length, :>=, 40
  end

  def port_for(kase)
    kase.no_response? ? CLOSED_PORT : SERVER.port
  end

  def url_for(kase)
    "http://127.0.0.1:#{port_for(kase)}#{kase.url_path}"
  end

  def net_request(kase, body: nil)
    request = Net::HTTPGenericRequest.new(kase.exchange["method"], !kase.request_body.nil?, true, kase.url_path)
    kase.headers.each { |name, value| request[name] = value }
    request["content-type"] = "application/json"
    request.body = body if body
    request
  end

  def connection(kase)
    Faraday.new(url: "http://127.0.0.1:#{port_for(kase)}")
  end

  def faraday_headers(kase)
    kase.headers.merge("Content-Type" => "application/json")
  end

  # [whether the body stream was swapped while the request ran, whether each response chunk
  # came through aiobs]: a stream upload read back with read_body { }.
  def net_http_teed(kase, path)
    stream = StringIO.new(kase.request_body)
    request = Net::HTTPGenericRequest.new("POST", true, true, path,
                                          kase.headers.merge("content-type" => "application/json"))
    request.body_stream = stream
    request["content-length"] = kase.request_body.bytesize.to_s
    swapped = nil
    chunks = []
    Net::HTTP.start("127.0.0.1", SERVER.port) do |http|
      http.request(request) do |response|
        swapped = !request.body_stream.equal?(stream)
        response.read_body { chunks << through_aiobs?("net_http.rb", "<<") }
      end
    end
    [swapped, *chunks.uniq]
  end

  # Whether each chunk Faraday hands to on_data came through aiobs.
  def faraday_teed(kase, path)
    teed = []
    connection(kase).run_request(:post, path, kase.request_body, faraday_headers(kase)) do |request|
      request.options.on_data = proc { teed << through_aiobs?("faraday.rb", "tee_on_data") }
    end
    teed.uniq
  end

  # Whether a frame of aiobs's `method` in `file` is among the callers.
  def through_aiobs?(file, method)
    caller_locations.any? { |location| location.path.end_with?("lib/aiobs/#{file}") && location.base_label == method }
  end

  def drain_requests
    seen = []
    seen << SERVER.requests.pop until SERVER.requests.empty?
    seen
  end
end
