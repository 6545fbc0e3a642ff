//! Memory for recorded bytes, touched before a recording thread writes to it.
//!
//! The first write to a page of fresh memory costs a page fault: about 2 µs on a virtual
//! machine, more than the rest of a recorded call. Bodies and call texts are the bulk of what a
//! store holds (a 4 KB exchange takes a fresh page on every call), so they are copied into
//! chunks that a background thread, the warmer, has already allocated and written to. A
//! recording thread only carves its part off the current chunk under a short lock, then copies
//! into it outside the lock.
//!
//! A chunk is freed when the last part carved from it is (a flush drops them all), so memory
//! still goes back to the system after a flush. Beyond the parts themselves, memory holds the
//! [`READY`] chunks kept warm, what is left of the current one, and the tail of each chunk a
//! part did not fit in (under [`LARGEST_PART`], a sixteenth of the chunk). The warmer starts
//! when a program has used up its first chunk, so a program that records little never starts
//! it. When the warmer falls behind, the recording thread takes an unwarmed chunk and pays the
//! faults, as it would without one.

use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};

use bytes::{Bytes, BytesMut};

/// The size of a chunk.
const CHUNK: usize = 1 << 20;
/// Chunks kept warm ahead of the current one.
const READY: usize = 2;
/// Parts larger than this get their own allocation, so the tail a part does not fit in wastes
/// at most a sixteenth of a chunk.
const LARGEST_PART: usize = CHUNK / 16;
/// The page size the warmer touches at; smaller than the real one would only touch more.
const PAGE: usize = 4096;

struct Pool {
    chunks: Mutex<Chunks>,
    /// Wakes the warmer when the current chunk was replaced.
    replaced: Condvar,
}

