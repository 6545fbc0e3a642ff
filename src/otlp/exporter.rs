//! The background exporter: a bounded queue the recording threads push into, and one thread
//! that maps, encodes and sends batches. A recording thread only takes the queue's lock for a
//! push; when the queue is full the item is dropped and counted, never waited for.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, ErrorKind, Result};
use crate::otlp::encoding;
use crate::otlp::mapping::{self, MappingOptions};
use crate::otlp::settings::OtlpSettings;
use crate::otlp::source::{self, Item, SessionBook};
use crate::otlp::transport::{Delivery, Transport};

/// Counts since the exporter of this process started; they survive reconfiguration.
#[derive(Default, Debug)]
pub struct Counters {
    pub exported: AtomicU64,
    pub dropped: AtomicU64,
    pub failed_batches: AtomicU64,
    pub failed_spans: AtomicU64,
}

/// What `aiobs_stats` reports under `"otlp"`.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Spans waiting or being sent.
    pub queued: u64,
    /// Spans the backend accepted.
    pub exported: u64,
    /// Spans dropped because the queue was full, or still queued when shutdown ran out of time.
    pub dropped: u64,
    /// Batches that failed for good (rejected, or still failing after every retry).
    pub failed_batches: u64,
    /// The spans of those batches.
    pub failed_spans: u64,
}

struct Queue {
    items: VecDeque<Item>,
    /// Items taken by the thread and not yet settled.
    in_flight: usize,
    /// A timed-out shutdown counted the batch in flight as dropped: its outcome is not counted.
    in_flight_abandoned: bool,
    /// Set by shutdown: export what is left until then, drop the rest, stop.
    stop_at: Option<Instant>,
    /// Set by a flush: send what is queued without waiting for the interval.
    flush_wanted: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Waits on `condvar` until `deadline`; false when the deadline has passed.
fn wait_until<'a>(
    condvar: &Condvar,
    guard: MutexGuard<'a, Queue>,
    deadline: Instant,
) -> (MutexGuard<'a, Queue>, bool) {
    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
        return (guard, false);
    };
    let (guard, _) = condvar
        .wait_timeout(guard, left)
        .unwrap_or_else(PoisonError::into_inner);
    (guard, Instant::now() < deadline)
}

struct Shared {
    queue: Mutex<Queue>,
    /// The thread waits on it for work.
    work: Condvar,
    /// Shutdown waits on it for the queue to empty.
    settled: Condvar,
    counters: Arc<Counters>,
    sessions: Arc<Mutex<SessionBook>>,
    max_queue_size: usize,
    batch_size: usize,
    schedule_delay: Duration,
}

pub struct Exporter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    pub settings: OtlpSettings,
}

impl Exporter {
    /// Starts the thread; `settings.endpoint` must be set.
    pub fn start(
        settings: OtlpSettings,
        resource: Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
        counters: Arc<Counters>,
        sessions: Arc<Mutex<SessionBook>>,
    ) -> Result<Exporter> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                in_flight: 0,
                in_flight_abandoned: false,
                stop_at: None,
                flush_wanted: false,
            }),
            work: Condvar::new(),
            settled: Condvar::new(),
            counters,
            sessions,
            max_queue_size: settings.max_queue_size,
            batch_size: settings.max_export_batch_size,
            schedule_delay: settings.schedule_delay,
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            transport: Transport::new(
                settings.endpoint.as_deref().unwrap_or_default(),
                settings.headers.clone(),
                settings.timeout,
            ),
            resource,
            options: MappingOptions {
                capture_message_content: settings.capture_message_content,
                openinference: settings.openinference,
            },
            protocol: settings.protocol,
            gzip: settings.gzip,
            failure_told: std::cell::Cell::new(false),
        };
        let thread = std::thread::Builder::new()
            .name("aiobs-otlp".into())
            .spawn(move || worker.run())
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the OTLP exporter thread: {e}"),
                )
            })?;
        Ok(Exporter {
            shared,
            thread: Mutex::new(Some(thread)),
            settings,
        })
    }

    /// Queues a finished item; drops and counts it when the queue is full or stopping.
    pub fn offer(&self, item: Item) {
        let shared = &*self.shared;
        let mut queue = shared.lock();
        if queue.items.len() >= shared.max_queue_size || queue.stop_at.is_some() {
            drop(queue);
            shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        queue.items.push_back(item);
        if queue.items.len() == shared.batch_size {
            shared.work.notify_one();
        }
    }

    /// Asks the thread to send what is queued now, without waiting for it.
    pub fn flush_soon(&self) {
        self.shared.lock().flush_wanted = true;
        self.shared.work.notify_one();
    }

    pub fn queued(&self) -> u64 {
        let queue = self.shared.lock();
        (queue.items.len() + queue.in_flight) as u64
    }

    /// Exports what is queued within `timeout`, then stops the thread. What is still queued
    /// when the time is up is dropped and counted, and the call says how much.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let shared = &*self.shared;
        let mut queue = shared.lock();
        if queue.stop_at.is_none() {
            queue.stop_at = Some(deadline);
        }
        shared.work.notify_one();
        while !queue.items.is_empty() || queue.in_flight > 0 {
            let (guard, in_time) = wait_until(&shared.settled, queue, deadline);
            queue = guard;
            if !in_time {
                break;
            }
        }
        let left = queue.items.len() + queue.in_flight;
        if left == 0 {
            drop(queue);
            self.join_until(deadline);
            return Ok(());
        }
        // Counted now, so that the stats read right after this call add up; the thread, still
        // sending, drops the queue's rest and leaves the batch in flight out of its counts.
        queue.items.clear();
        queue.in_flight_abandoned = queue.in_flight > 0;
        queue.in_flight = 0;
        drop(queue);
        shared
            .counters
            .dropped
            .fetch_add(left as u64, Ordering::Relaxed);
        Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "{left} spans were still being exported when the {} ms timeout ran out; they are dropped and counted",
                timeout.as_millis()
            ),
        ))
    }

    /// Stops the thread without waiting: it exports what it can until `deadline`.
    pub fn retire(&self, deadline: Instant) {
        let mut queue = self.shared.lock();
        queue.stop_at.get_or_insert(deadline);
        self.shared.work.notify_one();
    }

    fn join_until(&self, deadline: Instant) {
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        while thread.as_ref().is_some_and(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        if thread.as_ref().is_some_and(JoinHandle::is_finished)
            && let Some(handle) = thread.take()
        {
            let _ = handle.join();
        }
    }
}

