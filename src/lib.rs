//! aiobs: the native core of an LLM-observability SDK.
#![deny(unsafe_code)]
