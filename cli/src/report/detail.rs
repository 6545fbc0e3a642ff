//! What the call drawer shows and the search box reads, per span: the payloads (verbatim, or
//! compacted when over `--max-payload-bytes`) and a short plain text of the prompts and
//! outputs. Both go into compressed blocks (see `blocks`), out of the page's first load.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Number arrays longer than this (embedding vectors) are cut to their first values when a
/// payload is over the limit.
const NUMBERS_KEPT: usize = 4;
/// Strings longer than this are cut when a payload is still over the limit.
const STRING_CHARS_KEPT: usize = 2000;
/// Characters kept of a payload that is still over the limit once compacted.
const PREVIEW_CHARS: usize = 2000;
/// Characters of prompt and output text kept per span for the search box.
const SEARCH_CHARS: usize = 2000;

/// A payload embedded verbatim, compacted, or as a preview of its text.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Payload<'d> {
    Raw(&'d RawValue),
    /// Long number arrays became `{"$numbers": length, "head": [...]}` and, if that was not
    /// enough, long strings became `{"$chars": length, "head": "..."}`.
    Compacted {
        #[serde(rename = "$compacted")]
        compacted: bool,
        bytes: usize,
        value: Value,
    },
    Truncated {
        #[serde(rename = "$truncated")]
        truncated: bool,
        bytes: usize,
        preview: &'d str,
    },
}

impl<'d> Payload<'d> {
    pub fn of(raw: Option<&'d RawValue>, limit: usize) -> Option<Payload<'d>> {
        let raw = raw?;
        let text = raw.get();
        if text.len() <= limit {
            return Some(Payload::Raw(raw));
        }
        if let Ok(mut value) = serde_json::from_str::<Value>(text) {
            for shorten in [shorten_numbers as fn(&mut Value), shorten_strings] {
                shorten(&mut value);
                if serde_json::to_string(&value).is_ok_and(|s| s.len() <= limit) {
                    return Some(Payload::Compacted {
                        compacted: true,
                        bytes: text.len(),
                        value,
                    });
                }
            }
        }
        Some(Payload::Truncated {
            truncated: true,
            bytes: text.len(),
            preview: prefix(text, PREVIEW_CHARS),
        })
    }
}

fn prefix(text: &str, chars: usize) -> &str {
    let end = text
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

fn for_each_child(value: &mut Value, f: fn(&mut Value)) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(f),
        Value::Object(map) => map.values_mut().for_each(f),
        _ => {}
    }
}

fn shorten_numbers(value: &mut Value) {
    if let Value::Array(items) = value
        && items.len() > NUMBERS_KEPT
        && items.iter().all(Value::is_number)
    {
        let mut head = Map::new();
        head.insert("$numbers".into(), items.len().into());
        head.insert("head".into(), Value::Array(items[..NUMBERS_KEPT].to_vec()));
        *value = Value::Object(head);
        return;
    }
    for_each_child(value, shorten_numbers);
}

fn shorten_strings(value: &mut Value) {
    if let Value::String(text) = value
        && text.chars().nth(STRING_CHARS_KEPT).is_some()
    {
        let mut head = Map::new();
        head.insert("$chars".into(), text.chars().count().into());
        head.insert("head".into(), prefix(text, STRING_CHARS_KEPT).into());
        *value = Value::Object(head);
        return;
    }
    for_each_child(value, shorten_strings);
}

/// Keys whose string values are plumbing, not prompt or output text: searching them would
/// make every call match words like "assistant" or "function".
const NOT_TEXT: &[&str] = &[
    "model",
    "url",
    "id",
    "object",
    "role",
    "type",
    "finish_reason",
    "finishReason",
    "embedding",
    "b64_json",
    "system_fingerprint",
    "service_tier",
    "headers",
    "mime_type",
    "mimeType",
    "encoding_format",
];

