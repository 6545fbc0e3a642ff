//! Exporter settings: the standard `OTEL_*` environment variables, then the `"otlp"` object of
//! `aiobs_configure`, whose keys win over the environment.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The wire encoding of an export request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`, the OpenTelemetry default.
    Protobuf,
    /// `http/json`.
    Json,
}

impl Protocol {
    fn parse(value: &str) -> Result<Protocol> {
        match value.trim() {
            "http/protobuf" => Ok(Protocol::Protobuf),
            "http/json" => Ok(Protocol::Json),
            other => Err(Error::invalid(format!(
                "otlp protocol {other:?} is not supported: use \"http/protobuf\" or \"http/json\""
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OtlpSettings {
    /// The full traces URL (`…/v1/traces`); no export without one.
    pub endpoint: Option<String>,
    pub protocol: Protocol,
    pub headers: Vec<(String, String)>,
    /// Per request.
    pub timeout: Duration,
    pub gzip: bool,
    pub service_name: Option<String>,
    /// From `OTEL_RESOURCE_ATTRIBUTES` and `resource_attributes`.
    pub resource_attributes: Vec<(String, String)>,
    /// Finished spans waiting for export; past it new ones are dropped and counted.
    pub max_queue_size: usize,
    pub max_export_batch_size: usize,
    /// How long a span may wait for its batch to fill.
    pub schedule_delay: Duration,
    /// `gen_ai.input.messages` / `gen_ai.output.messages` (and OpenInference messages) on spans.
    pub capture_message_content: bool,
    /// Adds the OpenInference attributes, for Arize Phoenix.
    pub openinference: bool,
    /// `OTEL_SDK_DISABLED=true` or `"enabled": false`: no export, whatever the endpoint.
    pub enabled: bool,
    /// Whether flush writes the JSON file; off leaves OTLP as the only destination.
    pub json_file: bool,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            endpoint: None,
            protocol: Protocol::Protobuf,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            gzip: false,
            service_name: None,
            resource_attributes: Vec::new(),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            schedule_delay: Duration::from_secs(5),
            capture_message_content: false,
            openinference: false,
            enabled: true,
            json_file: true,
        }
    }
}

/// The keys of `{"otlp": {...}}`; each is optional and only those given change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtlpUpdate {
    /// A base URL: `/v1/traces` is appended.
    endpoint: Option<String>,
    /// Used as it is.
    traces_endpoint: Option<String>,
    protocol: Option<String>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    timeout_ms: Option<u64>,
    compression: Option<String>,
    service_name: Option<String>,
    resource_attributes: Option<std::collections::BTreeMap<String, String>>,
    max_queue_size: Option<usize>,
    max_export_batch_size: Option<usize>,
    schedule_delay_ms: Option<u64>,
    capture_message_content: Option<bool>,
    openinference: Option<bool>,
    enabled: Option<bool>,
    json_file: Option<bool>,
}

impl OtlpSettings {
    /// The settings the environment gives; malformed values are ignored, as OpenTelemetry
    /// SDKs do, so that a typo in a variable never stops the program.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> OtlpSettings {
        let mut settings = OtlpSettings::default();
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        settings.endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT").map(|base| traces_url(&base)));
        let protocol = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"));
        if let Some(protocol) = protocol.and_then(|p| Protocol::parse(&p).ok()) {
            settings.protocol = protocol;
        }
        if let Some(headers) =
            var("OTEL_EXPORTER_OTLP_TRACES_HEADERS").or_else(|| var("OTEL_EXPORTER_OTLP_HEADERS"))
        {
            settings.headers = parse_pairs(&headers);
        }
        let timeout =
            var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").or_else(|| var("OTEL_EXPORTER_OTLP_TIMEOUT"));
        if let Some(ms) = timeout.and_then(|t| t.trim().parse::<u64>().ok()) {
            settings.timeout = Duration::from_millis(ms.max(1));
        }
        let compression = var("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")
            .or_else(|| var("OTEL_EXPORTER_OTLP_COMPRESSION"));
        settings.gzip = compression.is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"));
        settings.service_name = var("OTEL_SERVICE_NAME");
        if let Some(attributes) = var("OTEL_RESOURCE_ATTRIBUTES") {
            settings.resource_attributes = parse_pairs(&attributes);
        }
        let number = |name: &str| var(name).and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = number("OTEL_BSP_MAX_QUEUE_SIZE").filter(|n| *n > 0) {
            settings.max_queue_size = n as usize;
        }
        if let Some(n) = number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE").filter(|n| *n > 0) {
            settings.max_export_batch_size = n as usize;
        }
        if let Some(ms) = number("OTEL_BSP_SCHEDULE_DELAY") {
            settings.schedule_delay = Duration::from_millis(ms);
        }
        settings.capture_message_content =
            var("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT").is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "true" | "1" | "span_only" | "span_and_event"
                )
            });
        settings.enabled =
            !var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        settings
    }

    /// Whether spans are to be exported at all.
    pub fn exporting(&self) -> bool {
        self.enabled && self.endpoint.is_some()
    }

    /// Applies an update; on error nothing changes (the caller applies to a copy).
    pub(crate) fn apply(&mut self, update: OtlpUpdate) -> Result<()> {
        if let Some(base) = update.endpoint {
            self.endpoint = non_empty(base).map(|b| traces_url(&b));
        }
        if let Some(url) = update.traces_endpoint {
            self.endpoint = non_empty(url);
        }
        if let Some(url) = &self.endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Error::invalid(format!(
                "settings_json: otlp endpoint {url:?} must start with http:// or https://"
            )));
        }
        if let Some(protocol) = update.protocol {
            self.protocol = Protocol::parse(&protocol)
                .map_err(|e| Error::invalid(format!("settings_json: {}", e.message)))?;
        }
        if let Some(headers) = update.headers {
            self.headers = headers.into_iter().collect();
        }
        if let Some(ms) = update.timeout_ms {
            self.timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(compression) = update.compression {
            self.gzip = match compression.as_str() {
                "gzip" => true,
                "none" | "" => false,
                other => {
                    return Err(Error::invalid(format!(
                        "settings_json: otlp compression {other:?} is not supported: use \"gzip\" or \"none\""
                    )));
                }
            };
        }
        if let Some(name) = update.service_name {
            self.service_name = non_empty(name);
        }
        if let Some(attributes) = update.resource_attributes {
            self.resource_attributes = attributes.into_iter().collect();
        }
        for (value, name) in [
            (update.max_queue_size, "max_queue_size"),
            (update.max_export_batch_size, "max_export_batch_size"),
        ] {
            if value == Some(0) {
                return Err(Error::invalid(format!(
                    "settings_json: otlp {name} must be at least 1"
                )));
            }
        }
        if let Some(n) = update.max_queue_size {
            self.max_queue_size = n;
        }
        if let Some(n) = update.max_export_batch_size {
            self.max_export_batch_size = n;
        }
        if let Some(ms) = update.schedule_delay_ms {
            self.schedule_delay = Duration::from_millis(ms);
        }
        if let Some(on) = update.capture_message_content {
            self.capture_message_content = on;
        }
        if let Some(on) = update.openinference {
            self.openinference = on;
        }
        if let Some(on) = update.enabled {
            self.enabled = on;
        }
        if let Some(on) = update.json_file {
            self.json_file = on;
        }
        Ok(())
    }
}

