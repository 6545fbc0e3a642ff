package aiobs

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"slices"
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

// buffers are the byte slices one exchange is assembled in, recycled together: the core copies
// them, so they are free again as soon as the record is made (see recorder.go).
type buffers struct {
	json     []byte // the exchange's JSON, opened on the caller's goroutine and closed at record
	request  []byte // the request body as sent
	response []byte // the response body as received
}

var bufferPool = sync.Pool{New: func() any {
	return &buffers{json: make([]byte, 0, 2<<10), request: make([]byte, 0, 8<<10), response: make([]byte, 0, 8<<10)}
}}

func getBuffers() *buffers { return bufferPool.Get().(*buffers) }

// putBuffers recycles b, but not a slice grown past 1 MiB by a large body: the pool would keep
// it alive for the next small one.
func putBuffers(b *buffers) {
	b.json = recycle(b.json)
	b.request = recycle(b.request)
	b.response = recycle(b.response)
	bufferPool.Put(b)
}

// recycledCap is the largest buffer the pool keeps.
const recycledCap = 1 << 20

func recycle(buf []byte) []byte {
	if cap(buf) > recycledCap {
		return nil
	}
	return buf[:0]
}

// reserve makes room in buf for a body of size bytes (a Content-Length; -1 when unknown), so a
// body is not copied again at every doubling of its buffer. The room is at most what a pooled
// buffer keeps (1 MiB): a declared size is not yet a byte read, and a larger body grows as it
// arrives.
func reserve(buf []byte, size int64) []byte {
	if size <= 0 {
		return buf
	}
	return slices.Grow(buf, int(min(size, int64(bodyLimit()), recycledCap)))
}

// An exchange is one attempt of one HTTP request, from RoundTrip to the end of its response.
type exchange struct {
	req *http.Request // as the caller made it
	buf *buffers      // nil once recorded
	tee *requestTee   // the request body as the transport reads it, when it cannot be replayed

	// Once a response came: its body, whose end, Close or loss makes the record (see
	// capturedBody), and what stops the watches on the request's context and on the body's loss.
	mu          sync.Mutex
	body        io.ReadCloser
	status      int
	stopContext func() bool
	cleanup     runtime.Cleanup
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
		ex.close(message).enqueue(true)
		return resp, err
	}
	ex.respond(resp)
	if resp.Body == nil || resp.Body == http.NoBody || resp.StatusCode == http.StatusSwitchingProtocols {
		ex.close("").enqueue(true)
		return resp, nil
	}
	return ex.watch(req.Context(), resp), nil
}

// beginExchange notes what is known before the request goes out: method, URL, start time, the
// user's callsite, the parent span, the attempt number and the request body. It returns nil
// when the core would not record the exchange.
func beginExchange(req *http.Request) *exchange {
	// The question to the core takes the method and URL NUL-terminated; they stay on the stack
	// unless the URL is long.
	var text [256]byte
	question := append(append(text[:0], req.Method...), 0)
	question = append(appendURL(question, req.URL), 0)
	method, url := question[:len(req.Method)+1], question[len(req.Method)+1:]
	if !httpCheck(method, url) {
		return nil
	}
	ex := &exchange{req: req, buf: getBuffers()}
	j := appendString(append(ex.buf.json, `{"method":`...), req.Method)
	j = appendString(append(j, `,"url":`...), url[:len(url)-1])
	j = appendTime(append(j, `,"started_at":`...), time.Now())
	j = appendCallsite(append(j, `,"callsite":`...))
	j = appendParent(append(j, `,"parent_span_id":`...), req.Context())
	if retry := headerValue(req.Header, "X-Stainless-Retry-Count"); retry != "" {
		if retries, err := strconv.Atoi(retry); err == nil && retries >= 0 {
			j = appendInt(append(j, `,"attempt":`...), retries+1)
		}
	}
	ex.buf.json = j
	switch {
	case req.Body == nil || req.Body == http.NoBody:
	case req.GetBody != nil:
		// The SDKs make their bodies replayable; reading a replay leaves the request untouched.
		// The room reserved holds one byte more than the body, for the read that finds its end.
		if body, err := req.GetBody(); err == nil {
			ex.buf.request = appendFrom(reserve(ex.buf.request, req.ContentLength+1), body, bodyLimit())
			body.Close()
		}
	default:
		ex.tee = &requestTee{body: req.Body}
	}
	return ex
}

// headerValue is http.Header.Get for a name already in canonical form, which spares Get's
// canonicalisation of it on every call.
func headerValue(header http.Header, canonicalName string) string {
	if values := header[canonicalName]; len(values) > 0 {
		return values[0]
	}
	return ""
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
	j := appendInt(append(ex.buf.json, `,"status":`...), resp.StatusCode)
	j = appendStringOrNull(append(j, `,"content_type":`...), headerValue(resp.Header, "Content-Type"))
	ex.buf.json = appendHeaders(append(j, `,"response_headers":`...), resp.Header)
}

