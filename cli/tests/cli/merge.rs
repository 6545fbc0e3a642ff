//! Several files with the same spans and sessions: a file given twice, and one session
//! flushed twice (`video_flush_1.json` while a Veo operation runs, `video_flush_2.json` once
//! it is done and the session has ended). Every command sees the merged view.

use serde_json::Value;

use super::*;

const RUNNING: &str = "video_flush_1.json";
const ENDED: &str = "video_flush_2.json";
const VIDEO_SPAN: &str = "7a8b9c0d1e2f3a4b";

fn summary_json(files: &[&str]) -> Value {
    let mut args = vec!["summary".to_string(), "--json".to_string()];
    args.extend(files.iter().map(|f| fixture(f)));
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("--json prints JSON")
}

/// The report's data, and the details of each span (payloads, anomaly) from its blocks.
fn report_of(name: &str, files: &[&str]) -> (Value, Vec<Value>) {
    let out = scratch(name).join("report.html");
    let mut args = vec![
        "report".to_string(),
        "-o".to_string(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(files.iter().map(|f| fixture(f)));
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(out).unwrap();
    (
        report::embedded_data(&html),
        report::blob_items(&html, "details"),
    )
}

fn report_data(name: &str, files: &[&str]) -> Value {
    report_of(name, files).0
}

fn tree(files: &[&str]) -> String {
    let mut args = vec!["tree".to_string()];
    args.extend(files.iter().map(|f| fixture(f)));
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn the_same_file_twice_counts_once() {
    for name in [
        "pipeline_openai.json",
        "gemini_media.json",
        "multi_session.json",
        "tricky_tree.json",
        "empty.json",
        RUNNING,
    ] {
        let mut once = summary_json(&[name]);
        let mut twice = summary_json(&[name, name]);
        assert_eq!(once["files"], 1);
        assert_eq!(twice["files"], 2);
        once["files"] = Value::Null;
        twice["files"] = Value::Null;
        assert_eq!(once, twice, "{name} given twice");
        assert_eq!(tree(&[name]), tree(&[name, name]), "{name} given twice");
    }
    let pipeline = summary_json(&["pipeline_openai.json", "pipeline_openai.json"]);
    assert_eq!(pipeline["totals"]["sessions"], 1);
    assert_eq!(pipeline["totals"]["provider_calls"], 6);
    assert_eq!(pipeline["totals"]["function_calls"], 6);
}

#[test]
fn all_fixtures_twice_summarise_like_once() {
    let once = valid_fixtures();
    let twice: Vec<String> = once.iter().chain(&once).cloned().collect();
    let output = aiobs(&[&["summary".to_string()], twice.as_slice()].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_golden(
        "summary.txt",
        &stdout(&output).replacen("aiobs summary: 10 files", "aiobs summary: 5 files", 1),
    );
}

#[test]
fn a_span_flushed_twice_keeps_its_finished_version() {
    for files in [[RUNNING, ENDED], [ENDED, RUNNING]] {
        let summary = summary_json(&files);
        assert_eq!(summary["totals"]["sessions"], 1);
        assert_eq!(summary["totals"]["provider_calls"], 3, "{files:?}");

        let (data, details) = report_of("merge-video", &files);
        let spans = &data["spans"];
        let ids = spans["span_id"].as_array().unwrap();
        assert_eq!(ids.len(), 3, "{files:?}");
        assert_eq!(details.len(), 3, "{files:?}");
        assert_eq!(data["traces"].as_array().unwrap().len(), 3);
        let videos: Vec<usize> = (0..ids.len()).filter(|&i| ids[i] == VIDEO_SPAN).collect();
        assert_eq!(videos.len(), 1, "{files:?}");
        let video = videos[0];
        assert_eq!(details[video]["response"]["done"], true, "{files:?}");
        assert_eq!(spans["duration_ms"][video], 37500.0);
        assert!(details[video].get("anomaly").is_none());
    }
}

#[test]
fn a_session_flushed_twice_takes_the_end_and_the_later_labels() {
    let data = report_data("merge-session", &[RUNNING, ENDED]);
    let sessions = data["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session["ended_at"], 1767400040.0);
    let labels: Vec<(String, String)> = serde_json::from_value(session["labels"].clone()).unwrap();
    let user: Vec<(&str, &str)> = labels
        .iter()
        .filter(|(k, _)| !k.starts_with("aiobs_"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // `attempt` was removed before the second flush and `stage` changed.
    assert_eq!(
        user,
        [
            ("environment", "staging"),
            ("stage", "done"),
            ("team", "media")
        ]
    );

    // The end time is never lost to a file without it, whatever the order.
    let data = report_data("merge-session-reversed", &[ENDED, RUNNING]);
    assert_eq!(data["sessions"][0]["ended_at"], 1767400040.0);

    let text = tree(&[RUNNING, ENDED]);
    assert!(text.contains("40.00 s"), "{text}");
    assert!(text.contains("stage=done"), "{text}");
    assert!(!text.contains("attempt"), "{text}");
    assert_eq!(text.matches("generate_videos").count(), 1, "{text}");
}

#[test]
fn export_sends_a_span_flushed_twice_once() {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.trim().split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap();
        String::from_utf8(body).unwrap()
    });
    let output = aiobs(&[
        "export",
        "--otlp",
        &url,
        "--protocol",
        "http/json",
        &fixture(RUNNING),
        &fixture(ENDED),
        &fixture(RUNNING),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("exported 3 spans (3 provider calls, 0 functions)"),
        "{}",
        stdout(&output)
    );
    let body: Value = serde_json::from_str(&server.join().unwrap()).unwrap();
    let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    let video: Vec<&Value> = spans.iter().filter(|s| s["spanId"] == VIDEO_SPAN).collect();
    assert_eq!(video.len(), 1);
    assert_eq!(video[0]["endTimeUnixNano"], "1767400038500000000");
}
