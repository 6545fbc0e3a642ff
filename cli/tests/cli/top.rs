use super::*;

fn top(args: &[&str]) -> String {
    let mut all: Vec<String> = std::iter::once("top".to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect();
    all.extend(valid_fixtures());
    let output = aiobs(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn slowest_calls_with_their_ids() {
    let text = top(&["-n", "5"]);
    assert_golden("top_duration.txt", &text);
    // The slowest call of the fixtures is the 12.5 s image generation.
    assert!(text.lines().nth(2).unwrap().contains("12.50 s"), "{text}");
}

#[test]
fn most_expensive_calls_as_json() {
    let text = top(&["--by", "cost", "-n", "3", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let costs: Vec<f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["cost_usd"].as_f64().unwrap())
        .collect();
    assert_eq!(costs.len(), 3);
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
    assert_eq!(rows[0]["span_id"], "4d5e6f7081920314");
    assert_eq!(rows[0]["trace_id"], "b7ad6b7169203331a1b2c3d4e5f60718");
    assert_golden("top_cost.json", &text);
}

#[test]
fn tokens_rank_and_an_empty_export() {
    let text = top(&["--by", "tokens", "-n", "1"]);
    assert!(
        text.contains("openai images.generate [gpt-image-1]"),
        "{text}"
    );
    let output = aiobs(&["top", &fixture("empty.json")]);
    assert_eq!(stdout(&output), "no provider calls\n");
}
