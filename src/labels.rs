//! Session labels: the rules of the user documentation, in one place.
//!
//! Keys match `^[a-z][a-z0-9_]{0,62}$`, values are at most 256 characters, a session holds at most
//! 64 labels counting the system ones, and the `aiobs_` prefix belongs to the system labels.
//! Precedence is system < `AIOBS_LABEL_*` environment variables < explicit labels.

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::error::{Error, ErrorKind, Result};

pub const MAX_LABELS: usize = 64;
pub const MAX_VALUE_CHARS: usize = 256;
pub const RESERVED_PREFIX: &str = "aiobs_";
const ENV_PREFIX: &str = "AIOBS_LABEL_";

/// Labels in insertion order (system first), as the Python SDK's dict keeps them.
/// At most 64 entries, so a linear search beats hashing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Inserts or overwrites, keeping the key's first position.
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn retain_system(&mut self) {
        self.0.retain(|(k, _)| k.starts_with(RESERVED_PREFIX));
    }

    /// Labels parsed from a JSON object of strings, in the caller's order, each key and value
    /// validated.
    pub fn from_user_json(json: &str) -> Result<Labels> {
        crate::json_check::check_input("labels_json", json)?;
        let entries = match serde_json::from_str::<Entries>(json) {
            Ok(entries) => entries.0,
            Err(e) if e.is_data() => {
                return Err(Error::new(
                    ErrorKind::InvalidLabel,
                    format!("labels must be a JSON object of string values: {e}"),
                ));
            }
            Err(e) => return Err(Error::from_json("labels_json", &e)),
        };
        if entries.len() > MAX_LABELS {
            return Err(too_many(entries.len()));
        }
        let mut labels = Labels::default();
        for (key, value) in entries {
            validate_user_key(&key)?;
            validate_value(&key, &value)?;
            labels.insert(key, value);
        }
        Ok(labels)
    }
}

