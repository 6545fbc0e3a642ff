# frozen_string_literal: true

$LOAD_PATH.unshift File.expand_path("../lib", __dir__)
require "minitest/autorun"
require "json"
require "tmpdir"
require "aiobs"

# Flushes what was recorded and returns the export as parsed JSON.
module ExportHelper
  def flush_export
    path = File.join(Dir.mktmpdir("aiobs-ruby"), "export.json")
    Aiobs.observer.flush(path)
    JSON.parse(File.read(path))
  ensure
    FileUtils.rm_rf(File.dirname(path)) if path
  end

  # Starts from an empty store: whatever an earlier test left is flushed away.
  def setup
    Aiobs.observer.end
    discarded = File.join(Dir.tmpdir, "aiobs-ruby-discard-#{Process.pid}.json")
    Aiobs.observer.flush(discarded)
  ensure
    FileUtils.rm_f(discarded) if discarded
  end
end
