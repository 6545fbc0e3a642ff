//! What the benchmarks share.

use std::sync::Mutex;
use std::time::Duration;

use aiobs::Store;

/// CPU time of the calling thread, kernel time on its behalf (page faults) included. Wall time
/// on a machine shared by other builds measures the neighbours; this measures the caller.
pub struct CpuClock(Duration);

impl CpuClock {
    pub fn now() -> CpuClock {
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec, which `time` is.
        let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
        assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        CpuClock(Duration::new(time.tv_sec as u64, time.tv_nsec as u32))
    }

    pub fn elapsed(&self) -> Duration {
        CpuClock::now().0 - self.0
    }
}

/// How many runs share one store before a fresh one is started, so memory stays flat.
const BATCH: u64 = 100_000;

/// Times `iterations` runs of `op` on stores with an active session, starting a fresh store every
/// 100k runs; creating and dropping the stores is not timed. `op` gets the run's number, so that
/// it can pick a distinct input each time (cache and page effects count, as in a real program).
pub fn timed_on_fresh_stores(iterations: u64, op: impl Fn(&Store, usize)) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iterations {
        let batch = (iterations - done).min(BATCH);
        let store = Store::new();
        // 100k exchanges of 4 KB pass the default memory bound; a benchmark measures recording.
        store
            .configure(r#"{"max_memory_bytes":4294967296}"#)
            .unwrap();
        store.observe(None, None).unwrap();
        let start = CpuClock::now();
        for run in done..done + batch {
            op(&store, run as usize);
        }
        total += start.elapsed();
        done += batch;
    }
    total
}

/// The floor of any recording call: copy the input's bytes, take a lock, append the copy. Runs
/// over `inputs` in turn like [`timed_on_fresh_stores`], and drops what it held every 100k runs,
/// untimed.
pub fn floor(iterations: u64, inputs: &[Vec<u8>]) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iterations {
        let batch = (iterations - done).min(BATCH);
        let held: Mutex<Vec<Box<[u8]>>> = Mutex::new(Vec::new());
        let start = CpuClock::now();
        for run in done..done + batch {
            let copy = Box::<[u8]>::from(std::hint::black_box(
                inputs[run as usize % inputs.len()].as_slice(),
            ));
            held.lock()
                .expect("the floor lock is never poisoned")
                .push(copy);
        }
        total += start.elapsed();
        done += batch;
        drop(held);
    }
    total
}
