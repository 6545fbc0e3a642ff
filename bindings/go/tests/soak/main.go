// Command soak is the Go form of tests/soak/soak.c: GOROUTINES goroutines make CALLS chat
// completions each through aiobs.HTTPClient (over a canned in-memory provider) and open a span
// around every tenth with StartSpan and End, through four phases, while another goroutine
// flushes:
//
//	periodic        periodic files with flush_ends_session false (the session stays active);
//	bounded         a small max_memory_bytes and no flush: past the bound records are dropped;
//	exporter down   periodic files, and OTLP export to a port where nothing listens: the
//	                exporter retries, drops at its queue bound and is shut down at the end;
//	periodic again  as the first phase, to show that memory came back.
//
// Between phases the goroutines wait while the main goroutine writes a plain flush and starts a
// new session. Each call carries a credential in its URL and response headers.
//
// Which record the core refused is known exactly: a span's End returns the error; a refused span
// start reaches the error handler on the goroutine that made it (each recording goroutine is
// locked to its OS thread, so the handler finds the goroutine by thread id); a refused exchange
// reaches it later, from the goroutine that records exchanges, as an *aiobs.ExchangeError whose
// request's context names the call. Afterwards every file is read back: each call and span
// aiobs accepted is in exactly one file, none it refused is in any, no file holds the
// credential, the drops the goroutines saw are those Stats and the files count, and the failing
// exporter counted every record it was offered once. RSS is sampled all along (rss.csv) and
// must stay flat.
//
// Go cannot fork a running program (the runtime's threads do not survive fork), so this soak has
// no fork phase; tests/soak/soak.c and tests/soak/soak.rb fork.
//
// Usage: soak OUT_DIR GOROUTINES CALLS_PER_GOROUTINE. Exit status 0 when every check held.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

const (
	periodic = iota
	bounded
	exporterDown
	periodicAgain
	phases
)

var phaseNames = [phases]string{"periodic", "bounded", "exporter down", "periodic again"}

const (
	spanEvery  = 10
	maxWorkers = 99
	// Outside the bounded phase a goroutine waits while the store holds more than paceBytes,
	// checking every paceEvery calls: recording outpaces a flush that syncs a large file.
	paceEvery  = 256
	paceBytes  = 48 << 20
	boundBytes = 1 << 20
	// secret stands for a credential: no file may ever contain it.
	secret       = "SOAKSECRET"
	chatURL      = "https://api.openai.com/v1/chat/completions?key=" + secret
	responseBody = `{"id":"chatcmpl-soak","object":"chat.completion","model":"gpt-4o-mini",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`
)

// cannedProvider answers every chat completion at once from memory, with the credential in its
// headers, so the soak measures aiobs and not a network.
type cannedProvider struct{}

func (cannedProvider) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header: http.Header{
			"Content-Type": {"application/json"}, "X-Request-Id": {"req_soak"},
			"Set-Cookie": {secret}, "X-Api-Key": {secret},
		},
		Body:          io.NopCloser(strings.NewReader(responseBody)),
		ContentLength: int64(len(responseBody)),
	}, nil
}

// What became of one call or span a goroutine tried to record.
const (
	notTried = iota
	accepted
	dropped
)

type worker struct {
	index       int
	tid         atomic.Int64 // the OS thread the goroutine is locked to
	client      *http.Client
	callOutcome []uint8
	spanOutcome []uint8
	refused     int64 // ErrMemoryLimit reports of span starts the handler attributed to this goroutine
	dropped     int64 // spans
	unexpected  int64
	// Calls the core refused, counted by the error handler (callOutcome says which).
	callsDropped atomic.Int64
}

// callKey is the context key of a callID: which call an exchange the core refused was.
type callKey struct{}

type callID struct{ worker, index int }

var (
	workers      []*worker
	unattributed atomic.Int64 // handler reports of no known call or recording goroutine
	otherErrors  atomic.Int64 // handler reports other than ErrMemoryLimit
	recorded     atomic.Int64
	phase        atomic.Int32
)

// onCaptureError attributes each refusal to its call (an exchange) or to the goroutine it runs
// on (a span start).
func onCaptureError(err error) {
	if !errors.Is(err, aiobs.ErrMemoryLimit) {
		otherErrors.Add(1)
		fmt.Fprintln(os.Stderr, "soak: capture error:", err)
		return
	}
	var exchange *aiobs.ExchangeError
	if errors.As(err, &exchange) {
		if id, ok := exchange.Request.Context().Value(callKey{}).(callID); ok {
			// After the call wrote its outcome (it closed the exchange later); read once the
			// count below says so (awaitRefusals).
			workers[id.worker].callOutcome[id.index] = dropped
			workers[id.worker].callsDropped.Add(1)
			return
		}
		unattributed.Add(1)
		return
	}
	tid := int64(syscall.Gettid())
	for _, w := range workers {
		if w.tid.Load() == tid {
			w.refused++ // only this goroutine runs on this thread
			return
		}
	}
	unattributed.Add(1)
}

