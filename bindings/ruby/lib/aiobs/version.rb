# frozen_string_literal: true

module Aiobs
  VERSION = "0.1.0"
end