fn non_empty(value: String) -> Option<String> {
    (!value.trim().is_empty()).then_some(value)
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the signal path is appended to it.
pub fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim().trim_end_matches('/'))
}

/// `k1=v1,k2=v2` with percent-encoded values, as the OpenTelemetry specification writes
/// headers and resource attributes; malformed pairs are skipped.
fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            (!key.is_empty()).then(|| (key.to_owned(), percent_decode(value.trim())))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn the_environment_follows_the_opentelemetry_rules() {
        let settings = OtlpSettings::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b, x=1,broken"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_SERVICE_NAME", "checkout"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod"),
            ("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true"),
        ]));
        assert_eq!(
            settings.endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(settings.protocol, Protocol::Json);
        assert_eq!(
            settings.headers,
            vec![
                ("api-key".to_owned(), "a b".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(settings.timeout, Duration::from_millis(2500));
        assert!(settings.gzip && settings.capture_message_content && settings.exporting());
        assert_eq!(settings.service_name.as_deref(), Some("checkout"));
        assert_eq!(settings.resource_attributes.len(), 1);

        let traces = OtlpSettings::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b/custom"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ]));
        assert_eq!(traces.endpoint.as_deref(), Some("http://b/custom"));
        assert!(!traces.exporting());
        assert!(!OtlpSettings::from_env(env(&[])).exporting());
    }

    #[test]
    fn configure_keys_win_and_bad_values_are_refused() {
        let mut settings = OtlpSettings::default();
        let update = |json: &str| serde_json::from_str::<OtlpUpdate>(json).unwrap();
        settings
            .apply(update(
                r#"{"endpoint":"http://127.0.0.1:4318","protocol":"http/json","max_queue_size":3,"json_file":false}"#,
            ))
            .unwrap();
        assert_eq!(
            settings.endpoint.as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        assert_eq!(settings.max_queue_size, 3);
        assert!(!settings.json_file);
        for bad in [
            r#"{"protocol":"grpc"}"#,
            r#"{"max_queue_size":0}"#,
            r#"{"endpoint":"collector:4318"}"#,
            r#"{"compression":"zstd"}"#,
        ] {
            assert!(settings.clone().apply(update(bad)).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<OtlpUpdate>(r#"{"colour":1}"#).is_err());
    }
}
