use super::*;

fn expect(args: &[&str], code: i32, message: &str) {
    let output = aiobs(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected {message:?} in stderr:\n{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    expect(&[], 2, "Usage: aiobs");
    expect(&["summary"], 2, "required arguments were not provided");
    expect(&["frobnicate"], 2, "unrecognized subcommand");
    expect(&["report", &fixture("empty.json")], 2, "--output <FILE>");
    expect(
        &["export", "--otlp", "collector:4318", &fixture("empty.json")],
        2,
        "expected an http:// or https:// URL",
    );
    expect(
        &["summary", "--by", "user_id", &fixture("empty.json")],
        2,
        "expected label:KEY",
    );
    expect(
        &[
            "export",
            "--otlp",
            "http://x",
            "--header",
            "novalue",
            &fixture("empty.json"),
        ],
        2,
        "expected NAME=VALUE",
    );
}

#[test]
fn unreadable_or_malformed_inputs_exit_3_naming_file_and_position() {
    expect(
        &["summary", "no/such/file.json"],
        3,
        "no/such/file.json: No such file or directory",
    );
    expect(
        &["tree", &fixture("malformed/truncated.json")],
        3,
        "truncated.json: not valid JSON: EOF while parsing a string at line 443 column 12",
    );
    expect(
        &["summary", &fixture("malformed/wrong_types.json")],
        3,
        "wrong_types.json: invalid aiobs export (run `aiobs validate` for details): invalid type: integer `42`, expected a string at line 15 column 27",
    );
    expect(
        &[
            "report",
            "-o",
            "/dev/null",
            &fixture("malformed/missing_key.json"),
        ],
        3,
        "missing field `name` at line 20 column 5",
    );
}

#[test]
fn unsupported_version_exits_3() {
    let dir = scratch("version-2");
    let file = dir.join("v2.json");
    let text = std::fs::read_to_string(workspace().join(fixture("empty.json"))).unwrap();
    std::fs::write(&file, text.replace("\"version\": 1", "\"version\": 2")).unwrap();
    expect(
        &["summary", file.to_str().unwrap()],
        3,
        "unsupported export version 2 (this viewer reads version 1)",
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let output = aiobs(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for line in [
        "0  success",
        "1  validate found problems",
        "2  usage error",
        "3  an input file is unreadable",
        "4  writing the output",
    ] {
        assert!(help.contains(line), "{line:?} missing from --help:\n{help}");
    }
}

#[test]
fn json_that_is_no_export_is_named_so() {
    let dir = scratch("not-an-export");
    let object = dir.join("package.json");
    std::fs::write(&object, r#"{"name": "x", "version": "1.0.0"}"#).unwrap();
    let array = dir.join("list.json");
    std::fs::write(&array, "[1, 2]").unwrap();
    expect(
        &["summary", object.to_str().unwrap()],
        3,
        "package.json: not an aiobs export: an export has the keys sessions, events, version; this file has name, version",
    );
    expect(
        &["tree", array.to_str().unwrap()],
        3,
        "list.json: not an aiobs export: the file holds an array, not an object",
    );
}

#[test]
fn report_never_overwrites_its_input() {
    let dir = scratch("report-over-input");
    let input = dir.join("run.json");
    std::fs::copy(workspace().join(fixture("empty.json")), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let same = dir.join(".").join("run.json");
    expect(
        &[
            "report",
            input.to_str().unwrap(),
            "-o",
            same.to_str().unwrap(),
        ],
        2,
        "refusing to write the report over its input",
    );
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input is untouched"
    );
}
