//! Strict JSON checking, for the values kept verbatim and written back into the export
//! (`request`, `response`, `args`, `kwargs`, `result`).
//!
//! serde_json's raw values check syntax but not what makes a file unreadable to others: a value
//! nested 200,000 deep, a lone surrogate escape (`"\ud800"`, which Python's strict mode, Go and
//! serde_json refuse once decoded) or a number beyond the range of a double (`1e400`). One pass
//! here checks all of that and the grammar of RFC 8259 as serde_json reads it.
//!
//! The depth limit is [`MAX_DEPTH`] levels of arrays and objects inside one value. The export
//! puts a value 3 levels down (document, `events`, event) and the trace tree 2 more per span it
//! is nested under; serde_json's default reader stops at 128 levels in all, so 64 leaves room
//! for values under 30 nested spans, the depth where the export cuts its trace tree
//! (`export::tree::WRITTEN_DEPTH`).

/// The deepest nesting of arrays and objects one JSON value may have.
pub const MAX_DEPTH: usize = 64;

// The open containers are one bit each (1 = object) in a u64.
const _: () = assert!(MAX_DEPTH <= 64);

/// What makes a text unacceptable, and the byte offset where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub kind: ProblemKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Syntax(&'static str),
    TooDeep,
    LoneSurrogate,
    NumberOutOfRange,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = self.offset;
        match self.kind {
            ProblemKind::Syntax(expected) => write!(f, "invalid JSON at byte {at}: {expected}"),
            ProblemKind::TooDeep => write!(
                f,
                "nested deeper than {MAX_DEPTH} levels of arrays and objects (at byte {at})"
            ),
            ProblemKind::LoneSurrogate => write!(
                f,
                "lone surrogate escape at byte {at}: a \\ud800-\\udfff escape must be a high one followed by a low one"
            ),
            ProblemKind::NumberOutOfRange => {
                write!(f, "number at byte {at} is beyond the range of a double")
            }
        }
    }
}

/// Checks that `text` is one JSON value (surrounded by optional whitespace) that every strict
/// reader takes: valid grammar, at most [`MAX_DEPTH`] levels, no lone surrogate escapes, every
/// number within the range of a double.
pub fn check(text: &str) -> Result<(), Problem> {
    Scanner {
        bytes: text.as_bytes(),
        at: 0,
    }
    .value_document()
}

/// [`check`] for a caller's input named `what` (e.g. `event_json.request`): a problem is
/// `InvalidJson` with a message that names the input.
pub fn check_input(what: &str, text: &str) -> crate::Result<()> {
    check(text).map_err(|problem| {
        crate::Error::new(crate::ErrorKind::InvalidJson, format!("{what}: {problem}"))
    })
}

/// Walks the members of the JSON object `text` (between optional whitespace) in one pass,
/// checking each value as [`check`] does, its depth counted from the value itself. `visit`
/// gets each key (decoded) and the value's text. A problem inside a value is `InvalidJson`
/// naming `what.key`; a text that is JSON but no object is `InvalidArgument`.
pub fn members<'t>(
    what: &str,
    text: &'t str,
    mut visit: impl FnMut(&str, &'t str) -> crate::Result<()>,
) -> crate::Result<()> {
    walk_members(what, text, &mut |key, member| visit(key, member.text()?))
}

/// [`members`], with each value handed over unread: the visitor takes it as text
/// ([`Member::text`]) or walks an object value member by member ([`Member::object_or_null`]),
/// so that a nested object is read once, not once as text and again as members. A value the
/// visitor leaves unread is checked all the same.
pub fn walk_members<'t>(
    what: &str,
    text: &'t str,
    visit: &mut impl FnMut(&str, Member<'_, 't>) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    scanner.skip_whitespace();
    if scanner.peek() != Some(b'{') {
        check(text).map_err(|problem| invalid_json(what, problem))?;
        return Err(crate::Error::invalid(format!(
            "{what} must be a JSON object"
        )));
    }
    scanner.at += 1;
    scanner.members(text, what, MAX_DEPTH, visit)?;
    scanner.skip_whitespace();
    match scanner.peek() {
        None => Ok(()),
        Some(_) => Err(invalid_json(
            what,
            Problem {
                offset: scanner.at,
                kind: ProblemKind::Syntax(TRAILING),
            },
        )),
    }
}

// The error paths are cold and out of line, so the scanning paths keep a small frame.
#[cold]
#[inline(never)]
fn invalid_json(what: &str, problem: Problem) -> crate::Error {
    crate::Error::new(crate::ErrorKind::InvalidJson, format!("{what}: {problem}"))
}

