//! A million spans begun on one thread and ended on another: the beginning thread's span stack
//! must not grow. A counting allocator sees every live byte, so "flat" is measured, not guessed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::mpsc;

mod common;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's pointer and layout, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// A million spans take minutes unoptimised: `make test-rust` runs this test in the optimised
// `ctest` profile (with debug assertions), where it takes seconds.
#[test]
#[ignore = "slow unoptimised; make test-rust runs it with --profile ctest"]
fn spans_ended_on_another_thread_leave_no_trace_on_the_beginning_thread() {
    const SPANS: usize = 1_000_000;
    const FLUSH_EVERY: usize = 100_000;
    let store = aiobs::Store::new();
    store.observe(Some("handover"), None).unwrap();
    store.configure(r#"{"flush_ends_session":false}"#).unwrap();
    let dir = common::scratch_dir("span-stack");
    let path = dir.join("out.json");
    let path = path.to_str().unwrap();
    // The ender flushes after every 100k spans and reports the live bytes after each flush.
    let (ids, to_ender) = mpsc::sync_channel::<String>(1024);
    let live_after_flush = std::thread::scope(|scope| {
        let store = &store;
        let ender = scope.spawn(move || {
            let mut live = Vec::new();
            for (n, id) in to_ender.iter().enumerate() {
                store.span_end(&id, None, None).unwrap();
                if (n + 1) % FLUSH_EVERY == 0 {
                    store.flush(Some(path)).unwrap();
                    live.push(LIVE.load(Ordering::Relaxed));
                }
            }
            live
        });
        for _ in 0..SPANS {
            ids.send(store.span_begin(r#"{"name":"s"}"#).unwrap())
                .unwrap();
        }
        drop(ids);
        ender.join().unwrap()
    });
    // The files run to gigabytes; only the live bytes matter here.
    std::fs::remove_dir_all(&dir).unwrap();
    // Compare the second flush with the last: both follow a full period (the first is warm-up).
    // Without pruning, the beginning thread's stack alone would grow by 24 MB between them.
    let growth = live_after_flush[live_after_flush.len() - 1] - live_after_flush[1];
    assert!(
        growth < 2 * 1024 * 1024,
        "live bytes grew by {growth} over {} spans: {live_after_flush:?}",
        SPANS - 2 * FLUSH_EVERY
    );
    assert_eq!(store.stats().open_spans, 0);
}
