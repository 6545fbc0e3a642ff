//! A minimal blocking HTTP/1.1 client for one thing: POSTing a JSON body to an `http://`
//! URL and reading the status. Written over `std::net` because the only target is a local
//! or in-cluster OTLP collector; TLS would pull in far more code than the rest of the CLI.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// OTLP receivers answer briefly; anything longer is only kept for the error message.
const MAX_RESPONSE_BODY: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/path]`; IPv6 hosts are written `[::1]`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https", _)) => {
                return Err(format!(
                    "{url}: https is not supported; point --otlp at a plain http:// collector"
                ));
            }
            _ => return Err(format!("{url}: expected an http:// URL")),
        };
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse()
                    .map_err(|_| format!("{url}: invalid port {port:?}"))?,
            ),
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("{url}: missing host"));
        }
        Ok(Endpoint {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }
}

pub struct Response {
    pub status: u16,
    /// Seconds from a `Retry-After: <seconds>` header, if any.
    pub retry_after: Option<u64>,
    pub body: String,
}

pub fn post_json(
    endpoint: &Endpoint,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    let address = (host, endpoint.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{host}: no address")))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\nUser-Agent: aiobs-cli/{}\r\n",
        endpoint.path,
        endpoint.host,
        endpoint.port,
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += "\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    read_response(BufReader::new(stream))
}

fn read_response(mut reader: impl BufRead) -> std::io::Result<Response> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("malformed HTTP status line"))?;
    let mut content_length = None;
    let mut retry_after = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse::<u64>().ok();
            } else if name.eq_ignore_ascii_case("retry-after") {
                retry_after = value.parse().ok();
            }
        }
    }
    let mut body = Vec::new();
    let limit = content_length
        .unwrap_or(MAX_RESPONSE_BODY)
        .min(MAX_RESPONSE_BODY);
    reader.take(limit).read_to_end(&mut body)?;
    Ok(Response {
        status,
        retry_after,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls() {
        let endpoint = Endpoint::parse("http://localhost:4318/v1/traces").unwrap();
        assert_eq!(
            endpoint,
            Endpoint {
                host: "localhost".into(),
                port: 4318,
                path: "/v1/traces".into()
            }
        );
        assert_eq!(
            Endpoint::parse("http://collector").unwrap().url(),
            "http://collector:80/"
        );
        assert_eq!(Endpoint::parse("http://[::1]:4318").unwrap().host, "[::1]");
        assert!(
            Endpoint::parse("https://x")
                .unwrap_err()
                .contains("https is not supported")
        );
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://x:port").is_err());
        assert!(Endpoint::parse("http://:80").is_err());
    }

    #[test]
    fn reads_status_headers_and_body() {
        let raw = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy and more";
        let response = read_response(raw.as_bytes()).unwrap();
        assert_eq!(
            (
                response.status,
                response.retry_after,
                response.body.as_str()
            ),
            (503, Some(2), "busy")
        );
        assert!(read_response("garbage\r\n\r\n".as_bytes()).is_err());
    }
}
