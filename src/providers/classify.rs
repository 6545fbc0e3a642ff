//! Endpoint recognition by method and URL path. It runs on the caller's thread for every HTTP
//! request a binding sees, so it only slices the URL: no allocation, no parsing of the body.
//! The host is ignored, so api.openai.com, Azure OpenAI, OpenAI-compatible servers behind any
//! prefix, the Gemini API and Vertex AI are all recognised.

use super::url::path_of;

/// An LLM endpoint that `capture` knows how to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST …/chat/completions`
    OpenAiChatCompletions,
    /// `POST …/embeddings`
    OpenAiEmbeddings,
    /// `POST …/responses`
    OpenAiResponses,
    /// `POST …/images/generations`
    OpenAiImageGenerations,
    /// `POST …/models/{model}:generateContent`
    GeminiGenerateContent,
    /// `POST …/models/{model}:streamGenerateContent`
    GeminiStreamGenerateContent,
    /// `POST …/models/{model}:embedContent`
    GeminiEmbedContent,
    /// `POST …/models/{model}:batchEmbedContents`
    GeminiBatchEmbedContents,
    /// `POST …/models/{model}:predictLongRunning` (Veo video generation submit)
    GeminiPredictLongRunning,
    /// `GET …/models/{model}/operations/{id}` (operation poll)
    GeminiGetOperation,
    /// `POST …/models/{model}:fetchPredictOperation` (Vertex operation poll)
    GeminiFetchPredictOperation,
}

impl Endpoint {
    pub(crate) fn provider(self) -> &'static str {
        match self {
            Self::OpenAiChatCompletions
            | Self::OpenAiEmbeddings
            | Self::OpenAiResponses
            | Self::OpenAiImageGenerations => "openai",
            _ => "gemini",
        }
    }

    /// The SDK method name the call corresponds to, as the Python SDK reported it.
    pub(crate) fn api(self) -> &'static str {
        match self {
            Self::OpenAiChatCompletions => "chat.completions.create",
            Self::OpenAiEmbeddings => "embeddings.create",
            Self::OpenAiResponses => "responses.create",
            Self::OpenAiImageGenerations => "images.generate",
            Self::GeminiGenerateContent => "models.generate_content",
            Self::GeminiStreamGenerateContent => "models.generate_content_stream",
            Self::GeminiEmbedContent | Self::GeminiBatchEmbedContents => "models.embed_content",
            Self::GeminiPredictLongRunning
            | Self::GeminiGetOperation
            | Self::GeminiFetchPredictOperation => "models.generate_videos",
        }
    }
}

/// Recognises an LLM endpoint by method and URL path, on any host.
pub fn classify(method: &str, url: &str) -> Option<Endpoint> {
    let path = path_of(url).trim_end_matches('/');
    if method.eq_ignore_ascii_case("GET") {
        return is_operation_poll(path).then_some(Endpoint::GeminiGetOperation);
    }
    if !method.eq_ignore_ascii_case("POST") {
        return None;
    }
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    if let Some((model, action)) = last.split_once(':') {
        // Gemini's custom methods: `…/models/{model}:{action}`.
        if model.is_empty() || parent.rsplit('/').next() != Some("models") {
            return None;
        }
        return match action {
            "generateContent" => Some(Endpoint::GeminiGenerateContent),
            "streamGenerateContent" => Some(Endpoint::GeminiStreamGenerateContent),
            "embedContent" => Some(Endpoint::GeminiEmbedContent),
            "batchEmbedContents" => Some(Endpoint::GeminiBatchEmbedContents),
            "predictLongRunning" => Some(Endpoint::GeminiPredictLongRunning),
            "fetchPredictOperation" => Some(Endpoint::GeminiFetchPredictOperation),
            _ => None,
        };
    }
    const OPENAI: [(&str, Endpoint); 4] = [
        ("chat/completions", Endpoint::OpenAiChatCompletions),
        ("embeddings", Endpoint::OpenAiEmbeddings),
        ("responses", Endpoint::OpenAiResponses),
        ("images/generations", Endpoint::OpenAiImageGenerations),
    ];
    OPENAI
        .iter()
        .find(|(suffix, _)| ends_with_segments(path, suffix))
        .map(|(_, endpoint)| *endpoint)
}

