package aiobs

import (
	"errors"
	"sync/atomic"
)

var errorHandler atomic.Pointer[func(error)]

// SetErrorHandler sets the function that receives the errors of recording that happens behind
// the program's back (an LLM exchange or span the core refused, say ErrTooLarge), which cannot be
// returned to the caller without changing the call. nil (the default) drops them. A missing
// session and a URL that is no LLM endpoint are not errors and never reach it. A refused span
// is reported on the goroutine that began or ended it; a refused exchange, as an
// *ExchangeError, after the call returned, by whichever goroutine recorded it (often aiobs's own,
// where a panic ends the program; possibly just after a Flush running meanwhile returned). The
// handler may run on any goroutine, concurrently, and may call any function of this package.
func SetErrorHandler(handler func(error)) {
	if handler == nil {
		errorHandler.Store(nil)
		return
	}
	errorHandler.Store(&handler)
}

// reportCaptureError hands err to the error handler, unless it is no error worth one.
func reportCaptureError(err error) {
	if err == nil || errors.Is(err, ErrNoSession) || errors.Is(err, ErrNotLLMEndpoint) {
		return
	}
	if handler := errorHandler.Load(); handler != nil {
		(*handler)(err)
	}
}
