//! The export as the viewer reads it: the core's read model (`aiobs::export::schema`), plus
//! what only the viewer needs.

pub use aiobs::export::schema::{
    Callsite, Drops, Event, ExportFile, SYSTEM_LABEL_PREFIX, Session, Text,
    VERSION as SUPPORTED_VERSION,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Provider,
    Function,
}
