# frozen_string_literal: true

require "net/http"
require_relative "exchange"

module Aiobs
  # Capture of Net::HTTP: every request a started connection makes to an LLM endpoint, while a
  # session is active, becomes an Exchange; other requests pass through untouched. Request
  # bodies are taken as given (a string, or a `body_stream` read through a tee); response bodies
  # are kept as Net::HTTP decodes them, whether the caller reads them whole, with
  # `read_body { }`, or not at all. The exchange is recorded once, from an `ensure`, however the
  # request ends: returned, raised, or left early with break or throw.
  module NetHTTPCapture
    def request(req, body = nil, &block)
      unless started?
        # Net::HTTP connects, then calls `request` again (captured there). A failure to connect
        # never reaches that call, so it is recorded here.
        begin
          return super
        rescue Exception => e # rubocop:disable Lint/RescueException -- recorded, then re-raised
          NetHTTPCapture.record_failure(self, req, e) unless req.instance_variable_get(:@__aiobs_captured)
          raise
        end
      end

      exchange = Exchange.start(req.method, NetHTTPCapture.url(self, req))
      return super unless exchange

      req.instance_variable_set(:@__aiobs_captured, true)
      exchange.retry_count = req["x-stainless-retry-count"]
      Exchange.take_over_outer
      stream = req.body_stream unless body || req.body
      if stream
        req.body_stream = exchange.tee_request(stream)
      else
        exchange.request_body = body || req.body
      end
      begin
        super(req, body) do |response|
          NetHTTPCapture.respond(exchange, response)
          block&.call(response)
        end
      rescue Exception => e # rubocop:disable Lint/RescueException -- recorded, then re-raised
        exchange.fail(e)
        raise
      ensure
        req.body_stream = stream if stream # the caller's request is given back as it was
        exchange.record
      end
    end

    class << self
      def record_failure(http, req, exception)
        exchange = Exchange.start(req.method, url(http, req))
        return unless exchange

        exchange.retry_count = req["x-stainless-retry-count"]
        Exchange.take_over_outer
        exchange.request_body = req.body if req.body
        exchange.fail(exception)
        exchange.record
      end

      # The request's full URL (a request built from a full URL, as the openai gem does, keeps it).
      def url(http, req)
        path = req.path
        return path if !path.start_with?("/") && path.match?(%r{\Ahttps?://}i)

        host = http.address.include?(":") ? "[#{http.address}]" : http.address
        if http.use_ssl?
          http.port == 443 ? "https://#{host}#{path}" : "https://#{host}:#{http.port}#{path}"
        else
          http.port == 80 ? "http://#{host}#{path}" : "http://#{host}:#{http.port}#{path}"
        end
      end

      # The status line and headers arrived: the exchange takes them (headers as Net::HTTP holds
      # them, lowercase names to arrays of values) and the response's body is kept for it.
      def respond(exchange, response)
        headers = response.to_hash
        content_type = headers["content-type"]
        content_type = content_type.length == 1 ? content_type.first : content_type.join(", ") if content_type
        exchange.respond(response.code.to_i, content_type, headers)
        response.instance_variable_set(:@__aiobs_exchange, exchange)
      end
    end

    # Prepended to Net::HTTPResponse: the decoded body of a captured response is also kept by its
    # exchange.
    module ResponseTee
      private

      def read_body_0(dest)
        exchange = @__aiobs_exchange
        return super unless exchange
        return super(Tee.new(dest, exchange)) unless dest.is_a?(String)

        # Read whole into a string: what it gains is taken once when the read ends, however it
        # ends (after a read_body { } left early, Net::HTTP reads the rest this way).
        start = dest.bytesize
        begin
          super
        ensure
          exchange.append_response(start.zero? ? dest : dest.byteslice(start..))
        end
      end
    end

    # Stands in for the body's destination (a Net::ReadAdapter for `read_body { }`, or any
    # object taking `<<`): each chunk goes to the exchange, then on to where it was going.
    class Tee
      def initialize(dest, exchange)
        @dest = dest
        @exchange = exchange
      end

      def <<(chunk)
        @exchange.append_response(chunk)
        @dest << chunk
        self
      end
    end
  end
end