pub(crate) struct Chunks {
    /// What is left of the chunk parts are carved from.
    current: BytesMut,
    ready: Vec<BytesMut>,
    warmer: Warmer,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Warmer {
    /// No chunk was used up yet.
    NotNeeded,
    NotStarted,
    Running,
    /// The thread could not be started: chunks are taken unwarmed.
    Unavailable,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    chunks: Mutex::new(Chunks {
        current: BytesMut::new(),
        ready: Vec::with_capacity(READY),
        warmer: Warmer::NotNeeded,
    }),
    replaced: Condvar::new(),
});

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Chunks> {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `len` zero bytes to overwrite, carved from a warm chunk when one is at hand.
pub fn take(len: usize) -> BytesMut {
    if len == 0 {
        return BytesMut::new();
    }
    if len > LARGEST_PART {
        return BytesMut::zeroed(len);
    }
    let pool = &*POOL;
    let mut chunks = pool.lock();
    if chunks.current.len() < len {
        chunks.current = match chunks.ready.pop() {
            Some(chunk) => chunk,
            None => BytesMut::zeroed(CHUNK),
        };
        chunks.warmer = match chunks.warmer {
            Warmer::NotNeeded => Warmer::NotStarted,
            Warmer::NotStarted => start_warmer(),
            running_or_unavailable => running_or_unavailable,
        };
        pool.replaced.notify_one();
    }
    chunks.current.split_to(len)
}

/// A copy of `bytes` in warm memory.
pub fn copy(bytes: &[u8]) -> Bytes {
    let mut part = take(bytes.len());
    part.copy_from_slice(bytes);
    part.freeze()
}

/// UTF-8 text in a part of warm memory: the short texts of a recorded exchange (method, URL,
/// content type, error) share one part instead of taking an allocation each. Read it as a `str`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SharedText(Bytes);

impl SharedText {
    /// Copies `parts` into one part of warm memory, a text each.
    pub(crate) fn copy_all<const N: usize>(parts: [&str; N]) -> [SharedText; N] {
        let mut whole = take(parts.iter().map(|part| part.len()).sum());
        parts.map(|part| {
            if part.is_empty() {
                // Splitting costs a count of the chunk's users; an absent text needs none.
                return SharedText::default();
            }
            let mut text = whole.split_to(part.len());
            text.copy_from_slice(part.as_bytes());
            SharedText(text.freeze())
        })
    }

    /// The length in bytes, without reading the text.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;

    fn deref(&self) -> &str {
        crate::text_range::copied_str(&self.0)
    }
}

impl From<&str> for SharedText {
    fn from(text: &str) -> SharedText {
        SharedText(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<String> for SharedText {
    fn from(text: String) -> SharedText {
        SharedText(text.into())
    }
}

impl std::fmt::Debug for SharedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

fn start_warmer() -> Warmer {
    let started = std::thread::Builder::new()
        .name("aiobs-warmer".into())
        .spawn(warm);
    match started {
        Ok(_) => Warmer::Running,
        Err(_) => Warmer::Unavailable,
    }
}

/// The warmer: keeps [`READY`] chunks written to, waiting while they are.
fn warm() {
    let pool = &*POOL;
    loop {
        let mut chunks = pool.lock();
        while chunks.ready.len() >= READY {
            chunks = pool
                .replaced
                .wait(chunks)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(chunks);
        // Zeroed memory may come straight from the kernel, its pages not mapped yet: writing
        // one byte per page maps them. Through black_box, so the compiler cannot drop writes of
        // a zero it knows is there.
        let mut chunk = BytesMut::zeroed(CHUNK);
        for page in std::hint::black_box(&mut chunk[..]).chunks_mut(PAGE) {
            page[0] = 0;
        }
        pool.lock().ready.push(chunk);
    }
}

/// The pool's lock, held across a `fork` (see [`crate::store::ForkGuards`]).
pub(crate) fn prepare_fork() -> MutexGuard<'static, Chunks> {
    POOL.lock()
}

impl Chunks {
    /// In a forked child: the warmer is its parent's thread, so the child starts its own when
    /// it uses up a chunk. The chunks stay; their pages are shared with the parent until one
    /// side writes to them (a chunk the parent's warmer was writing at the fork is the
    /// parent's alone).
    pub(crate) fn start_child(&mut self) {
        if self.warmer == Warmer::Running {
            self.warmer = Warmer::NotStarted;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn parts_carved_across_chunks_keep_their_own_bytes() {
        // Enough parts to span several chunks, all alive together and each filled with its own
        // byte: no part may see another's writes, nor lose its own.
        let sizes = [1, 7, 4096, 5000, 40_000, LARGEST_PART];
        let parts: Vec<Bytes> = (1..=200u8)
            .map(|i| {
                let len = sizes[usize::from(i) % sizes.len()];
                let mut part = take(len);
                assert_eq!(part.len(), len);
                assert!(part.iter().all(|&b| b == 0), "a part starts zeroed");
                part.fill(i);
                part.freeze()
            })
            .collect();
        for (i, part) in (1..=200u8).zip(&parts) {
            assert_eq!(part.len(), sizes[usize::from(i) % sizes.len()]);
            assert!(part.iter().all(|&b| b == i), "part {i} was overwritten");
        }
    }

    #[test]
    fn a_large_part_is_its_own_allocation() {
        let large = copy(&vec![7u8; LARGEST_PART + 1]);
        assert_eq!(large.len(), LARGEST_PART + 1);
        assert!(large.iter().all(|&b| b == 7));
        assert!(
            large.is_unique(),
            "nothing else holds a large part's memory"
        );
        assert_eq!(&copy(b"small")[..], b"small");
        assert!(take(0).is_empty());
    }

    #[test]
    fn shared_texts_keep_their_own_text_in_one_part() {
        let long = "é".repeat(3000); // past a chunk's tail: a chunk of its own, or a new chunk
        let texts = [
            [
                "POST",
                "https://api.openai.com/v1/chat/completions",
                "",
                "text/event-stream",
            ],
            ["", "", "", ""],
            ["GET", &long, "application/json", "ConnectionReset: peer"],
        ];
        let shared: Vec<[SharedText; 4]> = (0..500)
            .map(|i| SharedText::copy_all(texts[i % texts.len()]))
            .collect();
        for (i, copies) in shared.iter().enumerate() {
            for (copy, text) in copies.iter().zip(texts[i % texts.len()]) {
                assert_eq!(&**copy, text);
                assert_eq!(copy.len(), text.len());
                assert_eq!(copy.is_empty(), text.is_empty());
            }
        }
        // The texts of one call sit side by side: one part, not an allocation each.
        let [method, url, _, content_type] = &shared[0];
        assert_eq!(
            method.as_ptr() as usize + method.len(),
            url.as_ptr() as usize
        );
        assert_eq!(
            url.as_ptr() as usize + url.len(),
            content_type.as_ptr() as usize
        );
        assert_eq!(format!("{method:?}"), "\"POST\"");
        assert_eq!(SharedText::from("x"), SharedText::from("x".to_owned()));
    }

    #[test]
    fn the_warmer_keeps_chunks_ready_once_a_chunk_is_used_up() {
        // Two chunks' worth: the first chunk is used up whatever other tests took before.
        let parts: Vec<_> = (0..2 * CHUNK / LARGEST_PART + 1)
            .map(|_| take(LARGEST_PART))
            .collect();
        assert!(parts.len() > 32);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let chunks = POOL.lock();
            assert_eq!(chunks.warmer, Warmer::Running);
            assert!(chunks.ready.len() <= READY);
            let warm_ready = !chunks.ready.is_empty();
            drop(chunks);
            if warm_ready {
                break;
            }
            assert!(Instant::now() < deadline, "the warmer made no chunk ready");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_forked_child_starts_its_own_warmer() {
        let mut chunks = Chunks {
            current: BytesMut::new(),
            ready: Vec::new(),
            warmer: Warmer::Running,
        };
        chunks.start_child();
        assert_eq!(chunks.warmer, Warmer::NotStarted);
        chunks.warmer = Warmer::Unavailable;
        chunks.start_child();
        assert_eq!(chunks.warmer, Warmer::Unavailable);
    }
}
