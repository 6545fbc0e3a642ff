//! `POST …/embeddings` → `embeddings.create`.

use serde_json::Value;

use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, copy_keys, items, lift_with_rest, take};
use super::super::{media, usage};

/// The Python SDK's request keys.
const PARAMETERS: [&str; 3] = ["encoding_format", "dimensions", "user"];

pub(crate) fn request(mut body: Object) -> Object {
    let mut request = Object::new();
    request.insert("model".to_owned(), take(&mut body, "model"));
    let input = take(&mut body, "input");
    request.insert("input_count".to_owned(), input_count(&input));
    request.insert("input".to_owned(), input);
    lift_with_rest(body, &mut request, &PARAMETERS);
    request
}

/// `input` is a string, an array of strings, one token array, or an array of token arrays.
fn input_count(input: &Value) -> Value {
    match input {
        Value::Null => Value::Null,
        Value::Array(items) if items.iter().all(Value::is_number) && !items.is_empty() => {
            Value::from(1)
        }
        Value::Array(items) => Value::from(items.len()),
        _ => Value::from(1),
    }
}

pub(crate) fn response(bytes: &[u8]) -> Reply {
    json_reply(bytes, build)
}

fn build(body: Object) -> Reply {
    let body = Value::Object(body);
    let data = items(&body, "data");
    let mut response = Object::new();
    copy_keys(&body, &mut response, &["id", "model", "object"]);
    response.insert("embedding_count".to_owned(), Value::from(data.len()));
    response.insert(
        "embedding_dimensions".to_owned(),
        Value::from(
            data.iter()
                .find_map(|item| dimensions(item.get("embedding")?)),
        ),
    );
    response.insert("data".to_owned(), cloned(&body, "data"));
    let usage = cloned(&body, "usage");
    response.insert("tokens".to_owned(), usage::openai(&usage));
    response.insert("usage".to_owned(), usage);
    Reply::ok(response)
}

/// The length of a vector: floats, or `encoding_format: "base64"` little-endian f32s.
pub(crate) fn dimensions(embedding: &Value) -> Option<usize> {
    let length = match embedding {
        Value::Array(values) => values.len(),
        Value::String(base64) => media::decoded_len(base64) / 4,
        _ => 0,
    };
    (length > 0).then_some(length)
}
