//! The session store: every session, call and span recorded since the last flush.
//!
//! One mutex guards the store. A recording call validates and copies its input before it takes
//! the lock, so the lock is held only for an id lookup and a `Vec::push`; building the export
//! happens in `flush`, outside the lock.
//!
//! The locks are the standard library's (futex-based, no global tables), so that a forked child
//! can release the ones its parent's fork handler took (see [`Store::prepare_fork`]). They never
//! poison: a panic at the boundary leaves the store as it was, and the next caller goes on.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use std::sync::{
    Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

use crate::config::Settings;
use crate::ended_traces::EndedTraces;
use crate::error::{Error, ErrorKind, Result};
use crate::event::{
    CallEvent, CallInput, CallPayload, CheckedJson, FunctionEvent, HttpCall, HttpInput, OpenSpan,
    ParentChoice, Placement, RecordedCall, SessionId, SpanFields, SpanInput, SpanLink, Timing,
    checked_value, now,
};
use crate::footprint;
use crate::ids::{SpanId, SpanIdMap, TraceId};
use crate::labels::{self, Labels};
use crate::otlp::Pipeline;
use crate::otlp::source::Item;
use crate::providers::{self, HttpExchange, SharedText};
use crate::session::Session;
use crate::thread_spans;
use crate::warm;

#[derive(Default)]
pub(crate) struct State {
    pub sessions: Vec<Session>,
    /// The session that receives new events; always one of `sessions`.
    pub active: Option<SessionId>,
    pub calls: Vec<CallEvent>,
    pub functions: Vec<FunctionEvent>,
    /// Spans survive a flush: a span that began before it ends after it.
    pub open_spans: SpanIdMap<OpenSpan>,
    /// Trace ids of spans that ended, for calls recorded afterwards that name them as parent.
    /// Kept for the current and the previous flush, so they stay bounded.
    pub ended_traces: EndedTraces,
    pub ended_traces_before_last_flush: EndedTraces,
    /// Video operations still running when last flushed, continued by later polls.
    pub pending_operations: HashMap<String, crate::export::PendingOperation>,
    /// Bytes held by `calls` and `functions` (see [`crate::footprint`]).
    pub queued_bytes: usize,
    /// Bytes held by `open_spans`.
    pub open_bytes: usize,
    /// Bytes held by `sessions` (names and labels).
    pub session_bytes: usize,
    /// Bytes of the events a flush has taken and is writing: still in memory until the flush
    /// forgets them or, after a failure, puts them back.
    pub in_flight_bytes: usize,
    /// What happened since the process started, for `aiobs_stats`.
    pub totals: Totals,
    /// Drops not yet reported in a written file (the export's `drops`).
    pub unwritten_drops: Drops,
}

/// Events lost to the memory bound and spans closed as abandoned.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Drops {
    pub events: u64,
    pub spans_abandoned: u64,
    /// Finished spans the OTLP exporter dropped (queue full, or left at shutdown).
    pub otlp_spans: u64,
}

impl Drops {
    pub fn add(&mut self, other: Drops) {
        self.events += other.events;
        self.spans_abandoned += other.spans_abandoned;
        self.otlp_spans += other.otlp_spans;
    }
}

/// Counts since the process started (a forked child starts from zero).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub events_dropped: u64,
    pub spans_abandoned: u64,
    pub flushes: u64,
    pub flushes_failed: u64,
}

/// Lock order, everywhere: `flushes`, then `settings`, then `state`, then the OTLP
/// pipeline's own. The warm memory's lock ([`warm`]) is taken alone, and last at a fork.
pub struct Store {
    settings: RwLock<Settings>,
    state: Mutex<State>,
    /// Serialises flushes, so that a failed flush can put its events back in order.
    flushes: FlushGate,
    /// The OTLP exporter, when one is configured.
    pub(crate) otlp: Pipeline,
}

/// Lets one flush run at a time. Not a mutex held for the whole flush: a fork must not wait for
/// a flush to finish (a thread flushing in a loop would starve it), and a child must not inherit
/// a flush that only its parent is running.
#[derive(Default)]
struct FlushGate {
    running: Mutex<bool>,
    done: Condvar,
}

/// The turn of one flush; the next may start when it is dropped.
pub(crate) struct FlushTurn<'a>(&'a FlushGate);

