//! A call the provider's client retried: the core writes each attempt as an event with
//! `request.attempt`; the viewer counts the call once and shows the attempts apart.

use std::ffi::OsStr;

use super::*;

/// One span holding a call tried three times (two 429s, then a success) and a call tried once.
fn export_with_retries(dir: &Path) -> PathBuf {
    let store = aiobs::Store::new();
    store
        .observe(Some("retries"), Some(r#"{"user_id":"u1"}"#))
        .unwrap();
    let span = store.span_begin(r#"{"name":"answer"}"#).unwrap();
    let t0 = 1_767_400_000.0;
    let attempt = |n: u64, start: f64, outcome: &str| {
        let (response, error) = match outcome {
            "429" => ("null", r#""RateLimitError: Error code: 429 - slow down""#),
            _ => (
                r#"{"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}}"#,
                "null",
            ),
        };
        format!(
            r#"{{"provider":"openai","api":"chat.completions.create","request":{{"model":"gpt-4o","attempt":{n}}},"response":{response},"error":{error},"started_at":{start},"ended_at":{}}}"#,
            start + 0.5
        )
    };
    for json in [
        attempt(1, t0, "429"),
        attempt(2, t0 + 1.0, "429"),
        attempt(3, t0 + 3.0, "ok"),
        attempt(1, t0 + 4.0, "ok"),
    ] {
        store.record_call(&json).unwrap();
    }
    store.span_end(&span, None, None).unwrap();
    store.end();
    let path = dir.join("retries.json");
    store.flush(Some(path.to_str().unwrap())).unwrap();
    path
}

#[test]
fn a_retried_call_counts_once_with_its_attempts_apart() {
    let dir = scratch("retries");
    let export = export_with_retries(&dir);
    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));

    let output = aiobs(&[
        OsStr::new("summary"),
        OsStr::new("--json"),
        export.as_os_str(),
    ]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let totals = &summary["totals"];
    assert_eq!(totals["provider_calls"], 2);
    assert_eq!(totals["attempts"], 4);
    assert_eq!(totals["retried_calls"], 1);
    assert_eq!(
        totals["failed_calls"], 0,
        "the retried call succeeded in the end"
    );
    assert_eq!(
        totals["tokens"]["input"], 2000,
        "every attempt's tokens count"
    );
    let errors = &summary["errors"][0];
    assert_eq!(errors["count"], 2);
    assert_eq!(errors["retried"], 2);
    assert_eq!(summary["calls"][0]["calls"], 2);
    assert_eq!(summary["calls"][0]["attempts"], 4);
    // The call's latency runs from its first attempt to its last: 3.5 s.
    assert_eq!(
        totals["latency"]["p95_ms"].as_f64().map(|ms| ms > 3000.0),
        Some(true)
    );

    let text = stdout(&aiobs(&[OsStr::new("summary"), export.as_os_str()]));
    assert!(
        text.contains("1 call retried by the client, 4 attempts in all"),
        "{text}"
    );
    assert!(text.contains("2 (4 tries)"), "{text}");

    let top = stdout(&aiobs(&[OsStr::new("top"), export.as_os_str()]));
    let first = top.lines().nth(2).unwrap();
    assert!(
        first.contains("3.50 s") && first.contains("(3 attempts)"),
        "{top}"
    );
}

/// The provider fixtures of a 429 and its successful retry, recorded as the bindings record
/// them (`aiobs_record_http` with `attempt`): the core writes `request.attempt`, and the
/// viewer makes one successful call of the two.
#[test]
fn a_rate_limited_exchange_and_its_retry_make_one_call() {
    let dir = scratch("retries_http");
    let store = aiobs::Store::new();
    store.observe(Some("retry-http"), None).unwrap();
    let span = store.span_begin(r#"{"name":"ask"}"#).unwrap();
    for case in [
        "openai_chat_retry_1_rate_limited",
        "openai_chat_retry_2_succeeds",
    ] {
        let case = workspace().join("tests/fixtures/providers").join(case);
        let read = |file: &str| std::fs::read(case.join(file)).unwrap_or_default();
        let exchange = String::from_utf8(read("exchange.json")).unwrap();
        store
            .record_http(&exchange, &read("request.body"), &read("response.body"))
            .unwrap();
    }
    store.span_end(&span, None, None).unwrap();
    store.end();
    let export = dir.join("retry.json");
    store.flush(Some(export.to_str().unwrap())).unwrap();

    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));
    let output = aiobs(&[
        OsStr::new("summary"),
        OsStr::new("--json"),
        export.as_os_str(),
    ]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let totals = &summary["totals"];
    assert_eq!(
        (
            &totals["provider_calls"],
            &totals["attempts"],
            &totals["failed_calls"]
        ),
        (&1.into(), &2.into(), &0.into()),
        "{totals}"
    );
    assert_eq!(summary["errors"][0]["retried"], 1, "{}", summary["errors"]);
}
