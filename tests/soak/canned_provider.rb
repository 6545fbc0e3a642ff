# frozen_string_literal: true

require "net/http"

# The OpenAI API in memory, for Net::HTTP: `connection` is a Net::HTTP to https://api.openai.com
# that is already started on this object instead of a socket. Every request written to it makes
# one response readable (200, `headers`, and `body` as it is when the request is written), which
# Net::HTTP then parses and reads as from the network. So the capture of Net::HTTP runs whole,
# and what is measured or soaked is aiobs and Net::HTTP, not a server or the loopback.
class CannedProvider
  attr_writer :body

  def initialize(body, headers = {})
    @body = body
    @headers = headers.map { |name, value| "#{name}: #{value}\r\n" }.join
    @unread = "".b
  end

  # A started Net::HTTP (or subclass) to https://api.openai.com on this provider.
  def connection(klass = Net::HTTP)
    http = klass.new("api.openai.com", 443)
    http.use_ssl = true
    http.keep_alive_timeout = Float::INFINITY # never reconnect: there is nothing to connect to
    http.instance_variable_set(:@socket, Net::BufferedIO.new(self))
    http.instance_variable_set(:@started, true)
    http
  end

  # Net::BufferedIO writes the request line and headers first, then the body (ignored here).
  def write_nonblock(data, exception: true) # rubocop:disable Lint/UnusedMethodArgument
    @unread = response if data.match?(/\A[A-Z]+ /)
    data.bytesize
  end

  # Returns nil (end of file) once the response is read: Net::HTTP reads no further than its
  # content-length, so it never gets there.
  def read_nonblock(length, buffer = nil, exception: true) # rubocop:disable Lint/UnusedMethodArgument
    return nil if @unread.empty?

    chunk = @unread.slice!(0, length)
    buffer ? buffer.replace(chunk) : chunk
  end

  def to_io = self
  def wait_readable(_timeout = nil) = nil
  def eof? = @unread.empty?
  def closed? = false
  def close = nil

  private

  def response
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: #{@body.bytesize}\r\n" \
      "#{@headers}\r\n".b + @body.b
  end
end
