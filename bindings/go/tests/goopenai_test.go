package tests

import (
	"context"
	"errors"
	"io"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	goopenai "github.com/sashabaranov/go-openai"
)

func newGoOpenAI(server *replayServer) *goopenai.Client {
	config := goopenai.DefaultConfig("sk-test-SECRET")
	config.BaseURL = server.URL + "/v1"
	config.HTTPClient = aiobs.HTTPClient(nil)
	return goopenai.NewClientWithConfig(config)
}

// The OpenAI fixtures' calls made with github.com/sashabaranov/go-openai give the fixtures'
// expected events. go-openai always sends "stream": false and cannot send a temperature of 0
// (its field is omitempty), so those two request fields are what go-openai sent; the rest of
// the request and the whole response, usage and error are compared exactly.
func TestGoOpenAIFixtures(t *testing.T) {
	failOnCaptureErrors(t)
	basic := goopenai.ChatCompletionRequest{
		Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{
			{Role: "system", Content: "You are a concise assistant."},
			{Role: "user", Content: "What is an API?"},
			{Role: "assistant", Content: "An interface that lets programs talk to each other."},
			{Role: "user", Content: "Give one example."},
		},
		//lint:ignore SA1019 the fixture's request sends max_tokens
		Temperature: 0.2, MaxTokens: 100, TopP: 0.9, Seed: func(v int) *int { return &v }(42), User: "user-123",
	}
	cases := map[string]func(ctx context.Context, client *goopenai.Client) error{
		"openai_chat_basic": func(ctx context.Context, client *goopenai.Client) error {
			_, err := client.CreateChatCompletion(ctx, basic)
			return err
		},
		"openai_chat_stream": func(ctx context.Context, client *goopenai.Client) error {
			stream, err := client.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
				Model:         "gpt-4o-mini",
				Messages:      []goopenai.ChatCompletionMessage{{Role: "user", Content: "Say hello."}},
				Stream:        true,
				StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
			})
			if err != nil {
				return err
			}
			defer stream.Close() // go-openai never closes at [DONE]: only Close ends the body
			for {
				if _, err := stream.Recv(); errors.Is(err, io.EOF) {
					return nil
				} else if err != nil {
					return err
				}
			}
		},
		"openai_chat_http_error": func(ctx context.Context, client *goopenai.Client) error {
			var apiErr *goopenai.APIError
			if _, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
				Model:    "gpt-4o",
				Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Summarise the attached report."}},
			}); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 {
				t.Errorf("want a 429 APIError, got %v", err)
			}
			return nil
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			server := newReplayServer(t, f.steps...)
			var err error
			out := observed(t, nil, func() { err = run(context.Background(), newGoOpenAI(server)) })
			if err != nil {
				t.Fatal(err)
			}
			got := normalJSON(call(only(t, out.Events))).(map[string]any)
			want := normalJSON(f.expectedCall(server)).(map[string]any)
			if name != "openai_chat_stream" {
				for _, field := range []string{"stream", "temperature"} {
					dropPath(got, "request", field)
					dropPath(want, "request", field)
				}
			}
			assertSameJSON(t, "event", got, want)
		})
	}
}
