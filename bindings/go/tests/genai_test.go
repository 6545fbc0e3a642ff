package tests

import (
	"context"
	"runtime"
	"testing"

	aiobs "github.com/aiobs/aiobs/bindings/go"
	"google.golang.org/genai"
)

func newGenAI(t *testing.T, server *replayServer) *genai.Client {
	t.Helper()
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "test-key-SECRET",
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  aiobs.HTTPClient(nil),
		HTTPOptions: genai.HTTPOptions{BaseURL: server.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func text(role, s string) *genai.Content { return genai.NewContentFromText(s, genai.Role(role)) }

// The Gemini fixtures' calls made with google.golang.org/genai, with the parameters of each
// fixture's request.body, give the fixtures' expected events. genai builds its own request body
// from typed parameters, so the request fields it sends differently (genaiSendsDifferently) stay
// out of the comparison; the response, usage, error and every other request field are exact.
func TestGenAIFixtures(t *testing.T) {
	failOnCaptureErrors(t)
	temperature := func(v float32) *float32 { return &v }
	cases := map[string]func(ctx context.Context, client *genai.Client) error{
		"gemini_generate": func(ctx context.Context, client *genai.Client) error {
			_, err := client.Models.GenerateContent(ctx, "gemini-2.0-flash", []*genai.Content{
				text("user", "What is quantum computing?"), text("model", "Computing with qubits."),
				text("user", "Explain superposition simply."), text("model", "A qubit can be 0 and 1 at once."),
				text("user", "And entanglement, in one sentence?"),
			}, &genai.GenerateContentConfig{
				SystemInstruction: &genai.Content{Parts: []*genai.Part{{Text: "You explain physics to children."}}},
				Temperature:       temperature(0.7), MaxOutputTokens: 128, TopP: temperature(0.95),
				SafetySettings: []*genai.SafetySetting{{Category: genai.HarmCategoryHarassment, Threshold: genai.HarmBlockThresholdBlockOnlyHigh}},
			})
			return err
		},
		"gemini_stream_sse": func(ctx context.Context, client *genai.Client) error {
			for _, err := range client.Models.GenerateContentStream(ctx, "gemini-2.0-flash",
				[]*genai.Content{text("user", "Write a two-line poem about rivers.")},
				&genai.GenerateContentConfig{Temperature: temperature(1.0)}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"gemini_batch_embed_contents": func(ctx context.Context, client *genai.Client) error {
			dimensions := int32(3)
			_, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", []*genai.Content{
				{Parts: []*genai.Part{{Text: "First document."}}},
				{Parts: []*genai.Part{{Text: "Second document."}}},
				{Parts: []*genai.Part{{Text: "Third document."}}},
			}, &genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT", OutputDimensionality: &dimensions})
			return err
		},
		"gemini_generate_http_error": func(ctx context.Context, client *genai.Client) error {
			_, err := client.Models.GenerateContent(ctx, "gemini-2.0-flash", []*genai.Content{text("user", "hello")}, nil)
			if err == nil {
				t.Error("a 400 must fail the call")
			}
			return nil
		},
		"gemini_video_sequence": func(ctx context.Context, client *genai.Client) error {
			seconds := int32(8)
			operation, err := client.Models.GenerateVideosFromSource(ctx, "veo-3.0-generate-001",
				&genai.GenerateVideosSource{Prompt: "A golden retriever running through a field of sunflowers, cinematic"},
				&genai.GenerateVideosConfig{AspectRatio: "16:9", NegativePrompt: "barking", PersonGeneration: "dont_allow", DurationSeconds: &seconds})
			for err == nil && !operation.Done {
				operation, err = client.Operations.GetVideosOperation(ctx, operation, nil)
			}
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			server := newReplayServer(t, f.steps...)
			client := newGenAI(t, server)
			var err error
			out := observed(t, nil, func() { err = run(context.Background(), client) })
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := normalJSON(call(only(t, out.Events))).(map[string]any)
			want := normalJSON(f.expectedCall(server)).(map[string]any)
			for _, path := range genaiSendsDifferently[name] {
				dropPath(got, path...)
				dropPath(want, path...)
			}
			assertSameJSON(t, "event", got, want)
		})
	}
}

// Request fields genai sends otherwise than the fixture: it gives the system instruction the
// role "user", which the fixture's request leaves out. Everything else is compared exactly.
var genaiSendsDifferently = map[string][][]string{
	"gemini_generate": {{"request", "system_instruction", "role"}},
}

// genai's stream iterator runs inside the user's range loop, inlined into the user's function:
// the callsite is still the user's line, and breaking out of the loop records the call once.
func TestGenAIStreamCallsite(t *testing.T) {
	failOnCaptureErrors(t)
	f := loadFixture(t, "gemini_stream_sse")
	server := newReplayServer(t, f.steps...)
	client := newGenAI(t, server)
	var file string
	var line int
	out := observed(t, nil, func() {
		_, file, line, _ = runtime.Caller(0)
		for _, err := range client.Models.GenerateContentStream(context.Background(), "gemini-2.0-flash", genai.Text("Write a two-line poem about rivers."), nil) { // line + 1
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	})
	callsite, _ := only(t, out.Events)["callsite"].(map[string]any)
	if callsite["file"] != file || callsite["line"] != float64(line+1) {
		t.Errorf("callsite %v, want %s:%d", callsite, file, line+1)
	}
}
