//! `export --otlp` against a local `TcpListener` that records each request and answers
//! from a script of status lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use serde_json::Value;

use super::*;

struct Captured {
    request_line: String,
    headers: Vec<String>,
    body: String,
}

/// Serves one connection per scripted answer, then stops; returns what it received.
fn serve(answers: &[&'static str]) -> (String, JoinHandle<Vec<Captured>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answers = answers.to_vec();
    let handle = std::thread::spawn(move || {
        answers
            .into_iter()
            .map(|answer| {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    headers.push(line.trim().to_string());
                }
                let length: usize = headers
                    .iter()
                    .find_map(|h| h.strip_prefix("Content-Length: "))
                    .and_then(|v| v.parse().ok())
                    .unwrap();
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
                Captured {
                    request_line: request_line.trim().to_string(),
                    headers,
                    body: String::from_utf8(body).unwrap(),
                }
            })
            .collect()
    });
    (url, handle)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

fn attribute<'v>(span: &'v Value, key: &str) -> &'v Value {
    &span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))["value"]
}

#[test]
fn spans_arrive_as_otlp_json_with_gen_ai_attributes() {
    let (url, server) = serve(&[OK]);
    let output = aiobs(&[
        "export",
        "--otlp",
        &url,
        "--header",
        "Authorization=Bearer test-token",
        &fixture("gemini_media.json"),
        &fixture("pipeline_openai.json"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("exported 20 spans (12 provider calls, 8 functions) in 1 request to")
    );
    let requests = server.join().unwrap();
    let request = &requests[0];
    assert_eq!(request.request_line, "POST /v1/traces HTTP/1.1");
    assert!(
        request
            .headers
            .contains(&"Content-Type: application/json".to_string())
    );
    assert!(
        request
            .headers
            .contains(&"Authorization: Bearer test-token".to_string())
    );

    let body: Value = serde_json::from_str(&request.body).unwrap();
    let resources = body["resourceSpans"].as_array().unwrap();
    assert_eq!(resources.len(), 2, "one resource per session");
    let gemini = &resources[0];
    let service = gemini["resource"]["attributes"].as_array().unwrap();
    assert!(
        service
            .iter()
            .any(|a| a["key"] == "service.name" && a["value"]["stringValue"] == "aiobs")
    );
    assert!(
        service.iter().any(
            |a| a["key"] == "aiobs.label.environment" && a["value"]["stringValue"] == "staging"
        )
    );
    let spans = gemini["scopeSpans"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 8);

    // Ids from an OpenTelemetry-based export are kept as they are.
    let flash = spans
        .iter()
        .find(|s| s["spanId"] == "00f067aa0ba902b7")
        .unwrap();
    assert_eq!(flash["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(flash["parentSpanId"], "53995c3f42cd8ad8");
    assert_eq!(flash["name"], "generate_content gemini-2.5-flash");
    assert_eq!(flash["kind"], 3);
    assert_eq!(flash["startTimeUnixNano"], "1767400000300000000");
    assert_eq!(flash["endTimeUnixNano"], "1767400002800000000");
    assert_eq!(
        attribute(flash, "gen_ai.system")["stringValue"],
        "gcp.gemini"
    );
    assert_eq!(
        attribute(flash, "gen_ai.operation.name")["stringValue"],
        "generate_content"
    );
    assert_eq!(
        attribute(flash, "gen_ai.request.model")["stringValue"],
        "gemini-2.5-flash"
    );
    assert_eq!(
        attribute(flash, "gen_ai.usage.input_tokens")["intValue"],
        "14"
    );
    assert_eq!(
        attribute(flash, "gen_ai.usage.output_tokens")["intValue"],
        "384"
    );
    assert!(flash.get("status").is_none());

    let failed = spans
        .iter()
        .find(|s| s["spanId"] == "5e6f708192031425")
        .unwrap();
    assert_eq!(failed["status"]["code"], 2);
    assert!(
        failed["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("ClientError: 429 RESOURCE_EXHAUSTED")
    );
    assert_eq!(
        attribute(failed, "error.type")["stringValue"],
        "ClientError"
    );

    // uuid span ids (older exports) become stable 16-hex ids; a tree shares its root's trace id.
    let openai = resources[1]["scopeSpans"][0]["spans"].as_array().unwrap();
    let root = openai.iter().find(|s| s["name"] == "run_pipeline").unwrap();
    assert_eq!(root["kind"], 1);
    assert_eq!(root["traceId"], "00000000aaaa4bbb8ccc000000000000");
    for span in openai {
        let span_id = span["spanId"].as_str().unwrap();
        assert!(
            span_id.len() == 16 && span_id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{span_id}"
        );
    }
    let research = openai.iter().find(|s| s["name"] == "research").unwrap();
    assert_eq!(research["parentSpanId"], root["spanId"]);
    assert_eq!(research["traceId"], root["traceId"]);
}

#[test]
fn retryable_answers_are_retried_and_others_are_not() {
    let (url, server) = serve(&[
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
        OK,
    ]);
    let output = aiobs(&["export", "--otlp", &url, &fixture("multi_session.json")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);

    let (url, server) =
        serve(&["HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad payload"]);
    let output = aiobs(&["export", "--otlp", &url, &fixture("multi_session.json")]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("failed on request 1/1: HTTP 400: bad payload"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn unreachable_collector_exits_4() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = aiobs(&[
        "export",
        "--otlp",
        &format!("http://127.0.0.1:{port}"),
        &fixture("multi_session.json"),
    ]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("(after 4 attempts)"),
        "{}",
        stderr(&output)
    );
}
