use super::*;

const DATA_OPEN: &str = r#"<script type="application/json" id="aiobs-data">"#;

fn write_report(name: &str, extra: &[&str]) -> String {
    let out = scratch(name).join("report.html");
    let mut args = vec![
        "report".to_string(),
        "-o".to_string(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(valid_fixtures());
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::read_to_string(out).expect("report written")
}

/// The JSON of the script block that `open` starts.
fn script_json(html: &str, open: &str) -> serde_json::Value {
    let start = html.find(open).expect("data script present") + open.len();
    let end = start + html[start..].find("</script>").expect("data script closed");
    serde_json::from_str(&html[start..end]).expect("embedded data is JSON")
}

/// The embedded data, parsed: the text between the data script tags.
pub(super) fn embedded_data(html: &str) -> serde_json::Value {
    script_json(html, DATA_OPEN)
}

/// The items of the compressed blocks of `kind` (`details` or `search`), in span order,
/// decoded as the page does: base64, then raw inflate, then JSON.
pub(super) fn blob_items(html: &str, kind: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    for n in 0.. {
        let open = format!(r#"<script type="text/plain" id="aiobs-{kind}-{n}">"#);
        let Some(start) = html.find(&open) else {
            break;
        };
        let start = start + open.len();
        let end = start + html[start..].find("</script>").expect("block closed");
        let deflated = unbase64(&html[start..end]);
        let json = miniz_oxide::inflate::decompress_to_vec(&deflated).expect("raw deflate");
        match serde_json::from_slice(&json).expect("a block is JSON") {
            serde_json::Value::Array(block) => items.extend(block),
            other => panic!("a block is an array, not {other}"),
        }
    }
    items
}

/// How many script elements the page should have: its two scripts, the data, the blocks.
fn expected_scripts(html: &str) -> usize {
    let meta = &embedded_data(html)["meta"];
    3 + meta["block_starts"].as_array().unwrap().len()
        + meta["search_blocks"].as_u64().unwrap() as usize
}

fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut held) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let digit = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        bits = bits << 6 | digit;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    out
}

#[test]
fn report_is_one_self_contained_file() {
    let html = write_report("report-self-contained", &[]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The SVG namespace is a name, not a location; nothing else may point outside the file.
    let without_namespace = html.replace("http://www.w3.org/2000/svg", "");
    for external in ["<link", "src=", "@import", "url(", "http://", "https://"] {
        assert!(
            !without_namespace.contains(external),
            "report references something external: {external}"
        );
    }
    assert_eq!(html.matches(DATA_OPEN).count(), 1);
    // The fixture's "</script><script>alert('xss')" is inside a compressed payload: the only
    // script tags are the page's own, and the payload is intact.
    assert_eq!(html.matches("<script").count(), expected_scripts(&html));
    assert_eq!(html.matches("</script>").count(), expected_scripts(&html));
    let details = blob_items(&html, "details");
    assert!(details.iter().any(|d| {
        d["request"]["messages"][1]["content"]
            .as_str()
            .is_some_and(|text| text.contains("</script><script>alert('xss')</script>"))
    }));
    for testid in [
        "filter-provider",
        "filter-session",
        "filter-label",
        "filter-model",
        "filter-errors",
        "search",
        "timecharts",
        "trace-panel",
        "tab-body",
        "detail-panel",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{testid}\"")),
            "no data-testid {testid}"
        );
    }
    // The counters are drawn by the script (see scripts/report-browser/checks.mjs for the DOM).
    assert!(html.contains("card('calls-count'") && html.contains("card('traces-count'"));
}

#[test]
fn report_data_golden() {
    let html = write_report("report-data", &[]);
    let data = embedded_data(&html);
    assert_eq!(data["spans"]["kind"].as_array().unwrap().len(), 36);
    assert_eq!(data["traces"].as_array().unwrap().len(), 18);
    assert_eq!(blob_items(&html, "details").len(), 36);
    assert_golden(
        "report_data.json",
        &(serde_json::to_string_pretty(&data).unwrap() + "\n"),
    );
}

#[test]
fn oversized_payloads_keep_their_shape_without_long_vectors() {
    let html = write_report("report-previews", &["--max-payload-bytes", "500"]);
    let data = embedded_data(&html);
    let details = blob_items(&html, "details");
    let strings = data["strings"].as_array().unwrap();
    let spans = &data["spans"];
    let embeddings = (0..details.len())
        .find(|&i| {
            let model = spans["model"][i].as_i64().unwrap();
            model >= 0 && strings[model as usize] == "text-embedding-3-small"
        })
        .expect("an embeddings call");
    let response = &details[embeddings]["response"];
    assert_eq!(response["$compacted"], true, "{response}");
    assert!(response["bytes"].as_u64().unwrap() > 500);
    let vector = &response["value"]["data"][0]["embedding"];
    assert_eq!(vector["$numbers"], 8, "{vector}");
    assert!(vector["head"].is_array());
}

/// The search text of a call holds its prompt and output, not its plumbing.
#[test]
fn search_text_holds_prompts_and_outputs() {
    let html = write_report("report-search", &[]);
    let search = blob_items(&html, "search");
    assert_eq!(search.len(), 36);
    let text = search
        .iter()
        .map(|t| t.as_str().unwrap())
        .find(|t| t.contains("What is an API?"))
        .expect("the first prompt is searchable");
    assert!(
        text.contains("You are a concise research assistant."),
        "{text}"
    );
    assert!(
        text.contains("An API is a contract that lets two programs talk to each other."),
        "{text}"
    );
    assert!(!text.contains("gpt-4o-mini"), "{text}");
}

#[test]
fn unwritable_output_exits_4() {
    let output = aiobs(&[
        "report",
        "-o",
        "/nonexistent-dir/report.html",
        &fixture("empty.json"),
    ]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("/nonexistent-dir/report.html"),
        "{}",
        stderr(&output)
    );
}

/// Titles that look like a template slot or like markup stay text: the data block is intact,
/// the page has its own three scripts only, and the title is shown literally.
#[test]
fn any_title_is_plain_text() {
    let reference = embedded_data(&write_report("report-title-plain", &[]));
    for (name, title, escaped) in [
        ("report-title-slot", "x{{DATA}}y", "x{{DATA}}y"),
        (
            "report-title-slots",
            "{{TITLE}}{{STYLE}}{{SCRIPT}}{{DATA",
            "{{TITLE}}{{STYLE}}{{SCRIPT}}{{DATA",
        ),
        (
            "report-title-markup",
            "</title><script>alert(1)</script>",
            "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        ),
        (
            "report-title-attribute",
            "\" onload='x' & more",
            "&quot; onload=&#39;x&#39; &amp; more",
        ),
    ] {
        let html = write_report(name, &["--title", title]);
        assert!(
            html.contains(&format!("<title>{escaped}</title>")),
            "{title}"
        );
        assert_eq!(
            html.matches(escaped).count(),
            2,
            "{title}: title and header"
        );
        assert_eq!(html.matches(DATA_OPEN).count(), 1, "{title}");
        assert_eq!(
            html.matches("<script").count(),
            expected_scripts(&html),
            "{title}"
        );
        assert_eq!(
            html.matches("</script>").count(),
            expected_scripts(&html),
            "{title}"
        );
        assert_eq!(html.matches("<title>").count(), 1, "{title}");
        assert_eq!(embedded_data(&html), reference, "{title}");
        assert!(html.trim_end().ends_with("</html>"), "{title}");
    }
}
