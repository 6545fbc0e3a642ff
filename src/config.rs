//! Process-wide settings, set through `aiobs_configure` and read by every later call.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::otlp::OtlpSettings;
use crate::otlp::settings::OtlpUpdate;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Reported as the `aiobs_runtime` system label of sessions started afterwards.
    pub runtime: String,
    /// Reported as `aiobs_runtime_version` when set.
    pub runtime_version: Option<String>,
    /// Whether prompts, outputs and embedding vectors are kept (`AIOBS_CAPTURE_CONTENT`).
    pub capture_content: bool,
    /// The largest JSON document or body one call may hand over; larger ones are refused.
    pub max_input_bytes: usize,
    /// OTLP export and the destination switches (`"otlp": {...}` and the `OTEL_*` variables).
    pub otlp: OtlpSettings,
    /// Whether a call or span without a `parent_span_id` key gets the innermost span open on the
    /// calling thread as its parent (and a span becomes that thread's innermost). Bindings for
    /// runtimes whose tasks move between threads (goroutines, fibers) turn it off.
    pub thread_parenting: bool,
    /// The most the store may hold (events waiting for a flush and open spans); past it new
    /// events are dropped and counted.
    pub max_memory_bytes: usize,
    /// Spans open longer than this are closed as abandoned at the next flush.
    pub max_span_age_seconds: f64,
    /// Whether a successful flush ends the active session (the Python SDK's behaviour).
    pub flush_ends_session: bool,
}

pub const DEFAULT_MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;
pub const DEFAULT_MAX_SPAN_AGE_SECONDS: f64 = 3600.0;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            runtime: "c".to_owned(),
            runtime_version: None,
            capture_content: capture_content_from_env(
                std::env::var("AIOBS_CAPTURE_CONTENT").ok().as_deref(),
            ),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            otlp: OtlpSettings::from_env(|name| std::env::var(name).ok()),
            thread_parenting: true,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_span_age_seconds: DEFAULT_MAX_SPAN_AGE_SECONDS,
            flush_ends_session: true,
        }
    }
}

/// Only an explicit "off" turns capture off, so a typo never silently drops content.
fn capture_content_from_env(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("false" | "0" | "no" | "off")
    )
}

/// Every key is optional: only the keys given change. Unknown keys are refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    runtime: Option<String>,
    runtime_version: Option<String>,
    capture_content: Option<bool>,
    max_input_bytes: Option<usize>,
    otlp: Option<OtlpUpdate>,
    thread_parenting: Option<bool>,
    max_memory_bytes: Option<usize>,
    max_span_age_seconds: Option<f64>,
    flush_ends_session: Option<bool>,
}

impl Settings {
    /// Applies the keys of `settings_json`, or nothing when any of them is wrong.
    pub fn apply(&mut self, settings_json: &str) -> Result<()> {
        crate::json_check::check_input("settings_json", settings_json)?;
        let update: SettingsUpdate = serde_json::from_str(settings_json)
            .map_err(|e| Error::from_json("settings_json", &e))?;
        if let Some(runtime) = &update.runtime
            && runtime.trim().is_empty()
        {
            return Err(Error::invalid(
                "settings_json: runtime must be a non-empty string",
            ));
        }
        // A stored input keeps offsets into its text in 32 bits.
        if update
            .max_input_bytes
            .is_some_and(|max| max == 0 || max > u32::MAX as usize)
        {
            return Err(Error::invalid(
                "settings_json: max_input_bytes must be from 1 to 4294967295",
            ));
        }
        if let Some(age) = update.max_span_age_seconds
            && !(age.is_finite() && age > 0.0)
        {
            return Err(Error::invalid(format!(
                "settings_json: max_span_age_seconds must be a positive number, got {age}"
            )));
        }
        if let Some(otlp) = update.otlp {
            let mut updated = self.otlp.clone();
            updated.apply(otlp)?;
            self.otlp = updated;
        }
        if let Some(runtime) = update.runtime {
            self.runtime = runtime;
        }
        if update.runtime_version.is_some() {
            self.runtime_version = update.runtime_version;
        }
        if let Some(capture) = update.capture_content {
            self.capture_content = capture;
        }
        if let Some(max) = update.max_input_bytes {
            self.max_input_bytes = max;
        }
        if let Some(thread_parenting) = update.thread_parenting {
            self.thread_parenting = thread_parenting;
        }
        if let Some(max) = update.max_memory_bytes {
            self.max_memory_bytes = max;
        }
        if let Some(age) = update.max_span_age_seconds {
            self.max_span_age_seconds = age;
        }
        if let Some(ends) = update.flush_ends_session {
            self.flush_ends_session = ends;
        }
        Ok(())
    }

    /// Refuses an input over the configured size before any work is spent on it.
    pub fn check_size(&self, what: &str, len: usize) -> Result<()> {
        if len > self.max_input_bytes {
            return Err(Error::new(
                crate::error::ErrorKind::TooLarge,
                format!(
                    "{what} is {len} bytes, over the limit of {} bytes (max_input_bytes)",
                    self.max_input_bytes
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_apply_whole_or_not_at_all() {
        let mut settings = Settings::default();
        settings
            .apply(r#"{"runtime":"go","runtime_version":"go1.26","capture_content":false}"#)
            .unwrap();
        assert_eq!(settings.runtime, "go");
        assert!(!settings.capture_content);
        let before = settings.clone();
        let err = settings
            .apply(r#"{"runtime":"ruby","colour":"blue"}"#)
            .unwrap_err();
        assert!(err.message.contains("colour"), "{}", err.message);
        assert_eq!(
            settings.apply(r#"{"runtime":" "}"#).unwrap_err().kind,
            crate::error::ErrorKind::InvalidArgument
        );
        assert_eq!(
            settings.apply("[").unwrap_err().kind,
            crate::error::ErrorKind::InvalidJson
        );
        assert_eq!(
            settings
                .apply(r#"{"capture_content":"no"}"#)
                .unwrap_err()
                .kind,
            crate::error::ErrorKind::InvalidArgument
        );
        assert_eq!(settings, before);
    }

    #[test]
    fn only_explicit_off_values_disable_content_capture() {
        for off in ["false", "0", "no", "OFF", " False "] {
            assert!(!capture_content_from_env(Some(off)), "{off}");
        }
        for on in [None, Some("true"), Some("1"), Some("yes"), Some("treu")] {
            assert!(capture_content_from_env(on), "{on:?}");
        }
    }
}
