# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "context"
require_relative "callsite"
require_relative "serialize"

module Aiobs
  # One HTTP exchange as a capture sees it: the request as sent, the response as received
  # (status, content type, headers, body bytes teed while the caller reads them), and how it
  # ended. `record` hands it to the core once. Captures start one only for an exchange the core
  # would record (`Exchange.start`); all other traffic is left alone.
  class Exchange
    # The core keeps the first max_input_bytes (16 MiB by default) of a body; holding more is waste.
    MAX_BODY = 16 * 1024 * 1024
    EMPTY = "".b.freeze
    # The exchange of a capture higher up (Faraday, a client adapter) while its transport runs.
    # Faraday's is fiber-local; an adapter's is thread-wide, because the openai gem runs its
    # transport inside an enumerator's fiber.
    OUTER = :__aiobs_outer_exchange

    class << self
      # A new exchange of `method` to `url`, or nil when the core would not record it now (no
      # LLM endpoint, no active session): the caller then passes the request through untouched.
      # It belongs where its capture runs: under the current fiber's span, called from the
      # program's line (see Callsite), or where an adapter's outer exchange was made (its
      # caller's fiber could see them).
      def start(method, url)
        url = Serialize.utf8(url)
        return unless Native.http_check(method, url)

        outer = Thread.current.thread_variable_get(OUTER)
        # The caller is a capture, inside aiobs: the program's frames start above it.
        outer ? new(method, url, *outer.origin) : new(method, url, Context.current_span_id, Callsite.find(1))
      end

      # Runs the block with `exchange` as the outer exchange of any capture it reaches.
      def handing_over(exchange, thread_wide: false)
        previous = outer_get(thread_wide)
        outer_set(thread_wide, exchange)
        begin
          yield
        ensure
          outer_set(thread_wide, previous)
        end
      end

      # A lower capture records the exchange: the outer one must not record it again.
      def take_over_outer
        thread = Thread.current
        if (outer = thread[OUTER])
          outer.taken_over = true
          thread[OUTER] = nil
        end
        return unless (outer = thread.thread_variable_get(OUTER))

        outer.taken_over = true
        thread.thread_variable_set(OUTER, nil)
      end

      private

      def outer_get(thread_wide)
        thread_wide ? Thread.current.thread_variable_get(OUTER) : Thread.current[OUTER]
      end

      def outer_set(thread_wide, exchange)
        thread_wide ? Thread.current.thread_variable_set(OUTER, exchange) : Thread.current[OUTER] = exchange
      end
    end

    # Set when a lower capture (Net::HTTP under Faraday's default adapter) records this exchange
    # itself, with the detail only it sees (a body cut mid-read, say).
    attr_accessor :taken_over

    # `url` is valid UTF-8 (Exchange.start makes it so); `callsite` is JSON (see Callsite).
    def initialize(method, url, parent_span_id = nil, callsite = nil)
      # Microseconds, written as `<integer>e-6`: cheaper than a float's shortest decimal form.
      @started_us = Process.clock_gettime(Process::CLOCK_REALTIME, :microsecond)
      @method = method
      @url = url
      @parent = parent_span_id
      @callsite = callsite
      @request_body = @response_body = EMPTY
      @status = 0
    end

    def origin
      [@parent, @callsite]
    end

    # The X-Stainless-Retry-Count an official client sent, or nil: attempt is one more.
    def retry_count=(count)
      @attempt = count && count.to_i + 1
    end

    def request_body=(body)
      @request_body = body.to_s if body
    end

    # Wraps a request body stream so that what the transport reads from it is kept too.
    def tee_request(stream)
      TeeReader.new(stream, self)
    end

    def append_request(chunk)
      @request_body = append(@request_body, chunk)
    end

    # The response's status line and headers arrived; `headers` maps names to strings or arrays.
    def respond(status, content_type, headers)
      @status = status
      @content_type = content_type
      @headers = headers
    end

    def append_response(chunk)
      @response_body = append(@response_body, chunk)
    end

    # The whole response body, when the transport hands it over in one piece. Kept as it is: the
    # exchange is recorded before the caller can change it.
    def response_body=(body)
      @response_body = body.to_s
    end

    def fail(exception)
      @transport_error = "#{exception.class}: #{exception.message}"
    end

    # Records the exchange into the active session, once; returns the core's status. Never
    # raises: capture must not break the program's request.
    def record
      return if @recorded

      @recorded = true
      Native.record_http(exchange_json, @request_body, @response_body)
    rescue StandardError => e
      warn "aiobs: an exchange with #{@url} was not recorded: #{e.class}: #{e.message}"
    end

    private

    # The exchange as the core reads it, built as one string: strings are quoted by the JSON
    # generator, the rest needs no quoting. Absent keys take the core's defaults: `ended_at` the
    # time of the call (now), `content_type` and `transport_error` null.
    def exchange_json
      json = "{\"method\":#{Serialize.quoted(@method)},\"url\":#{Serialize.quoted(@url)},\"status\":#{@status}," \
             "\"started_at\":#{@started_us}e-6,\"callsite\":#{@callsite || Serialize::NULL}," \
             "\"parent_span_id\":#{@parent ? "\"#{@parent}\"" : Serialize::NULL}"
      json << ",\"content_type\":" << Serialize.quoted(@content_type) if @content_type
      json << ",\"transport_error\":" << Serialize.string(@transport_error) if @transport_error
      if Native::EXCHANGE_EXTRAS
        json << ",\"response_headers\":" << headers_json if @headers
        json << ",\"attempt\":" << @attempt.to_s if @attempt
      end
      json << "}"
    end

    # Headers are passed as received; only when they do not generate (bytes that are not UTF-8,
    # which servers may send) are they made valid first.
    def headers_json
      Serialize.generate(@headers)
    rescue JSON::GeneratorError, EncodingError
      Serialize.generate(valid_headers)
    end

    def valid_headers
      @headers.to_h do |name, value|
        [Serialize.utf8(name.to_s), value.is_a?(Array) ? value.map { |item| Serialize.utf8(item.to_s) } : Serialize.utf8(value.to_s)]
      end
    end

    # The buffer with `chunk` appended. The first chunk is kept as a shared copy (no bytes copied;
    # the caller changing its string later leaves it as it was), later ones are copied in.
    def append(buffer, chunk)
      return buffer if chunk.nil? || buffer.bytesize >= MAX_BODY
      return chunk.b if buffer.empty?

      buffer = +buffer if buffer.frozen?
      buffer << (chunk.encoding == Encoding::BINARY ? chunk : chunk.b)
    end

    # A request body stream that keeps a copy of what is read from it. It reads exactly what the
    # transport asks for, so the bytes on the wire do not change.
    class TeeReader
      def initialize(stream, exchange)
        @stream = stream
        @exchange = exchange
      end

      def read(*args)
        chunk = @stream.read(*args)
        @exchange.append_request(chunk)
        chunk
      end

      def readpartial(*args)
        chunk = @stream.readpartial(*args)
        @exchange.append_request(chunk)
        chunk
      end

      def respond_to_missing?(name, include_private = false)
        @stream.respond_to?(name, include_private)
      end

      def respond_to?(name, include_private = false)
        return @stream.respond_to?(:readpartial) if name == :readpartial

        super
      end

      def method_missing(name, *args, &block)
        return super unless @stream.respond_to?(name)

        @stream.public_send(name, *args, &block)
      end
    end
  end
end
