# frozen_string_literal: true

# What aiobs adds to the caller: per Net::HTTP call to an LLM endpoint (capture on, against the
# same calls with the capture bypassed) and per traced method call (against the plain method).
# Medians of several rounds; a local server answers every request with a small chat completion,
# in one write (WEBrick's separate header and body writes meet delayed ACKs: 40 ms a call).
#
#   AIOBS_LIB=target/release/libaiobs.so ruby -I bindings/ruby/lib bindings/ruby/bench/overhead.rb

require "aiobs"
require "socket"
require "tmpdir"

ROUNDS = Integer(ENV.fetch("ROUNDS", "7"))
HTTP_CALLS = Integer(ENV.fetch("HTTP_CALLS", "400"))
METHOD_CALLS = Integer(ENV.fetch("METHOD_CALLS", "20000"))
BODY = File.binread(File.expand_path("../../../tests/fixtures/providers/openai_chat_basic/response.body", __dir__))
REQUEST = File.binread(File.expand_path("../../../tests/fixtures/providers/openai_chat_basic/request.body", __dir__))

RESPONSE = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: #{BODY.bytesize}\r\n\r\n".b + BODY

# Answers each request on a keep-alive connection: reads the head and the body it announces.
def serve(client)
  client.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
  while (head = client.gets("\r\n\r\n"))
    length = head[/^content-length:\s*(\d+)/i, 1].to_i
    client.read(length) if length.positive?
    client.write(RESPONSE)
  end
ensure
  client.close
end

server = TCPServer.new("127.0.0.1", 0)
PORT = server.addr[1]
Thread.new { loop { Thread.new(server.accept) { |client| serve(client) } } rescue IOError; nil }

def median(values) = values.sort[values.length / 2]

def seconds
  start = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  yield
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - start
end

def http_round(http)
  seconds do
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

def method_round(object, name)
  seconds { METHOD_CALLS.times { object.public_send(name, "What is an API?") } } / METHOD_CALLS
end

out = File.join(Dir.mktmpdir, "bench.json")
Aiobs.observer.observe(session_name: "bench")
captured = Net::HTTP.start("127.0.0.1", PORT)
bare = UncapturedHTTP.start("127.0.0.1", PORT)
http_rounds = Array.new(ROUNDS) { [http_round(captured), http_round(bare)] }
traced = Traced.new
method_rounds = Array.new(ROUNDS) { [method_round(traced, :traced), method_round(traced, :plain)] }
Aiobs.observer.end
Aiobs.observer.flush(out)
events = JSON.parse(File.read(out))
raise "expected #{ROUNDS * HTTP_CALLS} events, got #{events['events'].length}" unless events["events"].length == ROUNDS * HTTP_CALLS

http_added = median(http_rounds.map { |with, without| with - without }) * 1e6
method_added = median(method_rounds.map { |with, without| with - without }) * 1e6
puts format("Net::HTTP call to an LLM endpoint: %.1f µs added (%.1f µs with capture, %.1f µs without)",
            http_added, median(http_rounds.map(&:first)) * 1e6, median(http_rounds.map(&:last)) * 1e6)
puts format("traced method call: %.2f µs added (plain call %.3f µs)", method_added, median(method_rounds.map(&:last)) * 1e6)
server.close
