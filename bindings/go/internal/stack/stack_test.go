package stack

import (
	"runtime"
	"strings"
	"testing"
)

// functionsOf names the frames Walk visits from its caller on, as far as the test's own
// function, each PC expanded as runtime.CallersFrames expands it.
//
//go:noinline
func functionsOf(max int, stopAfter int) []string {
	var names []string
	Walk(max, func(pc uintptr) bool {
		frame, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		names = append(names, frame.Function)
		return len(names) < stopAfter
	})
	return names
}

//go:noinline
func inner(stopAfter int) []string { return functionsOf(64, stopAfter) }

//go:noinline
func middle(stopAfter int) []string { return inner(stopAfter) }

//go:noinline
func outer(stopAfter int) []string { return middle(stopAfter) }

// Walk sees the same frames as runtime.Callers, innermost first, and stops when told. Callers
// leaves out the wrappers the compiler makes for go statements; Walk sees them.
func TestWalkSeesTheCallersFrames(t *testing.T) {
	var got []string
	for _, name := range outer(100) {
		if !strings.Contains(name, ".gowrap") {
			got = append(got, name)
		}
	}
	pcs := make([]uintptr, 64)
	var want []string
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		frame, more := frames.Next()
		want = append(want, frame.Function)
		if !more {
			break
		}
	}
	prefix := []string{
		"github.com/aiobs/aiobs/bindings/go/internal/stack.functionsOf",
		"github.com/aiobs/aiobs/bindings/go/internal/stack.inner",
		"github.com/aiobs/aiobs/bindings/go/internal/stack.middle",
		"github.com/aiobs/aiobs/bindings/go/internal/stack.outer",
	}
	want = append(prefix, want...)
	if len(got) != len(want) {
		t.Fatalf("Walk saw %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d: %s, want %s", i, got[i], want[i])
		}
	}
	if got := outer(2); len(got) != 2 {
		t.Errorf("visit said stop after 2 frames, Walk went on: %q", got)
	}
	if got := functionsOf(1, 100); len(got) != 1 {
		t.Errorf("max 1: %q", got)
	}
}