/// A JSON object of strings with its keys in document order (serde_json's map sorts them).
struct Entries(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

impl Serialize for Labels {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn too_many(count: usize) -> Error {
    Error::new(
        ErrorKind::LabelLimit,
        format!(
            "too many labels ({count}); a session holds at most {MAX_LABELS}, system labels included"
        ),
    )
}

/// `^[a-z][a-z0-9_]{0,62}$`, written out because it is on every label call.
pub fn key_is_well_formed(key: &str) -> bool {
    let bytes = key.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

pub fn validate_user_key(key: &str) -> Result<()> {
    if key.starts_with(RESERVED_PREFIX) {
        return Err(Error::new(
            ErrorKind::InvalidLabel,
            format!("label key '{key}' uses reserved prefix '{RESERVED_PREFIX}'"),
        ));
    }
    if !key_is_well_formed(key) {
        return Err(Error::new(
            ErrorKind::InvalidLabel,
            format!("label key '{key}' is invalid: keys must match ^[a-z][a-z0-9_]{{0,62}}$"),
        ));
    }
    Ok(())
}

pub fn validate_value(key: &str, value: &str) -> Result<()> {
    let chars = value.chars().count();
    if chars > MAX_VALUE_CHARS {
        return Err(Error::new(
            ErrorKind::InvalidLabel,
            format!(
                "label value for '{key}' has {chars} characters and exceeds maximum length of {MAX_VALUE_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

/// Cuts to at most 256 characters, on a character boundary.
fn truncate_value(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => value[..cut].to_owned(),
        None => value.to_owned(),
    }
}

/// `AIOBS_LABEL_*` variables, lowercased; invalid names, non-UTF-8 values and reserved keys are
/// skipped, so the environment can never overwrite a system label.
pub fn from_environment(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Labels {
    let mut found: Vec<(String, String)> = vars
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            let suffix = name.strip_prefix(ENV_PREFIX)?;
            let key = suffix.to_lowercase();
            let value = value.into_string().ok()?;
            (key_is_well_formed(&key) && !key.starts_with(RESERVED_PREFIX))
                .then(|| (key, truncate_value(&value)))
        })
        .collect();
    // The environment has no order of its own; sorting keeps exports reproducible.
    found.sort();
    let mut labels = Labels::default();
    for (k, v) in found {
        labels.insert(k, v);
    }
    labels
}

/// The system labels every session starts with.
pub fn system(runtime: &str, runtime_version: Option<&str>) -> Labels {
    let mut labels = Labels::default();
    labels.insert("aiobs_sdk_version".into(), env!("CARGO_PKG_VERSION").into());
    labels.insert("aiobs_runtime".into(), truncate_value(runtime));
    if let Some(version) = runtime_version {
        labels.insert("aiobs_runtime_version".into(), truncate_value(version));
    }
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    labels.insert("aiobs_hostname".into(), truncate_value(&host));
    labels.insert("aiobs_os".into(), std::env::consts::OS.into());
    labels
}

/// system < environment < explicit. System and explicit labels must fit in the limit; the
/// environment fills the room left (in name order), so a crowded environment never stops a
/// session from starting.
pub fn merge_for_new_session(
    system: Labels,
    environment: Labels,
    explicit: Labels,
) -> Result<Labels> {
    let fixed = system.len() + explicit.len();
    let room = MAX_LABELS
        .checked_sub(fixed)
        .ok_or_else(|| too_many(fixed))?;
    let mut merged = system;
    let from_environment: Vec<(String, String)> = environment
        .0
        .into_iter()
        .filter(|(k, _)| explicit.get(k).is_none())
        .take(room)
        .collect();
    for (k, v) in from_environment.into_iter().chain(explicit.0) {
        merged.insert(k, v);
    }
    Ok(merged)
}

/// The label operations of an active session. Each either applies whole or changes nothing.
impl Labels {
    pub fn add(&mut self, key: &str, value: &str) -> Result<()> {
        validate_user_key(key)?;
        validate_value(key, value)?;
        if self.get(key).is_none() && self.len() >= MAX_LABELS {
            return Err(Error::new(
                ErrorKind::LabelLimit,
                format!(
                    "cannot add label '{key}': the session already holds the maximum of {MAX_LABELS} labels"
                ),
            ));
        }
        self.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    pub fn set(&mut self, update: Labels, merge: bool) -> Result<()> {
        let mut next = self.clone();
        if !merge {
            next.retain_system();
        }
        for (k, v) in update.0 {
            next.insert(k, v);
        }
        if next.len() > MAX_LABELS {
            return Err(too_many(next.len()));
        }
        *self = next;
        Ok(())
    }

    pub fn remove_user(&mut self, key: &str) -> Result<()> {
        if key.starts_with(RESERVED_PREFIX) {
            return Err(Error::new(
                ErrorKind::InvalidLabel,
                format!("cannot remove system label '{key}'"),
            ));
        }
        self.remove(key);
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env(pairs: &[(&str, &str)]) -> Labels {
        from_environment(
            pairs
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        )
    }

    #[test]
    fn keys_follow_the_documented_pattern() {
        for good in [
            "environment",
            "a",
            "a1",
            "my_label",
            "a_b_c_1_2_3",
            &"a".repeat(63),
        ] {
            assert!(validate_user_key(good).is_ok(), "{good}");
        }
        for bad in [
            "Environment",
            "1environment",
            "my-label",
            "my label",
            "",
            "_x",
            "é",
            &"a".repeat(64),
        ] {
            let err = validate_user_key(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidLabel);
            assert!(err.message.contains("is invalid"), "{}", err.message);
        }
        let err = validate_user_key("aiobs_custom").unwrap_err();
        assert!(err.message.contains("reserved prefix"));
    }

    #[test]
    fn values_are_counted_in_characters() {
        assert!(validate_value("k", &"é".repeat(256)).is_ok());
        assert!(validate_value("k", "").is_ok());
        assert!(validate_value("k", "emoji 🚀 and spaces").is_ok());
        let err = validate_value("k", &"a".repeat(257)).unwrap_err();
        assert!(err.message.contains("exceeds maximum length"));
    }

    #[test]
    fn user_json_is_validated_whole() {
        assert_eq!(
            Labels::from_user_json(r#"{"a":"1","b":"2"}"#)
                .unwrap()
                .len(),
            2
        );
        assert!(Labels::from_user_json("{}").unwrap().is_empty());
        assert_eq!(
            Labels::from_user_json("[]").unwrap_err().kind,
            ErrorKind::InvalidLabel
        );
        assert_eq!(
            Labels::from_user_json(r#"{"a":1}"#).unwrap_err().kind,
            ErrorKind::InvalidLabel
        );
        assert_eq!(
            Labels::from_user_json("{").unwrap_err().kind,
            ErrorKind::InvalidJson
        );
        let many: Vec<String> = (0..65).map(|i| format!("\"k{i}\":\"v\"")).collect();
        let err = Labels::from_user_json(&format!("{{{}}}", many.join(","))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::LabelLimit);
        let exactly: Vec<String> = (0..64).map(|i| format!("\"k{i}\":\"v\"")).collect();
        assert_eq!(
            Labels::from_user_json(&format!("{{{}}}", exactly.join(",")))
                .unwrap()
                .len(),
            64
        );
    }

    #[test]
    fn environment_labels_are_lowercased_truncated_and_filtered() {
        let labels = env(&[
            ("AIOBS_LABEL_ENVIRONMENT", "production"),
            ("AIOBS_LABEL_MY_LABEL", "x"),
            ("AIOBS_LABEL_", "empty suffix"),
            ("AIOBS_LABEL_BAD-KEY", "x"),
            ("AIOBS_LABEL_AIOBS_OS", "spoofed"),
            ("AIOBS_LABEL_LONG", &"é".repeat(500)),
            ("OTHER_VAR", "x"),
        ]);
        assert_eq!(labels.get("environment"), Some("production"));
        assert_eq!(labels.get("my_label"), Some("x"));
        assert_eq!(labels.get("long").unwrap().chars().count(), 256);
        assert_eq!(labels.get("aiobs_os"), None);
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn system_labels_are_present_and_filled() {
        let labels = system("c", None);
        for key in [
            "aiobs_sdk_version",
            "aiobs_hostname",
            "aiobs_os",
            "aiobs_runtime",
        ] {
            assert!(!labels.get(key).unwrap().is_empty(), "{key}");
        }
        assert_eq!(labels.get("aiobs_runtime"), Some("c"));
        assert_eq!(
            system("go", Some("go1.26")).get("aiobs_runtime_version"),
            Some("go1.26")
        );
    }

    #[test]
    fn precedence_is_system_then_environment_then_explicit() {
        let explicit = Labels::from_user_json(r#"{"environment":"production"}"#).unwrap();
        let merged = merge_for_new_session(
            system("c", None),
            env(&[
                ("AIOBS_LABEL_ENVIRONMENT", "staging"),
                ("AIOBS_LABEL_TEAM", "ml"),
            ]),
            explicit,
        )
        .unwrap();
        assert_eq!(merged.get("environment"), Some("production"));
        assert_eq!(merged.get("team"), Some("ml"));
        assert_eq!(merged.get("aiobs_runtime"), Some("c"));
    }

    #[test]
    fn the_limit_counts_system_labels() {
        let user: Vec<String> = (0..61).map(|i| format!("\"k{i}\":\"v\"")).collect();
        let explicit = Labels::from_user_json(&format!("{{{}}}", user.join(","))).unwrap();
        let err =
            merge_for_new_session(system("c", None), Labels::default(), explicit).unwrap_err();
        assert_eq!(err.kind, ErrorKind::LabelLimit);
    }

    #[test]
    fn a_crowded_environment_fills_only_the_room_left() {
        let names: Vec<(String, String)> = (0..100)
            .map(|i| (format!("AIOBS_LABEL_E{i:03}"), "v".to_owned()))
            .collect();
        let pairs: Vec<(&str, &str)> = names
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let explicit = Labels::from_user_json(r#"{"e000":"explicit","team":"ml"}"#).unwrap();
        let merged = merge_for_new_session(system("c", None), env(&pairs), explicit).unwrap();
        assert_eq!(merged.len(), MAX_LABELS);
        assert_eq!(merged.get("e000"), Some("explicit"));
        assert_eq!(merged.get("team"), Some("ml"));
        assert!(merged.get("e001").is_some());
        assert!(merged.get("e099").is_none());
    }

    #[test]
    fn dynamic_updates_apply_whole_or_not_at_all() {
        let mut labels = system("c", None);
        labels.add("key1", "a").unwrap();
        labels
            .set(Labels::from_user_json(r#"{"key2":"b"}"#).unwrap(), true)
            .unwrap();
        assert_eq!(
            (labels.get("key1"), labels.get("key2")),
            (Some("a"), Some("b"))
        );
        labels
            .set(Labels::from_user_json(r#"{"key3":"c"}"#).unwrap(), false)
            .unwrap();
        assert_eq!((labels.get("key1"), labels.get("key3")), (None, Some("c")));
        assert!(labels.get("aiobs_os").is_some());

        while labels.len() < MAX_LABELS {
            let key = format!("fill{}", labels.len());
            labels.add(&key, "v").unwrap();
        }
        let before = labels.clone();
        assert_eq!(
            labels.add("one_more", "v").unwrap_err().kind,
            ErrorKind::LabelLimit
        );
        labels
            .add("key3", "overwrite is fine at the limit")
            .unwrap();
        let mut at_limit = labels.clone();
        let err = at_limit
            .set(
                Labels::from_user_json(r#"{"new1":"x","new2":"y"}"#).unwrap(),
                true,
            )
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::LabelLimit);
        assert_eq!(at_limit, labels);
        assert_ne!(before, labels);

        assert_eq!(
            labels.remove_user("aiobs_os").unwrap_err().kind,
            ErrorKind::InvalidLabel
        );
        labels.remove_user("key3").unwrap();
        labels.remove_user("never_there").unwrap();
        assert_eq!(labels.get("key3"), None);
    }
}
