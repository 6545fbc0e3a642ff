package aiobs

import (
	"net/http"
	"strconv"
)

// Code is the status of a failed aiobs call, as the core returns it. Every code is also a
// sentinel error, so callers test for one with errors.Is:
//
//	if errors.Is(err, aiobs.ErrLabelLimit) { ... }
//
// Codes are only ever appended in the core; an unknown one is still an error and prints its
// number.
type Code uint32

// The codes of include/aiobs.h.
const (
	// ErrInvalidArgument: a required argument was missing, not UTF-8, of the wrong JSON type or
	// out of range.
	ErrInvalidArgument Code = codeInvalidArgument
	// ErrInvalidJSON: a JSON argument did not parse.
	ErrInvalidJSON Code = codeInvalidJSON
	// ErrInvalidLabel: a label key or value broke the label rules; nothing changed.
	ErrInvalidLabel Code = codeInvalidLabel
	// ErrLabelLimit: the session would hold more than 64 labels; nothing changed.
	ErrLabelLimit Code = codeLabelLimit
	// ErrNoSession: the call needs an active session (Observe) and there is none.
	ErrNoSession Code = codeNoSession
	// ErrUnknownSpan: the span is not open (it never began or ended already).
	ErrUnknownSpan Code = codeUnknownSpan
	// ErrTooLarge: an input is larger than the core's max_input_bytes setting.
	ErrTooLarge Code = codeTooLarge
	// ErrIO: the export could not be written; everything recorded is kept for the next flush.
	ErrIO Code = codeIO
	// ErrPanic: the core hit an internal error and stopped it at its boundary; what was
	// recorded before is kept.
	ErrPanic Code = codePanic
	// ErrNotLLMEndpoint: the URL is no LLM endpoint the core knows, so nothing was recorded.
	// The HTTP capture never reports it: such requests simply pass through.
	ErrNotLLMEndpoint Code = codeNotLLMEndpoint
	// ErrMemoryLimit: the store already holds the core's max_memory_bytes (nothing flushed it,
	// or flushes keep failing); the event was dropped and counted (Stats.EventsDropped).
	ErrMemoryLimit Code = codeMemoryLimit
	// ErrTimeout: Shutdown ran out of time; what the OTLP exporter still held was dropped and
	// counted.
	ErrTimeout Code = codeTimeout
)

var codeNames = map[Code]string{
	ErrInvalidArgument: "invalid argument",
	ErrInvalidJSON:     "invalid JSON",
	ErrInvalidLabel:    "invalid label",
	ErrLabelLimit:      "label limit",
	ErrNoSession:       "no active session",
	ErrUnknownSpan:     "unknown span",
	ErrTooLarge:        "input too large",
	ErrIO:              "I/O error",
	ErrPanic:           "internal error",
	ErrNotLLMEndpoint:  "not an LLM endpoint",
	ErrMemoryLimit:     "memory limit reached",
	ErrTimeout:         "timed out",
}

// Error names the code, e.g. "aiobs: no active session".
func (c Code) Error() string {
	if name, ok := codeNames[c]; ok {
		return "aiobs: " + name
	}
	return "aiobs: status " + strconv.FormatUint(uint64(c), 10)
}

// Error is a failed aiobs call: the core's status code and its message.
type Error struct {
	Code    Code
	Message string
}

// Error returns the core's message, e.g. `aiobs: label key "Bad" must match ^[a-z][a-z0-9_]{0,62}$`.
func (e *Error) Error() string { return "aiobs: " + e.Message }

// Unwrap returns the code, so errors.Is(err, aiobs.ErrNoSession) and the like work.
func (e *Error) Unwrap() error { return e.Code }

// ExchangeError is what the error handler (SetErrorHandler) receives when the core refused a
// captured LLM exchange: the request it was made with, and the core's error. The exchange is
// recorded after the call returned, when the caller may be reusing the request: read its
// Context (to tell which call it was), not fields the caller may change.
type ExchangeError struct {
	Request *http.Request
	Err     error
}

// Error returns the core's message.
func (e *ExchangeError) Error() string { return e.Err.Error() }

// Unwrap returns the core's error, so errors.Is(err, aiobs.ErrMemoryLimit) and the like work.
func (e *ExchangeError) Unwrap() error { return e.Err }
