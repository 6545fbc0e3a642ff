//! The resource every exported span shares: service, SDK, host, process and runtime, then the
//! user's `OTEL_RESOURCE_ATTRIBUTES` / `resource_attributes`, which win on a clash.

use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::otlp::mapping::Attributes;
use crate::otlp::settings::OtlpSettings;

pub fn attributes(
    settings: &OtlpSettings,
    runtime: &str,
    runtime_version: Option<&str>,
) -> Vec<KeyValue> {
    let executable = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let user_service = settings
        .service_name
        .clone()
        .or_else(|| attribute(settings, "service.name"));
    let service = user_service.unwrap_or_else(|| match &executable {
        Some(exe) => format!("unknown_service:{exe}"),
        None => "unknown_service".to_owned(),
    });
    let mut attributes = Attributes::default();
    attributes.text("service.name", &service);
    attributes.text("telemetry.sdk.name", "aiobs");
    attributes.text("telemetry.sdk.version", env!("CARGO_PKG_VERSION"));
    attributes.text("telemetry.sdk.language", sdk_language(runtime));
    attributes.text("process.runtime.name", runtime);
    attributes.opt_text("process.runtime.version", runtime_version);
    attributes.int("process.pid", i64::from(std::process::id()));
    attributes.opt_text("process.executable.name", executable.as_deref());
    if let Ok(host) = hostname::get() {
        attributes.text("host.name", &host.to_string_lossy());
    }
    attributes.text("host.arch", host_arch());
    attributes.text("os.type", std::env::consts::OS);
    for (key, value) in &settings.resource_attributes {
        if key == "service.name" {
            continue;
        }
        attributes.0.retain(|kv| kv.key != *key);
        attributes.text(key, value);
    }
    attributes.0
}

fn attribute(settings: &OtlpSettings, key: &str) -> Option<String> {
    settings
        .resource_attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// The semantic conventions' language names for the runtimes aiobs has bindings for.
fn sdk_language(runtime: &str) -> &str {
    match runtime {
        "c" | "c++" | "cpp" => "cpp",
        other => other,
    }
}

/// `host.arch` well-known values.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        other => other,
    }
}
