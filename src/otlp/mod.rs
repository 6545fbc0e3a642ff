//! OTLP/HTTP trace export: finished calls and spans leave in batches from a background thread
//! to any OpenTelemetry backend, mapped with the GenAI semantic conventions.
//!
//! - [`settings`]: the `OTEL_*` variables and the `"otlp"` object of `aiobs_configure`.
//! - [`mapping`], [`genai`], [`usage`], [`messages`], [`openinference`]: one recorded span to one OTLP span;
//!   shared with the CLI's `export --otlp`.
//! - [`resource`]: service, host, process and runtime.
//! - [`encoding`]: protobuf or JSON, gzip.
//! - [`retry`] and [`transport`]: the POST and when to try it again.
//! - [`exporter`]: the bounded queue and the thread.
//! - [`source`]: the store's recorded items to spans, on the exporter's thread.
//!
//! [`Pipeline`] is what the store holds: it starts, restarts (after reconfiguration or in a
//! forked child) and stops the exporter, and hands it what the store records.

pub mod encoding;
pub mod exporter;
pub mod genai;
pub mod mapping;
pub mod messages;
pub mod openinference;
pub mod resource;
pub mod retry;
pub mod settings;
pub mod source;
pub mod transport;
pub mod usage;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::config::Settings;
use crate::error::Result;
use crate::event::SessionId;
use crate::session::Session;
use exporter::{Counters, Exporter, Stats};
use source::{Item, SessionBook, SessionInfo};

pub use settings::{OtlpSettings, Protocol};

/// Sessions remembered for the exporter's span attributes; the oldest are forgotten past it.
const MAX_SESSIONS_REMEMBERED: usize = 4096;

#[derive(Default)]
pub(crate) struct Pipeline {
    /// Checked before anything else, so that recording without export costs one load.
    active: AtomicBool,
    exporter: RwLock<Option<Arc<Exporter>>>,
    counters: Mutex<Arc<Counters>>,
    sessions: Arc<Mutex<SessionBook>>,
    session_order: Mutex<std::collections::VecDeque<SessionId>>,
    /// The settings and runtime the running exporter was started with.
    started_with: Mutex<Option<Settings>>,
}

impl Pipeline {
    /// Starts, restarts or stops the exporter to match `settings`.
    pub fn reconfigure(&self, settings: &Settings) -> Result<()> {
        let mut started_with = self.started_with.lock();
        let same_process = self
            .exporter
            .read()
            .as_ref()
            .is_none_or(|e| e.pid == std::process::id());
        if started_with.as_ref() == Some(settings) && same_process {
            return Ok(());
        }
        let otlp = &settings.otlp;
        let replacement = if otlp.exporting() {
            let resource =
                resource::attributes(otlp, &settings.runtime, settings.runtime_version.as_deref());
            let counters = if same_process {
                Arc::clone(&self.counters.lock())
            } else {
                Arc::default()
            };
            *self.counters.lock() = Arc::clone(&counters);
            Some(Arc::new(Exporter::start(
                otlp.clone(),
                resource,
                counters,
                Arc::clone(&self.sessions),
            )?))
        } else {
            None
        };
        let previous = std::mem::replace(&mut *self.exporter.write(), replacement);
        self.active
            .store(self.exporter.read().is_some(), Ordering::Release);
        *started_with = Some(settings.clone());
        // The old exporter sends what it holds in the background; a forked child's copy has no
        // thread, and its queue is the parent's to send.
        if let Some(previous) = previous
            && previous.pid == std::process::id()
        {
            previous.retire(Instant::now() + previous.settings.timeout);
        }
        Ok(())
    }

    /// The running exporter of this process, if export is on.
    fn exporter(&self, settings: impl FnOnce() -> Settings) -> Option<Arc<Exporter>> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let exporter = self.exporter.read().clone()?;
        if exporter.pid == std::process::id() {
            return Some(exporter);
        }
        // A forked child: start its own thread.
        let _ = self.reconfigure(&settings());
        self.exporter.read().clone()
    }

    /// Whether recorded items are to be handed over.
    pub fn wants_items(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn offer(&self, item: Item, settings: impl FnOnce() -> Settings) {
        if let Some(exporter) = self.exporter(settings) {
            exporter.offer(item);
        }
    }

    /// Remembers a session's name and labels for the attributes of its spans.
    pub fn session_changed(&self, session: &Session) {
        if !self.wants_items() {
            return;
        }
        let info = Arc::new(SessionInfo::of(session));
        let mut book = self.sessions.lock();
        if book.insert(session.id.clone(), info).is_none() {
            let mut order = self.session_order.lock();
            order.push_back(session.id.clone());
            if order.len() > MAX_SESSIONS_REMEMBERED
                && let Some(oldest) = order.pop_front()
            {
                book.remove(&oldest);
            }
        }
    }

    pub fn flush_soon(&self) {
        if let Some(exporter) = self.exporter.read().as_ref() {
            exporter.flush_soon();
        }
    }

    /// Exports what is pending within `timeout` and stops the thread. Export stays off until
    /// the next `aiobs_configure` that sets OTLP settings.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        let _started_with = self.started_with.lock();
        self.active.store(false, Ordering::Release);
        let exporter = self.exporter.write().take();
        match exporter {
            Some(exporter) if exporter.pid == std::process::id() => exporter.shutdown(timeout),
            _ => Ok(()),
        }
    }

    pub fn stats(&self) -> Option<Stats> {
        let exporter = self.exporter.read().clone();
        let counters = Arc::clone(&self.counters.lock());
        let configured = exporter.is_some()
            || [
                &counters.exported,
                &counters.dropped,
                &counters.failed_batches,
            ]
            .iter()
            .any(|c| c.load(Ordering::Relaxed) > 0);
        configured.then(|| Stats {
            queued: exporter.map_or(0, |e| e.queued()),
            exported: counters.exported.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
            failed_batches: counters.failed_batches.load(Ordering::Relaxed),
            failed_spans: counters.failed_spans.load(Ordering::Relaxed),
        })
    }
}