impl FlushGate {
    fn running(&self) -> MutexGuard<'_, bool> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self) -> FlushTurn<'_> {
        let mut running = self.running();
        while *running {
            running = self
                .done
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *running = true;
        FlushTurn(self)
    }
}

impl Drop for FlushTurn<'_> {
    fn drop(&mut self) {
        *self.0.running() = false;
        self.0.done.notify_one();
    }
}

/// The limits one record needs, read under one settings lock.
struct Limits {
    thread_parenting: bool,
    max_memory_bytes: usize,
}

static GLOBAL: LazyLock<Store> = LazyLock::new(|| {
    crate::ffi::os::handle_fork();
    Store::new()
});

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        let store = Store {
            settings: RwLock::new(Settings::default()),
            state: Mutex::new(State::default()),
            flushes: FlushGate::default(),
            otlp: Pipeline::default(),
        };
        // The environment may configure an exporter; a failure to start it leaves export off.
        let _ = store.otlp.reconfigure(&store.settings());
        store
    }

    /// The process-wide store behind the C ABI.
    pub fn global() -> &'static Store {
        &GLOBAL
    }

    pub fn settings(&self) -> Settings {
        self.read_settings().clone()
    }

    pub(crate) fn read_settings(&self) -> RwLockReadGuard<'_, Settings> {
        self.settings.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_settings(&self) -> RwLockWriteGuard<'_, Settings> {
        self.settings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the flush running, if any, and returns this flush's turn.
    pub(crate) fn flush_turn(&self) -> FlushTurn<'_> {
        self.flushes.enter()
    }

    pub fn configure(&self, settings_json: &str) -> Result<()> {
        // Applied under the write lock, so concurrent updates of different keys all land.
        let mut settings = self.write_settings();
        let mut updated = settings.clone();
        updated.apply(settings_json)?;
        self.otlp.reconfigure(&updated)?;
        *settings = updated;
        Ok(())
    }

    pub(crate) fn check_size(&self, what: &str, len: usize) -> Result<()> {
        self.read_settings().check_size(what, len)
    }

    /// What the store holds and has done, as `aiobs_stats` reports it.
    pub fn stats(&self) -> crate::stats::Stats {
        let otlp = self.otlp.stats();
        let state = self.lock_state();
        crate::stats::Stats {
            events_held: state.calls.len() + state.functions.len(),
            bytes_held: state.bytes_held(),
            open_spans: state.open_spans.len(),
            totals: state.totals,
            otlp,
        }
    }

    /// Takes every lock of the store, in order, before a `fork`: no other thread can then be
    /// inside the store when the process is copied, so the child finds every lock free to take.
    pub(crate) fn prepare_fork(&self) -> ForkGuards<'_> {
        let flushes = self.flushes.running();
        let settings = self.write_settings();
        let state = self.lock_state();
        let otlp = self.otlp.prepare_fork();
        let warm = warm::prepare_fork();
        ForkGuards {
            warm,
            otlp,
            state,
            settings,
            flushes,
        }
    }

    /// Starts a session and makes it active. A session still active stays in the store,
    /// un-ended, until the next flush. Invalid labels create nothing.
    pub fn observe(&self, name: Option<&str>, labels_json: Option<&str>) -> Result<String> {
        if let Some(json) = labels_json {
            self.check_size("labels_json", json.len())?;
        }
        let explicit = match labels_json {
            Some(json) => Labels::from_user_json(json)?,
            None => Labels::default(),
        };
        let (runtime, runtime_version) = {
            let settings = self.read_settings();
            (settings.runtime.clone(), settings.runtime_version.clone())
        };
        let merged = labels::merge_for_new_session(
            labels::system(&runtime, runtime_version.as_deref()),
            labels::from_environment(std::env::vars_os()),
            explicit,
        )?;
        let session = Session::new(name, merged, now());
        let bytes = footprint::of_session(&session);
        let max_memory_bytes = self.read_settings().max_memory_bytes;
        let mut state = self.lock_state();
        state.make_room(bytes, max_memory_bytes, "session")?;
        self.otlp.session_changed(&session);
        let id = session.id.clone();
        state.session_bytes += bytes;
        state.sessions.push(session);
        state.active = Some(id.clone());
        Ok(id.to_string())
    }

    /// Ends the active session; without one, nothing happens.
    pub fn end(&self) {
        let mut state = self.lock_state();
        if let Some(id) = state.active.take()
            && let Some(session) = state.session_mut(&id)
        {
            session.ended_at = Some(now());
        }
    }

    fn with_active_labels<T>(&self, f: impl FnOnce(&mut Labels) -> Result<T>) -> Result<T> {
        let max_memory_bytes = self.read_settings().max_memory_bytes;
        let mut state = self.lock_state();
        let id = state.active.clone().ok_or_else(Error::no_session)?;
        let session = state.session_mut(&id).ok_or_else(Error::no_session)?;
        let before = footprint::of_session(session);
        let previous = session.labels.clone();
        let result = f(&mut session.labels)?;
        let after = footprint::of_session(session);
        // Labels that grow need room; labels that shrink always fit.
        if let Err(err) = state.make_room(after.saturating_sub(before), max_memory_bytes, "label") {
            if let Some(session) = state.session_mut(&id) {
                session.labels = previous;
            }
            return Err(err);
        }
        state.session_bytes = state.session_bytes + after - before;
        if let Some(session) = state.session_mut(&id) {
            self.otlp.session_changed(session);
        }
        Ok(result)
    }

    pub fn add_label(&self, key: &str, value: &str) -> Result<()> {
        self.with_active_labels(|labels| labels.add(key, value))
    }

    pub fn set_labels(&self, labels_json: &str, merge: bool) -> Result<()> {
        self.check_size("labels_json", labels_json.len())?;
        let update = Labels::from_user_json(labels_json)?;
        self.with_active_labels(|labels| labels.set(update, merge))
    }

    pub fn remove_label(&self, key: &str) -> Result<()> {
        self.with_active_labels(|labels| labels.remove_user(key))
    }

    pub fn get_labels(&self) -> Result<String> {
        self.with_active_labels(|labels| Ok(labels.to_json()))
    }

    /// Records one provider call that the caller has already normalised.
    pub fn record_call(&self, event_json: &str) -> Result<()> {
        let limits = self.limits("event_json", event_json.len())?;
        let input = CallInput::parse(event_json)?;
        let placed = Placed::resolve(input.placement, limits.thread_parenting)?;
        let payload = CallPayload::Recorded(Arc::new(RecordedCall::new(
            &input.provider,
            &input.api,
            input.request,
            input.response,
            input.error.as_deref(),
        )));
        self.push_call(payload, placed, limits.max_memory_bytes)
    }

    /// Records one HTTP exchange with an LLM provider. Only the URL is looked at now (an unknown
    /// endpoint is refused with `NotLlmEndpoint`); the bodies are copied and parsed at flush.
    /// A body over `max_input_bytes` keeps its first `max_input_bytes` bytes, and its record
    /// says what could not be read.
    pub fn record_http(
        &self,
        exchange_json: &str,
        request_body: &[u8],
        response_body: &[u8],
    ) -> Result<()> {
        self.check_size("exchange_json", exchange_json.len())?;
        let input = HttpInput::parse(exchange_json)?;
        let endpoint = llm_endpoint(&input.method, &input.url)?;
        // Before the bodies are copied: outside a session they would be copied for nothing.
        self.require_session()?;
        let (limit, capture_content, limits) = {
            let settings = self.read_settings();
            (
                settings.max_input_bytes,
                settings.capture_content,
                Limits::of(&settings),
            )
        };
        let placed = Placed::resolve(input.placement, limits.thread_parenting)?;
        let [method, url, content_type, transport_error] = SharedText::copy_all([
            &input.method,
            &input.url,
            input.content_type.as_deref().unwrap_or_default(),
            input.transport_error.as_deref().unwrap_or_default(),
        ]);
        let exchange = HttpExchange {
            method,
            url,
            endpoint,
            request_body: warm::copy(&request_body[..request_body.len().min(limit)]),
            status: input.status,
            content_type: input.content_type.map(|_| content_type),
            response_body: warm::copy(&response_body[..response_body.len().min(limit)]),
            transport_error: input.transport_error.map(|_| transport_error),
            response_headers: input.response_headers,
            attempt: input.attempt.unwrap_or(1),
        };
        let payload = CallPayload::Http(Arc::new(HttpCall {
            exchange,
            capture_content,
        }));
        self.push_call(payload, placed, limits.max_memory_bytes)
    }

    /// Whether an exchange of `method` to `url` would be recorded now: a binding asks before it
    /// tees the bodies, so that other traffic and traffic outside a session cost nothing more.
    pub fn http_check(&self, method: &str, url: &str) -> Result<()> {
        llm_endpoint(method, url)?;
        self.require_session()
    }

    fn require_session(&self) -> Result<()> {
        self.lock_state().active_session_id().map(drop)
    }

    /// Appends a call to the active session; shared by every way of recording one.
    fn push_call(
        &self,
        payload: CallPayload,
        placed: Placed,
        max_memory_bytes: usize,
    ) -> Result<()> {
        let callsite = placed.callsite;
        let destinations = self.destinations();
        let mut state = self.lock_state();
        let session_id = state.active_session_id()?;
        let span_id = placed.span_id.unwrap_or_else(SpanId::random);
        let link = state.link(placed.parent, span_id, placed.trace_id);
        let call = CallEvent {
            session_id,
            payload,
            timing: placed.timing,
            callsite,
            link,
        };
        let mut recorded = Ok(());
        let for_export = destinations.route(call, Item::Call, |call| {
            let bytes = footprint::of_call(&call);
            recorded = state.make_room(bytes, max_memory_bytes, "call");
            if recorded.is_ok() {
                state.queued_bytes += bytes;
                state.calls.push(call);
            }
        });
        drop(state);
        self.hand_to_exporter(for_export);
        recorded
    }

    /// Checks an input's size and returns the limits a record needs, under one read lock.
    fn limits(&self, what: &str, len: usize) -> Result<Limits> {
        let settings = self.read_settings();
        settings.check_size(what, len)?;
        Ok(Limits::of(&settings))
    }

    /// Opens a span for a traced function and returns its id (16 hex digits).
    pub fn span_begin(&self, span_json: &str) -> Result<String> {
        let id = self.begin_span(span_json)?;
        // Room for the NUL the C API appends, so that handing it over does not copy it again.
        let mut text = String::with_capacity(17);
        text.push_str(std::str::from_utf8(&id.hex()).unwrap_or_default());
        Ok(text)
    }

    /// [`Store::span_begin`], with the id as a number.
    pub fn begin_span(&self, span_json: &str) -> Result<SpanId> {
        let limits = self.limits("span_json", span_json.len())?;
        let input = SpanInput::parse(span_json)?;
        let thread_parenting = input.thread_parenting.unwrap_or(limits.thread_parenting);
        let parent = parse_parent(&input.parent_span_id, thread_parenting)?;
        let fields = SpanFields::copy(span_json, &input);
        let started_at = now();
        let mut state = self.lock_state();
        let session_id = state.active_session_id()?;
        let link = state.link(parent, SpanId::random(), None);
        let span = OpenSpan {
            session_id,
            fields,
            enh_prompt: input.enh_prompt,
            auto_enhance_after: input.auto_enhance_after,
            link,
            started_at,
        };
        let bytes = footprint::of_open_span(&span);
        state.make_room(bytes, limits.max_memory_bytes, "span")?;
        state.open_bytes += bytes;
        state.open_spans.insert(link.span_id, span);
        if thread_parenting {
            let open_spans = &state.open_spans;
            thread_spans::push(link.span_id, link.trace_id, |s| open_spans.contains_key(&s));
        }
        drop(state);
        Ok(link.span_id)
    }

    /// Ends an open span with its result (JSON, NULL for none) or error.
    pub fn span_end(
        &self,
        span_id: &str,
        result_json: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        let span_id = SpanId::parse(span_id, "span_id")?;
        let max_memory_bytes = self
            .limits("result_json", result_json.map_or(0, str::len))?
            .max_memory_bytes;
        let result = checked_value("result_json", result_json)?;
        let ended_at = now();
        let destinations = self.destinations();
        let mut state = self.lock_state();
        let span = state.open_spans.remove(&span_id).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownSpan,
                format!("span {span_id} is not open: it never began, or it has ended already"),
            )
        })?;
        state.open_bytes -= footprint::of_open_span(&span);
        let trace_id = span.link.trace_id;
        let enh_prompt_id = span.enh_prompt.then(|| crate::ids::new_uuid().into());
        let function = FunctionEvent {
            ended_at: ended_at.max(span.started_at),
            span,
            result,
            error: error.map(Into::into),
            enh_prompt_id,
        };
        let mut recorded = Ok(());
        let for_export = destinations.route(function, Item::Function, |function| {
            let bytes = footprint::of_function(&function);
            // The span is closed whatever happens: a span that cannot be recorded must not
            // stay open.
            recorded = state.make_room(bytes, max_memory_bytes, "ended span");
            if recorded.is_ok() {
                // Only a kept span can be named as a parent later; a dropped one must not grow
                // the map past what the bound allows.
                state.ended_traces.push(span_id, trace_id);
                state.queued_bytes += bytes;
                state.functions.push(function);
            }
        });
        drop(state);
        thread_spans::remove(span_id);
        self.hand_to_exporter(for_export);
        recorded
    }

    /// Where finished events go now; read before the store lock (settings come first).
    fn destinations(&self) -> Destinations {
        let export = self.otlp.wants_items();
        Destinations {
            export,
            file: !export || self.read_settings().otlp.json_file,
        }
    }

    /// Called after the store's lock is released: the queue has a lock of its own.
    fn hand_to_exporter(&self, item: Option<Item>) {
        if let Some(item) = item {
            self.otlp.offer(item, || self.settings());
        }
    }

    /// Exports what the OTLP exporter holds within `timeout` and stops it.
    pub fn shutdown(&self, timeout: std::time::Duration) -> Result<()> {
        self.otlp.shutdown(timeout)
    }
}

