//! What the benchmarks share.

use std::time::{Duration, Instant};

use aiobs::Store;

/// Times `iterations` runs of `op` on stores with an active session, starting a fresh store every
/// 100k runs so memory stays flat; creating and dropping the stores is not timed.
pub fn timed_on_fresh_stores(iterations: u64, op: impl Fn(&Store)) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iterations;
    while left > 0 {
        let batch = left.min(100_000);
        let store = Store::new();
        store.observe(None, None).unwrap();
        let start = Instant::now();
        for _ in 0..batch {
            op(&store);
        }
        total += start.elapsed();
        left -= batch;
    }
    total
}
