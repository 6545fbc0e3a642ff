//! A generated export of a few thousand spans: counts add up, every command copes, and
//! `--progress` reports on stderr (never stdout). Timings live in `cli/benches/`.

use super::*;

const SPANS: usize = 5_000;

#[test]
fn generated_export_is_summarised_and_reported() {
    let dir = scratch("large-input");
    let file = dir.join("export.json");
    synthetic::write_export(&file, SPANS).unwrap();
    let file = file.to_str().unwrap();

    let output = aiobs(&["summary", "--json", "--progress", file]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["totals"]["provider_calls"], 4_500);
    assert_eq!(json["totals"]["function_calls"], 500);
    assert_eq!(json["totals"]["traces"], 500);
    assert_eq!(json["totals"]["cost"]["unpriced_calls"], 0);
    let progress = stderr(&output);
    assert!(
        progress.contains("aiobs: reading") && progress.contains("100%"),
        "{progress}"
    );
    assert!(progress.contains("aiobs: merging files"), "{progress}");

    let report = dir.join("report.html");
    let output = aiobs(&["report", "-o", report.to_str().unwrap(), file]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).is_empty(),
        "no progress without a terminal or --progress"
    );

    let output = aiobs(&["validate", file]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let output = aiobs(&["top", "--json", "-n", "3", file]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let durations: Vec<f64> = (0..3)
        .map(|i| rows[i]["duration_ms"].as_f64().unwrap())
        .collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");
}
