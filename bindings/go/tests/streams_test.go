package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// slowStream serves the chat stream fixture's first `sent` events, then holds the stream open
// until the client goes away or release is closed, when it sends the rest.
type slowStream struct {
	*httptest.Server
	firstSent chan struct{}
	release   chan struct{}
	once      sync.Once
}

func newSlowStream(t *testing.T, sent int) *slowStream {
	t.Helper()
	f := loadFixture(t, "openai_chat_stream")
	events := splitEvents(f.steps[0].response)
	s := &slowStream{firstSent: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(s.releaseRest)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i, event := range events {
			if i == sent {
				close(s.firstSent)
				select {
				case <-r.Context().Done():
					return
				case <-s.release:
				}
			}
			w.Write(event)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.releaseRest) // runs first: cleanups run last first
	return s
}

func (s *slowStream) releaseRest() { s.once.Do(func() { close(s.release) }) }

func (s *slowStream) client(opts ...option.RequestOption) openai.Client {
	return newOpenAI(&replayServer{Server: s.Server}, "middleware", append(opts, option.WithMaxRetries(0))...)
}

var streamParams = openai.ChatCompletionNewParams{
	Model:         "gpt-4o-mini",
	Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
	StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
}

func response(t *testing.T, event map[string]any) map[string]any {
	t.Helper()
	r, ok := event["response"].(map[string]any)
	if !ok {
		t.Fatalf("event without a response: %v", event)
	}
	return r
}

// The caller sees each event as the server sends it: nothing waits for the end of the stream
// (the server sends the rest only after the client has read the first events).
func TestStreamReachesCallerAsItArrives(t *testing.T) {
	failOnCaptureErrors(t)
	server := newSlowStream(t, 3)
	out := observed(t, nil, func() {
		client := server.client()
		stream := client.Chat.Completions.NewStreaming(context.Background(), streamParams)
		var text strings.Builder
		for i := 0; i < 3; i++ {
			if !stream.Next() {
				t.Fatalf("event %d did not arrive before the rest was sent: %v", i, stream.Err())
			}
			text.WriteString(stream.Current().Choices[0].Delta.Content)
		}
		server.releaseRest()
		for stream.Next() {
			if len(stream.Current().Choices) > 0 {
				text.WriteString(stream.Current().Choices[0].Delta.Content)
			}
		}
		if stream.Err() != nil || text.String() != "Hello! How can I help you today?" {
			t.Errorf("the caller got %q, %v", text.String(), stream.Err())
		}
	})
	r := response(t, only(t, out.Events))
	if r["stream_complete"] != true || r["text"] != "Hello! How can I help you today?" {
		t.Errorf("a stream read to its end is recorded whole: %v", r)
	}
}

// Closing a stream early records what arrived at once, without waiting for the stream's end.
func TestStreamClosedEarly(t *testing.T) {
	failOnCaptureErrors(t)
	server := newSlowStream(t, 4)
	out := observed(t, nil, func() {
		client := server.client()
		stream := client.Chat.Completions.NewStreaming(context.Background(), streamParams)
		for i := 0; i < 4; i++ { // every event the server sent before it paused
			stream.Next()
		}
		stream.Close()
	})
	event := only(t, out.Events)
	r := response(t, event)
	if r["stream_complete"] != false || r["text"] != "Hello! How" {
		t.Errorf("want the text that arrived (%q) and stream_complete false, got %v", "Hello! How", r)
	}
	if event["error"] == nil {
		t.Errorf("a stream closed before its end marker is an error of the call: %v", event)
	}
}

// A stream the caller stops reading, whose context then ends, is recorded with what arrived and
// the reason it ended.
func TestStreamAbandonedContextEnds(t *testing.T) {
	failOnCaptureErrors(t)
	server := newSlowStream(t, 3)
	out := observed(t, nil, func() {
		ctx, cancel := context.WithCancel(context.Background())
		client := server.client()
		stream := client.Chat.Completions.NewStreaming(ctx, streamParams)
		for i := 0; i < 3; i++ { // every event the server sent before it paused
			stream.Next()
		}
		cancel()
		waitForRecord(t, 1)
	})
	event := only(t, out.Events)
	if r := response(t, event); r["stream_complete"] != false || r["text"] != "Hello!" {
		t.Errorf("want the text that arrived and stream_complete false, got %v", r)
	}
	if e, _ := event["error"].(string); !strings.Contains(e, "context canceled") {
		t.Errorf("an abandoned stream's error names why: %v", event["error"])
	}
}

// A stream the caller drops without closing it, under a context that never ends, is recorded
// when the garbage collector finds it.
func TestStreamDroppedUnclosed(t *testing.T) {
	failOnCaptureErrors(t)
	server := newSlowStream(t, 3)
	out := observed(t, nil, func() {
		func() {
			client := server.client()
			stream := client.Chat.Completions.NewStreaming(context.Background(), streamParams)
			stream.Next()
			<-server.firstSent
		}()
		for i := 0; i < 10; i++ {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
	})
	event := only(t, out.Events)
	if e, _ := event["error"].(string); !strings.Contains(e, "dropped") {
		t.Errorf("a dropped stream's error says so: %v", event["error"])
	}
	if r := response(t, event); r["stream_complete"] != false {
		t.Errorf("want stream_complete false, got %v", r)
	}
}

// waitForRecord waits until the store holds `events` events: a record made on another goroutine
// (when a context ends) lands a moment after the cause.
func waitForRecord(t *testing.T, events int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		stats, err := aiobs.ReadStats()
		if err != nil {
			t.Fatal(err)
		}
		if stats.EventsHeld >= events {
			return
		}
	}
	t.Fatalf("no record after 10 s")
}
