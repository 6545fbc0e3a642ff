# frozen_string_literal: true

require_relative "lib/aiobs/version"

Gem::Specification.new do |spec|
  spec.name = "aiobs"
  spec.version = Aiobs::VERSION
  spec.summary = "LLM observability: OpenAI and Gemini calls over Net::HTTP and Faraday, traced methods, one session file"
  spec.description = "Ruby binding of the aiobs native core (libaiobs) through ffi. Captures provider calls " \
                     "without touching the caller's code and traces methods with `observe def`."
  spec.authors = ["aiobs"]
  spec.license = "MIT"
  spec.files = Dir["lib/**/*.rb"] + ["aiobs.gemspec"]
  spec.require_paths = ["lib"]
  spec.required_ruby_version = ">= 3.1"
  spec.add_dependency "ffi", ">= 1.15"
  spec.add_development_dependency "faraday", ">= 1.0"
  spec.add_development_dependency "minitest", ">= 5.0"
  spec.add_development_dependency "webrick", ">= 1.7"
end
