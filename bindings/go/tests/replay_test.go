package tests

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

// Every fixture, sent byte for byte through a plain net/http client wrapped by aiobs.Transport,
// gives exactly the fixture's expected event, and the server receives exactly the fixture's
// request bytes.
func TestEveryFixtureThroughTransport(t *testing.T) {
	failOnCaptureErrors(t)
	client := aiobs.HTTPClient(nil)
	servers := map[string]*replayServer{}
	fixtures := allFixtures(t)
	for _, f := range fixtures {
		server := newReplayServer(t, f.steps...)
		servers[f.name] = server
		if _, err := aiobs.Observe(f.name, nil); err != nil {
			t.Fatal(err)
		}
		for _, step := range f.steps {
			send(t, client, server, step)
		}
		if err := aiobs.End(); err != nil {
			t.Fatal(err)
		}
	}
	out := flushed(t)
	sessionName := map[string]string{}
	for _, s := range out.Sessions {
		sessionName[s.ID] = s.Name
	}
	events := map[string][]map[string]any{}
	for _, e := range out.Events {
		name := sessionName[e["session_id"].(string)]
		events[name] = append(events[name], e)
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			server := servers[f.name]
			for i, body := range server.requestBodies() {
				if !bytes.Equal(body, f.steps[i].request) {
					t.Errorf("step %d: the server received %q, the client sent %q", i, body, f.steps[i].request)
				}
			}
			got := call(only(t, events[f.name]))
			want := f.expectedCall(server)
			if f.hasTransportError() {
				if got["error"] == nil {
					t.Errorf("a failed exchange must have an error, got %v", got)
				}
				got["error"] = want["error"]
			}
			assertSameJSON(t, "event", got, want)
		})
	}
}

// send replays one fixture step's request and reads the response to its end, as SDKs do.
func send(t *testing.T, client *http.Client, server *replayServer, step exchangeCase) {
	t.Helper()
	var body io.Reader
	if len(step.request) > 0 {
		body = bytes.NewReader(step.request)
	}
	req, err := http.NewRequestWithContext(context.Background(), step.Method, server.localURL(step.URL), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if step.Attempt > 1 { // the header the official SDKs send; the binding derives the attempt from it
		req.Header.Set("X-Stainless-Retry-Count", strconv.Itoa(step.Attempt-1))
	}
	resp, err := client.Do(req)
	if err != nil {
		if step.Status != 0 {
			t.Fatalf("%s %s: %v", step.Method, step.URL, err)
		}
		return
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil && step.TransportError == nil {
		t.Fatalf("reading %s: %v", step.URL, err)
	}
	if !bytes.Equal(got, step.response) {
		t.Errorf("%s: the caller received %d bytes, the server sent %d", step.URL, len(got), len(step.response))
	}
}