/// The provider endpoint `method` `url` calls, or `AIOBS_ERR_NOT_LLM_ENDPOINT`.
fn llm_endpoint(method: &str, url: &str) -> Result<providers::Endpoint> {
    providers::classify(method, url).ok_or_else(|| {
        Error::new(
            ErrorKind::NotLlmEndpoint,
            format!(
                "{method} {} is no LLM endpoint aiobs knows; nothing was recorded",
                providers::sanitize_url(url)
            ),
        )
    })
}

/// The store's locks, held across a `fork`. Dropping them (in the parent, and in the child after
/// [`ForkGuards::start_child`]) releases them.
pub(crate) struct ForkGuards<'a> {
    warm: MutexGuard<'static, warm::Chunks>,
    otlp: crate::otlp::PipelineForkGuards<'a>,
    state: MutexGuard<'a, State>,
    #[allow(dead_code)] // held, never read
    settings: RwLockWriteGuard<'a, Settings>,
    flushes: MutexGuard<'a, bool>,
}

impl ForkGuards<'_> {
    /// In a forked child: an empty store whose events are the parent's to write, and, when the
    /// parent had an active session, a new session of the same name and labels.
    pub(crate) fn start_child(&mut self) {
        let continued = self
            .state
            .active
            .clone()
            .and_then(|id| self.state.session_mut(&id).cloned())
            .map(|parent| Session::new(Some(&parent.name), parent.labels, now()));
        *self.state = State::default();
        if let Some(session) = &continued {
            self.state.session_bytes = footprint::of_session(session);
        }
        // A flush running in the parent goes on there; the child has no thread running it.
        *self.flushes = false;
        self.otlp.start_child(continued.as_ref());
        self.warm.start_child();
        if let Some(session) = continued {
            self.state.active = Some(session.id.clone());
            self.state.sessions.push(session);
        }
    }
}

