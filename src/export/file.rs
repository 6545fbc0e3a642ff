//! Replacing the export file atomically, leaving nothing behind.
//!
//! The document is written into an unnamed file in the target's folder (Linux's `O_TMPFILE`),
//! synced, given a short temporary name and renamed over the target: a crash mid-write leaves
//! either the old file or the new one, never a torn one, and no file at all of the attempt.
//! Where the filesystem has no unnamed files, the temporary name is given at the start.
//! Either way a temporary file can outlive its process only when the process dies between
//! naming and renaming it (or, without unnamed files, while writing); every flush sweeps such
//! files, recognised by name, from the folder when their process is gone.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::ffi::os;

/// `.aiobs-<pid, 10 digits>-<8 hex digits>.tmp`: 30 bytes, whatever the target's name.
const TEMP_PREFIX: &str = ".aiobs-";
const TEMP_SUFFIX: &str = ".tmp";
const PID_DIGITS: usize = 10;
const RANDOM_DIGITS: usize = 8;

/// Symbolic links followed from the target before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Writes `target` through `write`, atomically. A target that is a symbolic link stays a link:
/// the file it leads to is replaced. On failure nothing of the attempt is left.
pub(super) fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let io_error = |reason: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write {}: {reason}", target.display()),
        )
    };
    let destination = through_symlinks(target).map_err(|e| io_error(&e))?;
    let file_name = destination
        .file_name()
        .ok_or_else(|| io_error(&"the path names no file"))?;
    let folder = destination
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(folder).map_err(|e| io_error(&e))?;
    sweep(folder, file_name);
    let mut named = None;
    let result = write_and_rename(folder, &destination, &mut named, write);
    if result.is_err()
        && let Some(temporary) = named
    {
        let _ = fs::remove_file(temporary);
    }
    result.map_err(|e| match e {
        Failure::Io(e) => io_error(&e),
        Failure::Export(e) => e,
    })?;
    // The rename is durable once the folder is synced; the file is in place either way.
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

enum Failure {
    Io(io::Error),
    Export(Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Failure {
        Failure::Io(error)
    }
}

/// Writes, syncs, names (if still unnamed) and renames; `named` receives the temporary name as
/// soon as the file has one, so the caller can remove it when a later step fails.
fn write_and_rename(
    folder: &Path,
    destination: &Path,
    named: &mut Option<PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> std::result::Result<(), Failure> {
    let file = match os::create_unnamed_file(folder)? {
        Some(file) => file,
        None => {
            let temporary = folder.join(temp_name());
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(&temporary)?;
            *named = Some(temporary);
            file
        }
    };
    let mut out = BufWriter::with_capacity(1 << 20, file);
    write(&mut out).map_err(Failure::Export)?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_data()?;
    if named.is_none() {
        let temporary = folder.join(temp_name());
        os::link_unnamed_file(&file, &temporary)?;
        *named = Some(temporary);
    }
    if let Some(temporary) = named {
        fs::rename(temporary, destination)?;
    }
    *named = None;
    Ok(())
}

/// `target`, or where it leads when it is a symbolic link (to the end of a chain of links).
fn through_symlinks(target: &Path) -> io::Result<PathBuf> {
    let mut path = target.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let leads_to = fs::read_link(&path)?;
                // A relative link is relative to its own folder; `join` keeps an absolute one.
                path = match path.parent() {
                    Some(folder) => folder.join(leads_to),
                    None => leads_to,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

fn temp_name() -> String {
    let random = crate::ids::SpanId::random().0 as u32;
    format!(
        "{TEMP_PREFIX}{:0pid$}-{random:0hex$x}{TEMP_SUFFIX}",
        std::process::id(),
        pid = PID_DIGITS,
        hex = RANDOM_DIGITS
    )
}

/// The pid in a temporary file's name, for names [`temp_name`] makes.
fn temp_owner(name: &str) -> Option<u32> {
    let middle = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = middle.split_once('-')?;
    let digits = |text: &str, count: usize, radix: u32| {
        text.len() == count && text.chars().all(|c| c.is_digit(radix))
    };
    (digits(pid, PID_DIGITS, 10) && digits(random, RANDOM_DIGITS, 16))
        .then(|| pid.parse().ok())
        .flatten()
}

/// The pid in a temporary file's name as earlier versions made them beside `file_name`:
/// `.<file_name>.<pid>.<16 hex digits>.tmp`.
fn legacy_temp_owner(name: &str, file_name: &str) -> Option<u32> {
    let middle = name
        .strip_prefix('.')?
        .strip_prefix(file_name)?
        .strip_prefix('.')?
        .strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = middle.split_once('.')?;
    let hex = random.len() == 16 && random.chars().all(|c| c.is_ascii_hexdigit());
    let decimal = !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit());
    (hex && decimal).then(|| pid.parse().ok()).flatten()
}

/// Removes from `folder` the temporary files of flushes whose process is gone (killed
/// mid-flush). Files of running processes, this one included, are theirs to finish.
fn sweep(folder: &Path, file_name: &OsStr) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let file_name = file_name.to_str();
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let owner = temp_owner(name)
            .or_else(|| file_name.and_then(|file_name| legacy_temp_owner(name, file_name)));
        if let Some(pid) = owner
            && pid != me
            && !os::process_is_running(pid)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_short_fixed_and_recognised() {
        let name = temp_name();
        assert_eq!(name.len(), 30, "{name}");
        assert_eq!(temp_owner(&name), Some(std::process::id()));
        assert_eq!(temp_owner(".aiobs-0000004242-0badcafe.tmp"), Some(4242));
        for other in [
            ".aiobs-4242-0badcafe.tmp",
            ".aiobs-0000004242-0badcafe.json",
            ".aiobs-000000424x-0badcafe.tmp",
            "aiobs-0000004242-0badcafe.tmp",
            ".aiobs-0000004242-0badcafg.tmp",
        ] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }

    #[test]
    fn temporary_names_of_earlier_versions_are_recognised_beside_their_target() {
        let old = ".out.json.4242.0123456789abcdef.tmp";
        assert_eq!(legacy_temp_owner(old, "out.json"), Some(4242));
        assert_eq!(legacy_temp_owner(old, "other.json"), None);
        assert_eq!(
            legacy_temp_owner(".out.json.4242.0123.tmp", "out.json"),
            None
        );
    }
}
