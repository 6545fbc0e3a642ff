# frozen_string_literal: true

require_relative "exchange"

module Aiobs
  # A transport for the openai gem's `http_client:` option (any object with `execute(request)`).
  # It wraps the transport the gem would use (or any other) and captures the caller's span and
  # callsite before the gem's transport runs inside an enumerator's fiber, where neither can be
  # seen. The Net::HTTP capture records the exchange itself.
  #
  #   client = OpenAI::Client.new(http_client: Aiobs::OpenAIHTTPClient.new)
  class OpenAIHTTPClient
    def initialize(transport = nil)
      @transport = transport || OpenAI::Internal::Transport::PooledNetRequester.new
    end

    def execute(request)
      Exchange.with_origin([Context.current_span_id, Callsite.find]) { @transport.execute(request) }
    end
  end
end
