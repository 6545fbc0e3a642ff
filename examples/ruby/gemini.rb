# frozen_string_literal: true

# Gemini over plain Net::HTTP: generate, stream, embed, and a Veo video polled to completion.
# Every call is captured by `require "aiobs"`; the export goes to LLM_OBS_OUT.
#
#   GEMINI_API_KEY=... ruby -I bindings/ruby/lib examples/ruby/gemini.rb
#   GEMINI_BASE_URL=http://127.0.0.1:PORT GEMINI_API_KEY=dummy ruby -I bindings/ruby/lib examples/ruby/gemini.rb

require "aiobs"
require "json"
require "net/http"

BASE = ENV.fetch("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com").chomp("/")
HEADERS = { "Content-Type" => "application/json", "x-goog-api-key" => ENV.fetch("GEMINI_API_KEY") }.freeze
POLL_SECONDS = Float(ENV.fetch("GEMINI_POLL_SECONDS", "10"))

def gemini(method, path, body = nil)
  uri = URI("#{BASE}/v1beta/#{path}")
  Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https") do |http|
    request = method == :post ? Net::HTTP::Post.new(uri, HEADERS) : Net::HTTP::Get.new(uri, HEADERS)
    request.body = JSON.generate(body) if body
    response = http.request(request)
    raise "Gemini answered #{response.code} to #{path}: #{response.body}" unless response.is_a?(Net::HTTPSuccess)

    JSON.parse(response.body)
  end
end

def stream(path, body)
  uri = URI("#{BASE}/v1beta/#{path}")
  text = +""
  Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https") do |http|
    request = Net::HTTP::Post.new(uri, HEADERS)
    request.body = JSON.generate(body)
    http.request(request) do |response|
      raise "Gemini answered #{response.code} to #{path}" unless response.is_a?(Net::HTTPSuccess)

      response.read_body { |chunk| text << chunk }
    end
  end
  text
end

class Studio
  extend Aiobs::Observe

  observe def generate(prompt)
    answer = gemini(:post, "models/gemini-2.0-flash:generateContent", { contents: [{ parts: [{ text: prompt }] }] })
    answer.dig("candidates", 0, "content", "parts", 0, "text")
  end

  observe def stream_story(prompt)
    stream("models/gemini-2.0-flash:streamGenerateContent?alt=sse", { contents: [{ parts: [{ text: prompt }] }] })
      .bytesize
  end

  observe def embed(text)
    gemini(:post, "models/text-embedding-004:embedContent", { content: { parts: [{ text: text }] } })
      .dig("embedding", "values").length
  end

  observe def video(prompt)
    operation = gemini(:post, "models/veo-3.0-generate-001:predictLongRunning", { instances: [{ prompt: prompt }] })
    until operation["done"]
      sleep POLL_SECONDS
      operation = gemini(:get, operation.fetch("name"))
    end
    operation.dig("response", "generateVideoResponse", "generatedSamples", 0, "video", "uri")
  end
end

Aiobs.observer.observe(session_name: "ruby-gemini", labels: { example: "gemini" })
begin
  studio = Studio.new
  puts studio.generate("Explain quantum computing in one sentence.")
  puts "streamed #{studio.stream_story('Tell a two-line story.')} bytes"
  puts "embedding of #{studio.embed('Hello world')} dimensions"
  puts "video: #{studio.video('Waves crashing on a beach at sunset')}"
ensure
  Aiobs.observer.end
  puts "aiobs: wrote #{Aiobs.observer.flush}"
end