// close ends the exchange now and returns it for the recorder; it is closed exactly once.
func (ex *exchange) close(transportError string) pendingRecord {
	b := ex.buf
	j := appendStringOrNull(append(b.json, `,"transport_error":`...), transportError)
	j = appendTime(append(j, `,"ended_at":`...), time.Now())
	b.json = append(j, '}', 0)
	body := b.request
	if ex.tee != nil {
		body = ex.tee.sent()
	}
	ex.buf = nil
	return pendingRecord{buf: b, body: body, request: ex.req}
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
// (possibly on another goroutine, hence the lock; and its own buffer, because the transport may
// go on reading after the record).
type requestTee struct {
	body io.ReadCloser
	mu   sync.Mutex
	buf  []byte
}

func (t *requestTee) Read(p []byte) (int, error) {
	n, err := t.body.Read(p)
	t.mu.Lock()
	if room := bodyLimit() - len(t.buf); room > 0 {
		t.buf = append(t.buf, p[:min(n, room)]...)
	}
	t.mu.Unlock()
	return n, err
}

func (t *requestTee) Close() error { return t.body.Close() }

// sent is a snapshot of what was sent so far.
func (t *requestTee) sent() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.buf)
}

// capturedResponse is the response the caller gets: a copy of the transport's, because the
// transport's own goroutine keeps the original, so the captured body becomes unreachable when
// the caller drops it (and a dropped stream is still recorded). The copy and its body are one
// allocation.
type capturedResponse struct {
	http.Response
	body capturedBody
}

// capturedBody hands the caller every byte of a response body as it arrives and keeps a copy.
// The exchange is recorded on the first of: EOF, a read error, Close, the request's context
// ending, or the body being dropped unclosed (found by the garbage collector).
type capturedBody struct{ ex *exchange }

// watch returns the caller's copy of resp, whose body records the exchange, and arms the
// watches on ctx and on the body's loss. The exchange must not point back to the copy, or the
// garbage collector could never find it dropped.
func (ex *exchange) watch(ctx context.Context, resp *http.Response) *http.Response {
	ex.body, ex.status = resp.Body, resp.StatusCode
	ex.buf.response = reserve(ex.buf.response, resp.ContentLength)
	captured := &capturedResponse{Response: *resp, body: capturedBody{ex: ex}}
	captured.Response.Body = &captured.body
	ex.mu.Lock() // the context may have ended already: its record waits for the setup
	defer ex.mu.Unlock()
	ex.cleanup = runtime.AddCleanup(captured, func(ex *exchange) {
		ex.finish("the response body was dropped before its end without being closed")
	}, ex)
	if ctx.Done() != nil {
		ex.stopContext = context.AfterFunc(ctx, func() {
			ex.finish("the request's context ended before the response body did: " + context.Cause(ctx).Error())
		})
	}
	return &captured.Response
}

// Read implements io.Reader, passing through what the body yields.
func (b *capturedBody) Read(p []byte) (int, error) {
	ex := b.ex
	n, err := ex.body.Read(p)
	var closed pendingRecord
	ex.mu.Lock()
	if ex.buf != nil {
		if room := bodyLimit() - len(ex.buf.response); room > 0 {
			ex.buf.response = append(ex.buf.response, p[:min(n, room)]...)
		}
		switch {
		case err == io.EOF:
			closed = ex.closeLocked("")
		case err != nil:
			closed = ex.closeLocked(err.Error())
		}
	}
	ex.mu.Unlock()
	closed.enqueue(true)
	return n, err
}

// Close implements io.Closer. An error response closed unread (SDKs do that before a retry) is
// read first, so the record holds the provider's error; any other body is recorded with what
// arrived, so closing a stream early never waits for its end.
func (b *capturedBody) Close() error {
	ex := b.ex
	var closed pendingRecord
	ex.mu.Lock()
	if ex.buf != nil {
		if ex.status >= 400 {
			ex.buf.response = appendFrom(ex.buf.response, ex.body, bodyLimit())
		}
		closed = ex.closeLocked("")
	}
	ex.mu.Unlock()
	closed.enqueue(true)
	return ex.body.Close()
}

// finish closes the exchange from a watch: the request's context ending (on a goroutine of
// context.AfterFunc's) or the body's loss (on the runtime's cleanup goroutine, which must not
// be held up, so the record is always left to the recorder).
func (ex *exchange) finish(transportError string) {
	var closed pendingRecord
	ex.mu.Lock()
	if ex.buf != nil {
		closed = ex.closeLocked(transportError)
	}
	ex.mu.Unlock()
	closed.enqueue(false)
}

// closeLocked stops the watches and closes the exchange, under ex.mu.
func (ex *exchange) closeLocked(transportError string) pendingRecord {
	if ex.stopContext != nil {
		ex.stopContext()
	}
	ex.cleanup.Stop()
	return ex.close(transportError)
}
