package aiobs

import (
	"net/url"
	"testing"
)

// appendURL writes what url.URL.String writes, on its own path for plain URLs and on String's
// for the rest.
func TestAppendURL(t *testing.T) {
	for _, raw := range []string{
		"https://api.openai.com/v1/chat/completions",
		"http://127.0.0.1:8080/v1/responses?stream=true&x=%20y",
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
		"https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
		"https://example.com",
		"https://example.com?",
		"https://example.com/a%2Fb/c",
		"https://example.com/with space/é",
		"https://user:pass@example.com/v1/chat/completions",
		"https://example.com/v1#fragment",
		"http://[::1]:8080/v1/embeddings",
		"mailto:someone@example.com",
		"/relative/path?q=1",
		"relative:colon",
		"*",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got, want := string(appendURL([]byte("prefix "), u)), "prefix "+u.String(); got != want {
			t.Errorf("%s: got %q, want %q", raw, got, want)
		}
	}
	// Fields set by hand rather than parsed.
	for _, u := range []*url.URL{
		{Scheme: "https", Host: "example.com", Path: "v1/chat"},
		{Scheme: "https", Host: "example.com", Path: "/v1/chat", RawQuery: "a=b", ForceQuery: true},
		{Scheme: "https", Host: "example.com", Path: "/v1/a\"b<c>"},
		{Scheme: "https", Host: "exa mple.com", Path: "/v1"},
		{Scheme: "https", Path: "/v1"},
		{Scheme: "https", Host: "example.com", OmitHost: true},
	} {
		if got, want := string(appendURL(nil, u)), u.String(); got != want {
			t.Errorf("%#v: got %q, want %q", u, got, want)
		}
	}
}
