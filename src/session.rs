//! A session: the unit a program observes, with its labels and the process facts of its start.

use crate::event::SessionId;
use crate::labels::Labels;

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub name: String,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub pid: u32,
    pub cwd: String,
    pub labels: Labels,
}

impl Session {
    /// An empty or missing name becomes the id, as in the Python SDK.
    pub fn new(name: Option<&str>, labels: Labels, started_at: f64) -> Session {
        let id: SessionId = crate::ids::new_uuid().into();
        let name = match name {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => id.to_string(),
        };
        Session {
            id,
            name,
            started_at,
            ended_at: None,
            pid: std::process::id(),
            cwd: std::env::current_dir()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            labels,
        }
    }
}
