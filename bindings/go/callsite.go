package aiobs

import (
	"runtime"
	"strings"
	"sync"
)

// The callsite of a call or span is the first frame outside aiobs, the Go runtime, net/http and
// the LLM client libraries: the user's own line.
var (
	// This package and standard library ones, known by their function names.
	packageFrames = []string{"github.com/aiobs/aiobs/bindings/go.", "runtime.", "net/", "context.", "iter.", "sync."}
	// Module paths, known by function name or by source file: a closure of a library inlined into
	// the user's function carries the user's function name but the library's file.
	libraryModules = []string{
		"github.com/openai/openai-go",
		"google.golang.org/genai",
		"github.com/sashabaranov/go-openai",
		"golang.org/x/oauth2",
		"cloud.google.com/go/auth",
	}
)

func isUserCode(frame runtime.Frame) bool {
	if frame.Function == "" {
		return false
	}
	for _, prefix := range packageFrames {
		if strings.HasPrefix(frame.Function, prefix) {
			return false
		}
	}
	for _, module := range libraryModules {
		if inModule(frame.Function, module) || strings.Contains(frame.File, "/"+module+"@") ||
			strings.Contains(frame.File, "/vendor/"+module+"/") {
			return false
		}
	}
	return true
}

// inModule reports whether a function name belongs to a package of module: the path followed
// by "." (its root package), "/" (a package under it) or a major version suffix.
func inModule(function, module string) bool {
	rest, ok := strings.CutPrefix(function, module)
	return ok && rest != "" && (rest[0] == '.' || rest[0] == '/')
}

// callsiteOf maps a program counter to the JSON callsite of the first user frame it expands to
// (a PC stands for several frames when calls were inlined), or nil when it holds none. Programs
// make calls from a few places over and over, so each PC is symbolised once.
var callsiteOf sync.Map // uintptr -> []byte

// appendCallsite appends the JSON callsite of the goroutine's first user frame, skipping `skip`
// frames above the caller of appendCallsite, or null when the stack holds no user frame.
// Unwinding costs per frame, so it looks at the `near` nearest frames first (1 for a span,
// whose callsite is its caller; more for an HTTP call, under net/http) and unwinds deeper (under
// an SDK) only when needed.
func appendCallsite(dst []byte, skip, near int) []byte {
	var pcs [64]uintptr
	for _, depth := range []int{near, len(pcs)} {
		n := runtime.Callers(skip+2, pcs[:depth])
		for _, pc := range pcs[:n] {
			cached, ok := callsiteOf.Load(pc)
			if !ok {
				cached, _ = callsiteOf.LoadOrStore(pc, symbolise(pc))
			}
			if callsite := cached.([]byte); callsite != nil {
				return append(dst, callsite...)
			}
		}
		if n < depth {
			break
		}
	}
	return append(dst, "null"...)
}

func symbolise(pc uintptr) []byte {
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		frame, more := frames.Next()
		if isUserCode(frame) {
			callsite := appendString([]byte(`{"file":`), frame.File)
			callsite = append(callsite, `,"line":`...)
			callsite = appendInt(callsite, frame.Line)
			callsite = append(callsite, `,"function":`...)
			return append(appendString(callsite, frame.Function), '}')
		}
		if !more {
			return nil
		}
	}
}
