//! The trace forest, rebuilt from span ids with the core's builder (`aiobs::export::tree`)
//! rather than read from a file's `trace_tree`: merged files have no common tree, and the
//! builder copes with duplicate ids, cycles and unknown parents, and draws nesting to
//! `MAX_DEPTH` (256) levels, the true depth of traces the core writes cut at `WRITTEN_DEPTH`.

pub use aiobs::export::tree::{Anomaly, Forest, MAX_DEPTH, NodeKey, Visit, build};
