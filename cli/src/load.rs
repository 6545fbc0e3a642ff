//! Reading export files: each file is read into memory once, then parsed in place (the
//! typed model borrows from the buffer), then all files are merged into one `Dataset`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde_json::error::Category;

use crate::dataset::Dataset;
use crate::error::CliError;
use crate::model::{ExportFile, SUPPORTED_VERSION};
use crate::progress::Progress;

const READ_CHUNK: usize = 8 << 20;

/// The bytes of one input file.
pub struct Source {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

impl Source {
    /// The JSON text, without a UTF-8 byte-order mark some editors add.
    pub fn json(&self) -> &[u8] {
        self.bytes
            .strip_prefix(BYTE_ORDER_MARK)
            .unwrap_or(&self.bytes)
    }
}

pub fn read_sources(paths: &[PathBuf], progress: &Progress) -> Result<Vec<Source>, CliError> {
    paths
        .iter()
        .map(|path| read_source(path, progress))
        .collect()
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Opens a file to be streamed, past a UTF-8 byte-order mark some editors add.
pub fn open(path: &Path, progress: &Progress) -> Result<impl BufRead + Send + 'static, CliError> {
    let fail = |e: std::io::Error| CliError::input(path, e.to_string());
    let file = File::open(path).map_err(fail)?;
    progress.note_input_bytes(file.metadata().map_err(fail)?.len());
    let mut reader = BufReader::with_capacity(STREAM_BUFFER, file);
    if reader
        .fill_buf()
        .map_err(fail)?
        .starts_with(BYTE_ORDER_MARK)
    {
        reader.consume(BYTE_ORDER_MARK.len());
    }
    Ok(reader)
}

const STREAM_BUFFER: usize = 1 << 16;

/// Reads a whole file; a large one turns progress on and reports each quarter read.
fn read_source(path: &Path, progress: &Progress) -> Result<Source, CliError> {
    let fail = |e: std::io::Error| CliError::input(path, e.to_string());
    let mut file = File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    progress.note_input_bytes(size);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    let mut reported_quarter = 0;
    loop {
        let read = (&mut file)
            .take(READ_CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(fail)?;
        if read == 0 {
            break;
        }
        let quarter = (bytes.len() as u64 * 4)
            .checked_div(size)
            .unwrap_or(4)
            .min(4);
        if quarter > reported_quarter {
            reported_quarter = quarter;
            progress.step(format_args!(
                "reading {}: {}%",
                path.display(),
                quarter * 25
            ));
        }
    }
    Ok(Source {
        path: path.to_path_buf(),
        bytes,
    })
}

/// Parses every source and merges them. The error names the file and, for JSON errors,
/// the line and column.
pub fn parse<'a>(sources: &'a [Source], progress: &Progress) -> Result<Dataset<'a>, CliError> {
    let mut files = Vec::with_capacity(sources.len());
    for source in sources {
        progress.step(format_args!("parsing {}", source.path.display()));
        let file: ExportFile = serde_json::from_slice(source.json())
            .map_err(|e| export_error(&source.path, source.json(), &e))?;
        if file.version != SUPPORTED_VERSION {
            return Err(CliError::input(
                &source.path,
                format!(
                    "unsupported export version {} (this viewer reads version {SUPPORTED_VERSION})",
                    file.version
                ),
            ));
        }
        progress.note_event_count(file.events.len() + file.function_events.len());
        files.push(file);
    }
    progress.step("merging files and rebuilding the trace forest");
    Ok(Dataset::merge(files))
}

pub fn json_error(path: &Path, error: &serde_json::Error) -> CliError {
    let what = match error.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "invalid aiobs export (run `aiobs validate` for details)",
        Category::Io => "unreadable",
    };
    CliError::input(path, format!("{what}: {error}"))
}

/// A data error says whether the file is an export with a wrong field or no export at all.
fn export_error(path: &Path, json: &[u8], error: &serde_json::Error) -> CliError {
    if error.classify() != Category::Data {
        return json_error(path, error);
    }
    match not_an_export(json) {
        Some(reason) => CliError::input(path, format!("not an aiobs export: {reason}")),
        None => CliError::input(
            path,
            format!("invalid aiobs export (run `aiobs validate` for details): {error}"),
        ),
    }
}

/// Why valid JSON is not an export at all, if it is not: not an object, or an object without
/// the keys every export has.
fn not_an_export(json: &[u8]) -> Option<String> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace())?;
    let kind = match first {
        b'{' => None,
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        _ => Some("a number"),
    };
    if let Some(kind) = kind {
        return Some(format!("the file holds {kind}, not an object"));
    }
    let keys: BTreeMap<String, IgnoredAny> = serde_json::from_slice(json).ok()?;
    // `version` alone is too common (package.json) to make a file look like an export.
    if EXPORT_KEYS[..2].iter().any(|key| keys.contains_key(*key)) {
        return None;
    }
    let found: Vec<&str> = keys.keys().take(8).map(String::as_str).collect();
    Some(format!(
        "an export has the keys {}; this file has {}",
        EXPORT_KEYS.join(", "),
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
                + if keys.len() > found.len() {
                    ", …"
                } else {
                    ""
                }
        }
    ))
}

const EXPORT_KEYS: [&str; 3] = ["sessions", "events", "version"];

/// Reads and parses in one go, for commands that need nothing else from the sources.
pub fn with_dataset<T>(
    paths: &[PathBuf],
    progress: &Progress,
    run: impl FnOnce(&Dataset<'_>) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let sources = read_sources(paths, progress)?;
    let dataset = parse(&sources, progress)?;
    run(&dataset)
}
