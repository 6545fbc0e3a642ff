//! `…/models/{model}:embedContent` and `:batchEmbedContents` → `models.embed_content`.

use serde_json::Value;

use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned};
use super::super::openai::embeddings::dimensions;
use super::super::usage;

pub(crate) fn request(mut body: Object, model: Option<&str>) -> Object {
    // A batch is `{requests: [{model, content, taskType, …}]}`; a single call is one such request.
    let mut requests: Vec<Object> = match body.remove("requests") {
        Some(Value::Array(requests)) => requests
            .into_iter()
            .filter_map(|request| match request {
                Value::Object(request) => Some(request),
                _ => None,
            })
            .collect(),
        Some(other) => {
            body.insert("requests".to_owned(), other);
            Vec::new()
        }
        None => vec![std::mem::take(&mut body)],
    };
    let contents: Vec<Value> = requests
        .iter_mut()
        .filter_map(|request| request.remove("content"))
        .collect();
    // The per-request settings (taskType, title, outputDimensionality) are the SDK's config; the
    // SDK sends the same for every request of a batch, so the first stands for all.
    let mut config = requests.into_iter().next().unwrap_or_default();
    config.remove("model");
    let mut request = Object::new();
    request.insert("model".to_owned(), Value::from(model));
    request.insert("input_count".to_owned(), Value::from(contents.len()));
    request.insert("contents".to_owned(), Value::Array(contents));
    request.insert("config".to_owned(), Value::Object(config));
    request.insert("other".to_owned(), Value::Object(body));
    request
}

pub(crate) fn response(bytes: &[u8]) -> Reply {
    json_reply(bytes, build)
}

/// `{embedding: {values}}` or `{embeddings: [{values}]}`, as `data: [{index, embedding}]`.
fn build(mut body: Object) -> Reply {
    let embeddings = match (body.remove("embedding"), body.remove("embeddings")) {
        (Some(single), _) => vec![single],
        (None, Some(Value::Array(batch))) => batch,
        _ => Vec::new(),
    };
    let data: Vec<Value> = embeddings
        .into_iter()
        .enumerate()
        .map(|(index, mut embedding)| {
            let values = embedding
                .get_mut("values")
                .map(Value::take)
                .unwrap_or_default();
            serde_json::json!({"index": index, "embedding": values})
        })
        .collect();
    let body = Value::Object(body);
    let mut response = Object::new();
    response.insert("embedding_count".to_owned(), Value::from(data.len()));
    let dimensions = data
        .iter()
        .find_map(|item| dimensions(item.get("embedding")?));
    response.insert("embedding_dimensions".to_owned(), Value::from(dimensions));
    response.insert("data".to_owned(), Value::Array(data));
    let usage = cloned(&body, "usageMetadata");
    response.insert("tokens".to_owned(), usage::gemini(&usage));
    response.insert("usage".to_owned(), usage);
    Reply::ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_batch_keeps_every_content_and_the_shared_config() {
        let body = json!({"requests": [
            {"model": "models/e", "content": {"parts": [{"text": "a"}]}, "taskType": "CLUSTERING"},
            {"model": "models/e", "content": {"parts": [{"text": "b"}]}, "taskType": "CLUSTERING"},
            "not a request"
        ]});
        let Value::Object(body) = body else {
            unreachable!()
        };
        let request = request(body, Some("e"));
        assert_eq!(request["input_count"], 2);
        assert_eq!(request["config"], json!({"taskType": "CLUSTERING"}));
        assert_eq!(request["other"], json!({}));
    }
}
