package tests

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

// A 4 KB exchange: a 1 KB chat request and a 3 KB chat completion.
var (
	benchRequest  = []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"` + strings.Repeat("a", 960) + `"}]}`)
	benchResponse = []byte(`{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("b", 2900) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":250,"completion_tokens":700,"total_tokens":950}}`)
)

// cannedTransport answers every request at once from memory, so a benchmark over it measures the
// capture alone, without the noise of a network round trip.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, req.Body)
	req.Body.Close()
	return &http.Response{
		StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header:        http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_1"}, "Openai-Processing-Ms": {"12"}},
		Body:          io.NopCloser(bytes.NewReader(benchResponse)),
		ContentLength: int64(len(benchResponse)),
	}, nil
}

// reportCPU adds the process's CPU time per operation to a benchmark's results: on a shared
// machine wall time also counts the time other processes held the CPU. It adds the page faults
// per operation too: a first touch of a page costs about as much as a recorded call.
// The flushes that keep the store small are left out.
func reportCPU(b *testing.B) func() {
	start := usage()
	flushUsage = resources{}
	return func() {
		used := usage().minus(start).minus(flushUsage)
		b.ReportMetric(float64(used.cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(used.faults)/float64(b.N), "faults/op")
	}
}

type resources struct{ cpu, faults int64 }

func (r resources) minus(o resources) resources {
	return resources{cpu: r.cpu - o.cpu, faults: r.faults - o.faults}
}

func (r resources) plus(o resources) resources {
	return resources{cpu: r.cpu + o.cpu, faults: r.faults + o.faults}
}

var flushUsage resources

func usage() resources {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return resources{cpu: usage.Utime.Nano() + usage.Stime.Nano(), faults: usage.Minflt + usage.Majflt}
}

func benchCalls(b *testing.B, client *http.Client, url string) {
	benchCallsWith(b, context.Background(), client, url)
}

func benchCallsWith(b *testing.B, ctx context.Context, client *http.Client, url string) {
	b.SetBytes(int64(len(benchRequest) + len(benchResponse)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; b.Loop(); i++ {
		if benchSession && i%20000 == 19999 { // keep the store well under max_memory_bytes
			b.StopTimer()
			flushBench(b)
			b.StartTimer()
		}
		benchCall(b, ctx, client, url)
	}
}

// benchCall sends the benchmark's chat request and reads the whole answer.
func benchCall(b *testing.B, ctx context.Context, client *http.Client, url string) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(benchRequest))
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func flushBench(b *testing.B) {
	start := usage()
	defer func() { flushUsage = usage().minus(start).plus(flushUsage) }()
	if _, err := aiobs.Flush(filepath.Join(b.TempDir(), "bench.json")); err != nil {
		b.Fatal(err)
	}
	if _, err := aiobs.Observe("bench", nil); err != nil {
		b.Fatal(err)
	}
}

// benchSession is true while a benchmark runs inside a session.
var benchSession bool

func inSession(b *testing.B, fn func()) {
	benchSession = true
	defer func() { benchSession = false }()
	if _, err := aiobs.Observe("bench", nil); err != nil {
		b.Fatal(err)
	}
	aiobs.SetErrorHandler(func(err error) { b.Errorf("capture error: %v", err) })
	defer aiobs.SetErrorHandler(nil)
	fn()
	aiobs.End()
	flushBench(b)
	aiobs.End()
}

// The cost aiobs adds to one call is BenchmarkCapture... minus BenchmarkBare... of the same
// kind: in memory (the capture alone) and over loopback HTTP to an httptest server.
func BenchmarkBareInMemory(b *testing.B) {
	benchCalls(b, &http.Client{Transport: cannedTransport{}}, "http://llm.invalid/v1/chat/completions")
}

func BenchmarkCaptureInMemory(b *testing.B) {
	inSession(b, func() {
		benchCalls(b, aiobs.HTTPClient(&http.Client{Transport: cannedTransport{}}), "http://llm.invalid/v1/chat/completions")
	})
}

// A request whose context can end, as a server's handler or a timeout gives: the capture also
// watches the context.
func BenchmarkCaptureInMemoryCancelableContext(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inSession(b, func() {
		benchCallsWith(b, ctx, aiobs.HTTPClient(&http.Client{Transport: cannedTransport{}}), "http://llm.invalid/v1/chat/completions")
	})
}

// Without a session the capture still tees and hands the exchange over, and the core refuses it
// at once: the Go side's own cost.
func BenchmarkCaptureInMemoryNoSession(b *testing.B) {
	benchCalls(b, aiobs.HTTPClient(&http.Client{Transport: cannedTransport{}}), "http://llm.invalid/v1/chat/completions")
}

func benchServer(b *testing.B) *httptest.Server {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchResponse)
	}))
	b.Cleanup(server.Close)
	return server
}

