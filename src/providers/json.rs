//! Lenient JSON decoding of bodies that may be empty, truncated, non-UTF-8 or not JSON at all.

use serde_json::{Map, Value};

/// A JSON object, the shape of every request body and of most response bodies.
pub(crate) type Object = Map<String, Value>;

/// Parses a body as JSON. Invalid UTF-8 is replaced rather than rejected, so that one bad byte in
/// a prompt does not cost the whole record.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("body is empty".to_owned());
    }
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(&text).map_err(|e| format!("body is not valid JSON: {e}"))
}

/// Parses a body that must be a JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Object, String> {
    match parse(bytes)? {
        Value::Object(object) => Ok(object),
        other => Err(format!(
            "body is JSON but not an object (found {})",
            kind(&other)
        )),
    }
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
    fn parse_replaces_invalid_utf8() {
        let value = parse(b"{\"a\":\"x\xffy\"}").unwrap();
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
