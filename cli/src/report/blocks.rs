//! Long text kept out of the page's first load: items (one JSON value per span) are packed
//! into blocks of a few hundred, each block a JSON array compressed with raw deflate and
//! written as base64. The page inflates a block with the browser's `DecompressionStream`
//! only when it needs one of its items (a call's drawer, the search index).

use miniz_oxide::deflate::compress_to_vec;

/// A block is closed after this many items or this many uncompressed bytes, whichever comes
/// first: opening a drawer then inflates at most about this much.
const ITEMS_PER_BLOCK: usize = 256;
const BYTES_PER_BLOCK: usize = 512 * 1024;
/// The fastest level: on 100,000 calls, level 6 made the file 12% smaller and the whole
/// `aiobs report` run about 60% slower.
const LEVEL: u8 = 1;

#[derive(Default)]
pub struct Blocks {
    /// Base64 of each compressed block.
    pub encoded: Vec<String>,
    /// Index of the first item of each block.
    pub starts: Vec<usize>,
    pending: Vec<u8>,
    pending_items: usize,
    items: usize,
}

impl Blocks {
    /// Adds the next item, `json` being one complete JSON value.
    pub fn push(&mut self, json: &[u8]) {
        if self.pending_items == 0 {
            self.starts.push(self.items);
            self.pending.push(b'[');
        } else {
            self.pending.push(b',');
        }
        self.pending.extend_from_slice(json);
        self.pending_items += 1;
        self.items += 1;
        if self.pending_items >= ITEMS_PER_BLOCK || self.pending.len() >= BYTES_PER_BLOCK {
            self.close_block();
        }
    }

    pub fn finish(mut self) -> Blocks {
        if self.pending_items > 0 {
            self.close_block();
        }
        self
    }

    fn close_block(&mut self) {
        self.pending.push(b']');
        self.encoded
            .push(base64(&compress_to_vec(&self.pending, LEVEL)));
        self.pending.clear();
        self.pending_items = 0;
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as `atob` reads it.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("\u{ff}\u{fe}", "w7/Dvg=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn blocks_split_by_count_into_json_arrays() {
        let mut blocks = Blocks::default();
        for i in 0..ITEMS_PER_BLOCK + 3 {
            blocks.push(format!("{i}").as_bytes());
        }
        let blocks = blocks.finish();
        assert_eq!(blocks.starts, [0, ITEMS_PER_BLOCK]);
        let last = format!(
            "[{},{},{}]",
            ITEMS_PER_BLOCK,
            ITEMS_PER_BLOCK + 1,
            ITEMS_PER_BLOCK + 2
        );
        assert_eq!(
            blocks.encoded[1],
            base64(&compress_to_vec(last.as_bytes(), LEVEL))
        );
        assert!(Blocks::default().finish().encoded.is_empty());
    }

    #[test]
    fn blocks_split_by_size() {
        let mut blocks = Blocks::default();
        let big = format!("\"{}\"", "x".repeat(BYTES_PER_BLOCK));
        blocks.push(big.as_bytes());
        blocks.push(b"1");
        assert_eq!(blocks.finish().starts, [0, 1]);
    }
}