/// True when `path` ends with the whole segments of `suffix` (so `/v1/my-embeddings` is not
/// `/embeddings`).
fn ends_with_segments(path: &str, suffix: &str) -> bool {
    path.strip_suffix(suffix)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
}

/// `…/models/{model}/operations/{id}`: the operation names Veo returns always sit under the
/// model, which keeps unrelated `GET …/operations/…` URLs of other APIs out.
fn is_operation_poll(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    let id = segments.next().unwrap_or_default();
    let operations = segments.next();
    let model = segments.next().unwrap_or_default();
    let models = segments.next();
    !id.is_empty()
        && operations == Some("operations")
        && !model.is_empty()
        && models == Some("models")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Endpoint::*;

    #[test]
    fn recognises_openai_paths_on_any_host() {
        let cases = [
            (
                "https://api.openai.com/v1/chat/completions",
                OpenAiChatCompletions,
            ),
            (
                "https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
                OpenAiChatCompletions,
            ),
            (
                "http://localhost:11434/v1/chat/completions/",
                OpenAiChatCompletions,
            ),
            (
                "https://openrouter.ai/api/v1/chat/completions",
                OpenAiChatCompletions,
            ),
            ("https://api.openai.com/v1/embeddings", OpenAiEmbeddings),
            ("https://api.openai.com/v1/responses", OpenAiResponses),
            (
                "https://api.openai.com/v1/images/generations",
                OpenAiImageGenerations,
            ),
            ("/v1/chat/completions", OpenAiChatCompletions),
        ];
        for (url, endpoint) in cases {
            assert_eq!(classify("POST", url), Some(endpoint), "{url}");
            assert_eq!(classify("post", url), Some(endpoint), "{url}");
        }
    }

    #[test]
    fn recognises_gemini_and_vertex_paths() {
        let g = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash";
        let v = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash";
        for base in [g, v] {
            assert_eq!(
                classify("POST", &format!("{base}:generateContent")),
                Some(GeminiGenerateContent)
            );
            assert_eq!(
                classify(
                    "POST",
                    &format!("{base}:streamGenerateContent?alt=sse&key=k")
                ),
                Some(GeminiStreamGenerateContent)
            );
            assert_eq!(
                classify("POST", &format!("{base}:embedContent")),
                Some(GeminiEmbedContent)
            );
            assert_eq!(
                classify("POST", &format!("{base}:batchEmbedContents")),
                Some(GeminiBatchEmbedContents)
            );
            assert_eq!(
                classify("POST", &format!("{base}:predictLongRunning")),
                Some(GeminiPredictLongRunning)
            );
            assert_eq!(
                classify("POST", &format!("{base}:fetchPredictOperation")),
                Some(GeminiFetchPredictOperation)
            );
            assert_eq!(
                classify("GET", &format!("{base}/operations/abc123")),
                Some(GeminiGetOperation)
            );
        }
    }

    #[test]
    fn ignores_everything_else() {
        let cases = [
            ("GET", "https://api.openai.com/v1/models"),
            ("GET", "https://api.openai.com/v1/chat/completions"),
            ("POST", "https://api.openai.com/v1/completions"),
            ("POST", "https://api.openai.com/v1/my-embeddings"),
            ("POST", "https://api.openai.com/v1/responses/resp_1/cancel"),
            ("DELETE", "https://api.openai.com/v1/responses"),
            (
                "POST",
                "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens",
            ),
            ("POST", "https://example.com/v1/things/x:generateContent"),
            ("POST", "https://example.com/v1/models/:generateContent"),
            ("GET", "https://example.com/v1/operations/abc"),
            ("GET", "https://example.com/"),
            ("POST", ""),
            ("POST", "not a url"),
        ];
        for (method, url) in cases {
            assert_eq!(classify(method, url), None, "{method} {url}");
        }
    }

    #[test]
    fn names_match_the_python_sdk() {
        assert_eq!(OpenAiChatCompletions.api(), "chat.completions.create");
        assert_eq!(GeminiBatchEmbedContents.api(), "models.embed_content");
        assert_eq!(GeminiGetOperation.api(), "models.generate_videos");
        assert_eq!(GeminiGetOperation.provider(), "gemini");
        assert_eq!(OpenAiImageGenerations.provider(), "openai");
    }
}
