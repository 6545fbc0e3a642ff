package aiobs

import (
	"net/http"
	"sync"
	"time"
)

// Captured exchanges wait here to be recorded off the caller's goroutine, as OpenTelemetry's
// batch span processor holds spans: the core's copy of an exchange costs more than the rest of
// its capture. A timer started when the first exchange waits records them after batchDelay, on
// a goroutine of its own that goes on while more arrive, so a program making calls in quick
// succession pays no wake-up per call. Nothing waits past a read or an end of the store: Observe,
// End, Flush, Configure, ReadStats and Shutdown record what waits first. When maxPending wait
// (the recording has fallen behind), the caller records them itself.
const (
	batchDelay = time.Millisecond
	maxPending = 256
)

// A pendingRecord is a closed exchange: its JSON (NUL-terminated) and bodies, and the request
// it was made with, for the error handler.
type pendingRecord struct {
	buf     *buffers
	body    []byte // buf.request, or a copy of what a request tee saw
	request *http.Request
}

// record hands the exchange to the core; a refusal is returned for the error handler.
func (r pendingRecord) record() error {
	err := recordHTTP(r.buf.json, r.body, r.buf.response)
	putBuffers(r.buf)
	if err == nil {
		return nil
	}
	return &ExchangeError{Request: r.request, Err: err}
}

var recorder struct {
	mu      sync.Mutex
	pending []pendingRecord
	armed   bool // the timer will run, or its goroutine is recording
	timer   *time.Timer

	// Held while a batch is recorded, so that a drain returns only once what waited before it
	// is in the store, and batches go in the order they were taken.
	recording sync.Mutex
}

// enqueue hands a closed exchange to the recorder; a zero pendingRecord is none. A caller that
// may record (callerRecords) records what waits when maxPending do.
func (r pendingRecord) enqueue(callerRecords bool) {
	if r.buf == nil {
		return
	}
	recorder.mu.Lock()
	recorder.pending = append(recorder.pending, r)
	full := callerRecords && len(recorder.pending) >= maxPending
	if !full && !recorder.armed {
		recorder.armed = true
		if recorder.timer == nil {
			recorder.timer = time.AfterFunc(batchDelay, recordInBackground)
		} else {
			recorder.timer.Reset(batchDelay)
		}
	}
	recorder.mu.Unlock()
	if full {
		recordPending()
	}
}

// recordPending records every exchange waiting now, in the order they were closed, and returns
// once they are in the store.
func recordPending() {
	_, refused := recordBatch()
	report(refused)
}

// recordInBackground is the timer's: it records until nothing waits, reporting each batch's
// refusals as it goes, so that under a steady stream of refusals (a store at its memory limit)
// none is held back. While a slow error handler runs, exchanges wait, and callers record them
// once maxPending do.
func recordInBackground() {
	for recorded := true; recorded; {
		var refused []error
		recorded, refused = recordBatch()
		report(refused)
	}
}

// report hands refusals to the error handler, outside recorder.recording: a handler may call
// Flush or ReadStats, which take it.
func report(refused []error) {
	for _, err := range refused {
		reportCaptureError(err)
	}
}

// recordBatch records what waits and returns the core's refusals; recorded is false when
// nothing waited (and the next exchange to wait starts the timer again).
func recordBatch() (recorded bool, refused []error) {
	recorder.recording.Lock()
	defer recorder.recording.Unlock()
	recorder.mu.Lock()
	batch := recorder.pending
	recorder.pending = nil
	if len(batch) == 0 {
		recorder.armed = false
	}
	recorder.mu.Unlock()
	for _, r := range batch {
		if err := r.record(); err != nil {
			refused = append(refused, err)
		}
	}
	return len(batch) > 0, refused
}
