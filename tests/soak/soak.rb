# frozen_string_literal: true

# The Ruby form of tests/soak/soak.c: THREADS threads make CALLS chat completions each through
# Net::HTTP (over CannedProvider, in memory), every tenth inside a method traced with
# `Aiobs::Observe`, through five phases, while another thread flushes and forks:
#   periodic        periodic files with flush_ends_session false (the session stays active);
#   periodic+forks  the same, and the flushing thread and a recording thread fork children
#                   that record and flush;
#   bounded         a small max_memory_bytes and no flush: past the bound records are dropped;
#   exporter down   periodic files, and OTLP export to a port where nothing listens: the
#                   exporter retries, drops at its queue bound and is shut down at the end;
#   periodic again  as the first phase (export switched off), to show that memory came back.
# Between phases the threads wait while the main thread writes a plain flush and starts a new
# session. Each call carries a credential in its URL and response headers.
#
# The gem does not tell a caller that the core refused a record (capture must never fail the
# program's request), so in the bounded phase each thread reads Aiobs.stats around each record
# while holding a lock the other threads wait for: a rise of events_dropped is that record's.
# In the other phases no record may be refused at all (checked by phase). Afterwards every file
# is read back: each call and span aiobs accepted is in exactly one file, none it refused is in
# any, no file holds the credential, the drops add up, each child wrote its own calls and only
# those, and the failing exporter counted every record it was offered once. RSS is sampled all
# along (rss.csv) and must stay flat.
#
# Usage: ruby -I bindings/ruby/lib tests/soak/soak.rb OUT_DIR THREADS CALLS_PER_THREAD
# (AIOBS_LIB names the library). Exit status 0 when every check held.

require "aiobs"
require "etc"
require "fileutils"
require "socket"
require_relative "canned_provider"

PHASES = ["periodic", "periodic+forks", "bounded", "exporter down", "periodic again"].freeze
PERIODIC, PERIODIC_FORKS, BOUNDED, EXPORTER_DOWN, PERIODIC_AGAIN = 0.upto(4).to_a
SPAN_EVERY = 10
CHILD_CALLS = 100
WORKER_FORKS = 5
PACE_EVERY = 256
PACE_BYTES = 48 << 20
BOUND_BYTES = 256 << 10 # the bounded phase's max_memory_bytes: a short run still goes past it
SECRET = "SOAKSECRET"
PATH = "/v1/chat/completions?key=#{SECRET}"
RESPONSE_BODY = '{"id":"chatcmpl-soak","object":"chat.completion","model":"gpt-4o-mini",' \
                '"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],' \
                '"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}'
RESPONSE_HEADERS = { "x-request-id" => "req_soak", "set-cookie" => SECRET, "x-api-key" => SECRET }.freeze
NOT_TRIED, ACCEPTED, DROPPED = 0, 1, 2

def soak_id(kind, thread, index) = format("SOAK%s%02d%09d", kind, thread, index)

def chat(http, id)
  request = Net::HTTP::Post.new(PATH, "content-type" => "application/json", "authorization" => "Bearer #{SECRET}")
  request.body = %({"model":"gpt-4o-mini","messages":[{"role":"user","content":"#{id}"}]})
  http.request(request).body
end

def dropped_so_far = Aiobs.stats.fetch("events_dropped")

# A span around calls 0, SPAN_EVERY, 2 * SPAN_EVERY, …
def spans_per(calls) = (calls + SPAN_EVERY - 1) / SPAN_EVERY

