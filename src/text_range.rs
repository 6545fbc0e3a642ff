//! Where a part sits in a text its owner holds: several fields kept in one string (one
//! allocation) and found again by two 32-bit offsets each.

use std::num::NonZeroU32;

/// A range of bytes in an owner's text. Offsets fit 32 bits: every owner's text comes from one
/// input of at most `max_input_bytes` (at most `u32::MAX`) or is far smaller.
///
/// The end is never zero: each owner's first part is not empty, so no range ends at 0. That
/// makes an absent range (`Option<TextRange>`) take no more room than a present one.
#[derive(Clone, Copy, Debug)]
pub struct TextRange {
    start: u32,
    end: NonZeroU32,
}

impl TextRange {
    /// Bytes `start..end` of the owner's text; `end` is past a non-empty first part.
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(
            start <= end && end > 0,
            "a range ending at the text's start"
        );
        TextRange {
            start: start as u32,
            end: NonZeroU32::new(end as u32).unwrap_or(NonZeroU32::MIN),
        }
    }

    /// Where `part`, a subslice of `whole`, sits in it.
    pub fn within(whole: &str, part: &str) -> TextRange {
        let start = part.as_ptr() as usize - whole.as_ptr() as usize;
        TextRange::new(start, start + part.len())
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end.get() as usize
    }

    /// The part, in the owner's `text`.
    pub fn get(self, text: &str) -> &str {
        &text[self.range()]
    }

    /// The part, in the owner's `text` kept as bytes; the part must have been copied from a
    /// `str` (its text is read when the export is built, so checking it again costs no caller).
    pub fn get_utf8(self, text: &[u8]) -> &str {
        copied_str(&text[self.range()])
    }
}

/// Bytes copied from a `str`, read as one again. They are read when the export is built, so
/// checking them again costs no caller.
pub fn copied_str(bytes: &[u8]) -> &str {
    let text = std::str::from_utf8(bytes);
    debug_assert!(text.is_ok(), "bytes not copied from a str");
    text.unwrap_or("")
}
