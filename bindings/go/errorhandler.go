package aiobs

import (
	"errors"
	"net/http"
	"sync/atomic"
)

var errorHandler atomic.Pointer[func(error)]

// SetErrorHandler sets the function that receives the errors of recording that happens behind
// the program's back (an LLM exchange or span the core refused, say ErrTooLarge), which cannot be
// returned to the caller without changing the call. nil (the default) drops them. A missing
// session and a URL that is no LLM endpoint are not errors and never reach it. A refused span
// is reported on the goroutine that began or ended it; a refused exchange, as an
// *ExchangeError, on the goroutine that records exchanges, after the call returned. The
// handler may run on any goroutine, concurrently.
func SetErrorHandler(handler func(error)) {
	if handler == nil {
		errorHandler.Store(nil)
		return
	}
	errorHandler.Store(&handler)
}

// reportCaptureError hands err to the error handler; req is the request of a refused exchange,
// nil for a span.
func reportCaptureError(err error, req *http.Request) {
	if err == nil || errors.Is(err, ErrNoSession) || errors.Is(err, ErrNotLLMEndpoint) {
		return
	}
	handler := errorHandler.Load()
	if handler == nil {
		return
	}
	if req != nil {
		err = &ExchangeError{Request: req, Err: err}
	}
	(*handler)(err)
}
