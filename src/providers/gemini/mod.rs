//! Gemini, on the Gemini API (generativelanguage.googleapis.com) and on Vertex AI: the two share
//! the wire format; the model is in the URL path, not in the body.

mod candidates;
pub(crate) mod embed;
pub(crate) mod generate;
mod stream;
pub(crate) mod videos;
