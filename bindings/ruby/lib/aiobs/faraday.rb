# frozen_string_literal: true

require_relative "exchange"

module Aiobs
  # Faraday middleware that captures each request to an LLM endpoint as an Exchange (other
  # requests pass through untouched). It is placed innermost, next to the adapter, so it sees the
  # body as sent and the response as received, before any JSON or error middleware. Streams read
  # through `on_data` are teed chunk by chunk. When the adapter uses Net::HTTP, that capture
  # records the exchange instead (it also sees a body cut short), so an exchange is recorded once
  # whatever the adapter.
  class FaradayCapture
    def initialize(app, _options = nil)
      @app = app
    end

    def call(env)
      exchange = Exchange.start(env.method.to_s.upcase, env.url.to_s)
      return @app.call(env) unless exchange

      exchange.retry_count = env.request_headers["X-Stainless-Retry-Count"]
      take_request_body(env, exchange)
      on_data = tee_on_data(env, exchange)
      response = nil
      begin
        response = Exchange.handing_over(exchange) { @app.call(env) }
      rescue Exception => e # rubocop:disable Lint/RescueException -- recorded, then re-raised
        exchange.fail(e)
        raise
      ensure
        env.request.on_data = on_data if on_data
        finish(exchange, env, response, on_data)
      end
    end

    private

    def take_request_body(env, exchange)
      body = env.body
      if body.respond_to?(:read)
        env.body = exchange.tee_request(body)
      elsif body
        exchange.request_body = body
      end
    end

    def tee_on_data(env, exchange)
      on_data = env.request.on_data
      return nil unless on_data

      env.request.on_data = proc do |chunk, *rest|
        exchange.append_response(chunk) unless exchange.taken_over
        on_data.call(chunk, *rest)
      end
      on_data
    end

    # A response still running (parallel adapters) is recorded when it completes; anything else
    # (done, failed, left early) is recorded now.
    def finish(exchange, env, response, streamed)
      if exchange.taken_over
        nil
      elsif response && !response.finished?
        response.on_complete { |done| complete(exchange, done, streamed) }
      elsif response
        complete(exchange, env, streamed)
      else
        exchange.record
      end
    end

    def complete(exchange, env, streamed)
      headers = env.response_headers || {}
      exchange.respond(env.status.to_i, headers["content-type"], headers.to_h)
      exchange.response_body = env.body unless streamed
      exchange.record
    end

    # Prepended to Faraday::RackBuilder: the capture joins every stack when it is built (so
    # middleware added after Faraday.new still sits outside it), once.
    module BuilderHook
      def lock!
        use(FaradayCapture) unless locked? || @handlers.any? { |handler| handler.name == FaradayCapture.name }
        super
      end
    end
  end
end
