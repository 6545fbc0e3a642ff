package aiobs

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
)

// Span is one call of a traced function, the Go form of Python aiobs's @observe. It is recorded
// as a function event when it ends; LLM calls and spans started with a context that carries it
// become its children, from any goroutine. A nil *Span (no active session) is valid and does
// nothing.
type Span struct {
	id            [spanIDLen + 1]byte // NUL-terminated, as the core takes it
	captureResult bool
	ended         atomic.Bool
}

// spanIDLen is the length of a span id: 16 hex digits.
const spanIDLen = 16

type spanKey struct{}

// spanContext is the context that carries a span: the span and the context in one allocation.
type spanContext struct {
	context.Context
	span Span
}

// Value implements context.Context: the span for spanKey, else the parent's value.
func (c *spanContext) Value(key any) any {
	if key == (spanKey{}) {
		return &c.span
	}
	return c.Context.Value(key)
}

// SpanFromContext returns the span ctx carries, or nil.
func SpanFromContext(ctx context.Context) *Span {
	span, _ := ctx.Value(spanKey{}).(*Span)
	return span
}

// ID returns the span's id (16 hex digits), or "" for a nil span.
func (s *Span) ID() string {
	if s == nil {
		return ""
	}
	return string(s.id[:spanIDLen])
}

type spanOptions struct {
	module           string
	args             []any
	kwargs           map[string]any
	captureArgs      bool
	captureResult    bool
	enhPrompt        bool
	autoEnhanceAfter int
}

// SpanOption configures StartSpan.
type SpanOption func(*spanOptions)

// WithArgs records the traced function's positional arguments (as JSON, through encoding/json).
func WithArgs(args ...any) SpanOption { return func(o *spanOptions) { o.args = args } }

// WithKwargs records the traced function's named arguments.
func WithKwargs(kwargs map[string]any) SpanOption {
	return func(o *spanOptions) { o.kwargs = kwargs }
}

// WithModule sets the module shown before the name (the event's api is "<module>.<name>").
func WithModule(module string) SpanOption { return func(o *spanOptions) { o.module = module } }

// CaptureArgs turns recording of the arguments on (the default) or off.
func CaptureArgs(on bool) SpanOption { return func(o *spanOptions) { o.captureArgs = on } }

// CaptureResult turns recording of the result passed to End on (the default) or off.
func CaptureResult(on bool) SpanOption { return func(o *spanOptions) { o.captureResult = on } }

// EnhPrompt marks the span for prompt enhancement: its event gets an enh_prompt_id.
func EnhPrompt() SpanOption { return func(o *spanOptions) { o.enhPrompt = true } }

// AutoEnhanceAfter sets the number of traces after which prompt enhancement runs on its own.
func AutoEnhanceAfter(n int) SpanOption {
	return func(o *spanOptions) { o.autoEnhanceAfter = n }
}

// StartSpan opens a span named name and returns a context that carries it, so what runs with
// that context (LLM calls through Transport, nested spans, other goroutines) becomes its child.
// The parent is the span ctx carries, or none (a root). End the span with Span.End. Without an
// active session it returns ctx unchanged and a nil span, and nothing is recorded. Safe for
// concurrent use.
func StartSpan(ctx context.Context, name string, opts ...SpanOption) (context.Context, *Span) {
	spanCtx, err := startSpan(ctx, name, opts)
	if err != nil {
		reportCaptureError(err)
		return ctx, nil
	}
	return spanCtx, &spanCtx.span
}

func startSpan(ctx context.Context, name string, opts []SpanOption) (*spanContext, error) {
	options := defaultSpanOptions
	if len(opts) > 0 {
		options = applySpanOptions(opts)
	}
	var buf [512]byte // the request of a span without arguments fits, and stays on the stack
	request := appendString(append(buf[:0], `{"name":`...), name)
	if options.module != "" {
		request = appendString(append(request, `,"module":`...), options.module)
	}
	if options.captureArgs && options.args != nil {
		request = appendValue(append(request, `,"args":`...), options.args)
	}
	if options.captureArgs && options.kwargs != nil {
		request = appendValue(append(request, `,"kwargs":`...), options.kwargs)
	}
	if options.enhPrompt {
		request = append(request, `,"enh_prompt":true`...)
	}
	if options.autoEnhanceAfter >= 0 {
		request = appendInt(append(request, `,"auto_enhance_after":`...), options.autoEnhanceAfter)
	}
	request = appendCallsite(append(request, `,"callsite":`...))
	request = appendParent(append(request, `,"parent_span_id":`...), ctx)
	spanCtx := &spanContext{Context: ctx, span: Span{captureResult: options.captureResult}}
	if err := spanBegin(append(request, '}', 0), spanCtx.span.id[:]); err != nil {
		return nil, err
	}
	return spanCtx, nil
}

var defaultSpanOptions = spanOptions{captureArgs: true, captureResult: true, autoEnhanceAfter: -1}

// applySpanOptions is apart from startSpan because the options escape to the heap once an
// option function sees them: a span without options allocates nothing for them.
func applySpanOptions(opts []SpanOption) spanOptions {
	options := defaultSpanOptions
	for _, opt := range opts {
		opt(&options)
	}
	return options
}

// appendParent appends the id of the span ctx carries, or null: the core is always told the
// parent, because its per-thread span stack cannot follow goroutines across OS threads.
func appendParent(dst []byte, ctx context.Context) []byte {
	if parent := SpanFromContext(ctx); parent != nil {
		dst = append(dst, '"')
		dst = append(dst, parent.id[:spanIDLen]...)
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

// End records the span with the function's result (as JSON, unless CaptureResult(false)) and
// error (nil for success; recorded as "<ErrorType>: <message>"). It may run on any goroutine.
// Ending a span twice returns ErrUnknownSpan; a nil span returns nil.
func (s *Span) End(result any, err error) error {
	if s == nil {
		return nil
	}
	if !s.ended.CompareAndSwap(false, true) {
		return &Error{Code: ErrUnknownSpan, Message: "span " + s.ID() + " has already ended"}
	}
	var resultJSON, errText []byte
	if s.captureResult && result != nil {
		resultJSON = append(appendValue(nil, result), 0)
	}
	if err != nil {
		text := strings.ReplaceAll(errorType(err)+": "+err.Error(), "\x00", "")
		errText = append([]byte(text), 0)
	}
	return spanEnd(s.id[:], resultJSON, errText)
}

// errorType names an error's type the way Python names an exception's class: the type without
// its package or pointer, e.g. "PathError" for *fs.PathError.
func errorType(err error) string {
	if _, ok := err.(panicError); ok {
		return "panic"
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "error"
	}
	return t.Name()
}

// Trace runs fn inside a span named name and records its result and error:
//
//	summary, err := aiobs.Trace(ctx, "summarize", func(ctx context.Context) (string, error) {
//		return summarize(ctx, text)
//	}, aiobs.WithArgs(text))
//
// fn gets the span's context, so LLM calls made with it are the span's children. A panic in fn
// is recorded as the span's error and then continues.
func Trace[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (result T, err error) {
	spanCtx, startErr := startSpan(ctx, name, opts)
	if startErr != nil {
		reportCaptureError(startErr)
		return fn(ctx)
	}
	span := &spanCtx.span
	defer func() {
		if recovered := recover(); recovered != nil {
			reportCaptureError(span.End(nil, panicError{recovered}))
			panic(recovered)
		}
		reportCaptureError(span.End(result, err))
	}()
	return fn(spanCtx)
}

// panicError records a panic that went through a traced function.
type panicError struct{ value any }

func (p panicError) Error() string {
	if err, ok := p.value.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(p.value)
}
