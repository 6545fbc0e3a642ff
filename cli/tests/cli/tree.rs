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
