//! `aiobs tree`: the trace forest drawn with box-drawing characters, one block per session,
//! each span with its duration, tokens and error.

use crate::dataset::{Dataset, Span};
use crate::format;
use crate::model::{Session, SpanKind};
use crate::trace::{Anomaly, MAX_DEPTH, Visit};

const ERROR_WIDTH: usize = 80;

/// Which traces to draw; all of them by default.
#[derive(Default)]
pub struct Filter {
    /// A session id, its first characters (at least 4), or its name.
    pub session: Option<String>,
    /// A trace id, or the span id of any span of the trace.
    pub trace: Option<String>,
    /// Only traces with a failed call or function.
    pub errors: bool,
}

impl Filter {
    fn is_set(&self) -> bool {
        self.session.is_some() || self.trace.is_some() || self.errors
    }

    fn session_matches(&self, session: Option<&Session<'_>>, session_id: &str) -> bool {
        let Some(wanted) = self.session.as_deref() else {
            return true;
        };
        session_id == wanted
            || (wanted.len() >= 4 && session_id.starts_with(wanted))
            || session.is_some_and(|s| s.name == wanted)
    }

    fn trace_matches(&self, dataset: &Dataset<'_>, root: usize) -> bool {
        if self.trace.is_none() && !self.errors {
            return true;
        }
        let (mut trace, mut errors) = (self.trace.is_none(), !self.errors);
        dataset.forest.walk(root, |visit| {
            let event = &dataset.spans[visit.span].event;
            let wanted = self.trace.as_deref();
            trace |= wanted.is_some()
                && (event.trace_id.as_deref() == wanted || event.span_id.as_deref() == wanted);
            errors |= event.error.is_some();
        });
        trace && errors
    }
}

pub fn render(dataset: &Dataset<'_>, filter: &Filter) -> String {
    if dataset.spans.is_empty() {
        return format!("{} session(s), no spans\n", dataset.sessions.len());
    }
    // Roots grouped by session, sessions in file order; spans of unlisted sessions last.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); dataset.sessions.len() + 1];
    for &root in &dataset.forest.roots {
        let session_id = &dataset.spans[root].event.session_id;
        let position = dataset.session_position(session_id);
        let session = position.map(|p| &dataset.sessions[p]);
        if filter.session_matches(session, session_id) && filter.trace_matches(dataset, root) {
            groups[position.unwrap_or(dataset.sessions.len())].push(root);
        }
    }
    if filter.is_set() && groups.iter().all(Vec::is_empty) {
        return "no trace matches the filter\n".to_string();
    }
    let mut out = String::new();
    for (position, roots) in groups.iter().enumerate() {
        if filter.is_set() && roots.is_empty() {
            continue;
        }
        if !out.is_empty() && (position < dataset.sessions.len() || !roots.is_empty()) {
            out.push('\n');
        }
        if let Some(session) = dataset.sessions.get(position) {
            out += &session_heading(session);
        } else if !roots.is_empty() {
            out += "Spans of sessions missing from the sessions list\n";
        }
        for (k, &root) in roots.iter().enumerate() {
            draw_trace(dataset, root, k + 1 == roots.len(), &mut out);
        }
        if position < dataset.sessions.len() && roots.is_empty() {
            out += "└── (no spans)\n";
        }
    }
    out
}

fn session_heading(session: &Session<'_>) -> String {
    let labels: Vec<String> = session
        .user_labels()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let status = match session.ended_at {
        Some(end) => format::duration_ms((end - session.started_at) * 1000.0),
        None => "open".to_string(),
    };
    let mut heading = format!(
        "Session {} ({}) started {} UTC, {status}",
        session.name,
        session.id,
        format::utc(session.started_at)
    );
    if !labels.is_empty() {
        heading += &format!("\n  labels: {}", labels.join(" "));
    }
    heading.push('\n');
    heading
}

/// Draws one trace. `ancestors_last[d]` says whether the ancestor at depth `d` was a last
/// child, which decides between `│   ` and `    ` in the indentation of its descendants.
fn draw_trace(dataset: &Dataset<'_>, root: usize, root_is_last: bool, out: &mut String) {
    let mut ancestors_last: Vec<bool> = Vec::new();
    dataset.forest.walk(root, |visit: Visit| {
        let last = if visit.depth == 0 {
            root_is_last
        } else {
            visit.last
        };
        ancestors_last.truncate(visit.depth);
        for &ancestor_last in &ancestors_last {
            out.push_str(if ancestor_last { "    " } else { "│   " });
        }
        out.push_str(if last { "└── " } else { "├── " });
        let span = &dataset.spans[visit.span];
        out.push_str(&describe(span, dataset.forest.anomaly[visit.span]));
        if visit.depth == 0 {
            if dataset.forest.depth_cut.contains(&visit.span) {
                out.push_str(&format!("  [continued: deeper than {MAX_DEPTH} levels]"));
            }
            if let Some(trace_id) = &span.event.trace_id {
                out.push_str(&format!("  trace {trace_id}"));
            }
        }
        out.push('\n');
        ancestors_last.push(last);
    });
}

fn describe(span: &Span<'_>, anomaly: Option<Anomaly>) -> String {
    let event = &span.event;
    let mut line = match span.kind {
        SpanKind::Function => format!("fn {}", span.title()),
        SpanKind::Provider => match span.model() {
            Some(model) => format!("{} [{model}]", span.title()),
            None => span.title(),
        },
    };
    line += &format!("  {}", format::duration_ms(event.duration_ms));
    let tokens = &span.facts.tokens;
    if tokens.is_known() {
        line += &format!(
            "  tokens {} in / {} out",
            format::thousands(tokens.input.unwrap_or(0)),
            format::thousands(tokens.output.unwrap_or(0))
        );
    }
    if event.enh_prompt {
        match event.auto_enhance_after {
            Some(after) => line += &format!("  enh_prompt (auto after {after})"),
            None => line += "  enh_prompt",
        }
    }
    if let Some(error) = &event.error {
        line += &format!("  ERROR {}", format::one_line(error, ERROR_WIDTH));
    }
    match anomaly {
        Some(Anomaly::DuplicateSpanId) => line += "  [duplicate span id]",
        Some(Anomaly::ParentCycle) => line += "  [parent cycle cut here]",
        None => {}
    }
    line
}
