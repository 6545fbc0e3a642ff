package tests

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"github.com/openai/openai-go/v3"
)

// A 429 answered twice, then a success: openai-go retries inside the middleware chain, so there
// are three records, numbered from X-Stainless-Retry-Count, each the fixture's event; the error
// bodies the SDK closes unread before retrying are read for the record. The fixtures are one
// retry; here the 429 comes twice, so only the attempt numbers differ from theirs.
func TestOpenAIRetriedTwice(t *testing.T) {
	failOnCaptureErrors(t)
	limited := loadFixture(t, "openai_chat_retry_1_rate_limited")
	succeeds := loadFixture(t, "openai_chat_retry_2_succeeds")
	server := newReplayServer(t, limited.steps[0], limited.steps[0], succeeds.steps[0])
	client := newOpenAI(server, "middleware")
	var completion *openai.ChatCompletion
	var err error
	out := observed(t, nil, func() {
		completion, err = client.Chat.Completions.New(context.Background(), params[openai.ChatCompletionNewParams](t, succeeds))
	})
	if err != nil || completion.Choices[0].Message.Content == "" {
		t.Fatalf("the third attempt succeeds: %v", err)
	}
	if len(out.Events) != 3 {
		t.Fatalf("want one record per attempt (3), got %d", len(out.Events))
	}
	for i, f := range []fixture{limited, limited, succeeds} {
		want := normalJSON(f.expectedCall(server)).(map[string]any)
		want["request"].(map[string]any)["attempt"] = i + 1
		assertSameJSON(t, "attempt "+strconv.Itoa(i+1), call(out.Events[i]), want)
	}
}

// The callsite is the user's line, not a frame of aiobs, net/http or the SDK.
func TestCallsiteIsTheCallersLine(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	server := newReplayServer(t, f.steps[0], f.steps[0])
	for _, hook := range []string{"middleware", "http-client"} {
		client := newOpenAI(server, hook)
		var file string
		var line int
		out := observed(t, nil, func() {
			_, file, line, _ = runtime.Caller(0)
			client.Chat.Completions.New(context.Background(), params[openai.ChatCompletionNewParams](t, f)) // line + 1
		})
		callsite, _ := only(t, out.Events)["callsite"].(map[string]any)
		if callsite["file"] != file || callsite["line"] != float64(line+1) {
			t.Errorf("%s: callsite %v, want %s:%d", hook, callsite, file, line+1)
		}
	}
}

// Without an active session calls work as they would without aiobs and nothing is recorded; a
// request to a URL that is no LLM endpoint passes through untouched and is never recorded.
func TestNothingRecordedOutsideSessionsOrLLMEndpoints(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	server := newReplayServer(t, f.steps[0])
	client := newOpenAI(server, "middleware")
	completion, err := client.Chat.Completions.New(context.Background(), params[openai.ChatCompletionNewParams](t, f))
	if err != nil || completion.ID != "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT" {
		t.Fatalf("a call without a session: %v %v", completion, err)
	}
	payload := bytes.Repeat([]byte("not an LLM call "), 1000)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received, _ := io.ReadAll(r.Body)
		w.Write(received)
	}))
	defer other.Close()
	out := observed(t, nil, func() {
		resp, err := aiobs.HTTPClient(nil).Post(other.URL+"/upload", "application/octet-stream", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		echoed, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(echoed, payload) {
			t.Errorf("a request to another URL changed on the way")
		}
	})
	if len(out.Events) != 0 {
		t.Errorf("want no events, got %v", out.Events)
	}
}

