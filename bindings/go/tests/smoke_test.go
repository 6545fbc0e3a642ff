package tests

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
)

func TestSmoke(t *testing.T) {
	failOnCaptureErrors(t)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	}))
	defer server.Close()
	client := aiobs.HTTPClient(nil)
	out := observed(t, map[string]string{"team": "a"}, func() {
		ctx, span := aiobs.StartSpan(context.Background(), "outer", aiobs.WithArgs("q"))
		req, _ := http.NewRequestWithContext(ctx, "POST", server.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hey"}]}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		span.End("done", nil)
	})
	t.Logf("%+v", out)
}
