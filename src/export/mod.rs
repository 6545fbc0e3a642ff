//! `flush`: takes everything recorded out of the store, writes it as one JSON document with an
//! atomic rename (see `file`), and puts it all back if the write fails.

mod document;
mod file;
pub(crate) mod prepare;
pub mod schema;
pub mod tree;

pub use prepare::PendingOperation;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::event::{CallEvent, FunctionEvent, SessionId, now};
use crate::ids::SpanId;
use crate::session::Session;
use crate::store::{Drops, Store};
use document::Document;
use tree::NodeKey;

pub const DEFAULT_FILE: &str = "llm_observability.json";

/// What one flush writes: a copy of the sessions (they may go on receiving events while the
/// file is written) and the events recorded until then, moved out of the store.
struct Batch {
    sessions: Vec<Session>,
    calls: Vec<CallEvent>,
    functions: Vec<FunctionEvent>,
    pending_operations: HashMap<String, PendingOperation>,
    /// What the events held in the store, given back if the write fails.
    bytes: usize,
    drops: Drops,
}

/// A flush that frees this much hands free memory back to the system.
const RETURN_MEMORY_AFTER_BYTES: usize = 32 * 1024 * 1024;

impl Store {
    /// Writes every session and event recorded since the last flush and empties the store.
    /// Recording goes on while the file is written. On failure nothing is lost: the events go
    /// back into the store, ahead of those recorded meanwhile, for the next try.
    pub fn flush(&self, path: Option<&str>) -> Result<PathBuf> {
        let _one_flush_at_a_time = self.flush_turn();
        let target = output_path(
            path,
            std::env::var("LLM_OBS_OUT").ok().as_deref(),
            crate::ffi::os::is_forked_child().then(std::process::id),
        );
        let (ends_session, max_span_age_seconds) = {
            let settings = self.read_settings();
            (settings.flush_ends_session, settings.max_span_age_seconds)
        };
        let batch = self.take_batch(now() - max_span_age_seconds);
        let mut still_pending = HashMap::new();
        // A panic while building the export must not cost the batch: put it back, then let
        // the panic go on to the boundary.
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            file::write_atomically(&target, |out| {
                still_pending = write_document(&batch, out)?;
                Ok(())
            })
        }));
        match written {
            Ok(Ok(())) => {
                self.forget_flushed(&batch, still_pending, ends_session);
                let freed = batch.bytes;
                drop(batch);
                if freed >= RETURN_MEMORY_AFTER_BYTES {
                    crate::ffi::os::return_free_memory();
                }
                Ok(target)
            }
            Ok(Err(err)) => {
                self.restore_batch(batch);
                Err(err)
            }
            Err(panic) => {
                self.restore_batch(batch);
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// `flush` when the JSON file is a destination (the default); otherwise the sessions
    /// recorded so far are forgotten as after a flush, the OTLP exporter is asked to send what
    /// it holds without waiting for its interval, and no file is written (`None`).
    pub fn flush_to_destinations(&self, path: Option<&str>) -> Result<Option<PathBuf>> {
        let (json_file, ends_session) = {
            let settings = self.read_settings();
            (settings.otlp.json_file, settings.flush_ends_session)
        };
        if json_file {
            return self.flush(path).map(Some);
        }
        let _one_flush_at_a_time = self.flush_turn();
        let batch = self.take_batch(f64::NEG_INFINITY);
        let still_pending = batch.pending_operations.clone();
        self.forget_flushed(&batch, still_pending, ends_session);
        self.otlp.flush_soon();
        Ok(None)
    }

    /// Moves the events out, after closing the spans that began before `abandon_before`.
    fn take_batch(&self, abandon_before: f64) -> Batch {
        let mut state = self.lock_state();
        state.close_abandoned(abandon_before);
        Batch {
            sessions: state.sessions.clone(),
            calls: std::mem::take(&mut state.calls),
            functions: std::mem::take(&mut state.functions),
            pending_operations: state.pending_operations.clone(),
            bytes: {
                // Still held until the flush forgets the batch or puts it back.
                state.in_flight_bytes = state.queued_bytes;
                std::mem::take(&mut state.queued_bytes)
            },
            drops: {
                let mut drops = std::mem::take(&mut state.unwritten_drops);
                drops.otlp_spans += self.otlp.take_unreported_drops();
                drops
            },
        }
    }

    /// After a successful write: the flushed sessions leave the store and the active session
    /// stops being active (unless `ends_session` is false: then it stays, active). A flushed
    /// session stays, to be written again, when it changed or got events while the file was
    /// written, or when a span of it is still open.
    /// Runs under the store lock, so it works from hash sets: linear in what the store holds.
    fn forget_flushed(
        &self,
        batch: &Batch,
        still_pending: HashMap<String, PendingOperation>,
        ends_session: bool,
    ) {
        let flushed: HashMap<&str, &Session> = batch.sessions.iter().map(|s| (&*s.id, s)).collect();
        let mut state = self.lock_state();
        let state = &mut *state;
        let still_needed: HashSet<SessionId> = state
            .calls
            .iter()
            .map(|c| &c.session_id)
            .chain(state.functions.iter().map(|f| &f.span.session_id))
            .chain(state.open_spans.values().map(|o| &o.session_id))
            .chain(state.active.iter().filter(|_| !ends_session))
            .cloned()
            .collect();
        state.sessions.retain(|session| {
            flushed.get(&*session.id) != Some(&session) || still_needed.contains(&session.id)
        });
        state.in_flight_bytes = 0;
        state.session_bytes = state
            .sessions
            .iter()
            .map(crate::footprint::of_session)
            .sum();
        if let Some(active) = &state.active
            && ends_session
            && flushed.contains_key(&**active)
        {
            state.active = None;
        }
        state.ended_traces_before_last_flush = std::mem::take(&mut state.ended_traces);
        state.pending_operations = still_pending;
        state.totals.flushes += 1;
    }

    /// Puts a batch's events back in front of whatever was recorded while the flush ran.
    fn restore_batch(&self, mut batch: Batch) {
        let mut state = self.lock_state();
        state.totals.flushes_failed += 1;
        state.in_flight_bytes = 0;
        state.queued_bytes += batch.bytes;
        state.unwritten_drops.add(batch.drops);
        batch.calls.append(&mut state.calls);
        state.calls = batch.calls;
        batch.functions.append(&mut state.functions);
        state.functions = batch.functions;
    }
}

/// The argument, else `LLM_OBS_OUT`, else `./llm_observability.json`; empty counts as unset.
/// In a forked child (`child_pid`), a path not given as the argument gets the child's pid before
/// its extension (`llm_observability.4242.json`), so parent and child never overwrite each
/// other's file. A relative path is made absolute so the caller learns where the file really is.
fn output_path(
    argument: Option<&str>,
    environment: Option<&str>,
    child_pid: Option<u32>,
) -> PathBuf {
    let path = match argument.filter(|p| !p.is_empty()) {
        Some(chosen) => PathBuf::from(chosen),
        None => {
            let chosen = environment
                .filter(|p| !p.is_empty())
                .unwrap_or(DEFAULT_FILE);
            match child_pid {
                Some(pid) => with_pid(Path::new(chosen), pid),
                None => PathBuf::from(chosen),
            }
        }
    };
    if path.is_absolute() {
        return path;
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(path),
        Err(_) => path,
    }
}

/// `out.json` -> `out.<pid>.json`; `out` -> `out.<pid>`.
fn with_pid(path: &Path, pid: u32) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(extension) => format!("{stem}.{pid}.{}", extension.to_string_lossy()),
        None => format!("{stem}.{pid}"),
    };
    path.with_file_name(name)
}

