//! How a flush replaces its file: nothing is left behind by a flush killed mid-write or by a
//! failed one, temporary files of dead processes are swept, long names work, and a symbolic
//! link is written through.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use aiobs::{ErrorKind, Store};
use common::{chat_event, read_json, scratch_dir};

/// Set for the child process of the kill tests: the folder it flushes into, forever.
const FLUSH_FOREVER_INTO: &str = "AIOBS_TEST_FLUSH_FOREVER_INTO";

fn observed() -> Store {
    let store = Store::new();
    store.observe(Some("file"), None).unwrap();
    store
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Not a test of its own: the child process of the kill tests, which records and flushes into
/// one folder until it is killed.
#[test]
#[ignore = "run as a child process by the kill tests"]
fn child_flushing_forever() {
    let Some(dir) = std::env::var_os(FLUSH_FOREVER_INTO) else {
        return;
    };
    let path = PathBuf::from(dir).join("out.json");
    let store = observed();
    store.configure(r#"{"flush_ends_session": false}"#).unwrap();
    loop {
        for i in 0..20_000 {
            store.record_call(&chat_event(i)).unwrap();
        }
        store.flush(Some(path.to_str().unwrap())).unwrap();
    }
}

fn spawn_flushing_child(dir: &Path, unnamed_files: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child_flushing_forever", "--ignored", "--quiet"])
        .env(FLUSH_FOREVER_INTO, dir)
        .stdout(std::process::Stdio::null())
        .env_remove("AIOBS_TEST_NO_UNNAMED_FILES");
    if !unnamed_files {
        command.env("AIOBS_TEST_NO_UNNAMED_FILES", "1");
    }
    command
        .spawn()
        .expect("the test binary runs again as a child")
}

/// Where the child's open files in `dir` lead (`/proc/<pid>/fd`).
fn open_files_in(pid: u32, dir: &Path) -> Vec<String> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|target| target.starts_with(dir))
        .map(|target| target.to_string_lossy().into_owned())
        .collect()
}

fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, signal) }, 0);
}

/// Whether the process is stopped (state `T` in `/proc/<pid>/stat`).
fn is_stopped(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
}

/// The child, killed should the test fail before it does.
struct KilledOnDrop(Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls of the child's open files before giving up on catching it mid-write: far more than
/// the few flushes it takes.
const MAX_POLLS: usize = 100_000;

/// Stops the child while it writes its temporary file (one that `mid_write` recognises among
/// its open files in `dir`), then kills it there. Returns that file.
fn kill_mid_write(child: Child, dir: &Path, mid_write: impl Fn(&str) -> bool) -> String {
    let mut child = KilledOnDrop(child);
    let child = &mut child.0;
    let pid = child.id();
    for _ in 0..MAX_POLLS {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended by itself"
        );
        if open_files_in(pid, dir).iter().any(|f| mid_write(f)) {
            signal(pid, libc::SIGSTOP);
            while !is_stopped(pid) {
                std::thread::yield_now();
            }
            // Frozen: what it holds open now is what it holds when killed.
            if let Some(file) = open_files_in(pid, dir).into_iter().find(|f| mid_write(f)) {
                signal(pid, libc::SIGKILL);
                child.wait().unwrap();
                return file;
            }
            signal(pid, libc::SIGCONT);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("never caught the child writing into {}", dir.display());
}

/// Named `.aiobs-<pid>-<hex>.tmp`: a temporary file that has its name.
fn is_named_temporary(path: &str) -> bool {
    Path::new(path)
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with(".aiobs-") && path.ends_with(".tmp"))
}

#[test]
fn a_flush_killed_mid_write_leaves_nothing_behind() {
    let dir = scratch_dir("killed");
    let child = spawn_flushing_child(&dir, true);
    // Any file it writes in the folder but the target itself (an unnamed file shows as
    // `<dir>/#<inode> (deleted)`); not one named `.aiobs-…` to be renamed next, a moment the
    // sweep test covers.
    let target = dir.join("out.json");
    let file = kill_mid_write(child, &dir, |f| {
        Path::new(f) != dir && Path::new(f) != target && !is_named_temporary(f)
    });
    let left = names(&dir);
    assert!(
        left.is_empty() || left == ["out.json"],
        "killed while writing {file}, left {left:?}"
    );
    if let Some(name) = left.first() {
        read_json(&dir.join(name));
    }
}

/// Without unnamed files the temporary file has a name from the start, so a kill leaves it; the
/// next flush into the folder, by any process, removes it.
#[cfg(feature = "test-hooks")]
#[test]
fn without_unnamed_files_the_next_flush_sweeps_what_a_killed_one_left() {
    let dir = scratch_dir("killed-named");
    let child = spawn_flushing_child(&dir, false);
    let file = kill_mid_write(child, &dir, is_named_temporary);
    assert!(Path::new(&file).exists(), "the kill left {file}");
    let store = observed();
    store.record_call(&chat_event(0)).unwrap();
    store
        .flush(Some(dir.join("out.json").to_str().unwrap()))
        .unwrap();
    assert_eq!(names(&dir), ["out.json"]);
    assert_eq!(
        read_json(&dir.join("out.json"))["events"][0]["response"]["id"],
        "chatcmpl-00000000"
    );
}

/// A pid no process has: that of a child that has ended.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    child.id()
}

