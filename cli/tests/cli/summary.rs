use super::*;

#[test]
fn summary_text_of_all_fixtures() {
    let output = aiobs(&[&["summary".to_string()], valid_fixtures().as_slice()].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_golden("summary.txt", &stdout(&output));
}

#[test]
fn summary_json_of_all_fixtures() {
    let output = aiobs(
        &[
            &["summary".to_string(), "--json".to_string()],
            valid_fixtures().as_slice(),
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let json: serde_json::Value = serde_json::from_str(&text).expect("--json prints JSON");
    assert_eq!(json["totals"]["provider_calls"], 23);
    assert_eq!(json["totals"]["cost"]["unpriced_calls"], 3);
    assert_eq!(json["prices_as_of"], "2025-12-01");
    assert_golden("summary.json", &text);
}

#[test]
fn summary_of_an_empty_export() {
    let output = aiobs(&["summary", &fixture("empty.json")]);
    assert_eq!(output.status.code(), Some(0));
    assert_golden("summary_empty.txt", &stdout(&output));
}

#[test]
fn a_custom_price_table_replaces_the_builtin_one() {
    let dir = scratch("custom-prices");
    let prices = dir.join("prices.json");
    std::fs::write(
        &prices,
        r#"{"prices_as_of":"2030-01-01","models":{"llama3.1":{"input":1.0,"cached_input":null,"output":1.0}}}"#,
    )
    .unwrap();
    let output = aiobs(&[
        "summary",
        "--json",
        "--prices",
        prices.to_str().unwrap(),
        &fixture("multi_session.json"),
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["prices_as_of"], "2030-01-01");
    let llama = json["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "llama3.1:8b")
        .unwrap();
    assert_eq!(llama["price_entry"], "llama3.1");
    assert!((llama["cost"]["usd"].as_f64().unwrap() - 152.0 / 1e6).abs() < 1e-12);

    std::fs::write(&prices, r#"{"prices_as_of":"someday","models":{}}"#).unwrap();
    let output = aiobs(&[
        "summary",
        "--prices",
        prices.to_str().unwrap(),
        &fixture("empty.json"),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("prices_as_of must be YYYY-MM-DD"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn summary_by_label_values() {
    let args = |json: bool| {
        let mut args = vec!["summary".to_string()];
        if json {
            args.push("--json".to_string());
        }
        args.extend(["--by", "label:environment", "--by", "label:team"].map(String::from));
        args.extend(valid_fixtures());
        args
    };
    let output = aiobs(&args(false));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_golden("summary_by_label.txt", &stdout(&output));

    let json: serde_json::Value = serde_json::from_str(&stdout(&aiobs(&args(true)))).unwrap();
    for key in ["environment", "team"] {
        let groups: Vec<&serde_json::Value> = json["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["key"] == key)
            .collect();
        let sum = |field: &str| -> u64 { groups.iter().map(|g| g[field].as_u64().unwrap()).sum() };
        assert_eq!(sum("sessions"), 5, "{key}: every session in one group");
        assert_eq!(sum("provider_calls"), 23, "{key}: every call in one group");
        let usd: f64 = groups
            .iter()
            .map(|g| g["cost"]["usd"].as_f64().unwrap())
            .sum();
        let total = json["totals"]["cost"]["usd"].as_f64().unwrap();
        assert!((usd - total).abs() < 1e-12, "{key}: {usd} vs {total}");
    }
}
