//! `aiobs_stats`: what the store holds and what it has done, as one JSON object.

use serde::Serialize;

use crate::store::Totals;

/// A snapshot taken under the store lock.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Calls and ended spans waiting for the next flush.
    pub events_held: usize,
    /// Bytes those events and the open spans hold (see [`crate::footprint`]).
    pub bytes_held: usize,
    pub open_spans: usize,
    pub totals: Totals,
    /// The OTLP exporter's counters, when export is or was configured.
    pub otlp: Option<crate::otlp::exporter::Stats>,
}

impl Serialize for Stats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            events_held: usize,
            bytes_held: usize,
            events_dropped: u64,
            open_spans: usize,
            spans_abandoned: u64,
            flushes: u64,
            flushes_failed: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            otlp: Option<&'a crate::otlp::exporter::Stats>,
        }
        Json {
            events_held: self.events_held,
            bytes_held: self.bytes_held,
            events_dropped: self.totals.events_dropped,
            open_spans: self.open_spans,
            spans_abandoned: self.totals.spans_abandoned,
            flushes: self.totals.flushes,
            flushes_failed: self.totals.flushes_failed,
            otlp: self.otlp.as_ref(),
        }
        .serialize(serializer)
    }
}

impl Stats {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