/// The JSON file, the OTLP exporter, or both.
struct Destinations {
    file: bool,
    export: bool,
}

impl Destinations {
    /// Hands the event to `keep` when the file takes events, and returns what goes to the
    /// exporter: a copy of it (call bodies are shared, not copied), or, when the file takes
    /// none, the event itself (`keep` is then not called). The exporter's bound is its own: an
    /// event the memory bound refuses for the file still goes to the exporter. (`keep` takes
    /// the event where it is: handed back in an `Option` instead, an ended span was copied
    /// twice more.)
    fn route<T: Clone>(&self, event: T, item: fn(T) -> Item, keep: impl FnOnce(T)) -> Option<Item> {
        match (self.file, self.export) {
            (true, false) => {
                keep(event);
                None
            }
            (false, _) => Some(item(event)),
            (true, true) => {
                let copy = item(event.clone());
                keep(event);
                Some(copy)
            }
        }
    }
}

/// A call's placement, validated: timing resolved and caller-given ids parsed, so that every
/// malformed input fails before the lock is taken.
struct Placed {
    timing: Timing,
    callsite: Option<CheckedJson>,
    span_id: Option<SpanId>,
    parent: Parent,
    trace_id: Option<TraceId>,
}

impl Placed {
    fn resolve(placement: Placement, thread_parenting: bool) -> Result<Placed> {
        Ok(Placed {
            timing: Timing::resolve(
                placement.started_at,
                placement.ended_at,
                placement.duration_ms,
                now(),
            )?,
            span_id: placement
                .span_id
                .map(|t| SpanId::parse(&t, "span_id"))
                .transpose()?,
            parent: parse_parent(&placement.parent_span_id, thread_parenting)?,
            trace_id: placement
                .trace_id
                .map(|t| TraceId::parse(&t, "trace_id"))
                .transpose()?,
            callsite: placement.callsite.map(CheckedJson::copy),
        })
    }
}

