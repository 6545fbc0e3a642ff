package aiobs

import (
	"runtime"
	"strings"
	"sync"
)

// The callsite of a call or span is the first frame outside aiobs, the Go runtime, net/http and
// the LLM client libraries: the user's own line.
var notUserCode = []string{
	"github.com/aiobs/aiobs/bindings/go.",
	"runtime.",
	"net/", // net/http and its helpers
	"context.",
	"iter.",
	"github.com/openai/openai-go",
	"google.golang.org/genai.",
	"github.com/sashabaranov/go-openai.",
	"golang.org/x/oauth2",
	"cloud.google.com/go/auth",
}

func isUserCode(function string) bool {
	for _, prefix := range notUserCode {
		if strings.HasPrefix(function, prefix) {
			return false
		}
	}
	return function != ""
}

// callsiteOf maps a program counter to the JSON callsite of the first user frame it expands to
// (a PC stands for several frames when calls were inlined), or nil when it holds none. Programs
// make calls from a few places over and over, so each PC is symbolised once.
var callsiteOf sync.Map // uintptr -> []byte

// appendCallsite appends the JSON callsite of the goroutine's first user frame, skipping `skip`
// frames above the caller of appendCallsite, or null when the stack holds no user frame.
func appendCallsite(dst []byte, skip int) []byte {
	var pcs [48]uintptr
	n := runtime.Callers(skip+2, pcs[:])
	for _, pc := range pcs[:n] {
		cached, ok := callsiteOf.Load(pc)
		if !ok {
			cached, _ = callsiteOf.LoadOrStore(pc, symbolise(pc))
		}
		if callsite := cached.([]byte); callsite != nil {
			return append(dst, callsite...)
		}
	}
	return append(dst, "null"...)
}

func symbolise(pc uintptr) []byte {
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		frame, more := frames.Next()
		if isUserCode(frame.Function) {
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
