//! Heap held per stored event, against the event's JSON size: `cargo bench --bench memory`.
//! A counting allocator sees every live byte, so the figure is exact, not an RSS estimate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "../tests/common/mod.rs"]
mod common;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    const N: usize = 100_000;
    let events: Vec<String> = (0..N).map(common::chat_event).collect();
    let json_bytes: usize = events.iter().map(String::len).sum();
    let store = aiobs::Store::new();
    store.observe(None, None).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    for event in &events {
        store.record_call(event).unwrap();
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "memory: {N} events of {:.0} B JSON on average hold {:.0} B each = {:.2}x their JSON size",
        json_bytes as f64 / N as f64,
        held as f64 / N as f64,
        held as f64 / json_bytes as f64
    );
}