// A request the core would not record reaches the wrapped transport as it is: the same request,
// its body not wrapped for a copy.
func TestUnrecordedRequestsReachTheTransportAsTheyAre(t *testing.T) {
	failOnCaptureErrors(t)
	var seen *http.Request
	base := roundTripper(func(req *http.Request) (*http.Response, error) {
		seen = req
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
	})
	send := func(url string) {
		req, err := http.NewRequest("POST", url, io.NopCloser(bytes.NewReader([]byte("{}"))))
		must(t, err)
		if _, err := aiobs.Transport(base).RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if seen != req || seen.Body != req.Body {
			t.Errorf("%s: the transport got another request or body", url)
		}
	}
	send("http://llm.invalid/v1/chat/completions") // no session
	out := observed(t, nil, func() { send("http://example.invalid/upload") })
	if len(out.Events) != 0 {
		t.Errorf("want no events, got %v", out.Events)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// The session ends while a call is under way: the capture began (the core said it would record),
// but the core decides again when the exchange ends, so nothing is recorded, no error is
// reported, and the caller gets every byte.
func TestSessionEndedDuringTheCall(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	server := newReplayServer(t, f.steps[0])
	endsTheSession := endingTransport{base: http.DefaultTransport}
	if _, err := aiobs.Observe(t.Name(), nil); err != nil {
		t.Fatal(err)
	}
	resp, err := aiobs.HTTPClient(&http.Client{Transport: endsTheSession}).Post(
		server.localURL(f.steps[0].URL), "application/json", bytes.NewReader(f.steps[0].request))
	if err != nil {
		t.Fatal(err)
	}
	received, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(received, f.steps[0].response) {
		t.Errorf("the response changed on the way: %q", received)
	}
	out := flushed(t)
	if len(out.Sessions) != 1 || len(out.Events) != 0 {
		t.Errorf("want the session and no events, got %d sessions and events %v", len(out.Sessions), out.Events)
	}
}

// endingTransport ends the active session before it sends a request.
type endingTransport struct{ base http.RoundTripper }

func (e endingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := aiobs.End(); err != nil {
		return nil, err
	}
	return e.base.RoundTrip(req)
}

// 64 goroutines call at once, each inside its own span: exactly 64 events, each the child of
// its goroutine's span.
func TestConcurrentCalls(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	const calls = 64
	steps := make([]exchangeCase, calls)
	for i := range steps {
		steps[i] = f.steps[0]
	}
	server := newReplayServer(t, steps...)
	client := newOpenAI(server, "http-client")
	spanOf := make([]string, calls)
	out := observed(t, nil, func() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < calls; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx, span := aiobs.StartSpan(context.Background(), "worker", aiobs.WithArgs(i))
				spanOf[i] = span.ID()
				_, err := client.Chat.Completions.New(ctx, params[openai.ChatCompletionNewParams](t, f))
				span.End(nil, err)
			}()
		}
		close(start)
		wg.Wait()
	})
	if len(out.Events) != calls || len(out.FunctionEvents) != calls {
		t.Fatalf("want %d events and %d spans, got %d and %d", calls, calls, len(out.Events), len(out.FunctionEvents))
	}
	parents := map[string]int{}
	for _, e := range out.Events {
		parents[e["parent_span_id"].(string)]++
	}
	for i, id := range spanOf {
		if parents[id] != 1 {
			t.Errorf("goroutine %d's span %s has %d calls, want 1", i, id, parents[id])
		}
	}
}

// Spans nest through contexts across goroutines: a span started in one goroutine is the parent
// of spans and calls made with its context in others, and they share its trace.
func TestSpansNestAcrossGoroutines(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	server := newReplayServer(t, f.steps[0], f.steps[0])
	client := newOpenAI(server, "middleware")
	var rootID, childID string
	out := observed(t, nil, func() {
		ctx, root := aiobs.StartSpan(context.Background(), "pipeline", aiobs.WithModule("app"))
		rootID = root.ID()
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctx, child := aiobs.StartSpan(ctx, "research", aiobs.WithArgs("What is an API?"))
			childID = child.ID()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				client.Chat.Completions.New(ctx, params[openai.ChatCompletionNewParams](t, f))
			}()
			wg.Wait()
			child.End("An API is ...", nil)
		}()
		<-done
		client.Chat.Completions.New(ctx, params[openai.ChatCompletionNewParams](t, f))
		root.End(map[string]int{"steps": 1}, errors.New("critique failed"))
	})
	if len(out.Events) != 2 || len(out.FunctionEvents) != 2 {
		t.Fatalf("want 2 calls and 2 spans, got %d and %d", len(out.Events), len(out.FunctionEvents))
	}
	spans := map[string]map[string]any{}
	for _, s := range out.FunctionEvents {
		spans[s["name"].(string)] = s
	}
	root, child := spans["pipeline"], spans["research"]
	if root["parent_span_id"] != nil || root["api"] != "app.pipeline" || root["error"] != "errorString: critique failed" {
		t.Errorf("root span: %v", root)
	}
	if child["parent_span_id"] != rootID || child["result"] != "An API is ..." {
		t.Errorf("child span: %v", child)
	}
	parents := map[any]bool{}
	for _, e := range out.Events {
		parents[e["parent_span_id"]] = true
		if e["trace_id"] != root["trace_id"] {
			t.Errorf("call outside the root's trace: %v", e["trace_id"])
		}
	}
	if !parents[rootID] || !parents[childID] {
		t.Errorf("want one call under each span, got parents %v", parents)
	}
	if child["trace_id"] != root["trace_id"] {
		t.Errorf("child span outside the root's trace")
	}
}

// A request body that cannot be replayed (no GetBody) is teed as the transport sends it: the
// server gets the same bytes and the record holds them.
func TestUnreplayableRequestBody(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "openai_chat_basic")
	server := newReplayServer(t, f.steps[0])
	out := observed(t, nil, func() {
		req, err := http.NewRequest("POST", server.localURL(f.steps[0].URL), io.MultiReader(bytes.NewReader(f.steps[0].request)))
		must(t, err)
		if req.GetBody != nil {
			t.Fatal("the test needs a body without GetBody")
		}
		resp, err := aiobs.HTTPClient(nil).Do(req)
		must(t, err)
		io.ReadAll(resp.Body)
		resp.Body.Close()
	})
	if got := server.requestBodies(); len(got) != 1 || !bytes.Equal(got[0], f.steps[0].request) {
		t.Errorf("the server received %q", got)
	}
	assertSameJSON(t, "event", call(only(t, out.Events)), f.expectedCall(server))
}