func BenchmarkBareHTTP(b *testing.B) {
	server := benchServer(b)
	benchCalls(b, server.Client(), server.URL+"/v1/chat/completions")
}

func BenchmarkCaptureHTTP(b *testing.B) {
	server := benchServer(b)
	inSession(b, func() { benchCalls(b, aiobs.HTTPClient(server.Client()), server.URL+"/v1/chat/completions") })
}

// The time recording adds to a call over loopback HTTP, as the median over batches of bare and
// captured calls made in turn to one server. A loopback call varies by more from one run to the
// next than recording costs, so BenchmarkCaptureHTTP minus BenchmarkBareHTTP, each run alone,
// cannot resolve it; batches side by side share the machine's state of the moment.
func BenchmarkAddedOverHTTP(b *testing.B) {
	bare, captured := overHTTP(b)
	// The batch's last exchanges, still waiting for the recorder, are recorded in its time:
	// otherwise the recorder would record them during the next bare batch.
	recordWaiting := func() {
		if _, err := aiobs.ReadStats(); err != nil {
			b.Fatal(err)
		}
	}
	inSession(b, func() { addedOverHTTP(b, bare, captured, recordWaiting) })
}

// The yardstick for BenchmarkAddedOverHTTP: what 5 µs of the program's own work after each call
// adds, measured the same way. Between a client and a server on other threads, work that delays
// the next request can cost more than itself (the server's thread may have gone idle meanwhile).
func BenchmarkWorkOverHTTP(b *testing.B) {
	bare, _ := overHTTP(b)
	addedOverHTTP(b, bare, func() {
		bare()
		for start := time.Now(); time.Since(start) < 5*time.Microsecond; {
		}
	}, func() {})
}

// overHTTP returns a bare and a captured call to a new benchmark server.
func overHTTP(b *testing.B) (bare, captured func()) {
	server := benchServer(b)
	url := server.URL + "/v1/chat/completions"
	call := func(client *http.Client) func() {
		return func() { benchCall(b, context.Background(), client, url) }
	}
	return call(server.Client()), call(aiobs.HTTPClient(server.Client()))
}

// addedOverHTTP reports the median, over batches, of what a call of `changed` takes beyond one of
// `bare` in the batch just before it; `settle` ends each batch of `changed`, in its time.
func addedOverHTTP(b *testing.B, bare, changed, settle func()) {
	const batch = 200
	timed := func(call, settle func()) time.Duration {
		start := time.Now()
		for range batch {
			call()
		}
		settle()
		return time.Since(start)
	}
	var added []time.Duration
	for i := 0; b.Loop(); i++ {
		if benchSession && i%100 == 99 { // every 20,000 captured calls, as benchCalls does
			flushBench(b)
		}
		bareTime := timed(bare, func() {})
		added = append(added, (timed(changed, settle)-bareTime)/batch)
	}
	slices.Sort(added)
	b.ReportMetric(float64(added[len(added)/2]), "added-ns/call")
}

// StartSpan and End of one span with its callsite, parent and no arguments.
func BenchmarkSpan(b *testing.B) {
	inSession(b, func() {
		ctx := context.Background()
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			if i%100000 == 99999 {
				b.StopTimer()
				flushBench(b)
				b.StartTimer()
			}
			_, span := aiobs.StartSpan(ctx, "step")
			span.End(nil, nil)
		}
	})
}