#[test]
fn a_flush_sweeps_temporary_files_of_dead_processes_only() {
    let dir = scratch_dir("sweep");
    let dead = dead_pid();
    let me = std::process::id();
    let stale = [
        format!(".aiobs-{dead:010}-0badcafe.tmp"),
        // As earlier versions named them, beside their target.
        format!(".out.json.{dead}.0123456789abcdef.tmp"),
    ];
    let kept = [
        format!(".aiobs-{me:010}-0badcafe.tmp"),
        format!(".aiobs-{:010}-0badcafe.tmp", 1),
        format!(".other.json.{dead}.0123456789abcdef.tmp"),
        format!(".aiobs-{dead}-0badcafe.tmp"),
        "notes.tmp".to_string(),
    ];
    for name in stale.iter().chain(&kept) {
        std::fs::write(dir.join(name), "partial").unwrap();
    }
    observed()
        .flush(Some(dir.join("out.json").to_str().unwrap()))
        .unwrap();
    let mut expected: Vec<String> = kept.to_vec();
    expected.push("out.json".into());
    expected.sort();
    assert_eq!(names(&dir), expected);
}

#[test]
fn target_names_of_255_bytes_are_written() {
    let dir = scratch_dir("long-name");
    let name = format!("{}.json", "n".repeat(250));
    assert_eq!(name.len(), 255);
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    let written = store
        .flush(Some(dir.join(&name).to_str().unwrap()))
        .unwrap();
    assert_eq!(written, dir.join(&name));
    assert_eq!(names(&dir), [name]);
    assert_eq!(read_json(&written)["events"].as_array().unwrap().len(), 1);
}

#[test]
fn a_symlinked_target_is_written_through_and_stays_a_link() {
    let dir = scratch_dir("symlink");
    let elsewhere = scratch_dir("symlink-target");
    std::fs::write(elsewhere.join("real.json"), "old").unwrap();
    // link.json -> chain.json -> <elsewhere>/real.json: relative, then absolute.
    std::os::unix::fs::symlink(elsewhere.join("real.json"), dir.join("chain.json")).unwrap();
    std::os::unix::fs::symlink("chain.json", dir.join("link.json")).unwrap();
    // dangling.json -> <elsewhere>/new/made.json, which does not exist yet.
    std::os::unix::fs::symlink(elsewhere.join("new/made.json"), dir.join("dangling.json")).unwrap();

    for (link, leads_to) in [
        ("link.json", elsewhere.join("real.json")),
        ("dangling.json", elsewhere.join("new/made.json")),
    ] {
        let store = observed();
        store.record_call(&chat_event(7)).unwrap();
        let target = dir.join(link);
        assert_eq!(store.flush(Some(target.to_str().unwrap())).unwrap(), target);
        let meta = std::fs::symlink_metadata(&target).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} stays a link");
        assert_eq!(read_json(&leads_to)["events"].as_array().unwrap().len(), 1);
    }
    assert_eq!(names(&dir), ["chain.json", "dangling.json", "link.json"]);
    assert_eq!(names(&elsewhere), ["new", "real.json"]);
    assert!(
        std::fs::symlink_metadata(dir.join("chain.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_rename_that_fails_leaves_no_file_and_keeps_everything() {
    let dir = scratch_dir("rename-fails");
    // A folder where the file should go: the document is written, the rename is refused.
    let target = dir.join("out.json");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "x").unwrap();
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    let err = store.flush(Some(target.to_str().unwrap())).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(err.message.contains("out.json"), "{}", err.message);
    assert_eq!(names(&dir), ["out.json"]);
    assert_eq!(names(&target), ["inside"]);
    let retry = dir.join("retry.json");
    store.flush(Some(retry.to_str().unwrap())).unwrap();
    assert_eq!(read_json(&retry)["events"].as_array().unwrap().len(), 1);
}
