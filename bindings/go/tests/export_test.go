package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

// export is the part of an aiobs export file the tests look at.
type export struct {
	Sessions []struct {
		ID     string            `json:"id"`
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"sessions"`
	Events         []map[string]any `json:"events"`
	FunctionEvents []map[string]any `json:"function_events"`
}

// observed runs fn inside a fresh session and returns what the flush wrote. The core has one
// active session per process, so tests that record never run in parallel.
func observed(t testing.TB, labels map[string]string, fn func()) export {
	t.Helper()
	if _, err := aiobs.Observe(t.Name(), labels); err != nil {
		t.Fatalf("Observe: %v", err)
	}
	fn()
	if err := aiobs.End(); err != nil {
		t.Fatalf("End: %v", err)
	}
	return flushed(t)
}

// flushed flushes everything recorded into a temporary file and reads it back.
func flushed(t testing.TB) export {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.json")
	written, err := aiobs.Flush(path)
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if written != path {
		t.Fatalf("Flush wrote %q, want %q", written, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The fixtures plant SECRET in URLs, cookies and account headers, and the clients' keys
	// carry it: no credential and no request header may reach the file.
	if at := bytes.Index(raw, []byte("SECRET")); at >= 0 {
		t.Errorf("a credential reached the export: ...%s", raw[max(0, at-200):at+6])
	}
	var out export
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("export does not parse: %v", err)
	}
	return out
}

// failOnCaptureErrors makes any error of the capture machinery fail the test.
func failOnCaptureErrors(t testing.TB) {
	t.Helper()
	aiobs.SetErrorHandler(func(err error) { t.Errorf("capture error: %v", err) })
	t.Cleanup(func() { aiobs.SetErrorHandler(nil) })
}

// only returns the one event of an export, failing the test when there are more or none.
func only(t testing.TB, events []map[string]any) map[string]any {
	t.Helper()
	if len(events) != 1 {
		t.Fatalf("want exactly one event, got %d: %v", len(events), events)
	}
	return events[0]
}