/// The parent choice with its id parsed, so that a malformed id fails before the lock.
enum Parent {
    InnermostOnThread,
    Root,
    Explicit(SpanId),
}

/// Without thread parenting, an absent `parent_span_id` makes a root.
fn parse_parent(choice: &ParentChoice, thread_parenting: bool) -> Result<Parent> {
    Ok(match choice {
        ParentChoice::InnermostOnThread if thread_parenting => Parent::InnermostOnThread,
        ParentChoice::InnermostOnThread => Parent::Root,
        ParentChoice::Root => Parent::Root,
        ParentChoice::Explicit(id) => Parent::Explicit(SpanId::parse(id, "parent_span_id")?),
    })
}

impl Limits {
    fn of(settings: &Settings) -> Limits {
        Limits {
            thread_parenting: settings.thread_parenting,
            max_memory_bytes: settings.max_memory_bytes,
        }
    }
}

impl State {
    /// Refuses (and counts) an event of `bytes` that would take the store past the bound.
    fn make_room(&mut self, bytes: usize, max_memory_bytes: usize, what: &str) -> Result<()> {
        let held = self.bytes_held();
        if held.saturating_add(bytes) <= max_memory_bytes {
            return Ok(());
        }
        self.totals.events_dropped += 1;
        self.unwritten_drops.events += 1;
        Err(Error::new(
            ErrorKind::MemoryLimit,
            format!(
                "the {what} was dropped: the store holds {held} bytes and max_memory_bytes is \
                 {max_memory_bytes}; flush (or end spans) to make room. Drops are counted in \
                 aiobs_stats and in the next file's drops"
            ),
        ))
    }

