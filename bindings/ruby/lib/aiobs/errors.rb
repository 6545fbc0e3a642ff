# frozen_string_literal: true

module Aiobs
  # Every failure aiobs reports. `status` is the core's status code and the message is the core's.
  class Error < StandardError
    attr_reader :status

    def initialize(message = nil, status: nil)
      super(message)
      @status = status
    end

    # The error for a status code; a code this gem does not know yet is a plain Aiobs::Error.
    def self.for_status(status, message)
      (BY_STATUS[status] || Error).new(message || "aiobs status #{status}", status: status)
    end
  end

  class InvalidArgumentError < Error; end
  class InvalidJSONError < Error; end
  class InvalidLabelError < Error; end
  class LabelLimitError < Error; end
  class NoSessionError < Error; end
  class UnknownSpanError < Error; end
  class TooLargeError < Error; end
  class IOError < Error; end
  class PanicError < Error; end
  class NotLLMEndpointError < Error; end
  class MemoryLimitError < Error; end
  class TimeoutError < Error; end

  # The core's status codes (include/aiobs.h): append-only, never renumbered.
  Error::BY_STATUS = {
    1 => InvalidArgumentError,
    2 => InvalidJSONError,
    3 => InvalidLabelError,
    4 => LabelLimitError,
    5 => NoSessionError,
    6 => UnknownSpanError,
    7 => TooLargeError,
    8 => IOError,
    9 => PanicError,
    10 => NotLLMEndpointError,
    11 => MemoryLimitError,
    12 => TimeoutError
  }.freeze
end
