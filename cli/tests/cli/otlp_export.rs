//! `export --otlp` against a local `TcpListener` that records each request and answers
//! from a script of status lines. The mapping itself is the core's (tested there and against
//! Jaeger); these tests check what the CLI adds: ids from older files, one request per
//! thousand spans, the exit codes, and the flags reaching the wire.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use serde_json::Value;

use super::*;

struct Captured {
    request_line: String,
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Captured {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
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
                let length: usize = header(&headers, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap();
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
                Captured {
                    request_line: request_line.trim().to_string(),
                    headers,
                    body,
                }
            })
            .collect()
    });
    (url, handle)
}

/// A header's value, its name matched in any case.
fn header<'h>(headers: &'h [String], name: &str) -> Option<&'h str> {
    headers.iter().find_map(|h| {
        let (key, value) = h.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

const OK: &str = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

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
        "--protocol",
        "http/json",
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
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Bearer test-token")
    );

    let body = request.json();
    let resources = body["resourceSpans"].as_array().unwrap();
    assert_eq!(resources.len(), 1);
    let service = resources[0]["resource"]["attributes"].as_array().unwrap();
    assert!(
        service
            .iter()
            .any(|a| a["key"] == "service.name" && a["value"]["stringValue"] == "aiobs")
    );
    let all = resources[0]["scopeSpans"][0]["spans"].as_array().unwrap();
    assert_eq!(all.len(), 20);
    // The session is on every span: its id and its labels.
    let session_of = |span: &Value| attribute(span, "session.id")["stringValue"].clone();
    let gemini_session = session_of(&all[0]);
    let spans: Vec<&Value> = all
        .iter()
        .filter(|s| session_of(s) == gemini_session)
        .collect();
    assert_eq!(spans.len(), 8);
    for span in &spans {
        assert_eq!(
            attribute(span, "aiobs.label.environment")["stringValue"],
            "staging"
        );
    }

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
        attribute(flash, "gen_ai.provider.name")["stringValue"],
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
    assert!(flash.get("status").is_none_or(Value::is_null));

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
    let openai: Vec<&Value> = all
        .iter()
        .filter(|s| session_of(s) != gemini_session)
        .collect();
    let root = openai.iter().find(|s| s["name"] == "run_pipeline").unwrap();
    assert_eq!(root["kind"], 1);
    assert_eq!(root["traceId"], "00000000aaaa4bbb8ccc000000000000");
    for span in &openai {
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
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
        OK,
    ]);
    let output = aiobs(&["export", "--otlp", &url, &fixture("multi_session.json")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);

    let (url, server) = serve(&[
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 11\r\n\r\nbad payload",
    ]);
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
        stderr(&output).contains("(after 6 attempts)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn protobuf_is_the_default_and_flags_reach_the_wire() {
    let (url, server) = serve(&[OK]);
    let output = aiobs(&["export", "--otlp", &url, &fixture("pipeline_openai.json")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let requests = server.join().unwrap();
    assert_eq!(
        header(&requests[0].headers, "content-type"),
        Some("application/x-protobuf")
    );

    let (url, server) = serve(&[OK]);
    let output = aiobs(&[
        "export",
        "--otlp",
        &url,
        "--protocol",
        "http/json",
        "--capture-message-content",
        "--openinference",
        &fixture("pipeline_openai.json"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = server.join().unwrap()[0].json();
    let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    let chat = spans
        .iter()
        .find(|s| s["kind"] == 3 && s["name"].as_str().unwrap().starts_with("chat "))
        .unwrap();
    assert_eq!(
        attribute(chat, "openinference.span.kind")["stringValue"],
        "LLM"
    );
    assert!(attribute(chat, "gen_ai.input.messages")["stringValue"].is_string());

    let output = aiobs(&[
        "export",
        "--otlp",
        &url,
        "--protocol",
        "grpc",
        &fixture("pipeline_openai.json"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
