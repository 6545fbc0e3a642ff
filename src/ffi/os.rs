//! The C library calls the core needs beyond the standard library: fork handlers, handing free
//! memory back, linking an unnamed file into a folder, and asking whether a process runs.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::path::Path;
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

/// A new file in `folder` without a name (Linux's `O_TMPFILE`): if the process dies before
/// [`link_unnamed_file`] names it, nothing of it remains. `None` where the kernel or the
/// filesystem has no unnamed files (and, in test builds, when `AIOBS_TEST_NO_UNNAMED_FILES` is
/// set, so the tests reach the named fallback).
pub(crate) fn create_unnamed_file(folder: &Path) -> io::Result<Option<File>> {
    #[cfg(feature = "test-hooks")]
    if std::env::var_os("AIOBS_TEST_NO_UNNAMED_FILES").is_some() {
        return Ok(None);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        match File::options()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .open(folder)
        {
            Ok(file) => Ok(Some(file)),
            // EISDIR from kernels without O_TMPFILE, EOPNOTSUPP from filesystems without it.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = folder;
        Ok(None)
    }
}

/// Gives a file from [`create_unnamed_file`] the name `path` (which must not exist yet), through
/// `/proc/self/fd`, or through the descriptor itself where `/proc` is not mounted.
#[cfg(target_os = "linux")]
pub(crate) fn link_unnamed_file(file: &File, path: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;

    let name = CString::new(path.as_os_str().as_bytes())?;
    let fd = file.as_raw_fd();
    let through_proc = CString::new(format!("/proc/self/fd/{fd}"))?;
    // SAFETY: both paths are NUL-terminated and outlive the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            through_proc.as_ptr(),
            libc::AT_FDCWD,
            name.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if linked == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() != Some(libc::ENOENT) || Path::new("/proc/self/fd").exists() {
        return Err(error);
    }
    // SAFETY: `fd` is open for the call (borrowed from `file`); both paths are NUL-terminated.
    let linked = unsafe {
        libc::linkat(
            fd,
            c"".as_ptr(),
            libc::AT_FDCWD,
            name.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if linked == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Never called: [`create_unnamed_file`] makes no unnamed files here.
#[cfg(not(target_os = "linux"))]
pub(crate) fn link_unnamed_file(_file: &File, _path: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Whether a process with this pid exists (in this pid namespace). Unsure means yes.
pub(crate) fn process_is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 sends nothing; it only checks that the process exists.
    let probed = unsafe { libc::kill(pid, 0) };
    probed == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}
