package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
)

// The shared provider test vectors (tests/fixtures/providers, see its README): every language
// replays them and must produce the same events.
const fixtureRoot = "../../../tests/fixtures/providers"

// exchangeCase is one recorded HTTP exchange of a fixture.
type exchangeCase struct {
	Method          string         `json:"method"`
	URL             string         `json:"url"`
	Status          int            `json:"status"`
	ContentType     *string        `json:"content_type"`
	TransportError  *string        `json:"transport_error"`
	ResponseHeaders map[string]any `json:"response_headers"`
	Attempt         int            `json:"attempt"`
	request         []byte
	response        []byte
}

// fixture is one case, or a sequence of them (a Veo submit and its polls), with the event the
// core must make of it.
type fixture struct {
	name     string
	steps    []exchangeCase
	expected map[string]any
}

func readJSON(t testing.TB, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readCase(t testing.TB, dir string) exchangeCase {
	t.Helper()
	var c exchangeCase
	readJSON(t, filepath.Join(dir, "exchange.json"), &c)
	c.request, _ = os.ReadFile(filepath.Join(dir, "request.body")) // absent: empty
	c.response, _ = os.ReadFile(filepath.Join(dir, "response.body"))
	return c
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	dir := filepath.Join(fixtureRoot, name)
	f := fixture{name: name}
	readJSON(t, filepath.Join(dir, "expected.json"), &f.expected)
	if _, err := os.Stat(filepath.Join(dir, "exchange.json")); err == nil {
		f.steps = []exchangeCase{readCase(t, dir)}
		return f
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries { // ReadDir sorts by name: 1-submit, 2-poll, ...
		if entry.IsDir() {
			f.steps = append(f.steps, readCase(t, filepath.Join(dir, entry.Name())))
		}
	}
	return f
}

func allFixtures(t testing.TB) []fixture {
	t.Helper()
	entries, err := os.ReadDir(fixtureRoot)
	if err != nil {
		t.Fatal(err)
	}
	var all []fixture
	for _, entry := range entries {
		if entry.IsDir() {
			all = append(all, loadFixture(t, entry.Name()))
		}
	}
	if len(all) < 40 {
		t.Fatalf("only %d fixtures in %s", len(all), fixtureRoot)
	}
	return all
}

// replayServer answers each request with the next fixture step whose method and path match,
// exactly as the provider sent it: SSE streams go out event by event, flushed, so the client
// sees a real stream; a step without status drops the connection before any response; a step
// with a transport error drops it after the body.
type replayServer struct {
	*httptest.Server
	mu       sync.Mutex
	steps    []exchangeCase
	received [][]byte // request bodies, in arrival order
}

func newReplayServer(t testing.TB, steps ...exchangeCase) *replayServer {
	t.Helper()
	s := &replayServer{steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *replayServer) serve(w http.ResponseWriter, r *http.Request) {
	body := new(bytes.Buffer)
	body.ReadFrom(r.Body)
	step, ok := s.next(r, body.Bytes())
	if !ok {
		http.Error(w, "no fixture step for "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		return
	}
	if step.Status == 0 {
		panic(http.ErrAbortHandler)
	}
	for name, value := range step.ResponseHeaders {
		switch value := value.(type) {
		case string:
			w.Header().Add(name, value)
		case []any:
			for _, v := range value {
				w.Header().Add(name, v.(string))
			}
		}
	}
	if step.ContentType != nil {
		w.Header().Set("Content-Type", *step.ContentType)
	}
	w.WriteHeader(step.Status)
	for _, chunk := range splitEvents(step.response) {
		w.Write(chunk)
		w.(http.Flusher).Flush()
	}
	if step.TransportError != nil {
		panic(http.ErrAbortHandler)
	}
}

func (s *replayServer) next(r *http.Request, body []byte) (exchangeCase, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, body)
	for i, step := range s.steps {
		u, _ := url.Parse(step.URL)
		if step.Method == r.Method && u.Path == r.URL.Path {
			s.steps = append(s.steps[:i:i], s.steps[i+1:]...)
			return step, true
		}
	}
	return exchangeCase{}, false
}

func (s *replayServer) requestBodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.received...)
}

// splitEvents cuts a body after each blank line, so SSE events arrive one by one.
func splitEvents(body []byte) [][]byte {
	var chunks [][]byte
	for len(body) > 0 {
		end := bytes.Index(body, []byte("\n\n"))
		if end < 0 {
			return append(chunks, body)
		}
		chunks = append(chunks, body[:end+2])
		body = body[end+2:]
	}
	return chunks
}

// localURL is the fixture's URL on the replay server: same path and query, local host.
func (s *replayServer) localURL(fixtureURL string) string {
	u, _ := url.Parse(fixtureURL)
	local, _ := url.Parse(s.URL)
	u.Scheme, u.Host = local.Scheme, local.Host
	return u.String()
}

// call is the part of an event the fixtures' expected.json describes (as the C and Rust tests
// compare it: operation is the core's internal fold state, not part of the event).
func call(event map[string]any) map[string]any {
	out := map[string]any{}
	for _, key := range []string{"provider", "api", "request", "response", "error"} {
		out[key] = event[key]
	}
	return out
}

// expectedCall is the fixture's expected call as it looks when served by s: the recorded URL is
// the local one (credentials still removed).
func (f fixture) expectedCall(s *replayServer) map[string]any {
	want := map[string]any{}
	for key, value := range f.expected {
		if key != "operation" {
			want[key] = value
		}
	}
	if request, ok := want["request"].(map[string]any); ok {
		if u, ok := request["url"].(string); ok {
			copied := map[string]any{}
			for k, v := range request {
				copied[k] = v
			}
			copied["url"] = s.localURL(u)
			want["request"] = copied
		}
	}
	return want
}

// hasTransportError reports whether the fixture's exchange failed on the wire: its error text
// comes from the HTTP library that recorded it, so only its presence is compared.
func (f fixture) hasTransportError() bool {
	for _, step := range f.steps {
		if step.TransportError != nil {
			return true
		}
	}
	return false
}

// assertSameJSON fails, naming each differing JSON path, when got and want differ as JSON values.
func assertSameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	var differences []string
	diffJSON("$", normalJSON(got), normalJSON(want), &differences)
	for _, d := range differences {
		t.Errorf("%s: %s", what, d)
	}
}

func normalJSON(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	json.Unmarshal(raw, &out)
	return out
}

func diffJSON(path string, got, want any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		for key := range w {
			diffJSON(path+"."+key, g[key], w[key], out)
		}
		for key := range g {
			if _, ok := w[key]; !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %s", path, key, short(g[key])))
			}
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			diffJSON(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], out)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want)))
	}
}

func short(v any) string {
	raw, _ := json.Marshal(v)
	if len(raw) > 300 {
		return string(raw[:300]) + "..."
	}
	return string(raw)
}

// dropPath deletes the value at path (object keys and array indexes) from a decoded JSON value.
func dropPath(v any, path ...string) {
	for i, step := range path {
		last := i == len(path)-1
		switch node := v.(type) {
		case map[string]any:
			if last {
				delete(node, step)
				return
			}
			v = node[step]
		case []any:
			index, err := strconv.Atoi(step)
			if err != nil || index >= len(node) {
				return
			}
			if last {
				node[index] = nil
				return
			}
			v = node[index]
		default:
			return
		}
	}
}
