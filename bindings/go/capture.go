package aiobs

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// captureLimit bounds what is teed of one body: the core's max_input_bytes (16 MiB unless
// Configure changed it), beyond which the core keeps nothing more. The caller still receives
// every byte.
var captureLimit atomic.Int64

func init() { captureLimit.Store(16 << 20) }

func bodyLimit() int { return int(captureLimit.Load()) }

// buffers recycles the byte slices an exchange is assembled in; the core copies them, so they
// are free again as soon as the record is made.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= 1<<20 {
		*b = (*b)[:0]
		buffers.Put(b)
	}
}

// An exchange is one attempt of one HTTP request, from RoundTrip to the end of its response.
type exchange struct {
	json    *[]byte // the exchange's JSON, opened on the caller's goroutine and closed at record
	request *[]byte // the request body as sent
	tee     *requestTee
}

// capture sends req with send and records the exchange: at once when no response came, else
// when the response body ends (see capturedBody). A request the core would not record (no LLM
// endpoint, no active session) goes out untouched, at the cost of one question to the core.
func capture(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	ex := beginExchange(req)
	if ex == nil {
		return send(req)
	}
	if ex.tee != nil {
		teed := *req
		teed.Body = ex.tee
		req = &teed
	}
	resp, err := send(req)
	if err != nil || resp == nil {
		message := "no response"
		if err != nil {
			message = err.Error()
		}
		ex.record(nil, message)
		return resp, err
	}
	ex.respond(resp)
	if resp.Body == nil || resp.Body == http.NoBody || resp.StatusCode == http.StatusSwitchingProtocols {
		ex.record(nil, "")
		return resp, nil
	}
	// A copy, because the transport's own goroutine keeps the original: the captured body must
	// become unreachable when the caller drops it, so a dropped stream is still recorded.
	captured := *resp
	captured.Body = newCapturedBody(req.Context(), resp, ex)
	return &captured, nil
}

// beginExchange notes what is known before the request goes out: method, URL, start time, the
// user's callsite, the parent span, the attempt number and the request body. It returns nil
// when the core would not record the exchange.
func beginExchange(req *http.Request) *exchange {
	url := req.URL.String()
	json := getBuffer()
	j := append(append(*json, req.Method...), 0)
	j = append(append(j, url...), 0)
	if !httpCheck(j[:len(req.Method)+1], j[len(req.Method)+1:]) {
		*json = j
		putBuffer(json)
		return nil
	}
	ex := &exchange{json: json, request: getBuffer()}
	j = append(j[:0], `{"method":`...)
	j = appendString(j, req.Method)
	j = appendString(append(j, `,"url":`...), url)
	j = appendTime(append(j, `,"started_at":`...), time.Now())
	j = appendCallsite(append(j, `,"callsite":`...))
	j = appendParent(append(j, `,"parent_span_id":`...), req.Context())
	if retry := req.Header.Get("X-Stainless-Retry-Count"); retry != "" {
		if retries, err := strconv.Atoi(retry); err == nil && retries >= 0 {
			j = appendInt(append(j, `,"attempt":`...), retries+1)
		}
	}
	*ex.json = j
	switch {
	case req.Body == nil || req.Body == http.NoBody:
	case req.GetBody != nil:
		// The SDKs make their bodies replayable; reading a replay leaves the request untouched.
		if body, err := req.GetBody(); err == nil {
			*ex.request = appendFrom(*ex.request, body, bodyLimit())
			body.Close()
		}
	default:
		ex.tee = &requestTee{body: req.Body, buf: ex.request}
	}
	return ex
}

// appendFrom appends what r yields, up to limit bytes in dst, and drops the rest.
func appendFrom(dst []byte, r io.Reader, limit int) []byte {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		room := min(cap(dst), limit) - len(dst)
		if room <= 0 {
			_, _ = io.Copy(io.Discard, r)
			return dst
		}
		n, err := r.Read(dst[len(dst) : len(dst)+room])
		dst = dst[:len(dst)+n]
		if err != nil {
			return dst
		}
	}
}

// respond notes the response's status and headers as they arrive, before the caller can touch
// them.
func (ex *exchange) respond(resp *http.Response) {
	j := appendInt(append(*ex.json, `,"status":`...), resp.StatusCode)
	j = appendStringOrNull(append(j, `,"content_type":`...), resp.Header.Get("Content-Type"))
	*ex.json = appendHeaders(append(j, `,"response_headers":`...), resp.Header)
}

