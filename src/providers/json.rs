//! Lenient JSON decoding of bodies that may be empty, truncated, non-UTF-8 or not JSON at all.

use serde_json::{Map, Value};

use std::borrow::Cow;

use crate::json_check::{self, MAX_DEPTH, ProblemKind};

/// A JSON object, the shape of every request body and of most response bodies.
pub(crate) type Object = Map<String, Value>;

/// Parses a body as JSON, with a note when parts had to be replaced. Invalid UTF-8 is replaced
/// rather than rejected, so that one bad byte in a prompt does not cost the whole record; so are
/// lone surrogate escapes (by U+FFFD) and numbers beyond a double (by null), which strict readers
/// of the export would refuse, and containers nested deeper than [`MAX_DEPTH`] (by null), which
/// would cost the whole body (serde_json stops at 128 levels).
pub(crate) fn parse(bytes: &[u8]) -> Result<(Value, Option<String>), String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("body is empty".to_owned());
    }
    let text = String::from_utf8_lossy(bytes);
    let mut notes = Vec::new();
    let text = match cut_deep(&text) {
        Some(cut) => {
            notes.push(depth_note());
            Cow::Owned(cut)
        }
        None => text,
    };
    let text = match repair(&text) {
        Some((repaired, note)) => {
            notes.push(note);
            Cow::Owned(repaired)
        }
        None => text,
    };
    let value = serde_json::from_str(&text).map_err(|e| format!("body is not valid JSON: {e}"))?;
    Ok((value, (!notes.is_empty()).then(|| notes.join("; "))))
}

/// The text with every array or object that opens [`MAX_DEPTH`] levels deep replaced by `null`;
/// `None` when nothing is that deep. One pass over the bytes, no recursion: a body nested a
/// million deep costs a million steps, not a million stack frames.
fn cut_deep(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied_to = 0;
    let (mut depth, mut at) = (0usize, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = string_end(bytes, at),
            b'[' | b'{' if depth == MAX_DEPTH => {
                let end = container_end(bytes, at);
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(&text[copied_to..at]);
                out.push_str("null");
                copied_to = end;
                at = end;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    let mut out = out?;
    out.push_str(&text[copied_to..]);
    Some(out)
}

/// The index of the closing quote of the string opening at `start` (the last byte when the text
/// ends inside the string).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at,
            _ => at += 1,
        }
    }
    bytes.len().saturating_sub(1)
}

/// The index just past the bracket closing the container opening at `start` (the text's end
/// when it never closes).
fn container_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = string_end(bytes, at),
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

/// Parses a body that must be a JSON object, with [`parse`]'s note.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<(Object, Option<String>), String> {
    match parse(bytes)? {
        (Value::Object(object), note) => Ok((object, note)),
        (other, _) => Err(format!(
            "body is JSON but not an object (found {})",
            kind(&other)
        )),
    }
}

/// How many values [`repair`] replaces at most; a body with more is left to fail whole.
const MAX_REPAIRS: usize = 64;

/// The text with lone surrogate escapes and out-of-range numbers replaced, and a note saying so;
/// `None` when there was nothing to replace (or too much).
fn repair(text: &str) -> Option<(String, String)> {
    let mut repaired: Option<String> = None;
    let (mut surrogates, mut numbers) = (0, 0);
    for _ in 0..MAX_REPAIRS {
        let current = repaired.as_deref().unwrap_or(text);
        let Err(problem) = json_check::check(current) else {
            break;
        };
        let at = problem.offset;
        let (end, replacement) = match problem.kind {
            ProblemKind::LoneSurrogate => {
                surrogates += 1;
                (at + 6, "\\ufffd")
            }
            ProblemKind::NumberOutOfRange => {
                numbers += 1;
                let length = current[at..]
                    .find(|c: char| !matches!(c, '0'..='9' | '-' | '+' | '.' | 'e' | 'E'))
                    .unwrap_or(current.len() - at);
                (at + length, "null")
            }
            _ => break,
        };
        let mut next = current.to_owned();
        next.replace_range(at..end, replacement);
        repaired = Some(next);
    }
    let mut notes = Vec::new();
    if surrogates > 0 {
        notes.push(format!(
            "{surrogates} lone surrogate escape(s) replaced by U+FFFD"
        ));
    }
    if numbers > 0 {
        notes.push(format!(
            "{numbers} number(s) beyond the range of a double replaced by null"
        ));
    }
    Some((repaired?, notes.join("; ")))
}

/// Cuts a record down to [`MAX_DEPTH`] levels of arrays and objects, the limit every value kept
/// in the export respects: deeper containers become null. Says whether anything was cut.
pub(crate) fn limit_depth(record: &mut Value) -> bool {
    fn cut(value: &mut Value, depth: usize) -> bool {
        let is_container = matches!(value, Value::Array(_) | Value::Object(_));
        if is_container && depth == MAX_DEPTH {
            *value = Value::Null;
            return true;
        }
        let children: Box<dyn Iterator<Item = &mut Value>> = match value {
            Value::Array(items) => Box::new(items.iter_mut()),
            Value::Object(members) => Box::new(members.values_mut()),
            _ => return false,
        };
        children.fold(false, |cut_any, child| cut(child, depth + 1) | cut_any)
    }
    cut(record, 0)
}

