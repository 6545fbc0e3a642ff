// Command pipeline runs the three-step pipeline of the aiobs user documentation (research,
// summarize, critique) on the official openai-go client, traced with aiobs: each step is a span,
// each OpenAI call inside it is recorded with the step as its parent, and the session (with its
// labels) is written to $LLM_OBS_OUT, else ./llm_observability.json.
//
//	OPENAI_API_KEY=sk-... go run ./pipeline "What is an API?"
//
// OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1) points it at a compatible or local server.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run() error {
	if os.Getenv("OPENAI_API_KEY") == "" {
		return errors.New("set OPENAI_API_KEY (any value for a local server)")
	}
	query := "What is an API?"
	if len(os.Args) > 1 {
		query = strings.Join(os.Args[1:], " ")
	}
	opts := []option.RequestOption{option.WithMiddleware(aiobs.OpenAIMiddleware)} // the one line
	if base := os.Getenv("OPENAI_BASE_URL"); base != "" {
		opts = append(opts, option.WithBaseURL(base))
	}
	client := openai.NewClient(opts...)

	if _, err := aiobs.Observe("go-pipeline", map[string]string{"environment": "demo", "pipeline": "research-summarize-critique"}); err != nil {
		return err
	}
	critique, err := aiobs.Trace(context.Background(), "pipeline", func(ctx context.Context) (string, error) {
		facts, err := aiobs.Trace(ctx, "research", func(ctx context.Context) (string, error) {
			return ask(ctx, client, "gpt-4o-mini", "Give three key facts about: "+query)
		}, aiobs.WithArgs(query), aiobs.WithModule("pipeline"))
		if err != nil {
			return "", err
		}
		summary, err := aiobs.Trace(ctx, "summarize", func(ctx context.Context) (string, error) {
			return ask(ctx, client, "gpt-4o", "Summarize in one sentence:\n"+facts)
		}, aiobs.WithArgs(facts), aiobs.WithModule("pipeline"))
		if err != nil {
			return "", err
		}
		if err := aiobs.AddLabel("stage", "critique"); err != nil {
			return "", err
		}
		return aiobs.Trace(ctx, "critique", func(ctx context.Context) (string, error) {
			return askStreaming(ctx, client, "gpt-4o-mini", "Critique this summary:\n"+summary)
		}, aiobs.WithArgs(summary), aiobs.WithModule("pipeline"), aiobs.EnhPrompt())
	}, aiobs.WithArgs(query))
	if err != nil {
		return err
	}
	fmt.Println("critique:", critique)
	if err := aiobs.End(); err != nil {
		return err
	}
	written, err := aiobs.Flush("")
	if err != nil {
		return err
	}
	fmt.Println("trace written to", written)
	return nil
}

// ask makes one chat completion; ctx carries the step's span, so the call becomes its child.
func ask(ctx context.Context, client openai.Client, model, prompt string) (string, error) {
	completion, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	})
	if err != nil {
		return "", err
	}
	if len(completion.Choices) == 0 {
		return "", errors.New("the model returned no choice")
	}
	return completion.Choices[0].Message.Content, nil
}

// askStreaming streams a chat completion with usage, as it arrives.
func askStreaming(ctx context.Context, client openai.Client, model, prompt string) (string, error) {
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         model,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	var text strings.Builder
	for stream.Next() {
		if chunk := stream.Current(); len(chunk.Choices) > 0 {
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	return text.String(), stream.Err()
}