// awaitRefusals waits (up to 10 s) until the error handler has attributed as many refusals as
// the core counted: a refused exchange reaches it after the flush that recorded it may have
// returned. Reading each worker's count also makes its handler's writes visible here.
func awaitRefusals(counted int64) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var seen int64
		for _, w := range workers {
			seen += w.dropped + w.callsDropped.Load()
		}
		if seen >= counted {
			return
		}
	}
	fail("the error handler attributed fewer refusals than the core counted (%d) within 10 s", counted)
}

func soakID(kind byte, worker, index int) string {
	return fmt.Sprintf("SOAK%c%02d%09d", kind, worker, index)
}

// call makes one chat completion through the aiobs client, reading the response to its end
// (where the exchange is closed). It counts as accepted unless the error handler hears that the
// core refused it.
func (w *worker) call(ctx context.Context, i int) {
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"` + soakID('C', w.index, i) + `"}]}`
	ctx = context.WithValue(ctx, callKey{}, callID{w.index, i})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, chatURL, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := w.client.Do(req)
	if err != nil {
		w.unexpected++
		return
	}
	w.callOutcome[i] = accepted // before the body's end closes the exchange
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func (w *worker) recordOne(i int) {
	ctx := context.Background()
	var span *aiobs.Span
	if i%spanEvery == 0 {
		before := w.refused
		ctx, span = aiobs.StartSpan(ctx, "step", aiobs.WithModule("soak"), aiobs.WithArgs(soakID('S', w.index, i/spanEvery)))
		switch {
		case span != nil:
		case w.refused > before:
			w.dropped++
			w.spanOutcome[i/spanEvery] = dropped
		default:
			w.unexpected++ // no session: never expected here
		}
	}
	w.call(ctx, i)
	if span != nil {
		switch err := span.End("done", nil); {
		case err == nil:
			w.spanOutcome[i/spanEvery] = accepted
		case errors.Is(err, aiobs.ErrMemoryLimit):
			w.dropped++
			w.spanOutcome[i/spanEvery] = dropped
		default:
			w.unexpected++
		}
	}
	recorded.Add(1)
}

func (w *worker) run(first, last int, pace bool, done *sync.WaitGroup) {
	defer done.Done()
	runtime.LockOSThread() // exits with the goroutine: the thread id is never reused by another
	w.tid.Store(int64(syscall.Gettid()))
	defer w.tid.Store(0)
	for i := first; i < last; i++ {
		if pace && i%paceEvery == 0 {
			for bytesHeld() > paceBytes {
				time.Sleep(time.Millisecond)
			}
		}
		w.recordOne(i)
	}
}

func stats() aiobs.Stats {
	s, err := aiobs.ReadStats()
	if err != nil {
		fail("stats: %v", err)
	}
	return s
}

func bytesHeld() int64 { return stats().BytesHeld }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak: "+format+"\n", args...)
	os.Exit(2)
}

func configure(settings map[string]any) {
	if err := aiobs.Configure(settings); err != nil {
		fail("configure %v: %v", settings, err)
	}
}

// flusher writes periodic files while `flushing` is set, one after the other (each syncs its
// file), and counts what it wrote.
type flusher struct {
	dir      string
	flushing atomic.Bool
	stop     chan struct{}
	stopped  chan struct{}
	mu       sync.Mutex // held across a flush, so a phase ends between two flushes
	files    int
	failures int
	inPhase  atomic.Int64
}

func (f *flusher) flushTo(name string, number int) {
	path := filepath.Join(f.dir, fmt.Sprintf("%s-%06d.json", name, number))
	if _, err := aiobs.Flush(path); err != nil {
		fmt.Fprintln(os.Stderr, "soak: flush:", err)
		f.failures++
		return
	}
	f.files++
}

func (f *flusher) run() {
	defer close(f.stopped)
	for n := 1; ; {
		select {
		case <-f.stop:
			return
		default:
		}
		if !f.flushing.Load() {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		f.mu.Lock()
		if f.flushing.Load() { // not paused meanwhile
			f.flushTo("periodic", n)
			f.inPhase.Add(1)
			n++
		}
		f.mu.Unlock()
	}
}

// pause stops periodic flushing once it flushed at least once in this phase, so that even a
// short run has every phase's flushes.
func (f *flusher) pause() {
	for f.flushing.Load() && f.inPhase.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	f.flushing.Store(false)
	f.mu.Lock() // waits for a flush under way
	f.inPhase.Store(0)
	f.mu.Unlock()
}

func rssKiB() int64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(statm))
	resident, _ := strconv.ParseInt(fields[1], 10, 64)
	return resident * int64(os.Getpagesize()) / 1024
}

// sampler writes rss.csv every 50 ms and keeps the first, each phase's highest and the last RSS.
type sampler struct {
	first, last int64
	peak        [phases]int64
	stop        chan struct{}
	stopped     chan struct{}
}

func (s *sampler) run(path string, start time.Time) {
	defer close(s.stopped)
	csv, err := os.Create(path)
	if err != nil {
		fail("%v", err)
	}
	defer csv.Close()
	fmt.Fprintln(csv, "seconds,rss_kib,bytes_held,recorded,phase")
	s.first = rssKiB()
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			s.last = rssKiB()
			fmt.Fprintf(csv, "%.3f,%d,%d,%d,end\n", time.Since(start).Seconds(), s.last, bytesHeld(), recorded.Load())
			return
		case <-ticker.C:
		}
		rss, p := rssKiB(), phase.Load()
		s.peak[p] = max(s.peak[p], rss)
		fmt.Fprintf(csv, "%.3f,%d,%d,%d,%s\n", time.Since(start).Seconds(), rss, bytesHeld(), recorded.Load(), phaseNames[p])
	}
}

// closedPort is a local port where nothing listens: every export to it fails to connect.
func closedPort() int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()
	return port
}

func observe(phaseName string) {
	if _, err := aiobs.Observe("soak", map[string]string{"phase": strings.ReplaceAll(phaseName, " ", "_")}); err != nil {
		fail("observe: %v", err)
	}
}

// ---- Reading the files back ----

type tally struct {
	callsSeen, spansSeen    [][]uint8
	dropsInFiles, otlpDrops int64
	files, stray, secrets   int64
}

// numberAfter reads the integer after key in text, or 0.
func numberAfter(text []byte, key string) int64 {
	at := bytes.Index(text, []byte(key))
	if at < 0 {
		return 0
	}
	rest := bytes.TrimLeft(text[at+len(key):], ": ")
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	n, _ := strconv.ParseInt(string(rest[:max(end, 0)]), 10, 64)
	return n
}

// scan counts the SOAK ids in the events and function events of one export (the trace tree
// repeats them, so the scan stops at its key).
func (t *tally) scan(text []byte) {
	t.files++
	if drops := bytes.Index(text, []byte(`"drops"`)); drops >= 0 {
		t.dropsInFiles += numberAfter(text[drops:], `"events"`)
		t.otlpDrops += numberAfter(text[drops:], `"otlp_spans"`)
	}
	if bytes.Contains(text, []byte(secret)) {
		t.secrets++
	}
	if tree := bytes.Index(text, []byte(`"trace_tree"`)); tree >= 0 {
		text = text[:tree]
	}
	for {
		at := bytes.Index(text, []byte("SOAK"))
		if at < 0 || at+16 > len(text) {
			return
		}
		id := text[at : at+16]
		text = text[at+4:]
		if bytes.HasPrefix(id, []byte(secret)) {
			continue
		}
		w, errW := strconv.Atoi(string(id[5:7]))
		index, errI := strconv.Atoi(string(id[7:16]))
		var seen [][]uint8
		switch id[4] {
		case 'C':
			seen = t.callsSeen
		case 'S':
			seen = t.spansSeen
		}
		if seen == nil || errW != nil || errI != nil || w >= len(seen) || index >= len(seen[w]) {
			t.stray++
			continue
		}
		if seen[w][index] < 255 {
			seen[w][index]++
		}
		text = text[12:]
	}
}

type verdict struct{ accepted, dropped, missing, duplicated, resurrected int64 }

func (v *verdict) judge(outcome, seen []uint8) {
	for i, o := range outcome {
		switch o {
		case accepted:
			v.accepted++
			if seen[i] == 0 {
				v.missing++
			}
			if seen[i] > 1 {
				v.duplicated++
			}
		case dropped:
			v.dropped++
			if seen[i] != 0 {
				v.resurrected++
			}
		}
	}
}

var failures int

func expect(ok bool, what string) {
	result := "ok"
	if !ok {
		result = "FAILED"
		failures++
	}
	fmt.Printf("  %-62s %s\n", what, result)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: soak OUT_DIR GOROUTINES CALLS_PER_GOROUTINE")
	}
	dir := os.Args[1]
	goroutines, err1 := strconv.Atoi(os.Args[2])
	calls, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || goroutines < 1 || goroutines > maxWorkers || calls < phases*spanEvery {
		fail("usage: soak OUT_DIR GOROUTINES(1-%d) CALLS_PER_GOROUTINE(>=%d)", maxWorkers, phases*spanEvery)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("%v", err)
	}
	if earlier, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(earlier) > 0 {
		fail("%s holds exports of an earlier run", dir)
	}
	spansPer := calls/spanEvery + 1
	for i := range goroutines {
		workers = append(workers, &worker{
			index: i, client: aiobs.HTTPClient(&http.Client{Transport: cannedProvider{}}),
			callOutcome: make([]uint8, calls), spanOutcome: make([]uint8, spansPer),
		})
	}
	aiobs.SetErrorHandler(onCaptureError)

	exporterSettings := map[string]any{"flush_ends_session": false, "otlp": map[string]any{
		"endpoint": fmt.Sprintf("http://127.0.0.1:%d", closedPort()), "schedule_delay_ms": 20, "timeout_ms": 200,
	}}
	settings := [phases]map[string]any{
		{"flush_ends_session": false},
		{"flush_ends_session": false, "max_memory_bytes": boundBytes},
		exporterSettings,
		{"flush_ends_session": false, "otlp": map[string]any{"enabled": false}},
	}
	started := time.Now()
	f := &flusher{dir: dir, stop: make(chan struct{}), stopped: make(chan struct{})}
	s := &sampler{stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.run(filepath.Join(dir, "rss.csv"), started)
	go f.run()
	observe(phaseNames[periodic])

	var dropsByPhase [phases]int64
	var shutdownErr error
	var otlp aiobs.OTLPStats
	perPhase := calls / phases
	for p := range phases {
		configure(settings[p])
		phase.Store(int32(p))
		droppedBefore := stats().EventsDropped
		f.flushing.Store(p != bounded)
		first, last := p*perPhase, (p+1)*perPhase
		if p == phases-1 {
			last = calls
		}
		var done sync.WaitGroup
		for _, w := range workers {
			done.Add(1)
			go w.run(first, last, p != bounded, &done)
		}
		done.Wait()
		f.pause()
		dropsByPhase[p] = stats().EventsDropped - droppedBefore
		if p == exporterDown {
			// What is still queued or retrying is dropped (and counted) when the time runs out.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			shutdownErr = aiobs.Shutdown(ctx)
			cancel()
			if o := stats().OTLP; o != nil {
				otlp = *o
			}
		}
		// A plain flush between phases (it ends the session), then a new session.
		configure(map[string]any{"flush_ends_session": true, "max_memory_bytes": 256 << 20})
		f.flushTo("boundary", p)
		if p+1 < phases {
			observe(phaseNames[p+1])
		}
	}
	close(f.stop)
	<-f.stopped
	runSeconds := time.Since(started).Seconds()
	final := stats()
	awaitRefusals(final.EventsDropped)
	close(s.stop)
	<-s.stopped
	var goMemory runtime.MemStats // before the files are read back
	runtime.ReadMemStats(&goMemory)

	t := tally{callsSeen: make([][]uint8, goroutines), spansSeen: make([][]uint8, goroutines)}
	for i := range goroutines {
		t.callsSeen[i] = make([]uint8, calls)
		t.spansSeen[i] = make([]uint8, spansPer)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, path := range paths {
		text, err := os.ReadFile(path)
		if err != nil {
			fail("%v", err)
		}
		t.scan(text)
	}
	var callV, spanV, offered verdict
	var droppedByCallers, unexpected int64
	downFirst, downLast := exporterDown*perPhase, (exporterDown+1)*perPhase
	spanFirst, spanLast := (downFirst+spanEvery-1)/spanEvery, (downLast+spanEvery-1)/spanEvery
	for i, w := range workers {
		callV.judge(w.callOutcome, t.callsSeen[i])
		spanV.judge(w.spanOutcome, t.spansSeen[i])
		// What the exporter was offered: the records aiobs accepted while it ran.
		offered.judge(w.callOutcome[downFirst:downLast], t.callsSeen[i][downFirst:downLast])
		offered.judge(w.spanOutcome[spanFirst:spanLast], t.spansSeen[i][spanFirst:spanLast])
		droppedByCallers += w.dropped + w.callsDropped.Load()
		unexpected += w.unexpected
	}

	fmt.Printf("soak (Go): %d goroutines x %d calls through aiobs.HTTPClient (a span around every %dth) in %.1f s\n",
		goroutines, calls, spanEvery, runSeconds)
	fmt.Printf("  calls accepted %d, dropped %d; spans accepted %d, dropped %d\n",
		callV.accepted, callV.dropped, spanV.accepted, spanV.dropped)
	fmt.Printf("  files: %d (%d flushes failed); forks: none (Go cannot fork a running program)\n", t.files, f.failures)
	fmt.Printf("  drops: goroutines saw %d, Stats says %d, the files say %d\n", droppedByCallers, final.EventsDropped, t.dropsInFiles)
	fmt.Printf("  drops by phase: %d/%d/%d/%d\n", dropsByPhase[0], dropsByPhase[1], dropsByPhase[2], dropsByPhase[3])
	fmt.Printf("  exporter down: offered %d, exported %d, dropped %d, failed %d, queued %d after Shutdown (%v)\n",
		offered.accepted, otlp.Exported, otlp.Dropped, otlp.FailedSpans, otlp.Queued, shutdownErr)
	var finalOTLPDrops int64
	if final.OTLP != nil {
		finalOTLPDrops = final.OTLP.Dropped
	}
	fmt.Printf("  exporter drops over the whole run: Stats %d, the files' drops.otlp_spans %d\n", finalOTLPDrops, t.otlpDrops)
	fmt.Printf("  RSS: %d MiB at the start, peaks %d/%d/%d/%d MiB by phase, %d MiB at the end "+
		"(of which the Go heap holds %d MiB from the system)\n",
		s.first/1024, s.peak[0]/1024, s.peak[1]/1024, s.peak[2]/1024, s.peak[3]/1024, s.last/1024,
		(goMemory.HeapSys-goMemory.HeapReleased)>>20)
	expect(unexpected == 0 && otherErrors.Load() == 0, "every record was accepted or refused with ErrMemoryLimit")
	expect(unattributed.Load() == 0, "each refusal reached the handler, attributed to its call")
	expect(callV.missing == 0 && spanV.missing == 0, "every accepted call and span is in a file")
	expect(callV.duplicated == 0 && spanV.duplicated == 0, "none is in two files (or twice)")
	expect(callV.resurrected == 0 && spanV.resurrected == 0, "no dropped record is in any file")
	expect(t.stray == 0, "no file holds an id the soak did not record")
	expect(t.secrets == 0, "no file holds the credential of the exchanges")
	expect(dropsByPhase[bounded] > 0 && droppedByCallers == callV.dropped+spanV.dropped, "the bounded phase dropped records")
	expect(droppedByCallers == final.EventsDropped, "Stats counts every drop a goroutine saw")
	expect(droppedByCallers == dropsByPhase[bounded], "every drop happened in the bounded phase")
	expect(t.dropsInFiles == final.EventsDropped, "the files' drops add up to the same count")
	expect(otlp.Exported == 0 && otlp.Dropped+otlp.FailedSpans+otlp.Queued == offered.accepted,
		"the failing exporter accepted none and counted each offered record once")
	expect(shutdownErr == nil || errors.Is(shutdownErr, aiobs.ErrTimeout), "Shutdown returned within its time")
	expect(t.otlpDrops == finalOTLPDrops, "the files' drops.otlp_spans add up to the exporter's drops")
	expect(final.EventsHeld == 0 && final.FlushesFailed == 0 && f.failures == 0, "nothing held at the end; no flush failed")
	// Flat, coarsely, as in soak.c: the last phase flushes as the first and the third did and
	// peaks below twice the higher of their peaks plus 32 MiB; so does the end. A peak depends on
	// how much the flush under way caught. The chart (rss.csv) shows the rest.
	flatLimit := 2*max(s.peak[periodic], s.peak[exporterDown]) + 32*1024
	expect(s.peak[periodicAgain] <= flatLimit && s.last <= flatLimit, "RSS stayed flat")
	status := "passed"
	if failures > 0 {
		status = "FAILED"
	}
	fmt.Printf("soak (Go): %s (%d files written; RSS samples in %s)\n", status, f.files, filepath.Join(dir, "rss.csv"))
	if failures > 0 {
		os.Exit(1)
	}
}
