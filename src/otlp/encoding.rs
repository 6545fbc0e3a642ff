//! Export requests to bytes: protobuf through prost, JSON through the OTLP-JSON serde
//! implementation of `opentelemetry-proto` (hex ids, 64-bit integers as strings, enums as
//! integers); gzip when asked.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::error::{Error, ErrorKind, Result};
use crate::otlp::settings::Protocol;

/// A request body ready to send.
pub struct Encoded {
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub gzip: bool,
}

pub fn encode(
    request: &ExportTraceServiceRequest,
    protocol: Protocol,
    gzip: bool,
) -> Result<Encoded> {
    let (body, content_type) = match protocol {
        Protocol::Protobuf => (request.encode_to_vec(), "application/x-protobuf"),
        Protocol::Json => (
            serde_json::to_vec(request).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("cannot encode OTLP JSON: {e}"),
                )
            })?,
            "application/json",
        ),
    };
    let body = if gzip { compress(&body)? } else { body };
    Ok(Encoded {
        body,
        content_type,
        gzip,
    })
}

fn compress(body: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot gzip the OTLP request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::Span;

    fn request() -> ExportTraceServiceRequest {
        let span = Span {
            trace_id: 0x5b8efff798038103d269b633813fc60c_u128
                .to_be_bytes()
                .to_vec(),
            span_id: 0xeee19b7ec3c1b174_u64.to_be_bytes().to_vec(),
            name: "chat gpt-4o".into(),
            kind: 3,
            start_time_unix_nano: 1_544_712_660_000_000_000,
            ..Default::default()
        };
        crate::otlp::mapping::export_request(Vec::new(), vec![span])
    }

    #[test]
    fn json_follows_the_otlp_json_rules() {
        let encoded = encode(&request(), Protocol::Json, false).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&encoded.body).unwrap();
        let span = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "5b8efff798038103d269b633813fc60c");
        assert_eq!(span["spanId"], "eee19b7ec3c1b174");
        assert_eq!(span["kind"], 3);
        assert_eq!(span["startTimeUnixNano"], "1544712660000000000");
        assert_eq!(encoded.content_type, "application/json");
    }

    #[test]
    fn protobuf_round_trips_and_gzip_shrinks() {
        let encoded = encode(&request(), Protocol::Protobuf, false).unwrap();
        let back = ExportTraceServiceRequest::decode(&encoded.body[..]).unwrap();
        assert_eq!(back, request());
        let zipped = encode(&request(), Protocol::Protobuf, true).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&zipped.body[..]),
            &mut plain,
        )
        .unwrap();
        assert_eq!(plain, encoded.body);
    }
}
