//! aiobs: the native core of an LLM-observability SDK.
//!
//! A program starts a session, records every LLM call and traced function into it, and flushes
//! the session store to one JSON file. The safe Rust API is [`Store`]; the C ABI in [`ffi`]
//! drives the process-wide [`Store::global`]. All `unsafe` code lives under `src/ffi/`.
#![deny(unsafe_code)]

pub mod config;
mod ended_traces;
pub mod error;
pub mod event;
pub mod export;
pub mod footprint;
pub mod ids;
pub mod json_check;
pub mod labels;
pub mod otlp;
pub mod providers;
pub mod session;
pub mod stats;
pub mod store;
mod text_range;
mod thread_spans;
mod warm;

#[allow(unsafe_code)]
pub mod ffi;

pub use error::{Error, ErrorKind, Result};
pub use store::Store;
