//! A local OTLP/HTTP receiver on 127.0.0.1:0 whose answers a test scripts: accept, fail with a
//! status (and `Retry-After`), hang, or accept slowly. It decodes what it accepts, both
//! encodings, gzip or not.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// What the server does with one request.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Accept,
    /// The status, with `Retry-After: seconds` when given.
    Status(u16, Option<u64>),
    /// Reads the request and never answers.
    Hang,
    /// Accepts after a pause.
    AcceptAfter(Duration),
}

#[derive(Default)]
pub struct Log {
    /// Spans of the requests answered with a 2xx, in arrival order.
    pub accepted: Vec<Span>,
    pub accepted_requests: Vec<ExportTraceServiceRequest>,
    /// Every request's arrival time, content type and answer.
    pub arrivals: Vec<(Instant, String, Answer)>,
}

pub struct Server {
    pub url: String,
    pub log: Arc<Mutex<Log>>,
}

impl Server {
    /// Answers requests with `script` in turn; past its end, with `then`.
    pub fn start(script: Vec<Answer>, then: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log::default()));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let shared = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = Arc::clone(&shared);
                let script = Arc::clone(&script);
                std::thread::spawn(move || serve(stream, &log, &script, then));
            }
        });
        Server { url, log }
    }

    pub fn accepted_spans(&self) -> Vec<Span> {
        self.log.lock().unwrap().accepted.clone()
    }

    pub fn requests(&self) -> usize {
        self.log.lock().unwrap().arrivals.len()
    }

    /// Waits (up to 20 s) until `n` requests have arrived.
    pub fn wait_for_requests(&self, n: usize) {
        let until = Instant::now() + Duration::from_secs(20);
        while self.requests() < n {
            assert!(
                Instant::now() < until,
                "only {} of {n} requests arrived",
                self.requests()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn serve(
    stream: TcpStream,
    log: &Mutex<Log>,
    script: &Mutex<std::vec::IntoIter<Answer>>,
    then: Answer,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            headers.push(line);
        }
        let header = |name: &str| {
            headers.iter().find_map(|h| {
                let (key, value) = h.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let length: usize = header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let content_type = header("content-type").unwrap_or_default();
        let answer = script.lock().unwrap().next().unwrap_or(then);
        log.lock()
            .unwrap()
            .arrivals
            .push((Instant::now(), content_type.clone(), answer));
        let (status, retry_after) = match answer {
            Answer::Hang => {
                std::thread::sleep(Duration::from_secs(3600));
                return;
            }
            Answer::AcceptAfter(pause) => {
                std::thread::sleep(pause);
                (200, None)
            }
            Answer::Accept => (200, None),
            Answer::Status(status, retry_after) => (status, retry_after),
        };
        if status == 200 {
            if header("content-encoding").as_deref() == Some("gzip") {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut plain)
                    .unwrap();
                body = plain;
            }
            let request = decode(&content_type, &body);
            let mut log = log.lock().unwrap();
            for resource in &request.resource_spans {
                for scope in &resource.scope_spans {
                    log.accepted.extend(scope.spans.iter().cloned());
                }
            }
            log.accepted_requests.push(request);
        }
        let retry = retry_after.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n{retry}\r\n{{}}"
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

pub fn decode(content_type: &str, body: &[u8]) -> ExportTraceServiceRequest {
    if content_type.starts_with("application/json") {
        serde_json::from_slice(body).expect("valid OTLP JSON")
    } else {
        assert_eq!(content_type, "application/x-protobuf");
        ExportTraceServiceRequest::decode(body).expect("valid OTLP protobuf")
    }
}
