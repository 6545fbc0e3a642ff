//! Span, trace and enh_prompt ids.
//!
//! Span and trace ids use OpenTelemetry's format (16 and 32 lowercase hex digits) and are kept as
//! integers so that recording allocates nothing for them. They come from a per-thread PRNG seeded
//! once from the OS, because a system call per id would cost more than the rest of a record.

use std::cell::Cell;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub u64);

/// Aligned as a u64, not a u128: every span and call holds one, and 16-byte alignment would pad
/// the structs around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(Rust, packed(8))]
pub struct TraceId(pub u128);

thread_local! {
    static RNG_STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (bits as u64) ^ ((bits >> 64) as u64) | 1
}

/// Re-seeds the calling thread's generator: a forked child must not repeat its parent's ids.
/// (The child has only the thread that forked, so that one is all there is to re-seed.)
pub(crate) fn reseed() {
    RNG_STATE.with(|state| state.set(seed() ^ u64::from(std::process::id()).rotate_left(32)));
}

/// splitmix64: fast, passes BigCrush, and good enough for ids that only need to be unique.
fn next_u64() -> u64 {
    RNG_STATE.with(|state| {
        let mut z = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

impl SpanId {
    pub fn random() -> Self {
        loop {
            let id = next_u64();
            if id != 0 {
                return SpanId(id);
            }
        }
    }

    pub fn parse(text: &str, field: &str) -> Result<Self> {
        parse_hex(text, 16, field).map(|value| SpanId(value as u64))
    }

    /// The id as its 16 lowercase hex digits, without the formatting machinery.
    pub fn hex(self) -> [u8; 16] {
        let mut digits = [0; 16];
        for (i, digit) in digits.iter_mut().enumerate() {
            *digit = HEX_DIGITS[(self.0 >> (60 - 4 * i)) as usize & 0xf];
        }
        digits
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The value of each lowercase hex digit; 16 for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut values = [16; 256];
    let mut i = 0;
    while i < 16 {
        values[HEX_DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    values
};

/// Span ids are random already: a map keyed by them needs no hashing of its own.
pub type SpanIdMap<V> = std::collections::HashMap<SpanId, V, BuildIdentityHasher>;

pub type BuildIdentityHasher = std::hash::BuildHasherDefault<IdentityHasher>;

/// Hashes a [`SpanId`] to itself.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `SpanId`; anything else is folded in, never ignored.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl TraceId {
    pub fn random() -> Self {
        loop {
            let id = (u128::from(next_u64()) << 64) | u128::from(next_u64());
            if id != 0 {
                return TraceId(id);
            }
        }
    }

    pub fn parse(text: &str, field: &str) -> Result<Self> {
        parse_hex(text, 32, field).map(TraceId)
    }
}

impl std::fmt::Display for SpanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only ASCII hex digits were written.
        f.write_str(std::str::from_utf8(&self.hex()).unwrap_or_default())
    }
}

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", { self.0 })
    }
}

/// Parses exactly `digits` lowercase hex digits, not all zero (OpenTelemetry's invalid id).
fn parse_hex(text: &str, digits: usize, field: &str) -> Result<u128> {
    let value = (text.len() == digits)
        .then(|| {
            text.bytes().try_fold(0u128, |value, byte| {
                let digit = HEX_VALUES[usize::from(byte)];
                (digit < 16).then_some(value << 4 | u128::from(digit))
            })
        })
        .flatten();
    match value {
        Some(value) if value != 0 => Ok(value),
        _ => Err(Error::invalid(format!(
            "{field} must be {digits} lowercase hex digits, not all zero; got {text:?}"
        ))),
    }
}

/// A fresh uuid4 for sessions and enh_prompt traces, as the Python SDK writes them.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_in_opentelemetry_format() {
        let span = SpanId::random().to_string();
        let trace = TraceId::random().to_string();
        assert_eq!(span.len(), 16);
        assert_eq!(trace.len(), 32);
        assert!(
            span.bytes()
                .chain(trace.bytes())
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(SpanId::parse(&span, "span_id").unwrap().to_string(), span);
        assert_eq!(
            TraceId::parse(&trace, "trace_id").unwrap().to_string(),
            trace
        );
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "0000000000000000",
            "ABCDEF0123456789",
            "abc",
            "0123456789abcdefg",
            "+123456789abcdef",
        ] {
            assert!(SpanId::parse(bad, "span_id").is_err(), "{bad}");
        }
        assert!(TraceId::parse("0123456789abcdef", "trace_id").is_err());
    }

    #[test]
    fn random_ids_do_not_repeat() {
        let ids: std::collections::HashSet<u64> = (0..10_000).map(|_| SpanId::random().0).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
