//! Media bytes never enter a record. Base64 payloads (images and videos sent to Veo, inline
//! images or audio in prompts, generated images) are replaced by their decoded size under
//! `byte_length`, next to the MIME type and URI that stay. This runs on every parsed body,
//! whatever `capture_content` says: bytes are not "content" to keep, they are megabytes.

use serde_json::{Map, Value};

/// Keys whose string value is always base64 media.
const BYTES_KEYS: [&str; 7] = [
    "bytesBase64Encoded",
    "encodedVideo",
    "imageBytes",
    "videoBytes",
    "image_bytes",
    "video_bytes",
    "b64_json",
];

/// Keys that mark an object holding a base64 `data` member (Gemini `inlineData`
/// `{mimeType, data}`, OpenAI `input_audio` `{data, format}`).
const MEDIA_TYPE_KEYS: [&str; 3] = ["mimeType", "mime_type", "format"];

/// Replaces every base64 payload inside `value`.
pub(crate) fn strip(value: &mut Value) {
    match value {
        Value::Object(object) => strip_object(object),
        Value::Array(items) => items.iter_mut().for_each(strip),
        Value::String(text) => {
            if let Some(replacement) = data_url(text) {
                *text = replacement;
            }
        }
        _ => {}
    }
}

fn strip_object(object: &mut Map<String, Value>) {
    let mut byte_length = None;
    for key in BYTES_KEYS {
        if let Some(Value::String(payload)) = object.get(key) {
            byte_length = Some(decoded_len(payload));
            object.remove(key);
        }
    }
    let has_media_type = MEDIA_TYPE_KEYS.iter().any(|key| object.contains_key(*key));
    if let Some(Value::String(payload)) = object.get("data").filter(|_| has_media_type) {
        byte_length = Some(decoded_len(payload));
        object.remove("data");
    }
    if let Some(length) = byte_length {
        object.insert("byte_length".to_owned(), Value::from(length));
    }
    object.values_mut().for_each(strip);
}

/// `data:<mime>;base64,<payload>` (OpenAI image inputs and files) becomes
/// `data:<mime>;base64,[<n> bytes omitted]`: still a string, still says what it was.
fn data_url(text: &str) -> Option<String> {
    let rest = text.strip_prefix("data:")?;
    let (media_type, payload) = rest.split_once(";base64,")?;
    Some(format!(
        "data:{media_type};base64,[{} bytes omitted]",
        decoded_len(payload)
    ))
}

/// The size of the bytes a base64 string encodes, without decoding it.
pub(crate) fn decoded_len(payload: &str) -> usize {
    let digits = payload
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count();
    digits * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decoded_len_matches_base64_sizes() {
        assert_eq!(decoded_len(""), 0);
        assert_eq!(decoded_len("QQ=="), 1);
        assert_eq!(decoded_len("QUI="), 2);
        assert_eq!(decoded_len("QUJD"), 3);
        assert_eq!(decoded_len("QUJD\nREVG"), 6);
    }

    #[test]
    fn strips_every_known_payload_and_keeps_metadata() {
        let mut value = json!({
            "instances": [{"prompt": "a cat", "image": {"bytesBase64Encoded": "QUJDREVG", "mimeType": "image/png"}}],
            "contents": [{"parts": [{"inlineData": {"mimeType": "image/jpeg", "data": "QUJD"}}, {"text": "data: not media"}]}],
            "messages": [{"content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJDREVG"}},
                                      {"type": "input_audio", "input_audio": {"data": "QUI=", "format": "wav"}}]}],
            "data": [{"b64_json": "QUJD", "revised_prompt": "x"}]
        });
        strip(&mut value);
        assert_eq!(
            value,
            json!({
                "instances": [{"prompt": "a cat", "image": {"byte_length": 6, "mimeType": "image/png"}}],
                "contents": [{"parts": [{"inlineData": {"mimeType": "image/jpeg", "byte_length": 3}}, {"text": "data: not media"}]}],
                "messages": [{"content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,[6 bytes omitted]"}},
                                          {"type": "input_audio", "input_audio": {"byte_length": 2, "format": "wav"}}]}],
                "data": [{"byte_length": 3, "revised_prompt": "x"}]
            })
        );
    }

    #[test]
    fn leaves_plain_data_members_alone() {
        let mut value = json!({"data": [{"embedding": [0.1], "index": 0}], "object": "list"});
        let before = value.clone();
        strip(&mut value);
        assert_eq!(value, before);
    }
}
