//! One OTLP/HTTP POST with `ureq` (rustls for https), and the retry loop around it.

use std::time::{Duration, Instant};

use crate::otlp::encoding::Encoded;
use crate::otlp::retry::{self, Verdict};

/// The largest part of a response body read: enough for a partial-success message, bounded as
/// the OTLP specification asks of clients.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

pub struct Transport {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
}

/// How one batch ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Accepted,
    /// Failed for good, or still failing when the attempts or the time ran out.
    Failed(String),
}

/// One attempt's result.
enum Attempt {
    Status(u16, Option<String>, String),
    Unreachable(String),
}

impl Transport {
    pub fn new(url: &str, headers: Vec<(String, String)>, timeout: Duration) -> Transport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("aiobs/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Transport {
            agent,
            url: url.to_owned(),
            headers,
            timeout,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends a batch, retrying what may be retried, until it is accepted, rejected, out of
    /// attempts, or `deadline` (when given) would pass before the next attempt could end.
    pub fn deliver(&self, encoded: &Encoded, deadline: Option<Instant>) -> Delivery {
        let mut attempt = 1;
        loop {
            let timeout = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => self.timeout.min(left),
                    _ => {
                        return Delivery::Failed(
                            "out of time before the batch was accepted".into(),
                        );
                    }
                },
                None => self.timeout,
            };
            let (reason, asked) = match self.send(encoded, timeout) {
                Attempt::Status(status, retry_after, body) => {
                    match retry::classify(status, retry_after.as_deref()) {
                        Verdict::Accepted => return Delivery::Accepted,
                        Verdict::Rejected => {
                            return Delivery::Failed(format!("HTTP {status}: {body}"));
                        }
                        Verdict::Retry(asked) => (format!("HTTP {status}: {body}"), asked),
                    }
                }
                Attempt::Unreachable(reason) => (reason, None),
            };
            if attempt >= retry::MAX_ATTEMPTS {
                return Delivery::Failed(format!("{reason} (after {attempt} attempts)"));
            }
            let wait = retry::backoff(attempt, asked);
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return Delivery::Failed(format!("{reason} (no time left to retry)"));
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn send(&self, encoded: &Encoded, timeout: Duration) -> Attempt {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", encoded.content_type);
        if encoded.gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let sent = request
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send(&encoded.body[..]);
        match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_RESPONSE_BYTES)
                    .read_to_vec()
                    .unwrap_or_default();
                let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                Attempt::Status(status, retry_after, text)
            }
            Err(error) => Attempt::Unreachable(error.to_string()),
        }
    }
}