// record closes the exchange's JSON and hands it with both bodies to the core, exactly once.
func (ex *exchange) record(body []byte, transportError string) {
	j := *ex.json
	j = appendStringOrNull(append(j, `,"transport_error":`...), transportError)
	j = appendTime(append(j, `,"ended_at":`...), time.Now())
	j = append(j, '}', 0)
	*ex.json = j
	request := *ex.request
	if ex.tee != nil {
		request = ex.tee.sent()
	}
	reportCaptureError(recordHTTP(j, request, body))
	putBuffer(ex.json)
	if ex.tee == nil {
		putBuffer(ex.request)
	}
}

// appendHeaders appends response headers as the core takes them: name -> string, or an array
// when the header came more than once. The core keeps only its allow-list.
func appendHeaders(dst []byte, header http.Header) []byte {
	dst = append(dst, '{')
	for name, values := range header {
		dst = appendSeparator(dst)
		dst = append(appendString(dst, name), ':')
		if len(values) == 1 {
			dst = appendString(dst, values[0])
			continue
		}
		dst = append(dst, '[')
		for _, value := range values {
			dst = appendString(appendSeparator(dst), value)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// requestTee keeps a copy of a request body that cannot be replayed, as the transport reads it
// (possibly on another goroutine, hence the lock).
type requestTee struct {
	body io.ReadCloser
	mu   sync.Mutex
	buf  *[]byte
}

func (t *requestTee) Read(p []byte) (int, error) {
	n, err := t.body.Read(p)
	t.mu.Lock()
	if room := bodyLimit() - len(*t.buf); room > 0 {
		*t.buf = append(*t.buf, p[:min(n, room)]...)
	}
	t.mu.Unlock()
	return n, err
}

func (t *requestTee) Close() error { return t.body.Close() }

// sent is a snapshot of what was sent so far.
func (t *requestTee) sent() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), *t.buf...)
}

// capturedBody hands the caller every byte of a response body as it arrives and keeps a copy.
// The exchange is recorded on the first of: EOF, a read error, Close, the request's context
// ending, or the body being dropped unclosed (found by the garbage collector).
type capturedBody struct{ state *bodyState }

// bodyState is what the garbage collector's cleanup needs, so it must not point back to the
// capturedBody (nor to the http.Response that holds it).
type bodyState struct {
	body        io.ReadCloser
	status      int
	ex          *exchange
	mu          sync.Mutex
	buf         *[]byte
	recorded    bool
	stopContext func() bool
	cleanup     runtime.Cleanup
}

func newCapturedBody(ctx context.Context, resp *http.Response, ex *exchange) *capturedBody {
	state := &bodyState{body: resp.Body, status: resp.StatusCode, ex: ex, buf: getBuffer()}
	wrapper := &capturedBody{state: state}
	state.mu.Lock() // the context may have ended already: its record waits for the setup
	defer state.mu.Unlock()
	state.cleanup = runtime.AddCleanup(wrapper, func(s *bodyState) {
		s.finish("the response body was dropped before its end without being closed")
	}, state)
	if ctx.Done() != nil {
		state.stopContext = context.AfterFunc(ctx, func() {
			state.finish("the request's context ended before the response body did: " + context.Cause(ctx).Error())
		})
	}
	return wrapper
}

// Read implements io.Reader, passing through what the body yields.
func (b *capturedBody) Read(p []byte) (int, error) {
	s := b.state
	n, err := s.body.Read(p)
	s.mu.Lock()
	if !s.recorded {
		if room := bodyLimit() - len(*s.buf); room > 0 {
			*s.buf = append(*s.buf, p[:min(n, room)]...)
		}
		switch {
		case err == io.EOF:
			s.recordLocked("")
		case err != nil:
			s.recordLocked(err.Error())
		}
	}
	s.mu.Unlock()
	return n, err
}

// Close implements io.Closer. An error response closed unread (SDKs do that before a retry) is
// read first, so the record holds the provider's error; any other body is recorded with what
// arrived, so closing a stream early never waits for its end.
func (b *capturedBody) Close() error {
	s := b.state
	s.mu.Lock()
	if !s.recorded {
		if s.status >= 400 {
			*s.buf = appendFrom(*s.buf, s.body, bodyLimit())
		}
		s.recordLocked("")
	}
	s.mu.Unlock()
	return s.body.Close()
}

func (s *bodyState) finish(transportError string) {
	s.mu.Lock()
	if !s.recorded {
		s.recordLocked(transportError)
	}
	s.mu.Unlock()
}

func (s *bodyState) recordLocked(transportError string) {
	s.recorded = true
	if s.stopContext != nil {
		s.stopContext()
	}
	s.cleanup.Stop()
	s.ex.record(*s.buf, transportError)
	putBuffer(s.buf)
	s.buf = nil
}