/// The text a person would search a span for: every string in its payloads (prompts,
/// system instructions, tool arguments and results, outputs, reasoning, function args),
/// except under plumbing keys, joined by newlines and cut at `SEARCH_CHARS` characters.
pub fn search_text(payloads: &[Option<&RawValue>]) -> String {
    let mut text = String::new();
    for raw in payloads.iter().flatten() {
        // A payload that is not JSON cannot occur in a parsed export; nothing to add then.
        if let Ok(value) = serde_json::from_str::<Value>(raw.get()) {
            collect_text(&value, &mut text);
        }
        if text.len() >= SEARCH_CHARS * 4 {
            break;
        }
    }
    let kept = prefix(&text, SEARCH_CHARS).len();
    text.truncate(kept);
    text
}

fn collect_text(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(prefix(s, SEARCH_CHARS));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_text(item, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(key, _)| !NOT_TEXT.contains(&key.as_str()))
            .for_each(|(_, item)| collect_text(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        serde_json::from_str(json).unwrap()
    }

    fn encoded(payload: Option<Payload<'_>>) -> Value {
        serde_json::to_value(payload.unwrap()).unwrap()
    }

    #[test]
    fn small_payloads_stay_verbatim() {
        let text = r#"{"data":"ééééé"}"#;
        assert!(matches!(
            Payload::of(Some(&raw(text)), 100),
            Some(Payload::Raw(_))
        ));
        assert!(Payload::of(None, 5).is_none());
    }

    #[test]
    fn embedding_vectors_are_cut_to_their_dimensions() {
        let vector: Vec<f64> = (0..1536).map(|i| i as f64 / 1000.0).collect();
        let text = serde_json::json!({"data": [{"embedding": vector}], "model": "m"}).to_string();
        let value = encoded(Payload::of(Some(&raw(&text)), 1000));
        assert_eq!(value["$compacted"], true);
        assert_eq!(value["bytes"], text.len());
        let cut = &value["value"]["data"][0]["embedding"];
        assert_eq!(cut["$numbers"], 1536);
        assert_eq!(cut["head"].as_array().unwrap().len(), NUMBERS_KEPT);
        assert_eq!(value["value"]["model"], "m");
    }

    #[test]
    fn long_strings_are_cut_when_numbers_are_not_enough() {
        let text = serde_json::json!({"prompt": "é".repeat(5000), "n": [1, 2]}).to_string();
        let value = encoded(Payload::of(Some(&raw(&text)), 5000));
        assert_eq!(value["value"]["prompt"]["$chars"], 5000);
        assert_eq!(
            value["value"]["prompt"]["head"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            STRING_CHARS_KEPT
        );
        assert_eq!(value["value"]["n"], serde_json::json!([1, 2]));
    }

    #[test]
    fn what_cannot_be_compacted_becomes_a_preview() {
        let text = serde_json::to_string(&vec!["x".repeat(1999); 40]).unwrap();
        let value = encoded(Payload::of(Some(&raw(&text)), 1000));
        assert_eq!(value["$truncated"], true);
        assert_eq!(value["bytes"], text.len());
        assert_eq!(value["preview"].as_str().unwrap().len(), PREVIEW_CHARS);
    }

    #[test]
    fn search_text_has_prompts_and_outputs_not_plumbing() {
        let request = raw(
            r#"{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},
                {"role":"user","content":"Weather in Paris?"}],"url":"https://x"}"#,
        );
        let response = raw(
            r#"{"id":"c1","choices":[{"text":"Sunny.","tool_calls":[{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}]}],
                "data":[{"embedding":"AAAA"}],"headers":{"x-request-id":"r"}}"#,
        );
        let text = search_text(&[Some(&request), None, Some(&response)]);
        assert_eq!(
            text,
            "Be brief.\nWeather in Paris?\nSunny.\n{\"city\":\"Oslo\"}\nget_weather"
        );
    }

    #[test]
    fn search_text_is_bounded() {
        let long = raw(&serde_json::json!(["a".repeat(3000), "b".repeat(3000)]).to_string());
        assert_eq!(search_text(&[Some(&long)]).len(), SEARCH_CHARS);
    }
}
