// Command gemini calls the Gemini API through google.golang.org/genai, traced with aiobs:
// GenerateContent, GenerateContentStream, EmbedContent and a Veo GenerateVideos polled to
// completion, each recorded into one session written to $LLM_OBS_OUT, else
// ./llm_observability.json.
//
//	GEMINI_API_KEY=... go run ./gemini
//
// GEMINI_BASE_URL (e.g. http://127.0.0.1:8080) points it at a local server.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"google.golang.org/genai"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gemini:", err)
		os.Exit(1)
	}
}

func run() error {
	key := os.Getenv("GEMINI_API_KEY")
	if key == "" {
		return errors.New("set GEMINI_API_KEY (any value for a local server)")
	}
	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  aiobs.HTTPClient(nil), // the one line
		HTTPOptions: genai.HTTPOptions{BaseURL: os.Getenv("GEMINI_BASE_URL")},
	})
	if err != nil {
		return err
	}
	if _, err := aiobs.Observe("go-gemini", map[string]string{"environment": "demo"}); err != nil {
		return err
	}
	ctx, span := aiobs.StartSpan(ctx, "gemini-tour")
	err = tour(ctx, client)
	if endErr := span.End(nil, err); err == nil {
		err = endErr
	}
	if err != nil {
		return err
	}
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

func tour(ctx context.Context, client *genai.Client) error {
	answer, err := client.Models.GenerateContent(ctx, "gemini-2.0-flash", genai.Text("What is an API? One sentence."), nil)
	if err != nil {
		return err
	}
	fmt.Println("generate:", answer.Text())

	fmt.Print("stream: ")
	for chunk, err := range client.Models.GenerateContentStream(ctx, "gemini-2.0-flash", genai.Text("Write a two-line poem about rivers."), nil) {
		if err != nil {
			return err
		}
		fmt.Print(chunk.Text())
	}
	fmt.Println()

	embedding, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("What is the meaning of life?"), nil)
	if err != nil {
		return err
	}
	if len(embedding.Embeddings) > 0 {
		fmt.Println("embedding dimensions:", len(embedding.Embeddings[0].Values))
	}

	operation, err := client.Models.GenerateVideosFromSource(ctx, "veo-3.0-generate-001",
		&genai.GenerateVideosSource{Prompt: "A golden retriever running through a field of sunflowers"}, nil)
	for err == nil && !operation.Done {
		time.Sleep(pollInterval())
		operation, err = client.Operations.GetVideosOperation(ctx, operation, nil)
	}
	if err != nil {
		return err
	}
	if operation.Error != nil {
		return fmt.Errorf("video generation failed: %v", operation.Error)
	}
	if operation.Response != nil {
		fmt.Println("videos:", len(operation.Response.GeneratedVideos))
	}
	return nil
}

// pollInterval is short against a local server and 10 s against the real API, where a video
// takes minutes.
func pollInterval() time.Duration {
	if os.Getenv("GEMINI_BASE_URL") != "" {
		return 200 * time.Millisecond
	}
	return 10 * time.Second
}
