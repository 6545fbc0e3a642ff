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

/// The embedded data, parsed: the text between the data script tags.
fn embedded_data(html: &str) -> serde_json::Value {
    let start = html.find(DATA_OPEN).expect("data script present") + DATA_OPEN.len();
    let end = start + html[start..].find("</script>").expect("data script closed");
    serde_json::from_str(&html[start..end]).expect("embedded data is JSON")
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
    // The fixture's "</script><script>alert('xss')" is inside the data, escaped: the only
    // closing tags are those of the page's own three scripts.
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(html.contains(r"\u003c/script>\u003cscript>alert('xss')\u003c/script>"));
    for testid in [
        "filter-provider",
        "filter-session",
        "filter-label",
        "traces",
        "detail-panel",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{testid}\"")),
            "no data-testid {testid}"
        );
    }
    // The counters are drawn by the script (see scripts/test-report-browser.sh for the DOM).
    assert!(html.contains("card('calls-count'") && html.contains("card('traces-count'"));
}

#[test]
fn report_data_golden() {
    let html = write_report("report-data", &[]);
    let data = embedded_data(&html);
    assert_eq!(data["spans"].as_array().unwrap().len(), 36);
    assert_eq!(data["traces"].as_array().unwrap().len(), 18);
    assert_golden(
        "report_data.json",
        &(serde_json::to_string_pretty(&data).unwrap() + "\n"),
    );
}

#[test]
fn oversized_payloads_are_embedded_as_previews() {
    let html = write_report("report-previews", &["--max-payload-bytes", "200"]);
    let data = embedded_data(&html);
    let embeddings = data["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|span| {
            span["api"] == "embeddings.create" && span["model"] == "text-embedding-3-small"
        })
        .unwrap();
    assert_eq!(embeddings["response"]["$truncated"], true);
    assert!(embeddings["response"]["bytes"].as_u64().unwrap() > 200);
    let preview = embeddings["response"]["preview"].as_str().unwrap();
    assert!(
        preview.starts_with('{') && preview.contains("\"embedding\""),
        "{preview}"
    );
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
        assert_eq!(html.matches("<script").count(), 3, "{title}");
        assert_eq!(html.matches("</script>").count(), 3, "{title}");
        assert_eq!(html.matches("<title>").count(), 1, "{title}");
        assert_eq!(embedded_data(&html), reference, "{title}");
        assert!(html.trim_end().ends_with("</html>"), "{title}");
    }
}
