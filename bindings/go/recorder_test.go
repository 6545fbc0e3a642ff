package aiobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// embeddingsTransport answers every request at once with an embeddings response.
type embeddingsTransport struct{}

func (embeddingsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, req.Body)
	req.Body.Close()
	body := []byte(`{"object":"list","data":[],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}`)
	return &http.Response{
		StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}

var embeddingsClient = HTTPClient(&http.Client{Transport: embeddingsTransport{}})

// embed makes one captured call whose request names input.
func embed(t *testing.T, input string) {
	t.Helper()
	resp, err := embeddingsClient.Post("https://api.openai.com/v1/embeddings", "application/json",
		strings.NewReader(`{"model":"m","input":"`+input+`"}`))
	if err != nil {
		t.Error(err) // not Fatal: some callers are goroutines of their own
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// flushedInputs flushes and returns each exported call's session name and request input.
func flushedInputs(t *testing.T) [][2]string {
	t.Helper()
	path, err := Flush(filepath.Join(t.TempDir(), "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Sessions []struct{ ID, Name string }
		Events   []struct {
			SessionID string `json:"session_id"`
			Request   struct{ Input string }
		}
	}
	if err := json.Unmarshal(text, &out); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, s := range out.Sessions {
		names[s.ID] = s.Name
	}
	var inputs [][2]string
	for _, e := range out.Events {
		inputs = append(inputs, [2]string{names[e.SessionID], e.Request.Input})
	}
	return inputs
}

func observeFor(t *testing.T, name string) {
	t.Helper()
	if _, err := Observe(name, nil); err != nil {
		t.Fatal(err)
	}
}

func inputsOf(session string, from, to int) [][2]string {
	var want [][2]string
	for i := from; i < to; i++ {
		want = append(want, [2]string{session, strconv.Itoa(i)})
	}
	return want
}

func sameInputs(t *testing.T, got, want [][2]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("want %d calls, got %d: %v", len(want), len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("call %d: want %v, got %v", i, want[i], got[i])
		}
	}
}

// Calls made one after another land in the store in that order, whether the timer's goroutine
// or the flush records them, and each in the session it was made in.
func TestRecordedInOrderAndInTheirSession(t *testing.T) {
	observeFor(t, "first")
	for i := range 300 {
		embed(t, strconv.Itoa(i))
		if i%100 == 0 {
			time.Sleep(3 * batchDelay) // the timer's goroutine records some
		}
	}
	observeFor(t, "second")
	embed(t, "300")
	sameInputs(t, flushedInputs(t), append(inputsOf("first", 0, 300), inputsOf("second", 300, 301)...))
}

// The timer's goroutine records without the program asking: an exchange the core refuses
// reaches the error handler, with its request, with no flush or read of the store. The handler
// may read the store itself.
func TestRecordedWithoutAFlush(t *testing.T) {
	handled := make(chan error, 1)
	SetErrorHandler(func(err error) {
		if _, statsErr := ReadStats(); statsErr != nil {
			t.Error(statsErr)
		}
		select {
		case handled <- err:
		default: // the first is enough; the handler must not block the recording
		}
	})
	defer SetErrorHandler(nil)
	observeFor(t, "background")
	defer End()
	if err := Configure(map[string]any{"max_input_bytes": 64}); err != nil {
		t.Fatal(err)
	}
	defer Configure(map[string]any{"max_input_bytes": 16 << 20})
	embed(t, strings.Repeat("x", 100)) // its JSON is over 64 bytes
	select {
	case err := <-handled:
		var refused *ExchangeError
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &refused) || refused.Request.URL.Path != "/v1/embeddings" {
			t.Errorf("want an ExchangeError with the request, for ErrTooLarge; got %#v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the exchange was not recorded within 10 s")
	}
}

// When the recording falls behind by maxPending exchanges, the caller that finds the queue full
// waits for the batch in progress and records the rest itself: nothing is lost or reordered.
func TestAFullQueueIsRecordedByTheCaller(t *testing.T) {
	observeFor(t, "backpressure")
	calls := maxPending + 44
	recorder.recording.Lock() // a batch in progress that does not end
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range calls {
			embed(t, strconv.Itoa(i))
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for waiting := 0; waiting < maxPending && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		recorder.mu.Lock()
		waiting = len(recorder.pending)
		recorder.mu.Unlock()
	}
	select {
	case <-done:
		t.Error("the caller went on past a full queue")
	case <-time.After(20 * time.Millisecond):
	}
	recorder.recording.Unlock()
	<-done
	sameInputs(t, flushedInputs(t), inputsOf("backpressure", 0, calls))
}

// Goroutines calling at once lose nothing, whichever of them or the timer records.
func TestConcurrentCallsAllRecorded(t *testing.T) {
	observeFor(t, "concurrent")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				embed(t, strconv.Itoa(g*100+i))
			}
		}()
	}
	wg.Wait()
	if got := len(flushedInputs(t)); got != 1600 {
		t.Errorf("want 1600 calls, got %d", got)
	}
}
