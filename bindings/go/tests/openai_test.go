package tests

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// newOpenAI is the official openai-go client on a replay server, hooked through the middleware
// or through an *http.Client, never both.
func newOpenAI(server *replayServer, hook string, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{option.WithBaseURL(server.URL + "/v1/"), option.WithAPIKey("sk-test-SECRET")}
	if hook == "middleware" {
		base = append(base, option.WithMiddleware(aiobs.OpenAIMiddleware))
	} else {
		base = append(base, option.WithHTTPClient(aiobs.HTTPClient(nil)))
	}
	return openai.NewClient(append(base, opts...)...)
}

// params decodes a fixture's request body into the SDK's parameter type, so the SDK itself
// serialises the request: the server receives the SDK's bytes, and the event must still be the
// fixture's expected event (the core parses the request, so key order and spacing do not count).
func params[P any](t *testing.T, f fixture) P {
	t.Helper()
	var p P
	if err := json.Unmarshal(f.steps[0].request, &p); err != nil {
		t.Fatalf("%s: request.body does not decode into %T: %v", f.name, p, err)
	}
	return p
}

// openaiCalls runs each fixture through the matching openai-go method.
var openaiCalls = map[string]func(t *testing.T, ctx context.Context, client openai.Client, f fixture) error{
	"openai_chat_basic":                  chatNew,
	"openai_chat_tool_calls":             chatNew,
	"openai_chat_http_error":             chatNew,
	"openai_chat_non_json_error":         chatNew,
	"openai_chat_stream":                 chatStream,
	"openai_chat_stream_tool_calls":      chatStream,
	"openai_chat_stream_error":           chatStream,
	"openai_chat_stream_truncated":       chatStream,
	"openai_chat_stream_transport_error": chatStream,
	"openai_embeddings":                  embeddingsNew,
	"openai_embeddings_batch":            embeddingsNew,
	"openai_embeddings_base64":           embeddingsNew,
	"openai_embeddings_http_error":       embeddingsNew,
	"openai_images":                      imagesGenerate,
	"openai_images_b64":                  imagesGenerate,
	"openai_images_http_error":           imagesGenerate,
	"openai_responses":                   responsesNew,
	"openai_responses_http_error":        responsesNew,
	"openai_responses_stream":            responsesStream,
	"openai_responses_stream_truncated":  responsesStream,
}

func chatNew(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	_, err := client.Chat.Completions.New(ctx, params[openai.ChatCompletionNewParams](t, f))
	return err
}

func chatStream(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	stream := client.Chat.Completions.NewStreaming(ctx, params[openai.ChatCompletionNewParams](t, f))
	for stream.Next() {
	}
	return stream.Err()
}

func embeddingsNew(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	_, err := client.Embeddings.New(ctx, params[openai.EmbeddingNewParams](t, f))
	return err
}

func imagesGenerate(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	_, err := client.Images.Generate(ctx, params[openai.ImageGenerateParams](t, f))
	return err
}

func responsesNew(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	_, err := client.Responses.New(ctx, params[responses.ResponseNewParams](t, f))
	return err
}

func responsesStream(t *testing.T, ctx context.Context, client openai.Client, f fixture) error {
	stream := client.Responses.NewStreaming(ctx, params[responses.ResponseNewParams](t, f))
	for stream.Next() {
	}
	return stream.Err()
}

// The fixtures' calls made with the real openai-go client, hooked both ways, give the fixtures'
// expected events. Retries are off here (TestOpenAIRetries covers them), so an error status is
// one attempt and one event.
func TestOpenAIFixtures(t *testing.T) {
	failOnCaptureErrors(t)
	for _, hook := range []string{"middleware", "http-client"} {
		for name, run := range openaiCalls {
			t.Run(hook+"/"+name, func(t *testing.T) {
				f := loadFixture(t, name)
				server := newReplayServer(t, f.steps...)
				client := newOpenAI(server, hook, option.WithMaxRetries(0))
				var callErr error
				out := observed(t, nil, func() { callErr = run(t, context.Background(), client, f) })
				wantStatus := f.steps[0].Status
				var apiErr *openai.Error
				switch {
				case wantStatus >= 400 && !errors.As(callErr, &apiErr):
					t.Errorf("status %d: want an *openai.Error, got %v", wantStatus, callErr)
				case wantStatus < 400 && callErr != nil && !f.hasTransportError():
					t.Logf("the SDK reports %v (the event must still match)", callErr)
				}
				got := normalJSON(call(only(t, out.Events))).(map[string]any)
				want := normalJSON(f.expectedCall(server)).(map[string]any)
				for _, path := range openaiSerialisesDifferently[name] {
					dropPath(got, path...)
					dropPath(want, path...)
				}
				if f.hasTransportError() {
					if got["error"] == nil {
						t.Errorf("a stream cut by the network must have an error: %v", got)
					}
					got["error"] = want["error"]
				}
				assertSameJSON(t, "event", got, want)
			})
		}
	}
}

// Request fields that openai-go cannot send as the fixture has them: its tool message has no
// name (the API dropped the field), and ResponseNewParams does not decode the fixture's input
// items, which leave out "type". The SDK sends what it can, so these request fields are the
// SDK's, not the fixture's; every other request field and the whole response, usage and error
// are compared exactly.
var openaiSerialisesDifferently = map[string][][]string{
	"openai_chat_tool_calls":            {{"request", "messages", "3", "name"}},
	"openai_responses_stream":           {{"request", "input"}, {"request", "message_count"}},
	"openai_responses_stream_truncated": {{"request", "input"}, {"request", "message_count"}},
}
