//! Runs `scripts/test-report-browser.sh` (headless Chromium on a real report) when Chromium
//! is installed; otherwise prints a notice and passes, unless AIOBS_REQUIRE_BROWSER is set. Install it with
//! `scripts/install-chromium.sh` (root, apt).

use std::process::Command;

use super::*;

fn chromium_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("chromium").is_file()))
}

#[test]
fn report_in_headless_chromium() {
    if !chromium_installed() {
        // `make test` installs Chromium first and sets this, so there the test never skips.
        assert!(
            std::env::var_os("AIOBS_REQUIRE_BROWSER").is_none(),
            "chromium is not installed but AIOBS_REQUIRE_BROWSER is set"
        );
        eprintln!(
            "SKIPPED report_in_headless_chromium: chromium is not installed (run scripts/install-chromium.sh as root)"
        );
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
