# frozen_string_literal: true

# The three-step pipeline (research -> summarize -> critique) over plain Net::HTTP: every OpenAI
# call is captured by `require "aiobs"`, each step is a traced method, and one JSON file is
# written to LLM_OBS_OUT (default ./llm_observability.json).
#
#   OPENAI_API_KEY=... ruby -I bindings/ruby/lib examples/ruby/pipeline.rb "Your prompt"
#   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy ruby -I bindings/ruby/lib examples/ruby/pipeline.rb

require "aiobs"
require "json"
require "net/http"

# A minimal OpenAI chat client on Net::HTTP.
class Chat
  def initialize
    @base = ENV.fetch("OPENAI_BASE_URL", "https://api.openai.com/v1").chomp("/")
    @key = ENV.fetch("OPENAI_API_KEY")
    @model = ENV.fetch("OPENAI_MODEL", "gpt-4o-mini")
  end

  def complete(system, user)
    uri = URI("#{@base}/chat/completions")
    body = { model: @model, messages: [{ role: "system", content: system }, { role: "user", content: user }] }
    response = Net::HTTP.post(uri, JSON.generate(body), "Content-Type" => "application/json",
                                                        "Authorization" => "Bearer #{@key}")
    raise "OpenAI answered #{response.code}: #{response.body}" unless response.is_a?(Net::HTTPSuccess)

    JSON.parse(response.body).dig("choices", 0, "message", "content")
  end
end

# The pipeline's steps, each traced.
class Pipeline
  extend Aiobs::Observe

  def initialize(chat)
    @chat = chat
  end

  observe def run(prompt)
    notes = research(prompt)
    summary = summarize(notes)
    critique(summary)
  end

  observe def research(topic) = @chat.complete("List the key facts, briefly.", topic)

  observe def summarize(notes) = @chat.complete("Summarize in two sentences.", notes)

  observe def critique(summary) = @chat.complete("Point out one weakness.", summary)
end

prompt = ARGV.first || "What is an API?"
Aiobs.observer.observe(session_name: "ruby-pipeline", labels: { example: "pipeline" })
begin
  puts Pipeline.new(Chat.new).run(prompt)
ensure
  Aiobs.observer.end
  puts "aiobs: wrote #{Aiobs.observer.flush}"
end
