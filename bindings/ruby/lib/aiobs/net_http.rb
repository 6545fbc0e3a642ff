# frozen_string_literal: true

require "net/http"
require_relative "exchange"

module Aiobs
  # Capture of Net::HTTP: every request a started connection makes becomes an Exchange. Request
  # bodies are taken as given (a string, or a `body_stream` read through a tee); response bodies
  # are teed as Net::HTTP decodes them, whether the caller reads them whole, with
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

      req.instance_variable_set(:@__aiobs_captured, true)
      exchange = Exchange.new(req.method, NetHTTPCapture.url(self, req), req["x-stainless-retry-count"])
      Exchange.take_over_outer
      stream = req.body_stream unless body || req.body
      if stream
        req.body_stream = exchange.tee_request(stream)
      else
        exchange.request_body = body || req.body
      end
      begin
        super(req, body) do |response|
          exchange.respond(response.code.to_i, response["content-type"], NetHTTPCapture.headers(response))
          response.instance_variable_set(:@__aiobs_exchange, exchange)
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
        exchange = Exchange.new(req.method, url(http, req), req["x-stainless-retry-count"])
        Exchange.take_over_outer
        exchange.request_body = req.body if req.body
        exchange.fail(exception)
        exchange.record
      end

      # The request's full URL (a request built from a full URL, as the openai gem does, keeps it).
      def url(http, req)
        path = req.path
        return path if path.match?(%r{\Ahttps?://}i)

        scheme, default_port = http.use_ssl? ? ["https", 443] : ["http", 80]
        host = http.address.include?(":") ? "[#{http.address}]" : http.address
        port = http.port == default_port ? "" : ":#{http.port}"
        "#{scheme}://#{host}#{port}#{path}"
      end

      # Lowercase names to arrays of values (the core takes a string or an array of strings).
      def headers(response)
        response.to_hash
      end
    end

    # Prepended to Net::HTTPResponse: every decoded body chunk of a captured response is also
    # appended to its exchange.
    module ResponseTee
      private

      def read_body_0(dest)
        exchange = @__aiobs_exchange
        return super unless exchange

        super(Tee.new(dest, exchange))
      end
    end

    # Stands in for the body's destination (a String or Net::ReadAdapter): each chunk goes to
    # the exchange, then on to where it was going.
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
