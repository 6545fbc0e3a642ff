//! The parts of the viewer other tools use in process: the export's schema check (`validate`),
//! which the fuzz targets run on every export they make, and the trace forest it shares with
//! the viewer's commands.

pub mod trace;
pub mod validate;
