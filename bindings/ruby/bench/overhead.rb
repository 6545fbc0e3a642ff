# frozen_string_literal: true

# What aiobs adds to the caller: per Net::HTTP call to an LLM endpoint (capture on, against the
# same calls with the capture bypassed) and per traced method call (against the plain method).
# Measured in the calling thread's CPU time, in alternating batches, so that other load on the
# machine stays out of the figures. Net::HTTP talks to an in-memory socket that answers every
# request with a small chat completion and the headers OpenAI sends with it (the fixture's, 13
# with content-length; HEADERS=minimal sends content-type and content-length only): the
# network's cost varies far more than the capture's, and it is the same with and without capture.
#
#   AIOBS_LIB=target/release/libaiobs.so ruby -I bindings/ruby/lib bindings/ruby/bench/overhead.rb

require "aiobs"
require "fileutils"
require "tmpdir"

BATCHES = Integer(ENV.fetch("BATCHES", "40"))
HTTP_CALLS = Integer(ENV.fetch("HTTP_CALLS", "200"))
METHOD_CALLS = Integer(ENV.fetch("METHOD_CALLS", "2000"))
FIXTURE = File.expand_path("../../../tests/fixtures/providers/openai_chat_basic", __dir__)
BODY = File.binread(File.join(FIXTURE, "response.body"))
REQUEST = File.binread(File.join(FIXTURE, "request.body"))
HEADERS = (if ENV["HEADERS"] == "minimal"
             { "content-type" => "application/json" }
           else
             JSON.parse(File.read(File.join(FIXTURE, "exchange.json")))["response_headers"]
           end).merge("content-length" => BODY.bytesize.to_s)
RESPONSE = "HTTP/1.1 200 OK\r\n#{HEADERS.map { |name, value| "#{name}: #{value}\r\n" }.join}\r\n".b + BODY

# A connected socket in memory: what is written is dropped, and each request written makes the
# canned response readable. Net::BufferedIO reads it with read_nonblock.
class CannedSocket
  def initialize
    @pending = "".b
  end

  def write_nonblock(data, exception: true) # rubocop:disable Lint/UnusedMethodArgument
    @pending = RESPONSE.dup if data.start_with?("POST")
    data.bytesize
  end

  def read_nonblock(length, buffer = nil, exception: true)
    return (exception ? raise(EOFError) : nil) if @pending.empty?

    chunk = @pending.slice!(0, length)
    buffer ? buffer.replace(chunk) : chunk
  end

  def to_io = self
  def wait_readable(_timeout) = nil
  def closed? = false
  def close = nil
end

# A Net::HTTP connection already "started" on a CannedSocket.
def connection(klass)
  http = klass.new("127.0.0.1", 80)
  http.instance_variable_set(:@socket, Net::BufferedIO.new(CannedSocket.new))
  http.instance_variable_set(:@started, true)
  http
end

def median(values) = values.sort[values.length / 2]

def cpu_seconds
  start = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
  yield
  Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID) - start
end

def http_batch(http)
  cpu_seconds do
    HTTP_CALLS.times do
      request = Net::HTTP::Post.new("/v1/chat/completions", "Content-Type" => "application/json")
      request.body = REQUEST
      http.request(request).body
    end
  end / HTTP_CALLS
end

# The same Net::HTTP calls without capture: Net::HTTP's own #request, above the prepended one.
class UncapturedHTTP < Net::HTTP
  define_method(:request, Net::HTTP.instance_method(:request).super_method)
end

class Traced
  extend Aiobs::Observe

  def plain(query) = query

  observe def traced(query) = query
end

def method_batch(object, name)
  cpu_seconds { METHOD_CALLS.times { object.public_send(name, "What is an API?") } } / METHOD_CALLS
end

# Median cost of `with` minus median cost of `without`, in µs, from alternating batches.
def added(with, without)
  pairs = Array.new(BATCHES) { [with.call, without.call] }
  [(median(pairs.map(&:first)) - median(pairs.map(&:last))) * 1e6, median(pairs.map(&:last)) * 1e6]
end

out_dir = Dir.mktmpdir
out = File.join(out_dir, "bench.json")
Aiobs.observer.observe(session_name: "bench")
captured = connection(Net::HTTP)
bare = connection(UncapturedHTTP)
traced = Traced.new
http_added, http_base = added(-> { http_batch(captured) }, -> { http_batch(bare) })
method_added, method_base = added(-> { method_batch(traced, :traced) }, -> { method_batch(traced, :plain) })
Aiobs.observer.end
Aiobs.observer.flush(out)
events = JSON.parse(File.read(out))["events"].length
FileUtils.remove_entry(out_dir) # the export of a run is some 150 MB
raise "expected #{BATCHES * HTTP_CALLS} events, got #{events}" unless events == BATCHES * HTTP_CALLS

puts format("Net::HTTP call to an LLM endpoint, %d response headers: %.1f µs added (the call alone: %.1f µs)",
            HEADERS.length, http_added, http_base)
puts format("traced method call: %.2f µs added (the plain call: %.3f µs)", method_added, method_base)