# One recording thread's calls, and what became of each.
class Worker
  extend Aiobs::Observe

  attr_reader :index, :call_outcome, :span_outcome

  def initialize(index, calls)
    @index = index
    @http = CannedProvider.new(RESPONSE_BODY, RESPONSE_HEADERS).connection
    @call_outcome = Array.new(calls, NOT_TRIED)
    @span_outcome = Array.new(spans_per(calls), NOT_TRIED)
  end

  # The traced method: its argument names the span, the call made in its block is its child.
  observe def step(_span_id)
    yield
  end

  def record(index, attribution)
    unless (index % SPAN_EVERY).zero?
      @call_outcome[index] = call(index, attribution)
      return
    end
    attribution&.start
    step(soak_id("S", @index, index / SPAN_EVERY)) do
      attribution&.mark
      @call_outcome[index] = call(index, attribution)
      attribution&.mark
    end
    @span_outcome[index / SPAN_EVERY] = attribution ? attribution.span_outcome : ACCEPTED
  end

  private

  def call(index, attribution)
    before = attribution && dropped_so_far
    chat(@http, soak_id("C", @index, index))
    attribution && dropped_so_far > before ? DROPPED : ACCEPTED
  end
end

# Which record of a traced step the core refused: events_dropped before the span began, when the
# method started, when it finished, and after the span ended. Used under ATTRIBUTION_LOCK only.
class Attribution
  def start = (@marks = [dropped_so_far])
  def mark = @marks << dropped_so_far

  def span_outcome
    @marks << dropped_so_far
    begun, started, finished, ended = @marks
    (started - begun) + (ended - finished) > 0 ? DROPPED : ACCEPTED
  end
end
ATTRIBUTION_LOCK = Mutex.new

# A thread of its own that runs the includer's `run` until `stop`.
module OwnThread
  def start
    @stop = false
    @thread = Thread.new { run }
  end

  def stop
    @stop = true
    @thread.join
  end
end

# Periodic files while `flushing`; in the fork phase a child after each flush.
class Flusher
  include OwnThread
  attr_reader :files, :failures
  attr_accessor :flushing, :forking

  def initialize(dir, forks)
    @dir = dir
    @forks = forks
    @files = @failures = @in_phase = @number = 0
    @lock = Mutex.new
    @flushing = @forking = false
    start
  end

  def flush_to(name, number)
    Aiobs.observer.flush(File.join(@dir, format("%s-%06d.json", name, number)))
    @files += 1
  rescue Aiobs::Error => e
    warn "soak: flush: #{e.message}"
    @failures += 1
  end

  # Stops periodic flushing once it flushed at least once in this phase, so that even a short
  # run has every phase's flushes (and a fork).
  def pause
    sleep 0.005 while @flushing && @in_phase.zero?
    @flushing = @forking = false
    @lock.synchronize { @in_phase = 0 }
  end

  private

  def run
    until @stop
      next sleep(0.005) unless @flushing

      @lock.synchronize do
        next unless @flushing # paused meanwhile

        flush_to("periodic", @number += 1)
        @forks.fork_a_child if @forking
        @in_phase += 1
      end
    end
  end
end

# Forked children: each records CHILD_CALLS calls of its own and flushes to its default path
# (LLM_OBS_OUT with its pid inserted), then exits.
class Forks
  attr_reader :count, :failed

  def initialize
    @count = @failed = 0
    @lock = Mutex.new
  end

  def fork_a_child
    number = @lock.synchronize { (@count += 1) - 1 }
    pid = Process.fork { child_records(number) }
    _, status = Process.wait2(pid)
    @lock.synchronize { @failed += 1 } unless status.success?
  end

  private

  def child_records(number)
    http = CannedProvider.new(RESPONSE_BODY, RESPONSE_HEADERS).connection
    CHILD_CALLS.times { |i| chat(http, soak_id("K", 0, (number * CHILD_CALLS) + i)) }
    Aiobs.observer.flush
    exit!(0)
  rescue StandardError => e
    warn "soak: child: #{e.class}: #{e.message}"
    exit!(1)
  end
end

def rss_kib
  File.read("/proc/self/statm").split[1].to_i * Etc.sysconf(Etc::SC_PAGESIZE) / 1024
end

