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

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::error::Result;
use crate::event::SessionId;
use crate::session::Session;
use exporter::{Counters, Exporter, Stats};
use source::{Item, SessionBook, SessionInfo};

pub use settings::{OtlpSettings, Protocol};

/// Sessions remembered for the exporter's span attributes; the oldest are forgotten past it.
const MAX_SESSIONS_REMEMBERED: usize = 4096;

/// Its locks are the standard library's, held across a `fork` with the store's (see
/// [`Pipeline::prepare_fork`]); they never poison.
#[derive(Default)]
pub(crate) struct Pipeline {
    /// Checked before anything else, so that recording without export costs one load.
    active: AtomicBool,
    exporter: RwLock<Option<Arc<Exporter>>>,
    counters: Mutex<Arc<Counters>>,
    /// Of the counters' `dropped`, how many a written export file reported already.
    drops_reported: AtomicU64,
    sessions: Arc<Mutex<SessionBook>>,
    session_order: Mutex<VecDeque<SessionId>>,
    /// The settings the running exporter was started with; `None` after a fork, so that the
    /// child starts its own.
    started_with: Mutex<Option<Settings>>,
}

fn unpoisoned<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The pipeline's locks, held from before a `fork` until after it.
pub(crate) struct PipelineForkGuards<'a> {
    pipeline: &'a Pipeline,
    started_with: MutexGuard<'a, Option<Settings>>,
    exporter: RwLockWriteGuard<'a, Option<Arc<Exporter>>>,
    counters: MutexGuard<'a, Arc<Counters>>,
    sessions: MutexGuard<'a, SessionBook>,
    #[allow(dead_code)] // held, never read
    session_order: MutexGuard<'a, VecDeque<SessionId>>,
}

impl PipelineForkGuards<'_> {
    /// In a forked child: the parent's queue and thread are the parent's (its copy here has no
    /// thread; it is left alone, never locked), counts start from zero, and the first span the
    /// child records starts the child's own exporter thread. `continued` is the child's new
    /// session, if the parent had one active.
    pub(crate) fn start_child(&mut self, continued: Option<&Session>) {
        if let Some(parent) = self.exporter.take() {
            // Its queue lock may be held by the parent's thread forever: never touch it.
            std::mem::forget(parent);
        }
        *self.started_with = None;
        *self.counters = Arc::default();
        self.pipeline.drops_reported.store(0, Ordering::Relaxed);
        if let Some(session) = continued {
            self.sessions
                .insert(session.id.clone(), Arc::new(SessionInfo::of(session)));
        }
    }
}

impl Pipeline {
    /// Takes every lock of the pipeline before a `fork` (after the store's settings lock,
    /// before nothing else): the child then finds them free.
    pub(crate) fn prepare_fork(&self) -> PipelineForkGuards<'_> {
        PipelineForkGuards {
            pipeline: self,
            started_with: unpoisoned(&self.started_with),
            exporter: self
                .exporter
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            counters: unpoisoned(&self.counters),
            sessions: unpoisoned(&self.sessions),
            session_order: unpoisoned(&self.session_order),
        }
    }

    /// Starts, restarts or stops the exporter to match `settings`.
    pub fn reconfigure(&self, settings: &Settings) -> Result<()> {
        let mut started_with = unpoisoned(&self.started_with);
        if started_with.as_ref() == Some(settings) {
            return Ok(());
        }
        let otlp = &settings.otlp;
        let replacement = if otlp.exporting() {
            let resource =
                resource::attributes(otlp, &settings.runtime, settings.runtime_version.as_deref());
            Some(Arc::new(Exporter::start(
                otlp.clone(),
                resource,
                Arc::clone(&unpoisoned(&self.counters)),
                Arc::clone(&self.sessions),
            )?))
        } else {
            None
        };
        let exporting = replacement.is_some();
        let previous = std::mem::replace(&mut *self.write_exporter(), replacement);
        self.active.store(exporting, Ordering::Release);
        *started_with = Some(settings.clone());
        // The old exporter sends what it holds in the background, within its timeout.
        if let Some(previous) = previous {
            previous.retire(Instant::now() + previous.settings.timeout);
        }
        Ok(())
    }

    fn write_exporter(&self) -> RwLockWriteGuard<'_, Option<Arc<Exporter>>> {
        self.exporter
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self) -> Option<Arc<Exporter>> {
        self.exporter
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether recorded items are to be handed over.
    pub fn wants_items(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Queues a finished item; in a forked child, the first one starts the child's exporter.
    pub fn offer(&self, item: Item, settings: impl FnOnce() -> Settings) {
        if !self.wants_items() {
            return;
        }
        let exporter = match self.current() {
            Some(exporter) => Some(exporter),
            None => {
                let _ = self.reconfigure(&settings());
                self.current()
            }
        };
        if let Some(exporter) = exporter {
            exporter.offer(item);
        }
    }

    /// Remembers a session's name and labels for the attributes of its spans.
    pub fn session_changed(&self, session: &Session) {
        if !self.wants_items() {
            return;
        }
        let info = Arc::new(SessionInfo::of(session));
        let mut book = unpoisoned(&self.sessions);
        if book.insert(session.id.clone(), info).is_none() {
            let mut order = unpoisoned(&self.session_order);
            order.push_back(session.id.clone());
            if order.len() > MAX_SESSIONS_REMEMBERED
                && let Some(oldest) = order.pop_front()
            {
                book.remove(&oldest);
            }
        }
    }

    pub fn flush_soon(&self) {
        if let Some(exporter) = self.current() {
            exporter.flush_soon();
        }
    }

    /// Exports what is pending within `timeout` and stops the thread. Export stays off until
    /// the next `aiobs_configure`, which starts it again when the settings ask for it.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        *unpoisoned(&self.started_with) = None;
        self.active.store(false, Ordering::Release);
        let exporter = self.write_exporter().take();
        match exporter {
            Some(exporter) => exporter.shutdown(timeout),
            None => Ok(()),
        }
    }

    pub fn stats(&self) -> Option<Stats> {
        let exporter = self.current();
        let counters = Arc::clone(&unpoisoned(&self.counters));
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

    /// Drops no export file has reported yet; the caller reports them.
    pub fn take_unreported_drops(&self) -> u64 {
        let dropped = unpoisoned(&self.counters).dropped.load(Ordering::Relaxed);
        dropped.saturating_sub(self.drops_reported.swap(dropped, Ordering::Relaxed))
    }
}
