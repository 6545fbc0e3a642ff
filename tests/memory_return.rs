//! After a flush that freed a lot, the process hands the memory back to the system: its resident
//! size falls back near where it was before the events were recorded. Alone in its binary, so no
//! other test's memory moves the figure.

mod common;

/// Resident memory in bytes, from /proc/self/statm.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn a_large_flush_returns_its_memory() {
    const EVENTS: usize = 150_000;
    let store = aiobs::Store::new();
    store.observe(Some("memory"), None).unwrap();
    let path = common::scratch_dir("memory-return").join("out.json");
    let before = resident_bytes();
    // Distinct events from many threads' worth of allocations: small blocks glibc keeps.
    for i in 0..EVENTS {
        store.record_call(&common::chat_event(i)).unwrap();
    }
    let full = resident_bytes();
    let held = store.stats().bytes_held;
    assert!(
        full - before > held / 2,
        "recording {held} bytes raised RSS by {}",
        full - before
    );
    store.flush(Some(path.to_str().unwrap())).unwrap();
    let after = resident_bytes();
    assert!(
        after < before + held / 4,
        "RSS {} MiB before, {} MiB full, {} MiB after the flush",
        before >> 20,
        full >> 20,
        after >> 20
    );
}
