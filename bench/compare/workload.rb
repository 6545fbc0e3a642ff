# frozen_string_literal: true

# The comparison's workload through the Ruby gem, as workload.c and workload.py do through C and
# the Python SDK; prints one JSON object of medians.
#
# A Ruby program records a call through Net::HTTP, so "recording one call" is what the gem's
# capture adds to one chat completion: the same calls through Net::HTTP with and without the
# capture (Net::HTTP's own #request, above the gem's prepended one), over CannedProvider, which
# answers with the call's response body (EXCHANGES_JSONL: the events of EVENTS_JSONL as request
# and response bodies, from events.py). The core parses each exchange into the same event at
# flush. A traced call is a method wrapped by `observe` (Aiobs::Observe), with its defaults.
# Recording and tracing are timed in the calling thread's CPU time, the flush in wall time.
#
# Usage: ruby -I bindings/ruby/lib workload.rb EXCHANGES_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS
#        ruby -I bindings/ruby/lib workload.rb --memory EXCHANGES_JSONL N
#        (AIOBS_LIB names the library)

require "aiobs"
require "etc"
require "json"
require_relative "../../tests/soak/canned_provider"

# Net::HTTP without the capture: the #request that the gem's prepended module calls.
class UncapturedHTTP < Net::HTTP
  define_method(:request, Net::HTTP.instance_method(:request).super_method)
end

def read_exchanges(path, count)
  exchanges = File.foreach(path).first(count).map { |line| JSON.parse(line) }
  abort "workload: #{path} has fewer than #{count} exchanges" if exchanges.size < count
  exchanges
end

def cpu_ns = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :nanosecond)

def start_session = Aiobs.observer.observe(session_name: "compare")

# Empties the store between repetitions without writing anything worth keeping.
def discard(dir)
  File.delete(Aiobs.observer.flush(File.join(dir, "ruby-discard.json")))
end

def call_all(http, provider, exchanges)
  exchanges.each do |exchange|
    provider.body = exchange["response_body"]
    request = Net::HTTP::Post.new("/v1/chat/completions", "content-type" => "application/json")
    request.body = exchange["request_body"]
    http.request(request).body
  end
end

def timed_calls(http, provider, exchanges)
  GC.start
  started = cpu_ns
  call_all(http, provider, exchanges)
  cpu_ns - started
end

def record_ns(exchanges, dir)
  provider = CannedProvider.new("")
  plain = provider.connection(UncapturedHTTP)
  captured = provider.connection
  without = timed_calls(plain, provider, exchanges)
  start_session
  with = timed_calls(captured, provider, exchanges)
  discard(dir)
  (with - without).fdiv(exchanges.size)
end

# The same function as workload.py's plain_add, plain and traced.
class Plain
  def plain_add(a, b, scale: 1) = { "sum" => (a + b) * scale }
end

class Traced
  extend Aiobs::Observe

  observe def plain_add(a, b, scale: 1)
    { "sum" => (a + b) * scale }
  end
end

def traced_overhead_ns(count, dir)
  plain = Plain.new
  traced = Traced.new
  start_session
  GC.start
  started = cpu_ns
  count.times { |i| plain.plain_add(i, 2, scale: 3) }
  without = cpu_ns - started
  started = cpu_ns
  count.times { |i| traced.plain_add(i, 2, scale: 3) }
  with = cpu_ns - started
  discard(dir)
  (with - without).fdiv(count)
end

def flush_once(exchanges, dir)
  provider = CannedProvider.new("")
  start_session
  call_all(provider.connection, provider, exchanges)
  Aiobs.observer.end
  path = File.join(dir, "ruby-flush.json")
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  Aiobs.observer.flush(path)
  seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  size = File.size(path)
  File.delete(path)
  [seconds, size]
end

def rss_bytes = File.read("/proc/self/statm").split[1].to_i * Etc.sysconf(Etc::SC_PAGESIZE)

def memory_per_event(path, count)
  GC.start
  before = rss_bytes
  exchanges = read_exchanges(path, count)
  provider = CannedProvider.new("")
  start_session
  call_all(provider.connection, provider, exchanges)
  exchanges = nil # rubocop:disable Lint/UselessAssignment -- released for the collector
  GC.start
  (rss_bytes - before).fdiv(count)
end

def median(values)
  sorted = values.sort
  mid = sorted.size / 2
  sorted.size.odd? ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0
end

def main(path, dir, record_n, traced_n, flush_n, reps)
  exchanges = read_exchanges(path, [record_n, flush_n].max)
  record = Array.new(reps) { record_ns(exchanges.first(record_n), dir) }
  traced = Array.new(reps) { traced_overhead_ns(traced_n, dir) }
  flushes = Array.new(reps) { flush_once(exchanges.first(flush_n), dir) }
  seconds = median(flushes.map(&:first))
  size = flushes.first.last
  puts JSON.generate(
    "language" => "aiobs #{Aiobs::VERSION} from Ruby", "record_ns" => median(record),
    "traced_ns" => median(traced), "flush_events_per_s" => flush_n / seconds,
    "flush_mb_per_s" => size / seconds / 1e6, "flush_bytes_per_event" => size.fdiv(flush_n),
    "reps" => reps, "record_n" => record_n, "traced_n" => traced_n, "flush_n" => flush_n,
    "recorded_as" => "recording is what the Net::HTTP capture adds to one chat completion carrying the " \
                     "event's request and response over an in-memory socket (thread CPU time, with minus " \
                     "without the capture; the core parses the exchange into the event at flush); tracing " \
                     "is a method wrapped by observe, with its defaults"
  )
end

if ARGV.first == "--memory"
  puts memory_per_event(ARGV[1], Integer(ARGV[2]))
else
  main(ARGV[0], ARGV[1], *ARGV[2..5].map { |arg| Integer(arg) })
end
