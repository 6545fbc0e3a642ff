package aiobs

import (
	"errors"
	"sync/atomic"
)

var errorHandler atomic.Pointer[func(error)]

// SetErrorHandler sets the function that receives the errors of recording that happens behind
// the program's back (an LLM exchange or span the core refused, say ErrTooLarge), which cannot be
// returned to the caller without changing the call. nil (the default) drops them. A missing
// session and a URL that is no LLM endpoint are not errors and never reach it. The handler may
// run on any goroutine, concurrently.
func SetErrorHandler(handler func(error)) {
	if handler == nil {
		errorHandler.Store(nil)
		return
	}
	errorHandler.Store(&handler)
}

func reportCaptureError(err error) {
	if err == nil || errors.Is(err, ErrNoSession) || errors.Is(err, ErrNotLLMEndpoint) {
		return
	}
	if handler := errorHandler.Load(); handler != nil {
		(*handler)(err)
	}
}
