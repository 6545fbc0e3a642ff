// Command workload runs the comparison's workload through the Go binding, as workload.c and
// workload.py do through C and the Python SDK, and prints one JSON object of medians.
//
// A Go program records a call through its HTTP client (aiobs.HTTPClient), so "recording one call"
// is what that capture adds to one chat completion: the same calls through a client with and
// without aiobs.HTTPClient, over an in-memory provider that answers with the call's response
// body (EXCHANGES_JSONL: the events of EVENTS_JSONL as request and response bodies, from
// events.py). The core parses each exchange into the same event at flush. A traced call is
// StartSpan and End around the function, with its arguments and result. Recording and tracing
// are timed in the process's CPU time (the garbage collector's work included), the flush in wall
// time.
//
// Usage: workload EXCHANGES_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS
//
//	workload --memory EXCHANGES_JSONL N   (one fresh process: RSS bytes retained per event)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

const chatURL = "https://api.openai.com/v1/chat/completions"

type exchange struct {
	Request  string `json:"request_body"`
	Response string `json:"response_body"`
}

// provider answers each request with the response body of the exchange it is told is next.
type provider struct{ next *exchange }

func (p *provider) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	req.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(p.next.Response)),
		ContentLength: int64(len(p.next.Response)),
	}, nil
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "workload: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func readExchanges(path string, count int) []exchange {
	file, err := os.Open(path)
	must(err, "open")
	defer file.Close()
	lines := bufio.NewScanner(file)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	exchanges := make([]exchange, 0, count)
	for len(exchanges) < count && lines.Scan() {
		var ex exchange
		must(json.Unmarshal(lines.Bytes(), &ex), "exchange")
		exchanges = append(exchanges, ex)
	}
	if len(exchanges) < count {
		must(fmt.Errorf("%s has fewer than %d exchanges", path, count), "read")
	}
	return exchanges
}

// callAll makes one chat completion per exchange through client.
func callAll(client *http.Client, p *provider, exchanges []exchange) {
	ctx := context.Background()
	for i := range exchanges {
		p.next = &exchanges[i]
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, chatURL, strings.NewReader(exchanges[i].Request))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		must(err, "call")
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// cpuNs is the process's CPU time: a goroutine moves between threads, and the garbage collector
// works on threads of its own.
func cpuNs() int64 {
	var usage syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_SELF, &usage), "getrusage")
	return usage.Utime.Nano() + usage.Stime.Nano()
}

func startSession() {
	_, err := aiobs.Observe("compare", nil)
	must(err, "observe")
}

// discard empties the store between repetitions without writing anything worth keeping.
func discard(dir string) {
	path, err := aiobs.Flush(filepath.Join(dir, "go-discard.json"))
	must(err, "flush")
	os.Remove(path)
}

func recordNs(exchanges []exchange, dir string) float64 {
	p := &provider{}
	plain, captured := &http.Client{Transport: p}, aiobs.HTTPClient(&http.Client{Transport: p})
	runtime.GC()
	started := cpuNs()
	callAll(plain, p, exchanges)
	without := cpuNs() - started
	startSession()
	runtime.GC()
	started = cpuNs()
	callAll(captured, p, exchanges)
	_, err := aiobs.ReadStats() // records the exchanges still waiting for the recorder, in the time taken
	must(err, "stats")
	with := cpuNs() - started
	discard(dir)
	return float64(with-without) / float64(len(exchanges))
}

//go:noinline
func plainAdd(a, b, scale int) int { return (a + b) * scale }

// tracedOverheadNs: a traced call as a Go program writes one, the span around the call with its
// arguments (positional and named) and its result.
func tracedOverheadNs(count int, dir string) float64 {
	startSession()
	ctx := context.Background()
	total := 0 // kept alive below, so that neither loop's calls can be dropped
	started := cpuNs()
	for i := range count {
		total += plainAdd(i, 2, 3)
	}
	plain := cpuNs() - started
	runtime.GC()
	started = cpuNs()
	for i := range count {
		_, span := aiobs.StartSpan(ctx, "plain_add", aiobs.WithModule("workload"),
			aiobs.WithArgs(i, 2), aiobs.WithKwargs(map[string]any{"scale": 3}))
		sum := plainAdd(i, 2, 3)
		must(span.End(map[string]int{"sum": sum}, nil), "span end")
		total += sum
	}
	traced := cpuNs() - started
	runtime.KeepAlive(total)
	discard(dir)
	return float64(traced-plain) / float64(count)
}

func flushSeconds(exchanges []exchange, dir string) (float64, int64) {
	p := &provider{}
	startSession()
	callAll(aiobs.HTTPClient(&http.Client{Transport: p}), p, exchanges)
	must(aiobs.End(), "end")
	path := filepath.Join(dir, "go-flush.json")
	started := time.Now()
	_, err := aiobs.Flush(path)
	must(err, "flush")
	seconds := time.Since(started).Seconds()
	info, err := os.Stat(path)
	must(err, "stat")
	os.Remove(path)
	return seconds, info.Size()
}

func rssBytes() int64 {
	statm, err := os.ReadFile("/proc/self/statm")
	must(err, "statm")
	resident, _ := strconv.ParseInt(strings.Fields(string(statm))[1], 10, 64)
	return resident * int64(os.Getpagesize())
}

func memoryPerEvent(path string, count int) float64 {
	debug.FreeOSMemory()
	before := rssBytes()
	exchanges := readExchanges(path, count)
	p := &provider{}
	startSession()
	callAll(aiobs.HTTPClient(&http.Client{Transport: p}), p, exchanges)
	debug.FreeOSMemory()
	return float64(rssBytes()-before) / float64(count)
}

func median(values []float64) float64 {
	slices.Sort(values)
	n := len(values)
	if n%2 == 1 {
		return values[n/2]
	}
	return (values[n/2-1] + values[n/2]) / 2
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	must(err, "argument")
	return n
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "--memory" {
		fmt.Printf("%f\n", memoryPerEvent(os.Args[2], atoi(os.Args[3])))
		return
	}
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: workload EXCHANGES_JSONL OUT_DIR RECORD_N TRACED_N FLUSH_N REPS")
		os.Exit(2)
	}
	dir := os.Args[2]
	recordN, tracedN, flushN, reps := atoi(os.Args[3]), atoi(os.Args[4]), atoi(os.Args[5]), atoi(os.Args[6])
	exchanges := readExchanges(os.Args[1], max(recordN, flushN))
	var record, traced, flush []float64
	var size int64
	for range reps {
		record = append(record, recordNs(exchanges[:recordN], dir))
	}
	for range reps {
		traced = append(traced, tracedOverheadNs(tracedN, dir))
	}
	for range reps {
		seconds, bytes := flushSeconds(exchanges[:flushN], dir)
		flush, size = append(flush, seconds), bytes
	}
	seconds := median(flush)
	result, _ := json.Marshal(map[string]any{
		"language":              "aiobs " + aiobs.Version() + " from Go",
		"record_ns":             median(record),
		"traced_ns":             median(traced),
		"flush_events_per_s":    float64(flushN) / seconds,
		"flush_mb_per_s":        float64(size) / seconds / 1e6,
		"flush_bytes_per_event": float64(size) / float64(flushN),
		"reps":                  reps, "record_n": recordN, "traced_n": tracedN, "flush_n": flushN,
		"recorded_as": "recording is what aiobs.HTTPClient adds to one chat completion carrying the event's " +
			"request and response over an in-memory transport (process CPU time, with minus without " +
			"the capture; the core parses the exchange into the event at flush); tracing is StartSpan " +
			"and End with the arguments and result",
	})
	fmt.Println(string(result))
}
