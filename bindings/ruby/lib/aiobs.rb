# frozen_string_literal: true

require_relative "aiobs/version"
require_relative "aiobs/errors"
require_relative "aiobs/native"
require_relative "aiobs/context"
require_relative "aiobs/callsite"
require_relative "aiobs/serialize"
require_relative "aiobs/tracing"
require_relative "aiobs/exchange"
require_relative "aiobs/net_http"
require_relative "aiobs/faraday"
require_relative "aiobs/openai"
require_relative "aiobs/observer"

# LLM observability: `require "aiobs"` captures OpenAI and Gemini calls made through Net::HTTP
# and Faraday, `extend Aiobs::Observe` traces methods, and `Aiobs.observer` writes the session.
module Aiobs
  @observer = Observer.new
  CURRENT_SPAN = Context::CURRENT # Aiobs.span's default parent: the current fiber's span

  class << self
    # The process's observer (the user documentation's `observer`).
    attr_reader :observer

    # Process-wide settings of the core, e.g. `Aiobs.configure(capture_content: false)`.
    def configure(**settings)
      Native.configure(settings)
      nil
    end

    # Traces a block as a span named `name`: `Aiobs.span("retrieve") { … }`. The parent is the
    # current fiber's span unless `parent:` names one (a span id, or nil for a root); the block
    # receives the span id (nil when no session is active).
    def span(name, parent: CURRENT_SPAN, capture_result: true, enh_prompt: false, auto_enhance_after: nil, &block)
      spec = Tracing::Spec.new(name: name, capture_args: false, capture_result: capture_result, enh_prompt: enh_prompt,
                               auto_enhance_after: auto_enhance_after, callsite: Callsite.find)
      Tracing.run(spec, nil, nil, parent, &block)
    end

    # The current fiber's innermost span id, to pass as `parent:` to work on another thread.
    def current_span_id
      Context.current_span_id
    end

    # The core's counters (see Observer#stats).
    def stats
      Native.stats
    end

    # Exports what is pending (OpenTelemetry) within `timeout` seconds and stops the exporter.
    def shutdown(timeout: 5)
      Native.shutdown((timeout * 1000).round)
      nil
    end

    # Installs capture of Net::HTTP, of Faraday (now, or when it is loaded later) and of the
    # span a `next` caller is in. Runs once at require; calling it again changes nothing.
    def install_capture
      return if @installed

      @installed = true
      Callsite.skip_library(Net::HTTP.instance_method(:request).source_location.first.delete_suffix(".rb"))
      Enumerator.prepend(Context::EnumeratorResume)
      Net::HTTP.prepend(NetHTTPCapture)
      Net::HTTPResponse.prepend(NetHTTPCapture::ResponseTee)
      defined?(::Faraday::RackBuilder) ? install_faraday : install_faraday_when_loaded
    end

    private

    def install_faraday
      ::Faraday::RackBuilder.prepend(FaradayCapture::BuilderHook)
      Callsite.skip_library(::Faraday.method(:new).source_location.first.delete_suffix(".rb"))
    end

    def install_faraday_when_loaded
      watcher = TracePoint.new(:class) do |point|
        next unless point.self.name == "Faraday::RackBuilder"

        watcher.disable
        install_faraday
      end
      watcher.enable
    end

    def configure_runtime
      settings = { "runtime" => "ruby", "runtime_version" => RUBY_VERSION }
      begin
        Native.configure(settings.merge("thread_parenting" => false))
      rescue InvalidArgumentError
        # A core from before thread_parenting: explicit parents, always passed, suffice.
        Native.configure(settings)
      end
    end
  end

  configure_runtime
  install_capture
  # What the OpenTelemetry exporter still holds goes out at exit, in every process (a forked
  # worker exports its own spans).
  if Native::HAS_SHUTDOWN
    at_exit do
      shutdown
    rescue Error => e
      warn "aiobs: shutdown at exit failed: #{e.message}"
    end
  end
end
