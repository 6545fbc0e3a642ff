//! Runs `scripts/test-report-browser.sh` (headless Chromium, driven by Node, on real
//! reports) when both are installed; otherwise prints a notice and passes, unless
//! AIOBS_REQUIRE_BROWSER is set. Install them with `scripts/install-chromium.sh` (root, apt).

use std::process::Command;

use super::*;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether to run a browser test: false (with a notice) when chromium is missing, unless
/// AIOBS_REQUIRE_BROWSER is set, where that is a failure.
fn browser_available(test: &str) -> bool {
    if on_path("chromium") && on_path("node") {
        return true;
    }
    // `make test` installs Chromium first and sets this, so there the test never skips.
    assert!(
        std::env::var_os("AIOBS_REQUIRE_BROWSER").is_none(),
        "chromium or node is not installed but AIOBS_REQUIRE_BROWSER is set"
    );
    eprintln!(
        "SKIPPED {test}: chromium or node is not installed (run scripts/install-chromium.sh as root)"
    );
    false
}

#[test]
fn report_in_headless_chromium() {
    if !browser_available("report_in_headless_chromium") {
        return;
    }
    let output = Command::new("bash")
        .arg(workspace().join("scripts/test-report-browser.sh"))
        .env("AIOBS_BIN", env!("CARGO_BIN_EXE_aiobs"))
        .env("ARTIFACTS", workspace().join("target/test-artifacts"))
        .current_dir(workspace())
        .output()
        .expect("bash runs");
    let log = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "browser checks failed:\n{log}");
    assert!(log.contains(" passed, 0 failed"), "{log}");
}

/// A title made of markup and a template slot is shown as text and the page still renders.
#[test]
fn hostile_title_renders_in_headless_chromium() {
    if !browser_available("hostile_title_renders_in_headless_chromium") {
        return;
    }
    let dir = scratch("browser-hostile-title");
    let report = dir.join("report.html");
    let title = "</title><script>x{{DATA}}y";
    let output = aiobs(&[
        "report",
        "--title",
        title,
        "-o",
        report.to_str().unwrap(),
        &fixture("gemini_media.json"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let profile = dir.join("profile");
    let output = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let dom = stdout(&output);
    assert!(dom.contains(r#"data-ready="true""#), "not rendered:\n{dom}");
    assert!(
        !dom.contains(r#"data-testid="js-error">"#),
        "script error:\n{dom}"
    );
    assert!(
        dom.contains("<title>&lt;/title&gt;&lt;script&gt;x{{DATA}}y</title>"),
        "{dom}"
    );
    assert!(dom.contains(r#"data-testid="calls-count">6<"#), "{dom}");
}
