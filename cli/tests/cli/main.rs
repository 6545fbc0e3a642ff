//! Integration tests: they run the built `aiobs` binary on the fixture exports under
//! `tests/fixtures/exports/` and compare outputs with `cli/tests/golden/` exactly.
//! `UPDATE_GOLDEN=1 cargo test -p aiobs-cli` rewrites the golden files after a deliberate change.

mod browser;
mod core_output;
mod exit_codes;
mod large_input;
mod merge;
mod otlp_export;
mod report;
mod retries;
mod summary;
mod top;
mod tree;
mod validate;

#[path = "../support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root: commands run there so fixture paths in outputs stay relative.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/exports/{name}")
}

/// The realistic fixtures that are valid exports.
fn valid_fixtures() -> Vec<String> {
    [
        "pipeline_openai.json",
        "gemini_media.json",
        "multi_session.json",
        "tricky_tree.json",
        "empty.json",
    ]
    .iter()
    .map(|name| fixture(name))
    .collect()
}

fn aiobs<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiobs"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("the aiobs binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Compares `actual` with `cli/tests/golden/<name>`, or rewrites it under UPDATE_GOLDEN=1.
fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a);
        panic!(
            "output differs from {} (first differing line: {line:?})\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// A scratch directory under the target dir, emptied for each test that asks for it.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir created");
    dir
}
