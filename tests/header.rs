//! The committed header must be exactly what cbindgen generates from the sources.

#[test]
fn committed_header_matches_a_fresh_one() {
    let fresh = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/aiobs.h")).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/aiobs.h"))
            .unwrap_or_default();
    assert!(
        fresh == committed,
        "include/aiobs.h differs from the header generated from src/ffi/: run `make header` and commit it"
    );
}