/// The note of a record [`limit_depth`] cut.
pub(crate) fn depth_note() -> String {
    format!("values nested deeper than {MAX_DEPTH} levels are left out (null)")
}

/// Adds a note to a record's `capture_error`, after any note already there.
pub(crate) fn add_note(record: &mut Value, note: &str) {
    let Value::Object(members) = record else {
        return;
    };
    let joined = match members.get("capture_error").and_then(Value::as_str) {
        Some(earlier) => format!("{earlier}; {note}"),
        None => note.to_owned(),
    };
    members.insert("capture_error".to_owned(), Value::from(joined));
}

/// The JSON type name of a value, for notes.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Removes a key, giving null when it is absent, so that every core key is always emitted.
pub(crate) fn take(object: &mut Object, key: &str) -> Value {
    object.remove(key).unwrap_or(Value::Null)
}

/// Moves `keys` from a request body into its record, in order (null when absent), then puts
/// whatever is left of the body under `other`.
pub(crate) fn lift_with_rest(mut body: Object, record: &mut Object, keys: &[&str]) {
    for key in keys {
        record.insert((*key).to_owned(), take(&mut body, key));
    }
    record.insert("other".to_owned(), Value::Object(body));
}

/// Copies `keys` of `from` into a record, in order (null when absent).
pub(crate) fn copy_keys(from: &Value, record: &mut Object, keys: &[&str]) {
    for key in keys {
        record.insert((*key).to_owned(), cloned(from, key));
    }
}

/// Removes the first of several spellings of one key that is present (the Gemini REST API
/// accepts both camelCase and snake_case).
pub(crate) fn take_any(object: &mut Object, keys: &[&str]) -> Value {
    keys.iter()
        .find_map(|key| object.remove(*key))
        .unwrap_or(Value::Null)
}

/// A string member, if present and a string.
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A member as a value, or null: copies it into a record.
pub(crate) fn cloned(value: &Value, key: &str) -> Value {
    value.get(key).cloned().unwrap_or(Value::Null)
}

/// A non-negative integer member, tolerating integers sent as floats (`12.0`).
pub(crate) fn u64_at(value: &Value, key: &str) -> Option<u64> {
    let member = value.get(key)?;
    member.as_u64().or_else(|| {
        member
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    })
}

/// The elements of an array member; empty when absent or of another type.
pub(crate) fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Nulls become absent values, so "last non-null wins" merges are one call.
pub(crate) fn non_null(value: &Value) -> Option<&Value> {
    (!value.is_null()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_reports_empty_and_invalid_bodies() {
        assert_eq!(parse(b"  \n").unwrap_err(), "body is empty");
        assert!(
            parse(b"{\"a\":")
                .unwrap_err()
                .starts_with("body is not valid JSON")
        );
        assert!(parse_object(b"[1]").unwrap_err().contains("an array"));
    }

    #[test]
    fn parse_keeps_what_fits_and_says_what_it_replaced() {
        let (value, note) = parse(br#"{"a":"x\ud800y","b":[1e400,2],"c":"\ud83d\ude00"}"#).unwrap();
        assert_eq!(
            value,
            json!({"a": "x\u{fffd}y", "b": [null, 2], "c": "\u{1f600}"})
        );
        assert_eq!(
            note.as_deref(),
            Some(
                "1 lone surrogate escape(s) replaced by U+FFFD; 1 number(s) beyond the range of a double replaced by null"
            )
        );
        assert_eq!(parse(b"{\"a\":1}").unwrap().1, None);
        let mut record = json!({"k": 1});
        for _ in 0..(MAX_DEPTH + 5) {
            record = json!([record]);
        }
        let mut record = json!({"deep": record});
        assert!(limit_depth(&mut record));
        assert!(crate::json_check::check(&record.to_string()).is_ok());
        add_note(&mut record, "first");
        add_note(&mut record, "second");
        assert_eq!(record["capture_error"], "first; second");
    }

    #[test]
    fn parse_replaces_invalid_utf8() {
        let (value, _) = parse(b"{\"a\":\"x\xffy\"}").unwrap();
        assert_eq!(value, json!({"a": "x\u{fffd}y"}));
    }

    #[test]
    fn u64_at_accepts_integral_floats_only() {
        let value = json!({"a": 3, "b": 4.0, "c": 4.5, "d": -1, "e": "7"});
        assert_eq!(u64_at(&value, "a"), Some(3));
        assert_eq!(u64_at(&value, "b"), Some(4));
        assert_eq!(u64_at(&value, "c"), None);
        assert_eq!(u64_at(&value, "d"), None);
        assert_eq!(u64_at(&value, "e"), None);
    }
}
