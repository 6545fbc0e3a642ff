//! The viewer against what the core really writes: a session with labels, nested spans, a
//! recorded call, every provider fixture recorded as an HTTP exchange, and a failure.

use std::ffi::OsStr;

use super::*;

fn core_export(dir: &Path) -> PathBuf {
    let store = aiobs::Store::new();
    store
        .observe(Some("core-output"), Some(r#"{"environment":"test"}"#))
        .unwrap();
    let outer = store
        .span_begin(r#"{"name":"pipeline","enh_prompt":true,"auto_enhance_after":1}"#)
        .unwrap();
    store
        .record_call(r#"{"provider":"openai","api":"chat.completions.create","request":{"model":"gpt-4o-mini"},"response":{"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}},"error":null}"#)
        .unwrap();
    let fixtures = workspace().join("tests/fixtures/providers");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("exchange.json").exists())
        .collect();
    cases.sort();
    for case in &cases {
        let exchange = std::fs::read_to_string(case.join("exchange.json")).unwrap();
        let body = |file: &str| std::fs::read(case.join(file)).unwrap_or_default();
        store
            .record_http(&exchange, &body("request.body"), &body("response.body"))
            .unwrap();
    }
    store
        .span_end(&outer, None, Some("RuntimeError: late"))
        .unwrap();
    store.end();
    let path = dir.join("core.json");
    store.flush(Some(path.to_str().unwrap())).unwrap();
    path
}

#[test]
fn what_the_core_writes_validates_and_renders() {
    let dir = scratch("core_output");
    let export = core_export(&dir);
    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));

    let summary = aiobs(&[
        OsStr::new("summary"),
        OsStr::new("--json"),
        export.as_os_str(),
    ]);
    assert_eq!(summary.status.code(), Some(0), "{}", stderr(&summary));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&summary)).unwrap();
    let text = summary.to_string();
    assert!(text.contains("core-output"), "{text}");
    assert!(text.contains("gpt-4o-mini"), "{text}");

    let report = dir.join("core.html");
    let output = aiobs(&[
        OsStr::new("report"),
        export.as_os_str(),
        OsStr::new("-o"),
        report.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::metadata(&report).unwrap().len() > 10_000);
}

/// The core nests spans 300 deep and writes its `trace_tree` cut at `WRITTEN_DEPTH` levels:
/// validate accepts the file, and `tree`, rebuilt from the events' parent ids, draws 256 levels
/// before its own cut.
#[test]
fn the_deepest_tree_the_core_writes_validates() {
    let dir = scratch("core_deep_tree");
    let store = aiobs::Store::new();
    store.observe(Some("deep"), None).unwrap();
    let spans: Vec<String> = (0..300)
        .map(|i| {
            store
                .span_begin(&format!(r#"{{"name":"level{i}"}}"#))
                .unwrap()
        })
        .collect();
    for span in spans.iter().rev() {
        store.span_end(span, None, None).unwrap();
    }
    store.end();
    let export = dir.join("deep.json");
    store.flush(Some(export.to_str().unwrap())).unwrap();

    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));
    let tree = stdout(&aiobs(&[OsStr::new("tree"), export.as_os_str()]));
    assert_eq!(
        tree.lines().filter(|l| l.contains("── fn level")).count(),
        300
    );
    let continued: Vec<&str> = tree
        .lines()
        .filter(|l| l.contains("[continued: deeper than 256 levels]"))
        .collect();
    assert_eq!(continued.len(), 1, "{continued:?}");
    assert!(continued[0].contains("fn level256"), "{continued:?}");
}

/// Spans nested deeper than the core writes its `trace_tree`, each holding a value as deep as
/// a caller may pass: the file validates and `tree` draws every level.
#[test]
fn spans_nested_past_the_written_depth_validate_and_draw_in_full() {
    const SPANS: usize = 70;
    let dir = scratch("core_past_written_depth");
    let store = aiobs::Store::new();
    store.observe(Some("deep"), None).unwrap();
    // Objects this time, each span naming its parent as a binding without thread parenting does.
    let depth = aiobs::json_check::MAX_DEPTH;
    let deepest = format!(
        "{}{}",
        r#"{"a":"#.repeat(depth - 1),
        "{}".to_string() + &"}".repeat(depth - 1)
    );
    let mut spans: Vec<String> = Vec::new();
    for i in 0..SPANS {
        let parent = spans
            .last()
            .map_or("null".to_string(), |id| format!("{id:?}"));
        let json = format!(r#"{{"name":"level{i}","kwargs":{deepest},"parent_span_id":{parent}}}"#);
        spans.push(store.span_begin(&json).unwrap());
    }
    while let Some(span) = spans.pop() {
        store.span_end(&span, Some(&deepest), None).unwrap();
    }
    store.end();
    let export = dir.join("deep.json");
    store.flush(Some(export.to_str().unwrap())).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(written["trace_tree"].as_array().unwrap().len(), 1);

    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));
    let tree = stdout(&aiobs(&[OsStr::new("tree"), export.as_os_str()]));
    for level in 0..SPANS {
        let drawn = format!("── fn level{level} ");
        let line = tree
            .lines()
            .find(|l| l.contains(&drawn))
            .unwrap_or_else(|| {
                panic!("level {level} is not drawn:\n{tree}");
            });
        let indent = line.chars().take_while(|&c| c != '└' && c != '├').count();
        assert_eq!(indent, 4 * level, "{line}");
    }
    assert!(!tree.contains("[continued"), "{tree}");
}

/// Events the core dropped over its memory bound are said, not silently missing.
#[test]
fn events_dropped_by_the_core_are_reported() {
    let dir = scratch("core_drops");
    let store = aiobs::Store::new();
    store.configure(r#"{"max_memory_bytes": 4096}"#).unwrap();
    store.observe(Some("tight"), None).unwrap();
    let call = r#"{"provider":"openai","api":"chat.completions.create","request":{"model":"gpt-4o-mini","pad":"................................................................................................................................................................................................................................................................"},"response":null,"error":null}"#;
    let recorded = (0..100).filter(|_| store.record_call(call).is_ok()).count();
    assert!(recorded < 100, "the bound drops some of 100 calls");
    store.end();
    let export = dir.join("drops.json");
    store.flush(Some(export.to_str().unwrap())).unwrap();

    let validate = aiobs(&[OsStr::new("validate"), export.as_os_str()]);
    assert_eq!(validate.status.code(), Some(0), "{}", stdout(&validate));
    let json = aiobs(&[
        OsStr::new("summary"),
        OsStr::new("--json"),
        export.as_os_str(),
    ]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(summary["totals"]["provider_calls"], recorded);
    assert_eq!(summary["totals"]["dropped"]["events"], 100 - recorded);
    let text = stdout(&aiobs(&[OsStr::new("summary"), export.as_os_str()]));
    let line = format!(
        "dropped         {} events over the core's memory bound",
        100 - recorded
    );
    assert!(text.contains(&line), "{text}");
}