/// What the thread owns.
struct Worker {
    shared: Arc<Shared>,
    transport: Transport,
    resource: Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
    options: MappingOptions,
    protocol: crate::otlp::settings::Protocol,
    gzip: bool,
    /// A backend down for the whole run is said once on stderr; the counts say the rest.
    failure_told: std::cell::Cell<bool>,
}

impl Worker {
    fn run(self) {
        let shared = &*self.shared;
        let mut next_send = Instant::now() + shared.schedule_delay;
        loop {
            let (batch, stop_at) = {
                let mut queue = shared.lock();
                while queue.stop_at.is_none()
                    && !queue.flush_wanted
                    && queue.items.len() < shared.batch_size
                    && Instant::now() < next_send
                {
                    queue = wait_until(&shared.work, queue, next_send).0;
                }
                if queue.stop_at.is_some_and(|at| Instant::now() >= at) {
                    let left = queue.items.len() as u64;
                    queue.items.clear();
                    shared.counters.dropped.fetch_add(left, Ordering::Relaxed);
                    shared.settled.notify_all();
                    return;
                }
                if queue.items.is_empty() {
                    queue.flush_wanted = false;
                    shared.settled.notify_all();
                    if queue.stop_at.is_some() {
                        return;
                    }
                    next_send = Instant::now() + shared.schedule_delay;
                    continue;
                }
                let n = queue.items.len().min(shared.batch_size);
                queue.in_flight = n;
                (queue.items.drain(..n).collect::<Vec<Item>>(), queue.stop_at)
            };
            let delivery = self.export(&batch, stop_at);
            let mut queue = shared.lock();
            let failure = if std::mem::take(&mut queue.in_flight_abandoned) {
                None
            } else {
                self.count(delivery, batch.len() as u64)
            };
            queue.in_flight = 0;
            if queue.items.len() < shared.batch_size {
                next_send = Instant::now() + shared.schedule_delay;
            }
            shared.settled.notify_all();
            drop(queue);
            if let Some(reason) = failure
                && !self.failure_told.replace(true)
            {
                eprintln!(
                    "aiobs: OTLP export of {} spans to {} failed: {reason} (later failures are counted in aiobs_stats, not printed)",
                    batch.len(),
                    self.transport.url()
                );
            }
        }
    }

    fn export(&self, batch: &[Item], deadline: Option<Instant>) -> Delivery {
        let sessions: SessionBook = {
            let book = self
                .shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            batch
                .iter()
                .filter_map(|item| {
                    let id = match item {
                        Item::Call(call) => &call.session_id,
                        Item::Function(function) => &function.span.session_id,
                    };
                    book.get(id).map(|info| (id.clone(), Arc::clone(info)))
                })
                .collect()
        };
        // A bug in mapping must cost this batch only, never the thread.
        let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let spans = source::spans(batch, &sessions, self.options);
            let request = mapping::export_request(self.resource.clone(), spans);
            encoding::encode(&request, self.protocol, self.gzip)
        }));
        match encoded {
            Ok(Ok(encoded)) => self.transport.deliver(&encoded, deadline),
            Ok(Err(error)) => Delivery::Failed(error.message),
            Err(_) => Delivery::Failed("internal error while mapping the batch".into()),
        }
    }

    /// Counts a batch's outcome; a failure's reason is returned to be told once.
    fn count(&self, delivery: Delivery, n: u64) -> Option<String> {
        let counters = &self.shared.counters;
        match delivery {
            Delivery::Accepted => {
                counters.exported.fetch_add(n, Ordering::Relaxed);
                None
            }
            Delivery::Failed(reason) => {
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                counters.failed_spans.fetch_add(n, Ordering::Relaxed);
                Some(reason)
            }
        }
    }
}