    /// Closes the spans that began before `before` as abandoned: each is recorded with an error
    /// that says so, and counted.
    pub(crate) fn close_abandoned(&mut self, before: f64) {
        let abandoned: Vec<SpanId> = self
            .open_spans
            .iter()
            .filter(|(_, span)| span.started_at < before)
            .map(|(id, _)| *id)
            .collect();
        let ended_at = now();
        for id in abandoned {
            let Some(span) = self.open_spans.remove(&id) else {
                continue;
            };
            self.open_bytes -= footprint::of_open_span(&span);
            self.ended_traces.push(id, span.link.trace_id);
            let open_for = ended_at - span.started_at;
            let function = FunctionEvent {
                ended_at: ended_at.max(span.started_at),
                span,
                result: None,
                error: Some(
                    format!(
                        "AbandonedSpan: still open after {open_for:.0} s, longer than \
                         max_span_age_seconds; closed by aiobs"
                    )
                    .into(),
                ),
                enh_prompt_id: None,
            };
            self.queued_bytes += footprint::of_function(&function);
            self.functions.push(function);
            self.totals.spans_abandoned += 1;
            self.unwritten_drops.spans_abandoned += 1;
        }
    }

    /// Everything the memory bound counts: queued and in-flight events, open spans, sessions.
    pub(crate) fn bytes_held(&self) -> usize {
        self.queued_bytes + self.in_flight_bytes + self.open_bytes + self.session_bytes
    }

    fn active_session_id(&self) -> Result<SessionId> {
        self.active.clone().ok_or_else(Error::no_session)
    }

    pub(crate) fn session_mut(&mut self, id: &SessionId) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .find(|s| crate::event::same_session(&s.id, id))
    }

    /// The trace of a span that is open or ended recently.
    fn trace_of(&mut self, span: SpanId) -> Option<TraceId> {
        self.open_spans
            .get(&span)
            .map(|open| open.link.trace_id)
            .or_else(|| self.ended_traces.get(span))
            .or_else(|| self.ended_traces_before_last_flush.get(span))
    }

    /// Children inherit their parent's trace id; a root starts a trace of its own.
    fn link(&mut self, parent: Parent, span_id: SpanId, trace_id: Option<TraceId>) -> SpanLink {
        let (parent_span_id, parent_trace) = match parent {
            Parent::Root => (None, None),
            Parent::InnermostOnThread => {
                match thread_spans::innermost(|s| self.open_spans.contains_key(&s)) {
                    Some((span, trace)) => (Some(span), Some(trace)),
                    None => (None, None),
                }
            }
            Parent::Explicit(id) => (Some(id), self.trace_of(id)),
        };
        SpanLink {
            span_id,
            parent_span_id,
            trace_id: trace_id.or(parent_trace).unwrap_or_else(TraceId::random),
        }
    }
}
