# frozen_string_literal: true

require_relative "exchange"

module Aiobs
  # A transport for the openai gem's `http_client:` option (any object with `execute(request)`).
  # It wraps the transport the gem would use (or any other) and captures the caller's span and
  # callsite before the gem's transport runs inside an enumerator's fiber, where neither can be
  # seen. The Net::HTTP capture records the exchange with them; a failure before any request
  # (the gem connects first) is recorded here.
  #
  #   client = OpenAI::Client.new(http_client: Aiobs::OpenAIHTTPClient.new)
  class OpenAIHTTPClient
    def initialize(transport = nil)
      @transport = transport || OpenAI::Internal::Transport::PooledNetRequester.new
    end

    def execute(request)
      exchange = Exchange.start(request[:method].to_s.upcase, request[:url].to_s)
      return @transport.execute(request) unless exchange

      exchange.retry_count = request[:headers]&.find { |name, _| name.casecmp?("x-stainless-retry-count") }&.last
      exchange.request_body = request[:body] if request[:body].is_a?(String)
      Exchange.handing_over(exchange, thread_wide: true) { @transport.execute(request) }
    rescue Exception => e # rubocop:disable Lint/RescueException -- recorded, then re-raised
      unless exchange.nil? || exchange.taken_over
        exchange.fail(e)
        exchange.record
      end
      raise
    end
  end
end
