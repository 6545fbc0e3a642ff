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
//! still goes back to the system after a flush. The warmer keeps at most [`READY`] chunks
//! ahead, so the memory held beyond the store's own is at most [`READY`] + 1 chunks (3 MiB).
//! When the warmer falls behind, the recording thread takes an unwarmed chunk and pays the
//! faults, as it would without one.

use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};

use bytes::BytesMut;

/// The size of a chunk.
const CHUNK: usize = 1 << 20;
/// Chunks kept warm ahead of the current one.
const READY: usize = 2;
/// Parts larger than this get their own allocation, so one part never takes most of a chunk.
const LARGEST_PART: usize = CHUNK / 4;
/// The page size the warmer touches at; smaller than the real one would only touch more.
const PAGE: usize = 4096;

struct Pool {
    chunks: Mutex<Chunks>,
    /// Wakes the warmer when a ready chunk was taken.
    taken: Condvar,
}

pub(crate) struct Chunks {
    /// What is left of the chunk parts are carved from.
    current: BytesMut,
    ready: Vec<BytesMut>,
    warmer: Warmer,
}

#[derive(Clone, Copy, PartialEq)]
enum Warmer {
    NotStarted,
    Running,
    /// The thread could not be started: chunks are taken unwarmed.
    Unavailable,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    chunks: Mutex::new(Chunks {
        current: BytesMut::new(),
        ready: Vec::with_capacity(READY),
        warmer: Warmer::NotStarted,
    }),
    taken: Condvar::new(),
});

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Chunks> {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `len` zero bytes to overwrite, carved from a warm chunk when one is at hand.
pub fn take(len: usize) -> BytesMut {
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
        if chunks.warmer == Warmer::NotStarted {
            chunks.warmer = start_warmer();
        }
        pool.taken.notify_one();
    }
    chunks.current.split_to(len)
}

/// A copy of `bytes` in warm memory.
pub fn copy(bytes: &[u8]) -> bytes::Bytes {
    let mut part = take(bytes.len());
    part.copy_from_slice(bytes);
    part.freeze()
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
                .taken
                .wait(chunks)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(chunks);
        let mut chunk = BytesMut::zeroed(CHUNK);
        // calloc hands out pages the kernel has not mapped yet; writing one byte per page maps
        // them. Through black_box, so the compiler cannot drop writes of a zero it knows is there.
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
    /// it needs one. The chunks stay: their memory is the child's copy.
    pub(crate) fn start_child(&mut self) {
        if self.warmer == Warmer::Running {
            self.warmer = Warmer::NotStarted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_carved_across_chunks_keep_their_own_bytes() {
        // Enough parts to span several chunks, each written with its own pattern after the
        // next one was carved: no part may see another's writes.
        let sizes = [1, 7, 4096, 5000, 65_536, 200_000];
        let parts: Vec<bytes::Bytes> = (0..48)
            .map(|i| {
                let len = sizes[i % sizes.len()];
                let mut part = take(len);
                assert_eq!(part.len(), len);
                assert!(part.iter().all(|&b| b == 0), "a part starts zeroed");
                part.fill(i as u8);
                part.freeze()
            })
            .collect();
        for (i, part) in parts.iter().enumerate() {
            assert_eq!(part.len(), sizes[i % sizes.len()]);
            assert!(
                part.iter().all(|&b| b == i as u8),
                "part {i} was overwritten"
            );
        }
    }

    #[test]
    fn a_part_larger_than_a_quarter_chunk_is_its_own_allocation() {
        let large = copy(&vec![7u8; LARGEST_PART + 1]);
        let small = copy(b"small");
        assert_eq!(large.len(), LARGEST_PART + 1);
        assert!(large.iter().all(|&b| b == 7));
        assert_eq!(&small[..], b"small");
    }

    #[test]
    fn the_warmer_starts_once_a_chunk_is_used_up() {
        let parts: Vec<_> = (0..5).map(|_| take(LARGEST_PART)).collect();
        assert_eq!(parts.len(), 5);
        let warmer = POOL.lock().warmer;
        assert!(
            warmer == Warmer::Running,
            "five quarter chunks take a new chunk"
        );
    }

    #[test]
    fn a_forked_child_starts_its_own_warmer() {
        let mut chunks = Chunks {
            current: BytesMut::new(),
            ready: Vec::new(),
            warmer: Warmer::Running,
        };
        chunks.start_child();
        assert!(chunks.warmer == Warmer::NotStarted);
        chunks.warmer = Warmer::Unavailable;
        chunks.start_child();
        assert!(chunks.warmer == Warmer::Unavailable);
    }
}
