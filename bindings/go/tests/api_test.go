package tests

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

func TestLabels(t *testing.T) {
	out := observed(t, map[string]string{"environment": "test", "team": "ml"}, func() {
		must(t, aiobs.AddLabel("stage", "one"))
		must(t, aiobs.SetLabels(map[string]string{"stage": "two", "region": "eu"}, true))
		must(t, aiobs.RemoveLabel("team"))
		must(t, aiobs.RemoveLabel("never_set"))
		labels, err := aiobs.Labels()
		must(t, err)
		if labels["stage"] != "two" || labels["region"] != "eu" || labels["environment"] != "test" || labels["team"] != "" {
			t.Errorf("labels: %v", labels)
		}
		must(t, aiobs.SetLabels(map[string]string{"only": "this"}, false))
	})
	labels := out.Sessions[0].Labels
	if labels["only"] != "this" || labels["environment"] != "" {
		t.Errorf("replacing keeps only the new user labels: %v", labels)
	}
	if labels["aiobs_runtime"] != "go" || labels["aiobs_runtime_version"] != runtime.Version() {
		t.Errorf("the runtime labels say go and its version: %v", labels)
	}
}

// Every error the Go API can meet is its sentinel under errors.Is, with the core's message.
func TestErrors(t *testing.T) {
	must(t, aiobs.End())
	_, _ = aiobs.Flush(filepath.Join(t.TempDir(), "drain.json")) // start with no active session
	tooMany := map[string]string{}
	for i := 0; i < 70; i++ {
		tooMany["label_"+strconv.Itoa(i)] = "x"
	}
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	must(t, os.WriteFile(blocker, nil, 0o600))
	cases := []struct {
		name string
		call func() error
		want aiobs.Code
	}{
		{"label without a session", func() error { return aiobs.AddLabel("a", "b") }, aiobs.ErrNoSession},
		{"labels without a session", func() error { _, err := aiobs.Labels(); return err }, aiobs.ErrNoSession},
		{"invalid label key", func() error { _, err := aiobs.Observe("x", map[string]string{"Bad Key": "v"}); return err }, aiobs.ErrInvalidLabel},
		{"too many labels", func() error { _, err := aiobs.Observe("x", tooMany); return err }, aiobs.ErrLabelLimit},
		{"NUL in a name", func() error { _, err := aiobs.Observe("a\x00b", nil); return err }, aiobs.ErrInvalidArgument},
		{"unknown setting", func() error { return aiobs.Configure(map[string]any{"colour": "blue"}) }, aiobs.ErrInvalidArgument},
		{"flush into a file", func() error { _, err := aiobs.Flush(filepath.Join(blocker, "out.json")); return err }, aiobs.ErrIO},
		{"reserved label", func() error {
			_, err := aiobs.Observe("x", nil)
			must(t, err)
			return aiobs.RemoveLabel("aiobs_runtime")
		}, aiobs.ErrInvalidLabel},
		{"span ended twice", func() error {
			_, span := aiobs.StartSpan(context.Background(), "twice")
			must(t, span.End(nil, nil))
			return span.End(nil, nil)
		}, aiobs.ErrUnknownSpan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var aerr *aiobs.Error
			if !errors.Is(err, c.want) || !errors.As(err, &aerr) || aerr.Code != c.want || aerr.Message == "" {
				t.Fatalf("want %v with a message, got %#v", c.want, err)
			}
			for _, other := range []aiobs.Code{aiobs.ErrInvalidArgument, aiobs.ErrNoSession, aiobs.ErrIO} {
				if other != c.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
		})
	}
	must(t, aiobs.End())
	_, _ = aiobs.Flush(filepath.Join(t.TempDir(), "drain.json"))
}

// A span argument over max_input_bytes is refused by the core: the span is not opened, the
// traced code runs on, and the error goes to the error handler.
func TestSpanTooLargeGoesToErrorHandler(t *testing.T) {
	var handled []error
	aiobs.SetErrorHandler(func(err error) { handled = append(handled, err) })
	defer aiobs.SetErrorHandler(nil)
	must(t, aiobs.Configure(map[string]any{"max_input_bytes": 1024}))
	defer func() { must(t, aiobs.Configure(map[string]any{"max_input_bytes": 16 << 20})) }()
	out := observed(t, nil, func() {
		ctx, span := aiobs.StartSpan(context.Background(), "big", aiobs.WithArgs(strings.Repeat("x", 2048)))
		if span != nil || aiobs.SpanFromContext(ctx) != nil {
			t.Errorf("a refused span must not be opened")
		}
		must(t, span.End("ignored", nil)) // a nil span ends quietly
	})
	if len(handled) != 1 || !errors.Is(handled[0], aiobs.ErrTooLarge) {
		t.Errorf("want one ErrTooLarge for the handler, got %v", handled)
	}
	if len(out.FunctionEvents) != 0 {
		t.Errorf("nothing recorded: %v", out.FunctionEvents)
	}
}

