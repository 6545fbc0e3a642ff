package aiobs

import "net/http"

// Transport returns an http.RoundTripper that records every LLM exchange it carries (OpenAI,
// Azure OpenAI and compatible servers, the Gemini API, Vertex AI) into the active session, one
// record per attempt, and passes every other request through untouched. base nil means
// http.DefaultTransport. Wrap the transport that already authenticates (Vertex AI's, say) rather
// than replacing it. Bytes on the wire never change: bodies are teed as they flow, a streamed
// response reaches the caller as it arrives, and without an active session nothing is recorded.
// An exchange that ends is handed to the core about a millisecond later, from a goroutine of
// aiobs's own; Observe, End, Flush, Configure, ReadStats and Shutdown hand over what waits first.
//
// Use it with any client that takes an *http.Client (see HTTPClient), or with openai-go's
// OpenAIMiddleware, but not both for the same client: each would record the call.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if _, ok := base.(*transport); ok {
		return base
	}
	return &transport{base: base}
}

type transport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return capture(req, t.base.RoundTrip)
}

// CloseIdleConnections passes http.Client.CloseIdleConnections on to the wrapped transport.
func (t *transport) CloseIdleConnections() {
	if closer, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}

// HTTPClient returns a copy of base (nil: a zero http.Client) whose transport records LLM
// exchanges (see Transport). base is not changed. For google.golang.org/genai:
//
//	client, err := genai.NewClient(ctx, &genai.ClientConfig{HTTPClient: aiobs.HTTPClient(nil)})
//
// for github.com/sashabaranov/go-openai:
//
//	config := openai.DefaultConfig(key)
//	config.HTTPClient = aiobs.HTTPClient(nil)
//
// and for github.com/openai/openai-go: option.WithHTTPClient(aiobs.HTTPClient(nil)), or
// OpenAIMiddleware.
func HTTPClient(base *http.Client) *http.Client {
	client := &http.Client{}
	if base != nil {
		*client = *base
	}
	client.Transport = Transport(client.Transport)
	return client
}

// OpenAIMiddleware records the LLM exchanges of github.com/openai/openai-go, like Transport:
//
//	client := openai.NewClient(option.WithMiddleware(aiobs.OpenAIMiddleware))
//
// Its signature is openai-go's option.Middleware, so this package needs no import of openai-go.
// openai-go runs middleware once per attempt, so each retry is its own record, numbered from
// the X-Stainless-Retry-Count header.
func OpenAIMiddleware(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return capture(req, next)
}
