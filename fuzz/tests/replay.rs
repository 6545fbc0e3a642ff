//! Replays, on stable Rust, what the fuzz targets are fed: each target's seeds, the inputs
//! `make fuzz` has added under `corpus/<target>/` (when present), and every input that once
//! failed, kept under `regressions/<target>/`. With `AIOBS_FUZZ_EXPORTS=<dir>` the exports are
//! also written there, for checks outside Rust (Python's `json`, the `aiobs validate` command).

use std::path::{Path, PathBuf};

use aiobs_fuzz::Target;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every input and returns how many there were.
fn replay(target: Target, extra: Vec<Vec<u8>>) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(String, Vec<u8>)> = target
        .seeds()
        .into_iter()
        .chain(extra)
        .enumerate()
        .map(|(i, seed)| (format!("seed-{i}"), seed))
        .collect();
    for folder in ["corpus", "regressions"] {
        for file in files(&root.join(folder).join(target.name())) {
            let input = std::fs::read(&file).expect("a readable input");
            inputs.push((file.display().to_string(), input));
        }
    }
    let exports = std::env::var_os("AIOBS_FUZZ_EXPORTS").map(PathBuf::from);
    for (name, input) in &inputs {
        let run = std::panic::catch_unwind(|| target.run(input));
        let export = run.unwrap_or_else(|_| panic!("{}: {name} fails", target.name()));
        if let Some(dir) = &exports {
            std::fs::create_dir_all(dir).expect("the exports folder is writable");
            let file = name.rsplit('/').next().unwrap_or(name);
            let path = dir.join(format!("{}-{file}.json", target.name()));
            std::fs::write(path, export).expect("an export is written");
        }
    }
    inputs.len()
}

macro_rules! replay_tests {
    ($($test:ident: $target:expr),* $(,)?) => {$(
        #[test]
        fn $test() {
            assert!(replay($target, Vec::new()) > 0);
        }
    )*};
}

replay_tests! {
    event: Target::Event,
    span: Target::Span,
    labels: Target::Labels,
    label_strings: Target::LabelStrings,
    settings: Target::Settings,
    http: Target::Http,
    http_url: Target::HttpUrl,
    response_headers: Target::ResponseHeaders,
}

/// `stream_cut` is also run with every stream fixture cut at many bytes.
#[test]
fn stream_cut() {
    let cuts = aiobs_fuzz::stream_cuts();
    let count = cuts.len();
    assert!(replay(Target::StreamCut, cuts) > count);
}
