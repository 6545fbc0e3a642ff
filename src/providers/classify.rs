//! Endpoint recognition by method and URL path. It runs on the caller's thread for every HTTP
//! request a binding sees, so it only slices the URL: no allocation, no parsing of the body.
//! The host is ignored, so api.openai.com, Azure OpenAI, OpenAI-compatible servers, the Gemini
//! API and Vertex AI are all recognised.
//!
//! A binding hands over every exchange of the HTTP client it wraps, so a false positive records
//! unrelated app traffic, bodies included, as an LLM call. The rule, by path:
//!
//! - `…/chat/completions` and `…/images/generations` are distinctive and count under any prefix
//!   (`/v1/…`, `/api/v1/…`, Azure's `/openai/deployments/{d}/…`, DeepSeek's bare `/…`).
//! - `embeddings` and `responses` are common words, so they count only as the segment right
//!   after `v1`, after `openai`, or after an Azure deployment `openai/deployments/{d}`: that
//!   is where OpenAI (`/v1/`), OpenAI-compatible servers (`…/v1/`), Azure OpenAI (`/openai/v1/`,
//!   `/openai/responses`, `/openai/deployments/{d}/embeddings`) and Gemini's OpenAI layer
//!   (`/v1beta/openai/`) mount them, and not where apps put their own resources
//!   (`/api/surveys/42/responses`, `/v2/search/embeddings`, `/api/v1/users/embeddings`).
//! - Gemini: `…/models/{m}:{action}` for the actions of [`Endpoint`],
//!   `…/tunedModels/{m}:generateContent` and `:streamGenerateContent` (a tuned model only
//!   generates), and `GET …/models/{m}/operations/{id}`.
//!
//! A POST to `…/v1/embeddings` or `…/v1/responses` of an app that is not OpenAI-shaped is still
//! taken for one: the host is deliberately not consulted, and such a path is in practice the
//! OpenAI API's.

use super::url::path_of;

/// An LLM endpoint that `capture` knows how to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST …/chat/completions`
    OpenAiChatCompletions,
    /// `POST …/v1/embeddings`, `…/openai/embeddings`, `…/openai/deployments/{d}/embeddings`
    OpenAiEmbeddings,
    /// `POST …/v1/responses`, `…/openai/responses`, `…/openai/deployments/{d}/responses`
    OpenAiResponses,
    /// `POST …/images/generations`
    OpenAiImageGenerations,
    /// `POST …/models/{model}:generateContent` or `…/tunedModels/{model}:generateContent`
    GeminiGenerateContent,
    /// `POST …/models/{model}:streamGenerateContent` or `…/tunedModels/{model}:…` likewise
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
    // Byte searches: `str`'s own (`rsplit_once`, `split_once`) were most of classifying a URL.
    let (parent, last) = match memchr::memrchr(b'/', path.as_bytes()) {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => ("", path),
    };
    if let Some(colon) = memchr::memchr(b':', last.as_bytes()) {
        let (model, action) = (&last[..colon], &last[colon + 1..]);
        // Gemini's custom methods: `…/models/{model}:{action}`, and the two generate methods of
        // `…/tunedModels/{model}` (tuned models are not embedded with or asked for videos).
        let collection = parent.rsplit('/').next();
        if model.is_empty() {
            return None;
        }
        return match (collection, action) {
            (Some("models" | "tunedModels"), "generateContent") => {
                Some(Endpoint::GeminiGenerateContent)
            }
            (Some("models" | "tunedModels"), "streamGenerateContent") => {
                Some(Endpoint::GeminiStreamGenerateContent)
            }
            (Some("models"), "embedContent") => Some(Endpoint::GeminiEmbedContent),
            (Some("models"), "batchEmbedContents") => Some(Endpoint::GeminiBatchEmbedContents),
            (Some("models"), "predictLongRunning") => Some(Endpoint::GeminiPredictLongRunning),
            (Some("models"), "fetchPredictOperation") => {
                Some(Endpoint::GeminiFetchPredictOperation)
            }
            _ => None,
        };
    }
    // (path suffix, endpoint, whether the suffix is a common word that must sit under an API root)
    const OPENAI: [(&str, Endpoint, bool); 4] = [
        ("chat/completions", Endpoint::OpenAiChatCompletions, false),
        ("embeddings", Endpoint::OpenAiEmbeddings, true),
        ("responses", Endpoint::OpenAiResponses, true),
        (
            "images/generations",
            Endpoint::OpenAiImageGenerations,
            false,
        ),
    ];
    OPENAI
        .iter()
        .find(|(suffix, _, common_word)| {
            parent_of_suffix(path, suffix).is_some_and(|parent| !common_word || is_api_root(parent))
        })
        .map(|(_, endpoint, _)| *endpoint)
}

