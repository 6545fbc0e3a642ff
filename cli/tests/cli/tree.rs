use super::*;

#[test]
fn tree_of_all_fixtures() {
    let output = aiobs(&[&["tree".to_string()], valid_fixtures().as_slice()].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_golden("tree.txt", &stdout(&output));
}

#[test]
fn tree_survives_cycles_and_duplicate_ids() {
    let output = aiobs(&["tree", &fixture("tricky_tree.json")]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("[parent cycle cut here]"), "{text}");
    assert!(text.contains("[duplicate span id]"), "{text}");
    // Every one of the 7 spans is drawn exactly once.
    assert_eq!(
        text.lines().filter(|l| l.contains("── ")).count(),
        7,
        "{text}"
    );
}

#[test]
fn tree_of_an_empty_export() {
    let output = aiobs(&["tree", &fixture("empty.json")]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "0 session(s), no spans\n");
}

#[test]
fn tree_of_failed_traces_only() {
    let output = aiobs(
        &[
            &["tree".to_string(), "--errors".to_string()],
            valid_fixtures().as_slice(),
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        !text.contains("batch-eval"),
        "a session without errors is left out:\n{text}"
    );
    assert_golden("tree_errors.txt", &text);
}

#[test]
fn tree_of_one_session_and_trace() {
    let tree = |args: &[&str]| {
        let mut all: Vec<String> = std::iter::once("tree".to_string())
            .chain(args.iter().map(|a| a.to_string()))
            .collect();
        all.extend(valid_fixtures());
        stdout(&aiobs(&all))
    };
    // A span id finds its trace; a session by name, or by the start of its id.
    for session in ["gemini-demo", "9b2d4e6f"] {
        let text = tree(&["--session", session, "--trace", "5e6f708192031425"]);
        assert_eq!(
            text.lines().filter(|l| l.contains("── ")).count(),
            3,
            "{text}"
        );
        assert!(text.contains("fn critique  7.15 s  trace b7ad6b7169203331a1b2c3d4e5f60718"));
    }
    let by_trace = tree(&["--trace", "b7ad6b7169203331a1b2c3d4e5f60718"]);
    assert_eq!(
        by_trace,
        tree(&["--session", "gemini-demo", "--trace", "5e6f708192031425"])
    );
    assert_eq!(
        tree(&["--session", "batch-eval", "--trace", "5e6f708192031425"]),
        "no trace matches the filter\n"
    );
}