// Without a session StartSpan is a no-op, and Trace still runs the function.
func TestSpansWithoutSession(t *testing.T) {
	ctx, span := aiobs.StartSpan(context.Background(), "nothing")
	if span != nil || ctx != context.Background() {
		t.Errorf("no session: want the same context and a nil span")
	}
	got, err := aiobs.Trace(context.Background(), "f", func(context.Context) (int, error) { return 7, nil })
	if got != 7 || err != nil {
		t.Errorf("Trace without a session: %v %v", got, err)
	}
}

// Trace records the result, the error and a panic, which it lets continue.
func TestTrace(t *testing.T) {
	failOnCaptureErrors(t)
	out := observed(t, nil, func() {
		aiobs.Trace(context.Background(), "ok", func(context.Context) ([]string, error) { return []string{"a"}, nil },
			aiobs.WithKwargs(map[string]any{"k": 1}), aiobs.AutoEnhanceAfter(3))
		aiobs.Trace(context.Background(), "fails", func(context.Context) (int, error) { return 0, os.ErrNotExist },
			aiobs.CaptureArgs(false), aiobs.WithArgs("secret"))
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic must continue")
				}
			}()
			aiobs.Trace(context.Background(), "panics", func(context.Context) (int, error) { panic("boom") })
		}()
		aiobs.Trace(context.Background(), "hidden", func(context.Context) (string, error) { return "private", nil },
			aiobs.CaptureResult(false))
	})
	spans := map[string]map[string]any{}
	for _, s := range out.FunctionEvents {
		spans[s["name"].(string)] = s
	}
	if ok := spans["ok"]; ok["result"] == nil || ok["kwargs"].(map[string]any)["k"] != float64(1) || ok["auto_enhance_after"] != float64(3) {
		t.Errorf("ok: %v", ok)
	}
	if fails := spans["fails"]; fails["error"] != "errorString: file does not exist" || fails["args"] != nil {
		t.Errorf("fails: %v", fails)
	}
	if panics := spans["panics"]; panics["error"] != "panic: boom" {
		t.Errorf("panics: %v", panics)
	}
	if hidden := spans["hidden"]; hidden["result"] != nil {
		t.Errorf("hidden: %v", hidden)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A span's callsite is the line that started it, for StartSpan and for Trace.
func TestSpanCallsite(t *testing.T) {
	failOnCaptureErrors(t)
	var file string
	var line int
	out := observed(t, nil, func() {
		_, file, line, _ = runtime.Caller(0)
		_, span := aiobs.StartSpan(context.Background(), "started") // line + 1
		span.End(nil, nil)
		aiobs.Trace(context.Background(), "traced", func(context.Context) (int, error) { return 1, nil }) // line + 3
	})
	want := map[string]float64{"started": float64(line + 1), "traced": float64(line + 3)}
	for _, s := range out.FunctionEvents {
		callsite, _ := s["callsite"].(map[string]any)
		if callsite["file"] != file || callsite["line"] != want[s["name"].(string)] {
			t.Errorf("%s: callsite %v, want line %v", s["name"], callsite, want[s["name"].(string)])
		}
	}
}

// The context a span comes in is its parent's in every other respect: values, deadline and
// cancellation pass through, and contexts derived from it still carry the span.
func TestSpanContextKeepsTheParent(t *testing.T) {
	failOnCaptureErrors(t)
	type key struct{}
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "value"))
	observed(t, nil, func() {
		ctx, span := aiobs.StartSpan(parent, "step")
		defer span.End(nil, nil)
		derived, stop := context.WithCancel(context.WithValue(ctx, otherKey{}, 1))
		defer stop()
		if ctx.Value(key{}) != "value" || aiobs.SpanFromContext(ctx) != span || aiobs.SpanFromContext(derived) != span {
			t.Errorf("the span's context lost a value or the span")
		}
		cancel()
		<-derived.Done()
		if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(derived.Err(), context.Canceled) {
			t.Errorf("cancelling the parent: %v, %v", ctx.Err(), derived.Err())
		}
	})
}
