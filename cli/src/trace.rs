//! The trace forest, rebuilt from span ids with the core's builder (`aiobs::export::tree`)
//! rather than read from a file's `trace_tree`: merged files have no common tree, and the
//! builder copes with duplicate ids, cycles and unknown parents, and cuts nesting at the same
//! depth as the core writes.

pub use aiobs::export::tree::{Anomaly, Forest, MAX_DEPTH, NodeKey, Visit, build};
