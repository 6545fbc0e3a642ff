use super::*;

#[test]
fn valid_exports_pass() {
    let files = [
        "pipeline_openai.json",
        "gemini_media.json",
        "multi_session.json",
        "empty.json",
    ];
    let args: Vec<String> = std::iter::once("validate".to_string())
        .chain(files.iter().map(|f| fixture(f)))
        .collect();
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("4 file(s) checked, 0 problem(s), 0 unreadable\n"));
}

#[test]
fn problems_are_named_by_json_path() {
    let files = [
        "malformed/wrong_types.json",
        "malformed/missing_key.json",
        "tricky_tree.json",
        "gemini_media.json",
    ];
    let args: Vec<String> = std::iter::once("validate".to_string())
        .chain(files.iter().map(|f| fixture(f)))
        .collect();
    let output = aiobs(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("wrong_types.json: $.events[0].duration_ms: expected number, got string"),
        "{text}"
    );
    assert_golden("validate.txt", &text);
}

#[test]
fn truncated_json_is_unreadable_with_its_position() {
    let output = aiobs(&[
        "validate",
        &fixture("malformed/truncated.json"),
        &fixture("empty.json"),
    ]);
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(
        err.contains(
            "truncated.json: not valid JSON: EOF while parsing a string at line 443 column 12"
        ),
        "{err}"
    );
    // The readable file is still checked.
    assert!(stdout(&output).contains("empty.json: ok"));
}
