//! The strict checker against serde_json on generated inputs: within the depth both allow, they
//! must accept and refuse exactly the same texts (serde_json decodes into a `Value`, which refuses
//! lone surrogates and numbers beyond a double, as the checker does).

mod common;

use aiobs::json_check::{MAX_DEPTH, ProblemKind, check};
use common::Rng;

const STRING_PARTS: [&str; 16] = [
    "a",
    "é",
    "😀",
    " ",
    "\\\"",
    "\\\\",
    "\\/",
    "\\n",
    "\\t",
    "\\u00e9",
    "\\uD83D\\uDE00",
    "\\ud800",
    "\\udc00",
    "\\x",
    "\u{1}",
    "\\u12",
];
const NUMBERS: [&str; 20] = [
    "0",
    "-0",
    "7",
    "-12",
    "3.25",
    "0.5e10",
    "1E+2",
    "2e-5",
    "1e308",
    "1.7e308",
    "1e309",
    "1e400",
    "-2e400",
    "1e-400",
    "01",
    "1.",
    ".5",
    "1e",
    "-",
    "123456789012345678901234567890",
];

/// A random JSON-like value: mostly valid, with invalid pieces mixed in.
fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    let choice = if depth >= 12 {
        4 + rng.below(4)
    } else {
        rng.below(8)
    };
    match choice {
        0 | 1 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push_str(rng.pick(&[",", ",", ",", " , ", ""]));
                }
                value(rng, depth + 1, out);
            }
            out.push_str(rng.pick(&["]", "]", "]", "]", ",]", "}"]));
        }
        2 | 3 => {
            out.push('{');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push_str(rng.pick(&[",", ",", ",", ""]));
                }
                string(rng, out);
                out.push_str(rng.pick(&[":", ":", " : ", ""]));
                value(rng, depth + 1, out);
            }
            out.push_str(rng.pick(&["}", "}", "}", "}", ",}", "]"]));
        }
        4 => string(rng, out),
        5 => out.push_str(rng.pick(&NUMBERS)),
        6 => out.push_str(rng.pick(&["true", "false", "null", "nul", "True", "NaN"])),
        _ => out.push_str(rng.pick(&NUMBERS[..10])),
    }
}

fn string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.below(5) {
        // Invalid parts are rarer, so that most strings are valid.
        let part = if rng.below(6) == 0 {
            rng.pick(&STRING_PARTS)
        } else {
            rng.pick(&STRING_PARTS[..11])
        };
        out.push_str(part);
    }
    if rng.below(40) != 0 {
        out.push('"');
    }
}

fn serde_accepts(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

#[test]
fn accepts_and_refuses_exactly_what_serde_json_does() {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..60_000 {
        let mut text = String::new();
        if rng.below(5) == 0 {
            text.push_str(rng.pick(&[" ", "\n", "\t", "\r\n"]));
        }
        value(&mut rng, 0, &mut text);
        if rng.below(8) == 0 {
            text.push_str(rng.pick(&[" ", "x", "1", ",", "]", "\n"]));
        }
        // Byte-level mutations at char boundaries.
        if rng.below(4) == 0 && !text.is_empty() {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(3) {
                0 => {
                    text.remove(at);
                }
                1 => text.insert(at, ['"', '\\', '[', '{', ',', ':', '0', 'e'][rng.below(8)]),
                _ => text.truncate(at),
            }
        }
        let ours = check(&text).is_ok();
        assert_eq!(
            ours,
            serde_accepts(&text),
            "round {round}: {text:?}: {:?}",
            check(&text)
        );
        if ours {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // The generator must exercise both sides.
    assert!(
        accepted > 10_000 && refused > 10_000,
        "{accepted} / {refused}"
    );
}

#[test]
fn every_single_byte_text_agrees_with_serde_json() {
    for byte in 0..=0x7f_u8 {
        let text = char::from(byte).to_string();
        assert_eq!(check(&text).is_ok(), serde_accepts(&text), "{text:?}");
        let quoted = format!("\"{text}\"");
        assert_eq!(check(&quoted).is_ok(), serde_accepts(&quoted), "{quoted:?}");
        let escaped = format!("\"\\{text}\"");
        assert_eq!(
            check(&escaped).is_ok(),
            serde_accepts(&escaped),
            "{escaped:?}"
        );
    }
}

#[test]
fn every_escape_of_the_surrogate_range_agrees_with_serde_json() {
    for unit in (0xD700..0xE100)
        .step_by(7)
        .chain([0xD800, 0xDBFF, 0xDC00, 0xDFFF])
    {
        for next in ["", "\\u0041", "\\uDC00", "\\uDFFF", "\\uD800", "x"] {
            let text = format!("\"\\u{unit:04X}{next}\"");
            assert_eq!(check(&text).is_ok(), serde_accepts(&text), "{text}");
        }
    }
}

#[test]
fn numbers_near_the_edge_of_a_double_agree_with_serde_json() {
    for mantissa in [
        "1",
        "1.7",
        "1.79",
        "1.7976931348623157",
        "1.7976931348623159",
        "9.99",
    ] {
        for exponent in [306, 307, 308, 309, 310] {
            for sign in ["", "-"] {
                let text = format!("{sign}{mantissa}e{exponent}");
                assert_eq!(check(&text).is_ok(), serde_accepts(&text), "{text}");
            }
        }
    }
}

#[test]
fn depth_is_limited_to_max_depth_whatever_the_container() {
    for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
        let nest = |n: usize| format!("{}0{}", open.repeat(n), close.repeat(n));
        let ok_text = nest(MAX_DEPTH).replace("[0]", "[]");
        assert_eq!(check(&ok_text), Ok(()));
        assert!(serde_accepts(&ok_text));
        let deep = nest(MAX_DEPTH + 1);
        assert_eq!(check(&deep).unwrap_err().kind, ProblemKind::TooDeep);
    }
}
