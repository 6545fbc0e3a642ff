# frozen_string_literal: true

require_relative "test_helper"

# Arguments and results as JSON: what is written without the generator is what it would write,
# and the limits hold.
class SerializeTest < Minitest::Test
  STRINGS = [
    "", "plain", "a/b", "del\x7f", "é ü 😀", "\u2028\u2029", "quote\"", "back\\slash",
    "tab\t newline\n", "nul\0", "ascii as binary".b, "latin".encode(Encoding::ISO_8859_1),
    *(0..0x1f).map(&:chr)
  ].freeze

  def test_scalars_and_arrays_are_written_as_the_generator_writes_them
    values = [*STRINGS, nil, true, false, 0, -7, 2**70, 1.5, -0.0, 1e20, 1.0e-5]
    values.each do |value|
      assert_equal JSON.generate(value), Aiobs::Serialize.json(value), value.inspect
      assert_equal JSON.generate([value, value]), Aiobs::Serialize.json([value, value]), value.inspect
    end
    assert_equal JSON.generate(STRINGS.first(10)), Aiobs::Serialize.json(STRINGS.first(10))
  end

  def test_limits
    assert_equal "\"#{'x' * 500}...\"", Aiobs::Serialize.json("x" * 501)
    assert_equal JSON.generate(Array(0..9)), Aiobs::Serialize.json(Array(0..10))
    assert_equal '["x",null,"#<Object>","Infinity"]', Aiobs::Serialize.json(["x", nil, Object.new, Float::INFINITY])
    assert_equal "\"\u00e9\"", Aiobs::Serialize.json("\xC3\xA9".b.force_encoding(Encoding::UTF_8))
    assert_equal "\"\uFFFD\"", Aiobs::Serialize.json("\xFF".dup.force_encoding(Encoding::UTF_8))
  end
end
