# frozen_string_literal: true

require "webrick"
require "json"
require "socket"

# Replays the shared provider fixtures (tests/fixtures/providers) over HTTP on 127.0.0.1 and an
# ephemeral port. A request names its case in the X-Fixture header (never recorded: request
# headers are not passed to the core). Bodies are sent in pieces with chunked encoding, so
# clients read them as streams; a case with a transport error after its status line is cut off
# mid-body.
class FixtureServer
  ROOT = File.expand_path("../../../tests/fixtures/providers", __dir__)
  Case = Struct.new(:name, :dir, :exchange, :request_body, keyword_init: true) do
    def url_path
      exchange["url"].sub(%r{\Ahttps?://[^/]+}, "")
    end

    def response_body
      path = File.join(dir, "response.body")
      File.exist?(path) ? File.binread(path) : "".b
    end

    # What a client sends besides the body: the case's name, and the retry count of an attempt.
    def headers
      attempt = exchange["attempt"]
      attempt ? { "X-Fixture" => name, "X-Stainless-Retry-Count" => (attempt - 1).to_s } : { "X-Fixture" => name }
    end

    def cut_mid_body?
      exchange["transport_error"] && exchange["status"].positive?
    end

    def no_response?
      exchange["status"].zero?
    end
  end

  # Every fixture as [name, [steps…]]: a plain case is one step, a sequence several.
  def self.fixtures
    Dir.children(ROOT).sort.filter_map do |name|
      dir = File.join(ROOT, name)
      next unless File.directory?(dir)

      steps = File.exist?(File.join(dir, "exchange.json")) ? [dir] : Dir.glob(File.join(dir, "*/")).sort
      [name, steps.map { |step| load_case(step, name) }]
    end
  end

  def self.load_case(dir, name)
    body_path = File.join(dir, "request.body")
    Case.new(name: "#{name}#{dir.delete_prefix(File.join(ROOT, name)).chomp('/')}", dir: dir,
             exchange: JSON.parse(File.read(File.join(dir, "exchange.json"))),
             request_body: File.exist?(body_path) ? File.binread(body_path) : nil)
  end

  # What a capture of `kase` made through this server must give: the fixture's expected call with
  # the server's origin in its URL and, for a transport error, the error the client saw.
  def self.expected(name, origin, transport_error = nil)
    expected = JSON.parse(File.read(File.join(ROOT, name, "expected.json")))
    expected.delete("operation")
    expected["request"]["url"] = expected["request"]["url"].sub(%r{\Ahttps?://[^/]+}, origin) if expected["request"]
    expected["error"] = transport_error if transport_error
    expected
  end

  attr_reader :port, :requests

  def initialize
    @cases = FixtureServer.fixtures.flat_map(&:last).to_h { |kase| [kase.name, kase] }
    @requests = Queue.new
    @server = WEBrick::HTTPServer.new(BindAddress: "127.0.0.1", Port: 0, AccessLog: [],
                                      Logger: WEBrick::Log.new(File::NULL))
    @port = @server.config[:Port]
    @server.mount_proc("/") { |request, response| serve(request, response) }
    @thread = Thread.new { @server.start }
  end

  def origin
    "http://127.0.0.1:#{@port}"
  end

  def url(kase)
    origin + kase.url_path
  end

  def shutdown
    @server.shutdown
    @thread.join
  end

  private

  def serve(request, response)
    kase = @cases.fetch(request["x-fixture"])
    @requests << { fixture: kase.name, path: request.unparsed_uri, body: request.body || "",
                   headers: request.header }
    response.status = kase.exchange["status"]
    response["content-type"] = kase.exchange["content_type"] if kase.exchange["content_type"]
    (kase.exchange["response_headers"] || {}).each { |name, value| response[name] = Array(value).join(", ") }
    response.chunked = true
    body = kase.response_body
    response.body = proc do |out|
      pieces(body).each { |piece| out.write(piece) }
      # Leaves without the last chunk: WEBrick closes the connection, the client sees it cut.
      raise EOFError, "fixture cut short" if kase.cut_mid_body?
    end
  end

  def pieces(body)
    return [] if body.empty?

    size = [(body.bytesize / 3.0).ceil, 1].max
    (0...body.bytesize).step(size).map { |offset| body.byteslice(offset, size) }
  end
end
