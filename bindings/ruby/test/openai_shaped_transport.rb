# frozen_string_literal: true

require "net/http"
require "stringio"

# A transport shaped like the openai gem's (its PooledNetRequester): the request body goes
# through `body_stream` (an object with only `read`), the response is read with `read_body`
# inside an Enumerator consumed with `next` (so in another fiber), and a caller that stops early
# makes it break out of the read. Built here because the gem cannot be installed.
class OpenAIShapedTransport
  # Only `read`, like the gem's ReadIOAdapter.
  class ReadOnlyBody
    def initialize(string)
      @io = StringIO.new(string)
    end

    def read(max_len = nil, out_string = nil)
      @io.read(max_len, out_string)
    end
  end

  # The body the caller iterates; `close` stops a read the caller abandons.
  class Body
    include Enumerable

    def initialize(enum, &on_close)
      @enum = enum
      @on_close = on_close
    end

    def each
      loop { yield @enum.next }
    rescue StandardError
      @on_close = nil # the read failed: nothing left to stop
      raise
    ensure
      close
    end

    def close
      @on_close&.call
      @on_close = nil
    end
  end

  def initialize(host, port)
    @conn = Net::HTTP.new(host, port)
  end

  def execute(request)
    eof = finished = false
    enum = Enumerator.new do |y|
      @conn.start unless @conn.started?
      @conn.request(build_request(request)) do |response|
        y << response
        break if finished

        response.read_body do |bytes|
          y << bytes
          break if finished
        end
        eof = true
      end
    end
    response = enum.next
    body = Body.new(enum) do
      finished = true
      begin
        enum.next
      rescue StopIteration
        nil
      end
      @conn.finish if !eof && @conn.started?
    end
    [Integer(response.code), response, body]
  end

  private

  def build_request(request)
    method, url, headers, body = request.fetch_values(:method, :url, :headers, :body)
    req = Net::HTTPGenericRequest.new(method.to_s.upcase, !body.nil?, method != :head, url.to_s)
    headers.each { |name, value| req[name] = value }
    if body
      req["content-type"] ||= "application/json"
      req["content-length"] = body.bytesize.to_s
      req.body_stream = ReadOnlyBody.new(body)
    end
    req
  end
end