# Samples RSS and bytes_held every 50 ms into rss.csv; keeps the first, each phase's highest and
# the last.
class Sampler
  include OwnThread
  attr_reader :first, :peak, :last
  attr_accessor :phase, :recorded

  def initialize(path)
    @path = path
    @peak = Array.new(PHASES.size, 0)
    @phase = @recorded = 0
    @started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    start
  end

  private

  def row(csv, rss, phase_name)
    seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - @started
    csv.puts format("%.3f,%d,%d,%d,%s", seconds, rss, Aiobs.stats.fetch("bytes_held"), @recorded, phase_name)
  end

  def run
    File.open(@path, "w") do |csv|
      csv.sync = true # nothing buffered for a forked child to write again
      csv.puts "seconds,rss_kib,bytes_held,recorded,phase"
      @first = rss_kib
      until @stop
        rss = rss_kib
        @peak[@phase] = [@peak[@phase], rss].max
        row(csv, rss, PHASES[@phase])
        sleep 0.05
      end
      @last = rss_kib
      row(csv, @last, "end")
    end
  end
end

def closed_port
  server = TCPServer.new("127.0.0.1", 0)
  server.addr[1]
ensure
  server&.close
end

def configure(settings)
  Aiobs.configure(**settings)
end

def observe(phase) = Aiobs.observer.observe(session_name: "soak", labels: { "phase" => phase.tr(" +", "__") })

# ---- Reading the files back ----

class Tally
  attr_reader :calls_seen, :spans_seen, :drops, :otlp_drops, :parent_files, :child_files, :child_files_wrong,
              :stray, :secrets

  def initialize(threads, calls)
    @threads = threads
    @calls_seen = Array.new(threads) { Array.new(calls, 0) }
    @spans_seen = Array.new(threads) { Array.new(spans_per(calls), 0) }
    @drops = @otlp_drops = @parent_files = @child_files = @child_files_wrong = @stray = @secrets = 0
  end

  def scan_dir(dir)
    Dir.glob(File.join(dir, "*.json")).each do |path|
      child = File.basename(path).start_with?("child.")
      child_ids = scan(File.binread(path), child)
      if child
        @child_files += 1
        @child_files_wrong += 1 unless child_ids == CHILD_CALLS
      else
        @parent_files += 1
      end
    end
  end

  private

  # Counts the SOAK ids in the events and function events of one export (the trace tree repeats
  # them, so the scan stops at its key); returns how many are a child's.
  def scan(text, child)
    drops = text.index('"drops"')
    if drops
      @drops += text[drops..][/"events"\s*:\s*(\d+)/, 1].to_i
      @otlp_drops += text[drops..][/"otlp_spans"\s*:\s*(\d+)/, 1].to_i
    end
    @secrets += 1 if text.include?(SECRET)
    text = text[0, text.index('"trace_tree"') || text.size]
    child_ids = 0
    text.scan(/SOAK([CSK])(\d\d)(\d{9})/) do |kind, thread, index|
      thread = thread.to_i
      index = index.to_i
      seen = { "C" => @calls_seen, "S" => @spans_seen }[kind]
      if kind == "K"
        child_ids += 1
        @stray += 1 unless child
      elsif child || thread >= @threads || index >= seen[thread].size
        @stray += 1
      else
        seen[thread][index] += 1
      end
    end
    child_ids
  end
end

Verdict = Struct.new(:accepted, :dropped, :missing, :duplicated, :resurrected) do
  def judge(outcomes, seen)
    outcomes.each_with_index do |outcome, i|
      if outcome == ACCEPTED
        self.accepted += 1
        self.missing += 1 if seen[i].zero?
        self.duplicated += 1 if seen[i] > 1
      elsif outcome == DROPPED
        self.dropped += 1
        self.resurrected += 1 unless seen[i].zero?
      end
    end
    self
  end
end

def verdict = Verdict.new(0, 0, 0, 0, 0)

$failures = 0
def expect(ok, what)
  puts format("  %-62s %s", what, ok ? "ok" : "FAILED")
  $failures += 1 unless ok
end

