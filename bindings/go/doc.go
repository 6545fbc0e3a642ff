// Package aiobs records a Go program's LLM calls and traced functions into aiobs sessions and
// writes them to one JSON file (the aiobs export format), through the aiobs core linked in
// statically (target/release/libaiobs.a; build it with `cargo build --release --lib`).
//
// Start a session, hook the client once, flush at the end:
//
//	aiobs.Observe("my-session", map[string]string{"environment": "production"})
//	defer aiobs.Flush("")
//	defer aiobs.End()
//
//	client := openai.NewClient(option.WithMiddleware(aiobs.OpenAIMiddleware))              // openai-go
//	gemini, _ := genai.NewClient(ctx, &genai.ClientConfig{HTTPClient: aiobs.HTTPClient(nil)}) // genai
//
// Every attempt of every OpenAI or Gemini call through the hook becomes one event: the request,
// the response (streams rebuilt whole, as the caller read them), token usage, the error, timings,
// the retry number, the provider's request id and rate-limit headers, and the callsite (the
// user's line). Provider formats are parsed by the core at flush, the same way for every
// language. The caller's goroutine pays a copy of the bodies; the call into the core that
// records the exchange runs on a goroutine of its own, about a millisecond later, in batches.
// Observe, End, Flush, Configure, ReadStats and Shutdown record what is still waiting first, so
// an exchange that ended before them is in the session it was made in, in the file and in the
// export (one ending at that moment on another goroutine lands on either side, as it would if
// recorded at once).
//
// Traced functions are spans carried by a context.Context: StartSpan and Span.End, or Trace.
// Calls and spans made with a span's context are its children, from any goroutine.
//
// Without an active session nothing is recorded and every call behaves as without aiobs. All
// functions are safe for concurrent use.
package aiobs
