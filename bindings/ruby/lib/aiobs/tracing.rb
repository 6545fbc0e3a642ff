# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "context"
require_relative "serialize"
require_relative "callsite"

module Aiobs
  # Runs traced code inside a core span: the parent is the current fiber's span (or one given),
  # an exception is recorded as "Class: message" and re-raised, and a span that exits early
  # (break, throw, return) still ends. Without an active session the code simply runs.
  module Tracing
    # What stays the same for every call of one traced function. `fixed_json` is its part of the
    # span JSON, generated once; `callsite` is the callsite's JSON (see Callsite).
    class Spec
      attr_reader :capture_args, :capture_result, :fixed_json

      def initialize(name:, module_name: nil, capture_args: true, capture_result: true,
                     enh_prompt: false, auto_enhance_after: nil, callsite: nil)
        @capture_args = capture_args
        @capture_result = capture_result
        # Keys at the core's default (no module, no enhancement) are left out: less to read per call.
        fixed = { "name" => name.to_s, "module" => module_name, "enh_prompt" => (true if enh_prompt),
                  "auto_enhance_after" => auto_enhance_after }.compact
        @fixed_json = "#{Serialize.generate(fixed)[1..-2]},\"callsite\":#{callsite || Serialize::NULL}".freeze
      end
    end

    # A span id as the core writes it: quoted as it is. Anything else (a parent the program
    # passed) is quoted by the generator.
    SPAN_ID = /\A\h{16}\z/.freeze

    class << self
      # Runs the block inside a span (one frame: this is every traced call's fixed cost).
      def run(spec, args, kwargs, parent = Context::CURRENT)
        stack = Context.stack
        parent = Context.current_span_id(stack) if parent.equal?(Context::CURRENT)
        span_id = Native.span_begin(span_json(spec, args, kwargs, parent))
        return yield(nil) unless span_id

        stack.push(span_id)
        result = error = nil
        begin
          result = yield(span_id)
        rescue Exception => e # rubocop:disable Lint/RescueException -- recorded, then re-raised
          error = error_text(e)
          raise
        ensure
          stack.pop
          Native.span_end(span_id, spec.capture_result && !error ? Serialize.json(result) : nil, error)
        end
      end

      private

      # Checks that spare a method call on the common path (no keywords, a root span) are inline.
      def span_json(spec, args, kwargs, parent)
        parent_text = parent.nil? ? Serialize::NULL : parent_json(parent)
        if spec.capture_args
          kwargs_text = kwargs.nil? || kwargs.empty? ? Serialize::EMPTY_HASH : Serialize.json(kwargs)
          "{#{spec.fixed_json},\"args\":#{Serialize.json(args)},\"kwargs\":#{kwargs_text},\"parent_span_id\":#{parent_text}}"
        else # arguments left out are null to the core
          "{#{spec.fixed_json},\"parent_span_id\":#{parent_text}}"
        end
      end

      # "Class: message" as the core takes it: valid UTF-8 without NUL (a message may hold any
      # bytes; refused, it would leave the span open, or replace the program's exception).
      def error_text(exception)
        text = Serialize.utf8("#{exception.class}: #{exception.message}")
        text.include?("\0") ? text.gsub("\0") { '\0' } : text
      end

      # A parent other than nil as JSON.
      def parent_json(parent)
        parent.is_a?(String) && SPAN_ID.match?(parent) ? "\"#{parent}\"" : Serialize.string(parent.to_s)
      end
    end
  end

  # The `@observe` decorator: `extend Aiobs::Observe`, then `observe def research(query) … end`,
  # with the options of the user documentation. Returns the method's name, so
  # `private observe def …` works.
  module Observe
    def observe(method_name, name: nil, capture_args: true, capture_result: true,
                enh_prompt: false, auto_enhance_after: nil)
      owner = observed_owner(method_name)
      method = owner.instance_method(method_name)
      spec = Tracing::Spec.new(
        name: name || method_name, module_name: owner.equal?(Object) ? nil : self.name, capture_args: capture_args,
        capture_result: capture_result, enh_prompt: enh_prompt, auto_enhance_after: auto_enhance_after,
        callsite: Callsite.of_method(method)
      )
      wrap(owner, method_name, spec)
      method_name
    end

    private

    # Where `method_name` was just defined: this module or class, its singleton (`def self.x`),
    # or Object for a method defined at the top level of a script.
    def observed_owner(method_name)
      return Object unless is_a?(Module)
      return self if method_defined?(method_name) || private_method_defined?(method_name)
      return singleton_class if singleton_class.method_defined?(method_name) ||
                                singleton_class.private_method_defined?(method_name)

      raise NameError, "observe: no method #{method_name} in #{self}"
    end

    KEYWORDS = %i[key keyreq keyrest].freeze
    NO_KEYWORDS = {}.freeze

    # Replaces the method in its owner by one that runs the original inside a span, with the
    # same visibility; being the owner's own method, a later `private :name` applies to it.
    def wrap(owner, method_name, spec)
      original = owner.instance_method(method_name)
      visibility = if owner.private_method_defined?(method_name) then :private
                   elsif owner.protected_method_defined?(method_name) then :protected
                   else :public
                   end
      owner.send(:alias_method, method_name, method_name) # the replacement is deliberate: no warning
      if original.parameters.any? { |type, _| KEYWORDS.include?(type) }
        owner.define_method(method_name) do |*args, **kwargs, &block|
          Tracing.run(spec, args, kwargs) { original.bind_call(self, *args, **kwargs, &block) }
        end
      else # cheaper: no keyword hash to build and pass on
        owner.define_method(method_name) do |*args, &block|
          Tracing.run(spec, args, NO_KEYWORDS) { original.bind_call(self, *args, &block) }
        end
      end
      owner.send(visibility, method_name)
    end
  end
end