def main(dir, threads, calls)
  FileUtils.mkdir_p(dir)
  abort "soak: #{dir} holds exports of an earlier run" unless Dir.glob(File.join(dir, "*.json")).empty?
  ENV["LLM_OBS_OUT"] = File.join(dir, "child.json") # a child's default path: its pid is inserted
  workers = Array.new(threads) { |i| Worker.new(i, calls) }
  forks = Forks.new
  flusher = Flusher.new(dir, forks)
  sampler = Sampler.new(File.join(dir, "rss.csv"))
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  exporter = { endpoint: "http://127.0.0.1:#{closed_port}", schedule_delay_ms: 20, timeout_ms: 200 }
  settings = [{ flush_ends_session: false }, { flush_ends_session: false },
              { flush_ends_session: false, max_memory_bytes: BOUND_BYTES },
              { flush_ends_session: false, otlp: exporter },
              { flush_ends_session: false, otlp: { enabled: false } }]
  per_phase = calls / PHASES.size
  drops_by_phase = []
  shutdown = otlp = nil
  observe(PHASES[PERIODIC])
  PHASES.each_index do |phase|
    configure(settings[phase])
    sampler.phase = phase
    dropped_before = dropped_so_far
    flusher.forking = phase == PERIODIC_FORKS
    flusher.flushing = phase != BOUNDED
    first = phase * per_phase
    last = phase == PHASES.size - 1 ? calls : first + per_phase
    fork_every = per_phase / WORKER_FORKS
    workers.map do |worker|
      Thread.new do
        attribution = Attribution.new if phase == BOUNDED
        (first...last).each do |i|
          forks.fork_a_child if phase == PERIODIC_FORKS && worker.index.zero? && (i - first) % fork_every == fork_every / 2
          sleep 0.001 while phase != BOUNDED && (i % PACE_EVERY).zero? && Aiobs.stats.fetch("bytes_held") > PACE_BYTES
          if attribution
            ATTRIBUTION_LOCK.synchronize { worker.record(i, attribution) }
          else
            worker.record(i, nil)
          end
          sampler.recorded += 1
        end
      end
    end.each(&:join)
    flusher.pause
    drops_by_phase << (dropped_so_far - dropped_before)
    if phase == EXPORTER_DOWN
      # What is still queued or retrying is dropped (and counted) when the time runs out.
      shutdown = begin
        Aiobs.shutdown(timeout: 1)
        "ok"
      rescue Aiobs::TimeoutError
        "timed out"
      end
      otlp = Aiobs.stats.fetch("otlp")
    end
    # A plain flush between phases (it ends the session), then a new session.
    configure(flush_ends_session: true, max_memory_bytes: 256 << 20)
    flusher.flush_to("boundary", phase)
    observe(PHASES[phase + 1]) if phase + 1 < PHASES.size
  end
  flusher.stop
  run_seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  final = Aiobs.stats
  sampler.stop

  tally = Tally.new(threads, calls)
  tally.scan_dir(dir)
  calls_v = verdict
  spans_v = verdict
  offered = verdict
  down = (EXPORTER_DOWN * per_phase)...((EXPORTER_DOWN + 1) * per_phase)
  down_spans = ((down.first + SPAN_EVERY - 1) / SPAN_EVERY)...((down.last + SPAN_EVERY - 1) / SPAN_EVERY)
  workers.each_with_index do |w, t|
    # Outside the bounded phase no record may be refused (checked below by phase): each is accepted.
    calls_v.judge(w.call_outcome, tally.calls_seen[t])
    spans_v.judge(w.span_outcome, tally.spans_seen[t])
    offered.judge(w.call_outcome[down], tally.calls_seen[t][down])
    offered.judge(w.span_outcome[down_spans], tally.spans_seen[t][down_spans])
  end
  dropped_by_callers = calls_v.dropped + spans_v.dropped
  untried = workers.sum { |w| w.call_outcome.count(NOT_TRIED) + w.span_outcome.count(NOT_TRIED) }

  puts format("soak (Ruby): %d threads x %d calls through Net::HTTP (every %dth in a traced method) in %.1f s",
              threads, calls, SPAN_EVERY, run_seconds)
  puts "  calls accepted #{calls_v.accepted}, dropped #{calls_v.dropped}; " \
       "spans accepted #{spans_v.accepted}, dropped #{spans_v.dropped}"
  puts "  files: #{tally.parent_files} from this process, #{tally.child_files} from #{forks.count} forked children; " \
       "#{flusher.failures} flushes failed"
  puts "  drops: threads saw #{dropped_by_callers}, Aiobs.stats says #{final['events_dropped']}, " \
       "the files say #{tally.drops}"
  puts "  drops by phase: #{drops_by_phase.join('/')}"
  puts "  exporter down: offered #{offered.accepted}, exported #{otlp['exported']}, dropped #{otlp['dropped']}, " \
       "failed #{otlp['failed_spans']}, queued #{otlp['queued']} after Aiobs.shutdown (#{shutdown})"
  puts "  exporter drops over the whole run: Aiobs.stats #{final['otlp']['dropped']}, " \
       "the files' drops.otlp_spans #{tally.otlp_drops}"
  puts "  RSS: #{sampler.first / 1024} MiB at the start, peaks #{sampler.peak.map { |k| k / 1024 }.join('/')} " \
       "MiB by phase, #{sampler.last / 1024} MiB at the end"
  expect(untried.zero?, "every call and span was made")
  expect(calls_v.missing.zero? && spans_v.missing.zero?, "every accepted call and span is in a file")
  expect(calls_v.duplicated.zero? && spans_v.duplicated.zero?, "none is in two files (or twice)")
  expect(calls_v.resurrected.zero? && spans_v.resurrected.zero?, "no dropped record is in any file")
  expect(tally.stray.zero?, "no file holds a record of another process")
  expect(tally.secrets.zero?, "no file holds the credential of the exchanges")
  expect(drops_by_phase[BOUNDED].positive?, "the bounded phase dropped records")
  expect(dropped_by_callers == final["events_dropped"], "Aiobs.stats counts every drop the threads saw")
  expect(dropped_by_callers == drops_by_phase[BOUNDED], "every drop happened in the bounded phase")
  expect(tally.drops == final["events_dropped"], "the files' drops add up to the same count")
  expect(forks.count > WORKER_FORKS && forks.failed.zero? && tally.child_files == forks.count,
         "each forked child recorded, flushed and exited 0")
  expect(otlp["exported"].zero? && otlp["dropped"] + otlp["failed_spans"] + otlp["queued"] == offered.accepted,
         "the failing exporter accepted none and counted each offered record once")
  expect(tally.otlp_drops == final["otlp"]["dropped"], "the files' drops.otlp_spans add up to the exporter's drops")
  expect(tally.child_files_wrong.zero?, "each child's file holds its own calls, all of them")
  expect(final["events_held"].zero? && final["flushes_failed"].zero? && flusher.failures.zero?,
         "nothing held at the end; no flush failed")
  # Flat, coarsely, as in soak.c: the last phase flushes as the first two did and peaks below
  # twice the higher of their peaks plus 32 MiB; so does the end. The chart shows the rest.
  flat_limit = (2 * sampler.peak[PERIODIC, 2].max) + (32 * 1024)
  expect(sampler.peak[PERIODIC_AGAIN] <= flat_limit && sampler.last <= flat_limit, "RSS stayed flat")
  puts "soak (Ruby): #{$failures.zero? ? 'passed' : 'FAILED'} (#{flusher.files} files written; " \
       "RSS samples in #{File.join(dir, 'rss.csv')})"
  $failures.zero?
end

if ARGV.size != 3 || ARGV[1].to_i < 1 || ARGV[1].to_i > 99 || ARGV[2].to_i < PHASES.size * SPAN_EVERY
  abort "usage: soak.rb OUT_DIR THREADS(1-99) CALLS_PER_THREAD(>=#{PHASES.size * SPAN_EVERY})"
end
exit(main(ARGV[0], ARGV[1].to_i, ARGV[2].to_i) ? 0 : 1)
