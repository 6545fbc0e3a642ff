//! Wall-clock timing of `aiobs summary` and `aiobs report` on a generated export of 100,000
//! provider calls (111,112 spans with their parent functions; targets: summary < 1 s,
//! report < 5 s), then, when Chromium is installed, of the report in headless Chromium
//! (`scripts/report-browser/timing.mjs`: open, filter, search, sort, drawer; target 2 s).
//! Runs the release-built binary the way a user would, so reading, parsing and writing are
//! all measured.
//!
//!     cargo bench -p aiobs-cli --bench large_export
//!     AIOBS_BENCH_SPANS=250000 AIOBS_BENCH_RUNS=3 cargo bench -p aiobs-cli --bench large_export
//!
//! Prints the median and range over the runs; asserts nothing (timings are machine-bound).

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not and only wants a smoke run.
    let timing = std::env::args().any(|arg| arg == "--bench");
    let spans = if timing {
        env_number("AIOBS_BENCH_SPANS", 111_112)
    } else {
        1_000
    };
    let runs = if timing {
        env_number("AIOBS_BENCH_RUNS", 5).max(1)
    } else {
        1
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("large-export-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let export = dir.join(format!("export-{spans}.json"));
    let report = dir.join("report.html");

    let started = Instant::now();
    synthetic::write_export(&export, spans).expect("export generated");
    let megabytes = std::fs::metadata(&export).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "generated {spans} spans, {megabytes:.1} MB, in {:.2?}",
        started.elapsed()
    );

    let export = export.to_str().expect("UTF-8 path");
    let report = report.to_str().expect("UTF-8 path");
    time("summary", runs, &["summary", export]);
    time("summary --json", runs, &["summary", "--json", export]);
    time("tree", runs, &["tree", export]);
    time("report", runs, &["report", "-o", report, export]);
    let report_mb = std::fs::metadata(report).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "report size: {report_mb:.1} MB ({:.0}% of the export)",
        report_mb / megabytes * 100.0
    );
    if timing {
        time_in_browser(report, runs);
    }
}

/// The report in headless Chromium, when it is installed (see scripts/install-chromium.sh).
fn time_in_browser(report: &str, runs: usize) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/report-browser/timing.mjs");
    let runs = runs.min(3).to_string();
    match Command::new("node")
        .arg(&script)
        .args([report, &runs])
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => println!("browser timing failed ({status}); is chromium installed?"),
        Err(e) => println!("browser timing skipped: node: {e}"),
    }
}

fn time(label: &str, runs: usize, args: &[&str]) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let output = Command::new(env!("CARGO_BIN_EXE_aiobs"))
                .args(args)
                .output()
                .expect("aiobs runs");
            let elapsed = started.elapsed();
            assert!(
                output.status.success(),
                "aiobs {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "{label:<16} median {:>8.3} s   (min {:.3} s, max {:.3} s, {runs} runs)",
        times[runs / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[runs - 1].as_secs_f64()
    );
}
