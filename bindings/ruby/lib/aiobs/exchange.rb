# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "context"
require_relative "callsite"
require_relative "serialize"

module Aiobs
  # One HTTP exchange as a capture sees it: the request as sent, the response as received
  # (status, content type, headers, body bytes teed while the caller reads them), and how it
  # ended. `record` hands it to the core once; the core ignores what is no LLM endpoint.
  class Exchange
    # The core keeps the first max_input_bytes (16 MiB by default) of a body; holding more is waste.
    MAX_BODY = 16 * 1024 * 1024
    # The exchange of a capture higher up (Faraday, a client adapter) while its transport runs.
    # Faraday's is fiber-local; an adapter's is thread-wide, because the openai gem runs its
    # transport inside an enumerator's fiber.
    OUTER = :__aiobs_outer_exchange

    class << self
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

      # Where an exchange starting now belongs: [parent span id, callsite], those of an adapter's
      # outer exchange when there is one (its caller's fiber could see them).
      def origin
        outer = Thread.current.thread_variable_get(OUTER)
        outer ? outer.origin : [Context.current_span_id, Callsite.find]
      end

      # A lower capture records the exchange: the outer one must not record it again.
      def take_over_outer
        [false, true].each do |thread_wide|
          outer = outer_get(thread_wide)
          next unless outer

          outer.taken_over = true
          outer_set(thread_wide, nil)
        end
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

    def initialize(method, url, retry_count)
      @started_at = Process.clock_gettime(Process::CLOCK_REALTIME)
      @method = method
      @url = url
      @attempt = retry_count && retry_count.to_i + 1
      @parent, @callsite = Exchange.origin
      @request_body = "".b
      @response_body = "".b
      @status = 0
      @content_type = nil
      @headers = nil
      @transport_error = nil
      @recorded = false
    end

    def origin
      [@parent, @callsite]
    end

    def request_body=(body)
      @request_body = body.to_s if body
    end

    # Wraps a request body stream so that what the transport reads from it is kept too.
    def tee_request(stream)
      TeeReader.new(stream, self)
    end

    def append_request(chunk)
      append(@request_body, chunk)
    end

    # The response's status line and headers arrived; `headers` maps names to strings or arrays.
    def respond(status, content_type, headers)
      @status = status
      @content_type = content_type
      @headers = headers
    end

    def append_response(chunk)
      append(@response_body, chunk)
    end

    # The whole response body, when the transport hands it over in one piece.
    def response_body=(body)
      @response_body = body.to_s
    end

    def fail(exception)
      @transport_error = "#{exception.class}: #{exception.message}"
    end

    # Records the exchange into the active session, once. Never raises: capture must not break
    # the program's request.
    def record
      return if @recorded

      @recorded = true
      Native.record_http(exchange_json, @request_body, @response_body)
    rescue StandardError => e
      warn "aiobs: an exchange with #{@url} was not recorded: #{e.class}: #{e.message}"
    end

    private

    # Headers are passed as received; only when they do not generate (bytes that are not UTF-8,
    # which servers may send) are they made valid first.
    def exchange_json
      Serialize.generate(fields)
    rescue JSON::GeneratorError, EncodingError
      @headers = valid_headers
      Serialize.generate(fields)
    end

    def append(buffer, chunk)
      return if chunk.nil? || buffer.bytesize >= MAX_BODY

      buffer << (chunk.encoding == Encoding::BINARY ? chunk : chunk.b)
    end

    def fields
      fields = {
        "method" => @method, "url" => Serialize.utf8(@url), "status" => @status,
        "content_type" => Serialize.utf8(@content_type), "transport_error" => Serialize.utf8(@transport_error),
        "started_at" => @started_at,
        "ended_at" => Process.clock_gettime(Process::CLOCK_REALTIME), "callsite" => @callsite,
        "parent_span_id" => @parent
      }
      if Native::EXCHANGE_EXTRAS
        fields["response_headers"] = @headers if @headers
        fields["attempt"] = @attempt if @attempt
      end
      fields
    end

    def valid_headers
      @headers.to_h do |name, value|
        [Serialize.utf8(name.to_s), value.is_a?(Array) ? value.map { |item| Serialize.utf8(item.to_s) } : Serialize.utf8(value.to_s)]
      end
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