/// [`invalid_json`] for the member `what.key`.
#[cold]
#[inline(never)]
fn invalid_member(what: &str, key: &str, problem: Problem) -> crate::Error {
    invalid_json(&format!("{what}.{key}"), problem)
}

/// A member's value that [`walk_members`] has not read yet.
pub struct Member<'s, 't> {
    scanner: &'s mut Scanner<'t>,
    text: &'t str,
    /// `what.key`'s two parts, for messages.
    what: &'s str,
    key: &'s str,
    /// Levels of arrays and objects the value may still open.
    depth_left: usize,
}

impl<'t> Member<'_, 't> {
    /// The value's text, checked as [`check`] does.
    #[inline]
    pub fn text(self) -> crate::Result<&'t str> {
        let start = self.scanner.at;
        self.scanner
            .value_within(self.depth_left)
            .map_err(|problem| invalid_member(self.what, self.key, problem))?;
        Ok(&self.text[start..self.scanner.at])
    }

    /// An object value walked member by member (its members named `what.key` in messages),
    /// or `null`; returns the object's text. Any other value is `InvalidArgument`.
    pub fn object_or_null(
        self,
        what: &str,
        visit: &mut impl FnMut(&str, Member<'_, 't>) -> crate::Result<()>,
    ) -> crate::Result<Option<&'t str>> {
        if self.is_object() {
            return self.walk_object(what, visit).map(Some);
        }
        match self.text()? {
            "null" => Ok(None),
            _ => Err(crate::Error::invalid(format!(
                "{what} must be a JSON object"
            ))),
        }
    }

    /// The value's text, any value; an object is walked member by member on the way, as
    /// [`Member::object_or_null`] walks it.
    pub fn object_or_text(
        self,
        what: &str,
        visit: &mut impl FnMut(&str, Member<'_, 't>) -> crate::Result<()>,
    ) -> crate::Result<&'t str> {
        if self.is_object() {
            self.walk_object(what, visit)
        } else {
            self.text()
        }
    }

    /// An object value written exactly as `{"k1":v1,"k2":v2,...}`: the keys of `keys` in that
    /// order, no whitespace, each value a string or a number. Returns its text, with each value's
    /// checked text in `values`; for any other value (or a problem in it) reads nothing and
    /// returns `None`, and the caller walks the value member by member, which also words the
    /// problem. Reading a form the caller's own bindings write this way skips what a walk costs
    /// per member.
    pub fn flat_object(&mut self, keys: &[&str], values: &mut [&'t str]) -> Option<&'t str> {
        let start = self.scanner.at;
        let text = self.read_flat_object(keys, values);
        if text.is_none() {
            self.scanner.at = start;
        }
        text
    }

    fn read_flat_object(&mut self, keys: &[&str], values: &mut [&'t str]) -> Option<&'t str> {
        let scanner = &mut *self.scanner;
        let bytes = scanner.bytes;
        let start = scanner.at;
        if self.depth_left == 0 {
            return None;
        }
        let mut opening = b'{';
        for (key, value) in keys.iter().zip(values.iter_mut()) {
            let key = key.as_bytes();
            let written = bytes.get(scanner.at..scanner.at + key.len() + 4)?;
            let (head, rest) = written.split_at(2);
            let (name, tail) = rest.split_at(key.len());
            // Byte by byte: a key is a few bytes, less than a call to compare them costs.
            if head != [opening, b'"']
                || tail != b"\":"
                || !name
                    .iter()
                    .zip(key)
                    .all(|(written, wanted)| written == wanted)
            {
                return None;
            }
            scanner.at += written.len();
            let value_start = scanner.at;
            match scanner.peek() {
                Some(b'"') => drop(scanner.string().ok()?),
                Some(b'-' | b'0'..=b'9') => scanner.number().ok()?,
                _ => return None,
            }
            *value = &self.text[value_start..scanner.at];
            opening = b',';
        }
        if scanner.peek() != Some(b'}') {
            return None;
        }
        scanner.at += 1;
        Some(&self.text[start..scanner.at])
    }

    /// An object value written as bindings write response headers, `{"n1":"v1","n2":["v2"]}`:
    /// no whitespace, each value a string or an array of one string, no string holding an
    /// escape. Each name and value (without their quotes) goes to `visit` with `state`, then
    /// `finish` sees `state`. Any other value, or `finish` returning false, reads nothing and
    /// returns `None` (what `visit` did to `state` stays), and the caller walks the value
    /// member by member (which also words a problem). Such strings need no decoding, and the
    /// object no walk.
    pub fn plain_string_object<S>(
        &mut self,
        state: &mut S,
        visit: impl Fn(&mut S, &'t str, &'t str),
        finish: impl FnOnce(&mut S) -> bool,
    ) -> Option<&'t str> {
        let bytes = self.scanner.bytes;
        let start = self.scanner.at;
        // The object and an array in it.
        if self.depth_left < 2 || bytes.get(start) != Some(&b'{') {
            return None;
        }
        // The plain string opening at `at` (without its quotes), and where the scan goes on.
        let string = |at: usize| -> Option<(&'t str, usize)> {
            let after = plain_string_end(bytes, at)?;
            Some((&self.text[at + 1..after - 1], after))
        };
        let mut at = start + 1;
        if bytes.get(at) == Some(&b'}') {
            at += 1;
        } else {
            loop {
                let (name, after) = string(at)?;
                if bytes.get(after) != Some(&b':') {
                    return None;
                }
                at = after + 1;
                let in_array = bytes.get(at) == Some(&b'[');
                let (value, after) = string(at + usize::from(in_array))?;
                at = after;
                if in_array {
                    if bytes.get(at) != Some(&b']') {
                        return None;
                    }
                    at += 1;
                }
                visit(state, name, value);
                match bytes.get(at) {
                    Some(b',') => at += 1,
                    Some(b'}') => {
                        at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        if !finish(state) {
            return None;
        }
        self.scanner.at = at;
        Some(&self.text[start..at])
    }

    /// Whether the value is an object that may still open a level.
    fn is_object(&self) -> bool {
        self.scanner.peek() == Some(b'{') && self.depth_left > 0
    }

    fn walk_object(
        self,
        what: &str,
        visit: &mut impl FnMut(&str, Member<'_, 't>) -> crate::Result<()>,
    ) -> crate::Result<&'t str> {
        let start = self.scanner.at;
        self.scanner.at += 1;
        self.scanner
            .members(self.text, what, self.depth_left - 1, visit)?;
        Ok(&self.text[start..self.scanner.at])
    }
}

/// Each string of `token`, checked JSON that should be an array of strings, decoded as
/// [`string_value`] decodes it; `None` (after the strings before) when it is anything else.
pub fn for_each_string<'t>(
    token: &'t str,
    mut each: impl FnMut(std::borrow::Cow<'t, str>),
) -> Option<()> {
    if let Some(value) = one_plain_string(token) {
        each(std::borrow::Cow::Borrowed(value));
        return Some(());
    }
    let mut scanner = Scanner {
        bytes: token.as_bytes(),
        at: 0,
    };
    if scanner.peek() != Some(b'[') {
        return None;
    }
    scanner.at += 1;
    scanner.skip_whitespace();
    if scanner.peek() != Some(b']') {
        loop {
            let start = scanner.at;
            if scanner.peek() != Some(b'"') {
                return None;
            }
            scanner.string().ok()?;
            each(string_value(&token[start..scanner.at])?);
            scanner.skip_whitespace();
            match scanner.peek() {
                Some(b',') => {
                    scanner.at += 1;
                    scanner.skip_whitespace();
                }
                Some(b']') => break,
                _ => return None,
            }
        }
    }
    (scanner.at + 1 == token.len()).then_some(())
}

/// The string of an array that holds one string with no quote, backslash or control byte
/// (most header values), as it is. The string scan finds that out for short values at the cost
/// of a block or two, where memchr's setup cost more.
fn one_plain_string(token: &str) -> Option<&str> {
    let bytes = token.as_bytes();
    let plain = bytes.first() == Some(&b'[')
        && plain_string_end(bytes, 1).is_some_and(|after| after + 1 == bytes.len())
        && bytes.last() == Some(&b']');
    // The two ends are ASCII, so the slice falls on character boundaries.
    plain.then(|| &token[2..token.len() - 2])
}

/// Just past the closing quote of the string opening at `at` when it holds no quote, backslash
/// or control byte (a plain string, the same text decoded or not); `None` for anything else.
fn plain_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let end = skip_plain(bytes, at + 1);
    (bytes.get(end) == Some(&b'"')).then_some(end + 1)
}

/// The text of a JSON string token that [`check`] or [`members`] took (quotes included):
/// borrowed unless it holds escapes; `None` when the token is no string.
pub fn string_value(token: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    // No early exit: the loop is vectorised, and most strings are short and hold no escape.
    let escaped = inner
        .bytes()
        .fold(false, |found, byte| found | (byte == b'\\'));
    if escaped {
        serde_json::from_str(token)
            .ok()
            .map(std::borrow::Cow::Owned)
    } else {
        Some(std::borrow::Cow::Borrowed(inner))
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

const EXPECTED_VALUE: &str = "expected a value";
const EXPECTED_KEY: &str = "expected a string key";
const EXPECTED_COLON: &str = "expected ':'";
const EXPECTED_AFTER_MEMBER: &str = "expected ',' or '}'";
const EXPECTED_AFTER_ELEMENT: &str = "expected ',' or ']'";
const TRAILING: &str = "unexpected characters after the value";

impl<'a> Scanner<'a> {
    fn fail<T>(&self, kind: ProblemKind) -> Result<T, Problem> {
        Err(Problem {
            offset: self.at,
            kind,
        })
    }

    fn syntax<T>(&self, expected: &'static str) -> Result<T, Problem> {
        self.fail(ProblemKind::Syntax(expected))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// The whole text: one value between optional whitespace.
    fn value_document(mut self) -> Result<(), Problem> {
        self.skip_whitespace();
        self.value()?;
        self.skip_whitespace();
        match self.peek() {
            None => Ok(()),
            Some(_) => self.syntax(TRAILING),
        }
    }

    /// From just after an object's `{` to just after its `}`: each member's key decoded and its
    /// value handed to `visit` unread (checked here if `visit` leaves it), values opening at most
    /// `depth_left` levels.
    fn members(
        &mut self,
        text: &'a str,
        what: &str,
        depth_left: usize,
        visit: &mut impl FnMut(&str, Member<'_, 'a>) -> crate::Result<()>,
    ) -> crate::Result<()> {
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key_start = self.at;
            let (key_end, escaped) = self.key().map_err(|problem| invalid_json(what, problem))?;
            let token = &text[key_start..key_end];
            let key = if escaped {
                string_value(token).unwrap_or_default()
            } else {
                std::borrow::Cow::Borrowed(&token[1..token.len() - 1])
            };
            let start = self.at;
            visit(
                &key,
                Member {
                    scanner: self,
                    text,
                    what,
                    key: &key,
                    depth_left,
                },
            )?;
            // Every value takes at least one byte: none taken means the visitor left it unread.
            if self.at == start {
                self.value_within(depth_left)
                    .map_err(|problem| invalid_member(what, &key, problem))?;
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.at += 1;
                    self.skip_whitespace();
                }
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(invalid_json(what, self.problem(EXPECTED_AFTER_MEMBER))),
            }
        }
    }

    fn problem(&self, expected: &'static str) -> Problem {
        Problem {
            offset: self.at,
            kind: ProblemKind::Syntax(expected),
        }
    }

    fn value(&mut self) -> Result<(), Problem> {
        self.value_within(MAX_DEPTH)
    }

    /// One value from the scanner's position, iteratively (no recursion, whatever the depth),
    /// opening at most `max_depth` levels; stops right after it.
    #[inline(always)]
    fn value_within(&mut self, max_depth: usize) -> Result<(), Problem> {
        // Most values are a string or a number, and most arrays hold one string (a header's
        // values, a traced function's one argument): those skip the containers' loop.
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') if max_depth > 0 && self.bytes.get(self.at + 1) == Some(&b'"') => {
                let start = self.at;
                self.at += 1;
                self.string()?;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                self.at = start;
                self.nested_value_within(max_depth)
            }
            _ => self.nested_value_within(max_depth),
        }
    }

    /// [`Scanner::value_within`] for any value, containers included.
    #[inline(never)]
    fn nested_value_within(&mut self, max_depth: usize) -> Result<(), Problem> {
        // Bit i of `objects` says whether the container at depth i+1 is an object.
        let mut objects: u64 = 0;
        let mut depth = 0usize;
        'value: loop {
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth == max_depth {
                        return self.fail(ProblemKind::TooDeep);
                    }
                    let is_object = open == b'{';
                    objects = objects << 1 | u64::from(is_object);
                    depth += 1;
                    self.at += 1;
                    self.skip_whitespace();
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.at += 1;
                        objects >>= 1;
                        depth -= 1;
                    } else if is_object {
                        self.key()?;
                        continue 'value;
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return self.syntax(EXPECTED_VALUE),
            }
            // After a value: close containers until one continues with a comma.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                self.skip_whitespace();
                let in_object = objects & 1 == 1;
                match (self.peek(), in_object) {
                    (Some(b','), _) => {
                        self.at += 1;
                        self.skip_whitespace();
                        if in_object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.at += 1;
                        objects >>= 1;
                        depth -= 1;
                    }
                    (_, true) => return self.syntax(EXPECTED_AFTER_MEMBER),
                    (_, false) => return self.syntax(EXPECTED_AFTER_ELEMENT),
                }
            }
        }
    }

    /// A member's key and its colon, leaving the scanner at the member's value; returns where
    /// the key's closing quote ends and whether the key holds an escape.
    #[inline(always)]
    fn key(&mut self) -> Result<(usize, bool), Problem> {
        if self.peek() != Some(b'"') {
            return self.syntax(EXPECTED_KEY);
        }
        let escaped = self.string()?;
        let key_end = self.at;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return self.syntax(EXPECTED_COLON);
        }
        self.at += 1;
        self.skip_whitespace();
        Ok((key_end, escaped))
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Problem> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            self.syntax(EXPECTED_VALUE)
        }
    }

    /// A string from its opening quote. The text is valid UTF-8 already; what is left to check
    /// is control characters, escapes and surrogate pairs.
    /// Returns whether the string holds an escape (so that its text is not its value).
    #[inline(always)]
    fn string(&mut self) -> Result<bool, Problem> {
        self.at += 1;
        let mut escaped = false;
        loop {
            self.at = skip_plain(self.bytes, self.at);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?
                }
                Some(_) => return self.syntax("control character in a string"),
                None => return self.syntax("unterminated string"),
            }
        }
    }

    fn escape(&mut self) -> Result<(), Problem> {
        let start = self.at;
        match self.bytes.get(self.at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.at += 2;
                Ok(())
            }
            Some(b'u') => {
                let unit = self.hex4(self.at + 2)?;
                self.at += 6;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = (self.bytes.get(self.at..self.at + 2) == Some(b"\\u"))
                            .then(|| self.hex4(self.at + 2))
                            .transpose()?;
                        match low {
                            Some(0xDC00..=0xDFFF) => {
                                self.at += 6;
                                Ok(())
                            }
                            _ => Err(Problem {
                                offset: start,
                                kind: ProblemKind::LoneSurrogate,
                            }),
                        }
                    }
                    0xDC00..=0xDFFF => Err(Problem {
                        offset: start,
                        kind: ProblemKind::LoneSurrogate,
                    }),
                    _ => Ok(()),
                }
            }
            _ => self.syntax("invalid escape"),
        }
    }

    fn hex4(&self, from: usize) -> Result<u32, Problem> {
        let digits = self.bytes.get(from..from + 4).ok_or(Problem {
            offset: self.at,
            kind: ProblemKind::Syntax("invalid \\u escape"),
        })?;
        let mut unit = 0;
        for &digit in digits {
            let value = char::from(digit).to_digit(16).ok_or(Problem {
                offset: self.at,
                kind: ProblemKind::Syntax("invalid \\u escape"),
            })?;
            unit = unit << 4 | value;
        }
        Ok(unit)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, whose value must be a finite double.
    /// Most numbers are short and have no exponent: such a number fits a double when its integer
    /// part has at most 308 digits, which is checked here; the rest (and every mistake) take
    /// [`Scanner::any_number`].
    #[inline]
    fn number(&mut self) -> Result<(), Problem> {
        let bytes = self.bytes;
        let int_start = self.at + usize::from(bytes.get(self.at) == Some(&b'-'));
        let mut at = match bytes.get(int_start) {
            Some(b'0') => int_start + 1,
            Some(b'1'..=b'9') => skip_digits(bytes, int_start + 1),
            _ => return self.any_number(),
        };
        let int_digits = at - int_start;
        if bytes.get(at) == Some(&b'.') {
            let fraction = at + 1;
            at = skip_digits(bytes, fraction);
            if at == fraction {
                return self.any_number();
            }
        }
        match bytes.get(at) {
            Some(b'e' | b'E') => self.any_number(),
            _ if int_digits <= 308 => {
                self.at = at;
                Ok(())
            }
            _ => self.any_number(),
        }
    }

    /// [`Scanner::number`] for any number, from its first byte.
    #[inline(never)]
    fn any_number(&mut self) -> Result<(), Problem> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        // The decimal exponent of the first significant digit, found without parsing.
        let mut magnitude: i64 = 0;
        let mut significant = false;
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                let digits = self.digits();
                magnitude = digits as i64 - 1;
                significant = true;
            }
            _ => return self.syntax("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            let fraction = self.at;
            if self.digits() == 0 {
                return self.syntax("invalid number");
            }
            if !significant
                && let Some(first) = self.bytes[fraction..self.at]
                    .iter()
                    .position(|&d| d != b'0')
            {
                magnitude = -(first as i64) - 1;
                significant = true;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            let negative = match self.peek() {
                Some(b'-') => {
                    self.at += 1;
                    true
                }
                Some(b'+') => {
                    self.at += 1;
                    false
                }
                _ => false,
            };
            let digits = self.at;
            if self.digits() == 0 {
                return self.syntax("invalid number");
            }
            let exponent = self.bytes[digits..self.at]
                .iter()
                .fold(0i64, |e, &d| (e * 10 + i64::from(d - b'0')).min(1_000_000));
            magnitude += if negative { -exponent } else { exponent };
        }
        // f64 reaches 1.797...e308: below 10^308 every number fits, from 10^309 none does, and
        // in between only parsing tells.
        let fits = !significant
            || magnitude < 308
            || (magnitude == 308
                && std::str::from_utf8(&self.bytes[start..self.at])
                    .ok()
                    .and_then(|text| text.parse::<f64>().ok())
                    .is_some_and(f64::is_finite));
        if fits {
            Ok(())
        } else {
            Err(Problem {
                offset: start,
                kind: ProblemKind::NumberOutOfRange,
            })
        }
    }

    /// Skips ASCII digits and says how many.
    fn digits(&mut self) -> usize {
        let start = self.at;
        self.at = skip_digits(self.bytes, start);
        self.at - start
    }
}

