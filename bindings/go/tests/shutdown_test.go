package tests

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

// Spans and calls leave for an OTLP collector from the core's exporter; Shutdown sends what is
// pending before it returns, and the exporter's counters say so.
func TestShutdownExportsToOTLP(t *testing.T) {
	failOnCaptureErrors(t)
	var posts atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
	}))
	defer collector.Close()
	// "enabled" too: the cleanup below turns export off, and settings persist between runs.
	must(t, aiobs.Configure(map[string]any{"otlp": map[string]any{"enabled": true, "endpoint": collector.URL, "protocol": "http/json", "schedule_delay_ms": 60000}}))
	defer func() {
		must(t, aiobs.Shutdown(context.Background()))
		must(t, aiobs.Configure(map[string]any{"otlp": map[string]any{"enabled": false}}))
	}()
	observed(t, nil, func() {
		_, span := aiobs.StartSpan(context.Background(), "exported")
		must(t, span.End("ok", nil))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, aiobs.Shutdown(ctx))
	stats, err := aiobs.ReadStats()
	must(t, err)
	if posts.Load() == 0 || stats.OTLP == nil || stats.OTLP.Exported < 1 {
		t.Errorf("want the span exported before Shutdown returned: %d posts, %+v", posts.Load(), stats.OTLP)
	}
}

// Without an exporter Shutdown returns at once, also with a deadline already past.
func TestShutdownWithoutExporter(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	must(t, aiobs.Shutdown(ctx))
}
