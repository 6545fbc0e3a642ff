# frozen_string_literal: true

require "json"

module Aiobs
  # Turns arguments and return values into JSON that always generates and that the core accepts,
  # with the limits of the Python SDK's decorator: strings cut at 500 characters, arrays at 10
  # items, hashes at 20 pairs; other objects become `#<ClassName>` (their contents may be
  # secrets, and inspecting them can be slow or have side effects).
  module Serialize
    MAX_STRING = 500
    MAX_ITEMS = 10
    MAX_PAIRS = 20
    MAX_DEPTH = 16
    EMPTY_ARRAY = "[]"
    EMPTY_HASH = "{}"

    @state = JSON::State.new

    class << self
      # JSON of data made of core types only, through one reused generator state: creating a
      # state costs more than generating a few arguments. Generation of core types runs in C
      # without switching threads, so sharing the state is safe; a failed generation may leave
      # it mid-way, so it is replaced then.
      def generate(data)
        @state.generate(data)
      rescue JSON::JSONError, EncodingError
        @state = JSON::State.new
        raise
      end

      def json(value)
        return EMPTY_ARRAY if value.is_a?(Array) && value.empty?
        return EMPTY_HASH if value.is_a?(Hash) && value.empty?

        generate(safe(value, 0))
      end

      def safe(value, depth)
        case value
        when String then text(value)
        when nil, true, false, Integer then value
        when Float then value.finite? ? value : value.to_s
        when Symbol then text(value.to_s)
        when Array then depth < MAX_DEPTH ? value.first(MAX_ITEMS).map { |item| safe(item, depth + 1) } : "#<Array>"
        when Hash then depth < MAX_DEPTH ? pairs(value, depth) : "#<Hash>"
        else "#<#{value.class.name || 'Object'}>"
        end
      end

      # The string as valid UTF-8 (invalid bytes replaced); nil stays nil.
      def utf8(string)
        return string if string.nil? || utf8?(string)

        string.encode(Encoding::UTF_8, invalid: :replace, undef: :replace)
      end

      private

      def text(string)
        # Short valid UTF-8, the common case, needs no copy (bytes bound characters).
        return string if string.bytesize <= MAX_STRING && utf8?(string)

        string = utf8(string)
        string.length > MAX_STRING ? "#{string[0, MAX_STRING]}..." : string
      end

      def utf8?(string)
        (string.encoding == Encoding::UTF_8 || string.encoding == Encoding::US_ASCII) && string.valid_encoding?
      end

      def pairs(hash, depth)
        hash.first(MAX_PAIRS).to_h { |key, item| [text(key.to_s)[0, 100], safe(item, depth + 1)] }
      end
    end
  end
end
