// Command jaeger_session_go records the Jaeger test's session through the Go binding and exports
// it over OTLP: a traced pipeline with a nested retrieval span, a chat, a streamed chat, an
// embeddings call and a failed call (the shared provider fixtures, replayed by a local HTTPS
// server and captured by aiobs.Transport), and a span that ends with an error. Unlike the C
// program it does not fork: a Go process cannot.
//
// usage: jaeger_session_go FIXTURES_DIR OTLP_BASE_URL PROTOCOL SERVICE_NAME OUT_JSON
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

// exchange is a fixture's exchange.json: the request line and the response the provider gave.
type exchange struct {
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	Status          int               `json:"status"`
	ContentType     string            `json:"content_type"`
	ResponseHeaders map[string]string `json:"response_headers"`
	request         []byte
	response        []byte
}

// ValueError is the summarise span's error; its type name is what Jaeger shows as error.type.
type ValueError struct{ message string }

func (e ValueError) Error() string { return e.message }

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintf(os.Stderr, "usage: %s FIXTURES_DIR OTLP_BASE_URL PROTOCOL SERVICE_NAME OUT_JSON\n", os.Args[0])
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]); err != nil {
		fmt.Fprintln(os.Stderr, "jaeger_session_go:", err)
		os.Exit(1)
	}
	fmt.Printf("jaeger_session_go (%s): session recorded and exported\n", os.Args[3])
}

func run(fixtures, endpoint, protocol, service, out string) error {
	names := []string{"openai_embeddings", "openai_chat_basic", "openai_chat_stream", "openai_chat_http_error"}
	exchanges := map[string]exchange{}
	for _, name := range names {
		ex, err := readExchange(filepath.Join(fixtures, name))
		if err != nil {
			return err
		}
		exchanges[name] = ex
	}
	replies := make(chan exchange, len(names)) // the fixtures to answer with, in call order
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		next := <-replies
		for name, value := range next.ResponseHeaders {
			w.Header().Set(name, value)
		}
		w.Header().Set("Content-Type", next.ContentType)
		w.WriteHeader(next.Status)
		w.Write(next.response)
	}))
	defer server.Close()
	client := aiobs.HTTPClient(&http.Client{Transport: towards(server), Timeout: 10 * time.Second})

	err := aiobs.Configure(map[string]any{"otlp": map[string]any{
		"endpoint": endpoint, "protocol": protocol, "service_name": service,
		"schedule_delay_ms": 100, "capture_message_content": true,
	}})
	if err != nil {
		return err
	}
	if _, err := aiobs.Observe("jaeger-session", map[string]string{"team": "search"}); err != nil {
		return err
	}
	call := func(ctx context.Context, name string) error {
		replies <- exchanges[name]
		return send(ctx, client, exchanges[name])
	}

	ctx, pipeline := aiobs.StartSpan(context.Background(), "pipeline", aiobs.WithArgs("question"))
	retrieveCtx, retrieve := aiobs.StartSpan(ctx, "retrieve")
	steps := []error{call(retrieveCtx, "openai_embeddings"), retrieve.End([]string{"doc-1"}, nil)}
	for _, name := range names[1:] {
		steps = append(steps, call(ctx, name))
	}
	_, summarise := aiobs.StartSpan(ctx, "summarise")
	steps = append(steps,
		summarise.End(nil, ValueError{"nothing to summarise"}),
		pipeline.End("answer", nil))
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	if _, err := aiobs.Flush(out); err != nil {
		return err
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := aiobs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	stats, err := aiobs.ReadStats()
	if err != nil {
		return err
	}
	if stats.OTLP == nil || stats.OTLP.Exported != 7 || stats.OTLP.Dropped != 0 {
		return fmt.Errorf("exporter stats %+v, want 7 exported and none dropped", stats.OTLP)
	}
	return nil
}

func readExchange(dir string) (exchange, error) {
	var ex exchange
	raw, err := os.ReadFile(filepath.Join(dir, "exchange.json"))
	if err != nil {
		return ex, err
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		return ex, fmt.Errorf("%s: %w", dir, err)
	}
	if ex.request, err = os.ReadFile(filepath.Join(dir, "request.body")); err != nil {
		return ex, err
	}
	ex.response, err = os.ReadFile(filepath.Join(dir, "response.body"))
	return ex, err
}

// towards is a transport that connects to server whatever host a request names, so requests keep
// the provider's URL (https://api.openai.com/...) and the recorded server address is the real one.
func towards(server *httptest.Server) http.RoundTripper {
	transport := server.Client().Transport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, server.Listener.Addr().String())
	}
	transport.TLSClientConfig.ServerName = "example.com" // a name httptest's certificate holds
	return transport
}

// send makes the fixture's request and reads the response to its end, as SDKs do; an HTTP error
// status is the provider's answer, not a failure of the program.
func send(ctx context.Context, client *http.Client, ex exchange) error {
	req, err := http.NewRequestWithContext(ctx, ex.Method, ex.URL, bytes.NewReader(ex.request))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
