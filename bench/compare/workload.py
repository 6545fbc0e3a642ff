"""The comparison's workload through the Python aiobs 0.2.0, with its network calls switched off
(API-key check, usage report and upload become no-ops). Prints one JSON object of medians.
Recording and tracing are timed in the calling thread's CPU time (what the caller pays, steady on
a shared machine); a flush in wall time (its file write included).
Usage: workload.py EVENTS_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS
       workload.py --memory EVENTS_JSONL N   (one fresh process: RSS bytes retained per event)"""

import gc
import json
import os
import statistics
import sys
import time

from aiobs import observe, observer
from aiobs.collector import Collector

Collector._validate_api_key = lambda self: None
Collector._record_usage = lambda self, *args, **kwargs: None
Collector._flush_to_server = lambda self, *args, **kwargs: None


def start_session():
    observer.observe(session_name="compare", api_key="aiobs_sk_benchmark_dummy")


def read_events(path, count):
    with open(path) as f:
        return [json.loads(next(f)) for _ in range(count)]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def record_ns(events):
    start_session()
    started = time.thread_time_ns()
    for event in events:
        observer._record_event(event)
    elapsed = time.thread_time_ns() - started
    observer.flush(persist=False)
    return elapsed / len(events)


def plain_add(a, b, scale=1):
    return {"sum": (a + b) * scale}


def traced_overhead_ns(count):
    traced = observe(plain_add)
    start_session()
    started = time.thread_time_ns()
    for i in range(count):
        plain_add(i, 2, scale=3)
    plain = time.thread_time_ns() - started
    started = time.thread_time_ns()
    for i in range(count):
        traced(i, 2, scale=3)
    decorated = time.thread_time_ns() - started
    observer.flush(persist=False)
    return (decorated - plain) / count


def flush_once(events, path):
    start_session()
    for event in events:
        observer._record_event(event)
    observer.end()
    started = time.perf_counter()
    observer.flush(path=path)
    seconds = time.perf_counter() - started
    size = os.path.getsize(path)
    os.remove(path)
    return seconds, size


def memory_per_event(path, count):
    gc.collect()
    before = rss_bytes()
    events = read_events(path, count)
    start_session()
    for event in events:
        observer._record_event(event)
    del events
    gc.collect()
    return (rss_bytes() - before) / count


def main(path, out_dir, record_n, traced_n, flush_n, reps):
    events = read_events(path, max(record_n, flush_n))
    record = [record_ns(events[:record_n]) for _ in range(reps)]
    traced = [traced_overhead_ns(traced_n) for _ in range(reps)]
    flushes = [flush_once(events[:flush_n], os.path.join(out_dir, "python-flush.json"))
               for _ in range(reps)]
    seconds = statistics.median(s for s, _ in flushes)
    size = flushes[0][1]
    print(json.dumps({
        "language": "Python aiobs 0.2.0",
        "record_ns": statistics.median(record),
        "traced_ns": statistics.median(traced),
        "flush_events_per_s": flush_n / seconds,
        "flush_mb_per_s": size / seconds / 1e6,
        "flush_bytes_per_event": size / flush_n,
        "reps": reps, "record_n": record_n, "traced_n": traced_n, "flush_n": flush_n,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "--memory":
        print(memory_per_event(sys.argv[2], int(sys.argv[3])))
    else:
        main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:7]))
