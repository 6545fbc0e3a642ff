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
    MAX_KEY = 100
    NULL = "null"
    EMPTY_ARRAY = "[]"
    EMPTY_HASH = "{}"
    QUOTED_STRINGS = 256 # recurring strings kept quoted before the cache starts over
    # What the generator escapes in a string (it leaves `/`, DEL and non-ASCII characters as
    # they are): a string without any of these is its own JSON between quotes.
    ESCAPED = /["\\\x00-\x1f]/.freeze

    @state = JSON::State.new
    @quoted = {}

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

      # JSON of any value, within the limits. What needs no change (a short string, a scalar, an
      # array or hash of those, as most arguments and results are) is written as it is; the rest
      # goes through `safe` first. A string that needs no escape is quoted here, and ASCII (the
      # common case) is checked inline: calling the generator, or a method per check, is a good
      # part of a traced call's cost.
      def json(value)
        case value
        when String
          if value.bytesize <= MAX_STRING && (value.ascii_only? || utf8?(value))
            return ESCAPED.match?(value) ? generate(value) : "\"#{value}\""
          end
        when Array # every traced call's arguments: checked second
          return EMPTY_ARRAY if value.empty?
          return generate(value) if value.length <= MAX_ITEMS && plain_items?(value)
        when nil then return NULL
        when true, false, Integer then return value.to_s
        when Hash
          return EMPTY_HASH if value.empty?
          return generate(value) if value.length <= MAX_PAIRS && plain_pairs?(value)
        end
        generate(safe(value, 0))
      end

      # A string (made valid UTF-8) as a JSON string, or null.
      def string(value)
        value.nil? ? NULL : generate(utf8(value))
      end

      # The same for strings that recur call after call (HTTP methods, endpoint URLs, content
      # types): each is quoted once and kept (frozen), up to QUOTED_STRINGS of them.
      def quoted(value)
        return NULL if value.nil?

        @quoted[value] || begin
          @quoted = {} if @quoted.size >= QUOTED_STRINGS
          @quoted[value] = string(value).freeze
        end
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

      # A loop rather than `all?`: arguments are checked on every traced call, and a block per
      # item costs more than the check (a short ASCII string, the common argument, is checked
      # inline).
      def plain_items?(array)
        index = 0
        while index < array.length
          item = array[index]
          return false unless (item.is_a?(String) && item.bytesize <= MAX_STRING && item.ascii_only?) || scalar?(item)

          index += 1
        end
        true
      end

      # Keys all of one class cannot name one JSON key twice (`:a` and `"a"` would).
      def plain_pairs?(hash)
        key_class = nil
        hash.all? { |key, item| (key_class ||= key.class) == key.class && key?(key) && scalar?(item) }
      end

      def scalar?(value)
        case value
        when String then value.bytesize <= MAX_STRING && (value.ascii_only? || utf8?(value))
        when nil, true, false, Integer then true
        when Float then value.finite?
        else false
        end
      end

      # A key that generates as it is: a short symbol or string (a symbol is valid in its encoding).
      def key?(key)
        case key
        when Symbol then key.length <= MAX_KEY && (key.encoding == Encoding::UTF_8 || key.encoding == Encoding::US_ASCII)
        when String then key.bytesize <= MAX_KEY && utf8?(key)
        else false
        end
      end

      def text(string)
        # Short valid UTF-8, the common case, needs no copy (bytes bound characters).
        return string if string.bytesize <= MAX_STRING && utf8?(string)

        string = utf8(string)
        string.length > MAX_STRING ? "#{string[0, MAX_STRING]}..." : string
      end

      # Plain ASCII in any ASCII-compatible encoding (HTTP headers arrive as binary strings), or
      # valid UTF-8: both generate as they are.
      def utf8?(string)
        string.ascii_only? || string.encoding == Encoding::UTF_8 && string.valid_encoding?
      end

      def pairs(hash, depth)
        hash.first(MAX_PAIRS).to_h { |key, item| [text(key.to_s)[0, MAX_KEY], safe(item, depth + 1)] }
      end
    end
  end
end