/// Events grouped by session in session order, then in record order; events of sessions
/// flushed earlier (a span that outlived its session's flush) come last.
fn in_session_order<'a, T>(
    items: &'a [T],
    sessions: &[Session],
    session_of: impl Fn(&T) -> &SessionId,
) -> Vec<&'a T> {
    // A map, not a search per event: a long run may flush thousands of sessions at once.
    let ranks: HashMap<&str, usize> = sessions
        .iter()
        .enumerate()
        .map(|(rank, s)| (&*s.id, rank))
        .collect();
    let rank = |item: &T| {
        ranks
            .get(&**session_of(item))
            .copied()
            .unwrap_or(sessions.len())
    };
    let mut ranked: Vec<(usize, &T)> = items.iter().map(|item| (rank(item), item)).collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, item)| item).collect()
}

/// Writes the document and returns the video operations still running after it.
fn write_document(batch: &Batch, out: &mut dyn Write) -> Result<HashMap<String, PendingOperation>> {
    let calls = in_session_order(&batch.calls, &batch.sessions, |c| &c.session_id);
    let prepared = prepare::prepare(calls, &batch.sessions, &batch.pending_operations);
    let calls = prepared.calls;
    let functions = in_session_order(&batch.functions, &batch.sessions, |f| &f.span.session_id);
    let keys: Vec<NodeKey<SpanId>> = calls
        .iter()
        .map(|c| (c.link.span_id).node_key(c.link.parent_span_id, c.timing.started_at))
        .chain(functions.iter().map(|f| {
            let link = &f.span.link;
            link.span_id
                .node_key(link.parent_span_id, f.span.started_at)
        }))
        .collect();
    let forest = tree::build_for_export(&keys);
    let enh_ids: Vec<&str> = forest
        .pre_order()
        .into_iter()
        .filter_map(|node| node.checked_sub(calls.len()))
        .filter_map(|f| functions[f].enh_prompt_id.as_deref())
        .filter(|id| !id.is_empty())
        .collect();
    let document = Document {
        sessions: batch
            .sessions
            .iter()
            .chain(prepared.revived_sessions)
            .collect(),
        calls,
        functions,
        forest,
        enh_prompt_traces: (!enh_ids.is_empty()).then_some(enh_ids),
        generated_at: now(),
        drops: batch.drops,
    };
    let mut serializer = serde_json::Serializer::with_formatter(
        out,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    serde::Serialize::serialize(&document, &mut serializer)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot serialise the export: {e}")))?;
    Ok(prepared.pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_wins_then_the_environment_then_the_default() {
        assert_eq!(
            output_path(Some("/a.json"), Some("/b.json"), None),
            PathBuf::from("/a.json")
        );
        assert_eq!(
            output_path(Some(""), Some("/b.json"), None),
            PathBuf::from("/b.json")
        );
        assert_eq!(
            output_path(None, Some(""), None),
            std::env::current_dir().unwrap().join(DEFAULT_FILE)
        );
        assert!(output_path(Some("rel/x.json"), None, None).is_absolute());
    }

    #[test]
    fn a_forked_child_gets_its_pid_in_every_path_it_did_not_name() {
        assert_eq!(
            output_path(Some("/a.json"), Some("/b.json"), Some(42)),
            PathBuf::from("/a.json")
        );
        assert_eq!(
            output_path(None, Some("/d/b.json"), Some(42)),
            PathBuf::from("/d/b.42.json")
        );
        assert_eq!(
            output_path(None, Some("/d/trace"), Some(42)),
            PathBuf::from("/d/trace.42")
        );
        assert_eq!(
            output_path(None, None, Some(42)),
            std::env::current_dir()
                .unwrap()
                .join("llm_observability.42.json")
        );
    }
}