/// When `path` ends with the whole segments of `suffix` (so `/v1/my-embeddings` is not
/// `/embeddings`), the path before them, without its trailing slash.
fn parent_of_suffix<'a>(path: &'a str, suffix: &str) -> Option<&'a str> {
    let rest = path.strip_suffix(suffix)?;
    if rest.is_empty() {
        return Some(rest);
    }
    rest.strip_suffix('/')
}

/// Where OpenAI-shaped APIs mount `embeddings` and `responses`: right after a `v1` segment
/// (`api.openai.com/v1`, OpenAI-compatible servers' `…/v1`, Azure's `/openai/v1`), an `openai`
/// segment (Azure's `/openai/responses`, Gemini's `/v1beta/openai/`), or an Azure deployment
/// (`/openai/deployments/{d}`).
fn is_api_root(parent: &str) -> bool {
    let mut segments = parent.rsplit('/');
    match segments.next() {
        Some("v1" | "openai") => true,
        Some(deployment) => {
            !deployment.is_empty()
                && segments.next() == Some("deployments")
                && segments.next() == Some("openai")
        }
        None => false,
    }
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
            // DeepSeek-style, no `/v1`: `chat/completions` is distinctive on any prefix.
            (
                "https://api.deepseek.com/chat/completions",
                OpenAiChatCompletions,
            ),
        ];
        for (url, endpoint) in cases {
            assert_eq!(classify("POST", url), Some(endpoint), "{url}");
            assert_eq!(classify("post", url), Some(endpoint), "{url}");
        }
    }

    #[test]
    fn recognises_embeddings_and_responses_only_under_an_api_root() {
        let cases = [
            ("https://api.openai.com/v1/embeddings", OpenAiEmbeddings),
            ("https://api.openai.com/v1/responses", OpenAiResponses),
            ("https://api.openai.com/v1/responses/", OpenAiResponses),
            ("http://localhost:8000/v1/embeddings", OpenAiEmbeddings),
            ("https://openrouter.ai/api/v1/responses", OpenAiResponses),
            ("https://openrouter.ai/api/v1/embeddings", OpenAiEmbeddings),
            ("https://api.groq.com/openai/v1/responses", OpenAiResponses),
            ("/v1/embeddings", OpenAiEmbeddings),
            // Azure OpenAI: deployments, the v1 API and the preview Responses API.
            (
                "https://res.openai.azure.com/openai/deployments/emb-3/embeddings?api-version=2024-10-21",
                OpenAiEmbeddings,
            ),
            (
                "https://res.openai.azure.com/openai/v1/responses",
                OpenAiResponses,
            ),
            (
                "https://res.openai.azure.com/openai/v1/embeddings",
                OpenAiEmbeddings,
            ),
            (
                "https://res.openai.azure.com/openai/responses?api-version=2025-03-01-preview",
                OpenAiResponses,
            ),
            // Gemini's OpenAI compatibility layer.
            (
                "https://generativelanguage.googleapis.com/v1beta/openai/embeddings",
                OpenAiEmbeddings,
            ),
        ];
        for (url, endpoint) in cases {
            assert_eq!(classify("POST", url), Some(endpoint), "{url}");
        }
        // App resources that merely end in the word. `/api/v1/users/embeddings` is refused too:
        // OpenAI-shaped servers put the resource right under their `v1` root, never deeper.
        let refused = [
            "https://example.com/api/surveys/42/responses",
            "https://example.com/v2/search/embeddings",
            "https://example.com/api/v1/users/embeddings",
            "https://example.com/api/v1/forms/7/responses",
            "https://example.com/v1beta/embeddings",
            "https://example.com/responses",
            "https://example.com/embeddings",
            "https://example.com/openai/deployments//embeddings",
            "https://example.com/deployments/d/embeddings",
            "https://example.com/v1/x/responses",
            "responses",
            "/embeddings",
        ];
        for url in refused {
            assert_eq!(classify("POST", url), None, "{url}");
        }
    }

    #[test]
    fn recognises_gemini_tuned_models_for_generation_only() {
        let tuned = "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model-abc123";
        assert_eq!(
            classify("POST", &format!("{tuned}:generateContent")),
            Some(GeminiGenerateContent)
        );
        assert_eq!(
            classify("POST", &format!("{tuned}:streamGenerateContent?alt=sse")),
            Some(GeminiStreamGenerateContent)
        );
        for action in ["embedContent", "predictLongRunning", "countTokens"] {
            assert_eq!(classify("POST", &format!("{tuned}:{action}")), None);
        }
        assert_eq!(
            classify("POST", "https://h/v1beta/tunedModels/:generateContent"),
            None
        );
        // Tuning operations are not video operations.
        assert_eq!(classify("GET", &format!("{tuned}/operations/op1")), None);
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