/// The first byte at or after `at` that is no ASCII digit, or the end.
#[inline(always)]
fn skip_digits(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The first byte at or after `at` that is a quote, a backslash or a control character, or the
/// end. On x86_64 sixteen bytes are tested at once with SSE2 (through `safe_arch`: the crate
/// holds no `unsafe` outside `src/ffi`), elsewhere eight at a time in a register (the `swar`
/// module). Keys and names end within the first sixteen, inline; a longer string
/// (a prompt, an answer) goes on in [`skip_long_plain`].
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn skip_plain(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at..at + 16) {
        Some(block) => match sse2::stops(block.try_into().expect("sixteen bytes")) {
            0 => skip_long_plain(bytes, at + 16),
            stops => at + stops.trailing_zeros() as usize,
        },
        None => skip_last_block(bytes, at),
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use swar::skip_plain;

/// [`skip_plain`] past its first sixteen bytes: seven more blocks of sixteen, then memchr's
/// vectorised search for the two delimiters, with the control-character test over the run it
/// skipped a loop the compiler vectorises. Over a string's first 128 bytes the blocks cost less
/// than memchr's setup; past them memchr's wider search (32 bytes with AVX2) costs less per byte.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(never)]
fn skip_long_plain(bytes: &[u8], mut at: usize) -> usize {
    const BLOCKS_BEFORE_MEMCHR: usize = 7;
    for _ in 0..BLOCKS_BEFORE_MEMCHR {
        let Some(block) = bytes.get(at..at + 16) else {
            return skip_last_block(bytes, at);
        };
        match sse2::stops(block.try_into().expect("sixteen bytes")) {
            0 => at += 16,
            stops => return at + stops.trailing_zeros() as usize,
        }
    }
    skip_run(bytes, at)
}

/// [`skip_plain`] within the text's last sixteen bytes: the block that ends the text, without
/// the flags of bytes before `at`. (A text under sixteen bytes is read byte by byte.)
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn skip_last_block(bytes: &[u8], at: usize) -> usize {
    let Some(start) = bytes.len().checked_sub(16) else {
        return skip_short_plain(bytes, at);
    };
    let block = bytes[start..].try_into().expect("sixteen bytes");
    match sse2::stops(block) >> (at - start) {
        0 => bytes.len(),
        stops => at + stops.trailing_zeros() as usize,
    }
}

/// What is left of the text from `at` on, byte by byte.
fn skip_short_plain(bytes: &[u8], at: usize) -> usize {
    at + bytes[at..]
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .unwrap_or(bytes.len() - at)
}

/// memchr's search for the two delimiters, then the control-character test over the run it
/// skipped (a loop the compiler vectorises).
fn skip_run(bytes: &[u8], at: usize) -> usize {
    let rest = &bytes[at..];
    let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    let run = &rest[..end];
    let has_control = run.iter().fold(false, |found, &byte| found | (byte < 0x20));
    if has_control {
        at + run.iter().position(|&byte| byte < 0x20).unwrap_or(end)
    } else {
        at + end
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, max_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    /// Bit i set when byte i of `block` is a quote, a backslash or a control character.
    #[inline(always)]
    pub fn stops(block: &[u8; 16]) -> u32 {
        let bytes = load_unaligned_m128i(block);
        let quote = cmp_eq_mask_i8_m128i(bytes, set_splat_i8_m128i(b'"' as i8));
        let backslash = cmp_eq_mask_i8_m128i(bytes, set_splat_i8_m128i(b'\\' as i8));
        // A byte is below 0x20 when the larger of it and 0x1f (unsigned) is 0x1f.
        let highest_control = set_splat_i8_m128i(0x1f);
        let control = cmp_eq_mask_i8_m128i(max_u8_m128i(bytes, highest_control), highest_control);
        move_mask_i8_m128i(bitor_m128i(bitor_m128i(quote, backslash), control)) as u32
    }
}

/// The scan eight bytes at a time in a register, for machines without SSE2 (and for the test
/// that checks the two agree).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
mod swar {
    use super::{skip_run, skip_short_plain};

    /// [`super::skip_plain`] with words of eight bytes: four, then [`skip_run`].
    pub fn skip_plain(bytes: &[u8], mut at: usize) -> usize {
        const WORDS_BEFORE_MEMCHR: usize = 4;
        for _ in 0..WORDS_BEFORE_MEMCHR {
            let Some(chunk) = bytes.get(at..at + 8) else {
                return skip_short_plain(bytes, at);
            };
            let flags = stop_flags(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
            if flags != 0 {
                return at + (flags.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        skip_run(bytes, at)
    }

    /// The high bit of each byte of `word` (little-endian) that may be a quote, a backslash or
    /// a control character; the lowest flag is exact, which is the only one used.
    #[inline(always)]
    fn stop_flags(word: u64) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (after the xor) or below 0x20.
        (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | word.wrapping_sub(ONES * 0x20) & !word)
            & HIGHS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<ProblemKind> {
        check(text).err().map(|problem| problem.kind)
    }

    #[test]
    fn accepts_what_strict_readers_accept() {
        for text in [
            "0",
            "-0",
            " 1.5e-3 ",
            "1E+2",
            "-1.25e308",
            "1e-999999",
            "0.0000e999999",
            "1.7976931348623157e308",
            "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "0.00001e310",
            r#""""#,
            r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 é""#,
            "[]",
            "{}",
            r#"{"a":[1,{"b":null}],"c":true,"d":false}"#,
            "\t[ 1 , 2 ]\r\n",
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn refuses_lone_surrogates_huge_numbers_and_depth() {
        for text in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            r#"["\uDBFF\uDBFF"]"#,
        ] {
            assert_eq!(kind(text), Some(ProblemKind::LoneSurrogate), "{text}");
        }
        for text in [
            "1e400",
            "-1e309",
            "1.8e308",
            "10e308",
            "1e99999999999999999999999",
            "[0.1e310]",
        ] {
            assert_eq!(kind(text), Some(ProblemKind::NumberOutOfRange), "{text}");
        }
        // Integers too long for a double, with and without a fraction or a sign.
        for text in [
            format!("2{}", "0".repeat(308)),
            format!("-1{}", "0".repeat(309)),
            format!("[1{}.5]", "0".repeat(400)),
        ] {
            assert_eq!(kind(&text), Some(ProblemKind::NumberOutOfRange), "{text}");
        }
        for text in [
            format!("9{}", "9".repeat(307)),
            format!("-1{}.25", "0".repeat(308)),
            format!("0.{}1", "0".repeat(400)),
        ] {
            assert_eq!(check(&text), Ok(()), "{text}");
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(check(&deep(MAX_DEPTH)), Ok(()));
        assert_eq!(kind(&deep(MAX_DEPTH + 1)), Some(ProblemKind::TooDeep));
        assert_eq!(kind(&deep(200_000)), Some(ProblemKind::TooDeep));
        let objects = format!(
            "{}1{}",
            r#"{"a":"#.repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(kind(&objects), Some(ProblemKind::TooDeep));
    }

    /// Every string-scanning path (SSE2 blocks, the memchr run, the text's last block, a text
    /// under sixteen bytes) finds what the eight-byte scan finds, and what the plain byte loop
    /// finds: the first of several stops, from any start up to the text's end.
    #[test]
    fn string_scans_agree() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        // Bytes that are no stop, the high ones included (0x80 and up, negative as signed).
        let fillers: Vec<u8> = (0x20..=0xff).filter(|&b| b != b'"' && b != b'\\').collect();
        let stops = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        for _ in 0..50_000 {
            let len = next(320);
            let mut bytes: Vec<u8> = (0..len).map(|_| fillers[next(fillers.len())]).collect();
            for _ in 0..next(4) {
                if len > 0 {
                    bytes[next(len)] = stops[next(stops.len())];
                }
            }
            let at = next(len + 1);
            // The byte loop the scans fall back to near a text's end is the reference.
            let expected = skip_short_plain(&bytes, at);
            assert_eq!(skip_plain(&bytes, at), expected, "{bytes:?} from {at}");
            assert_eq!(
                swar::skip_plain(&bytes, at),
                expected,
                "{bytes:?} from {at}"
            );
        }
    }

    /// What [`Member::plain_string_object`] reads of `{"h":<object>}`'s value: the pairs it
    /// visited and where the scan went on, or `None`.
    fn plain_pairs(object: &str, accept: bool) -> Option<(Vec<(String, String)>, String)> {
        let text = format!(r#"{{"h":{object},"next":1}}"#);
        let mut read = None;
        // The walk refuses what is not JSON; what the fast path read before that is the point.
        let _ = walk_members("t", &text, &mut |key, mut member| {
            if key == "h" {
                let mut pairs = Vec::new();
                let visit = |pairs: &mut Vec<(String, String)>, name: &str, value: &str| {
                    pairs.push((name.to_owned(), value.to_owned()))
                };
                let object = member.plain_string_object(&mut pairs, visit, |_| accept);
                read = object.map(|object| (pairs, object.to_owned()));
            }
            Ok(())
        });
        read
    }

    #[test]
    fn plain_string_objects_are_read_and_anything_else_left_to_the_walk() {
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let long = "v".repeat(40);
        let object = format!(r#"{{"A":"1","b":["{long}"],"É":"ü","":""}}"#);
        let (pairs, text) = plain_pairs(&object, true).unwrap();
        assert_eq!(text, object);
        assert_eq!(
            pairs,
            [
                pair("A", "1"),
                pair("b", &long),
                pair("É", "ü"),
                pair("", "")
            ]
        );
        assert_eq!(plain_pairs("{}", true).unwrap(), (vec![], "{}".to_owned()));
        // `finish` refusing leaves the value to the walk, which then checks it.
        assert_eq!(plain_pairs(r#"{"a":"1"}"#, false), None);
        for other in [
            r#"{"a":"1" }"#,
            r#"{ "a":"1"}"#,
            r#"{"a": "1"}"#,
            r#"{"a":"q\"uote"}"#,
            r#"{"a\u0041":"1"}"#,
            r#"{"a":["1","2"]}"#,
            r#"{"a":[]}"#,
            r#"{"a":["1" ]}"#,
            r#"{"a":1}"#,
            r#"{"a":null}"#,
            r#"{"a":{"b":"c"}}"#,
            "{\"a\":\"1\u{1}\"}",
            r#"{"a":"1","#,
            r#"{"a":"1""#,
            r#"{"a":"#,
            "[\"a\"]",
            "\"a\"",
            "null",
        ] {
            assert_eq!(plain_pairs(other, true), None, "{other}");
        }
    }

    #[test]
    fn one_plain_string_is_taken_whatever_its_length() {
        // Values ending within the first block, just past it, in the last block of a longer
        // text and past the blocks (memchr's part), each plain and with a stop inside.
        for len in [0, 1, 14, 15, 16, 17, 31, 32, 33, 127, 128, 129, 200, 1000] {
            let plain = "v".repeat(len);
            let token = format!("[\"{plain}\"]");
            assert_eq!(one_plain_string(&token), Some(plain.as_str()), "{len}");
            for stop in ["\\\"", "\\\\", "\",\""] {
                for at in [0, len / 2, len] {
                    let value = format!("{}{stop}{}", &plain[..at], &plain[at..]);
                    let token = format!("[\"{value}\"]");
                    assert_eq!(one_plain_string(&token), None, "{token}");
                }
            }
            // Not checked JSON: a control byte is no plain string either.
            assert_eq!(one_plain_string(&format!("[\"{plain}\n\"]")), None, "{len}");
        }
        for token in [
            "[]",
            "[\"]",
            "\"a\"",
            "[\"a\",\"b\"]",
            "[ \"a\"]",
            "[\"a\" ]",
            "[\"\\u00e9\"]",
        ] {
            assert_eq!(one_plain_string(token), None, "{token}");
        }
        assert_eq!(one_plain_string("[\"é\"]"), Some("é"));
    }

    #[test]
    fn refuses_bad_grammar() {
        for text in [
            "",
            " ",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{1:2}",
            "{'a':1}",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "0x10",
            "tru",
            "nul",
            "True",
            "NaN",
            "Infinity",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"a\u{1}b\"",
            "\"tab\there\"",
            "1 2",
            "[1]]",
            "{}}",
            "[}",
            "{]",
            "\u{feff}1",
        ] {
            assert!(
                matches!(kind(text), Some(ProblemKind::Syntax(_))),
                "{text:?}: {:?}",
                check(text)
            );
        }
    }
}
