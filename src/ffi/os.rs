//! The C library calls the core needs beyond the standard library: fork handlers, handing free
//! memory back, and linking an unnamed file into a folder.

use std::cell::RefCell;
use std::sync::Once;

use crate::Store;
use crate::store::ForkGuards;

thread_local! {
    /// The store's locks, from the fork's prepare handler to its parent or child handler (all
    /// three run on the thread that calls fork).
    static HELD_ACROSS_FORK: RefCell<Option<ForkGuards<'static>>> = const { RefCell::new(None) };
}

/// The pid of the process that first used the global store; a process with another pid is a
/// forked child of it.
static FIRST_PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Installs the fork handlers, once per process.
pub(crate) fn handle_fork() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        FIRST_PID.get_or_init(std::process::id);
        // SAFETY: the three handlers are plain functions that never unwind (each catches panics).
        unsafe {
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_in_parent),
                Some(after_fork_in_child),
            );
        }
    });
}

/// Whether this process was forked from one that had used aiobs already.
pub(crate) fn is_forked_child() -> bool {
    FIRST_PID
        .get()
        .is_some_and(|&pid| pid != std::process::id())
}

extern "C" fn before_fork() {
    let _ = std::panic::catch_unwind(|| {
        let guards = Store::global().prepare_fork();
        HELD_ACROSS_FORK.with(|held| *held.borrow_mut() = Some(guards));
    });
}

extern "C" fn after_fork_in_parent() {
    let _ = std::panic::catch_unwind(|| {
        HELD_ACROSS_FORK.with(|held| drop(held.borrow_mut().take()));
    });
}

extern "C" fn after_fork_in_child() {
    let _ = std::panic::catch_unwind(|| {
        crate::ids::reseed();
        crate::thread_spans::clear();
        HELD_ACROSS_FORK.with(|held| {
            if let Some(mut guards) = held.borrow_mut().take() {
                guards.start_child();
            }
        });
    });
}

/// Hands the allocator's free memory back to the system (glibc keeps it otherwise: a flush of a
/// few GB of events would leave the process that large).
pub(crate) fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
