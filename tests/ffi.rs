//! The C ABI called from Rust: NULLs, invalid UTF-8, error messages, ownership of outputs.
//! Every test drives the one process-wide store, so they take turns.

mod common;

use std::ffi::{CStr, CString, c_char};
use std::ptr::{null, null_mut};
use std::sync::Mutex;

use aiobs::ffi::*;
use aiobs_status::*;

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// Takes ownership of a string aiobs returned, frees it, and gives its text.
fn take(ptr: *mut c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned();
    unsafe { aiobs_string_free(ptr) };
    Some(text)
}

/// Empties the global store, so each test starts clean.
fn reset() {
    let dir = common::scratch_dir("ffi-reset");
    let path = c(dir.join("discard.json").to_str().unwrap());
    unsafe {
        assert_eq!(aiobs_end(null_mut()), AIOBS_OK);
        assert_eq!(aiobs_flush(path.as_ptr(), null_mut(), null_mut()), AIOBS_OK);
    }
}

#[test]
fn a_whole_session_through_the_c_abi() {
    let _turn = turn();
    reset();
    unsafe {
        let version = CStr::from_ptr(aiobs_version()).to_str().unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));

        let mut id = null_mut();
        let mut err = null_mut();
        let labels = c(r#"{"team":"ml"}"#);
        let name = c("c-abi");
        assert_eq!(
            aiobs_observe(name.as_ptr(), labels.as_ptr(), &mut id, &mut err),
            AIOBS_OK
        );
        assert!(err.is_null());
        let id = take(id).unwrap();
        assert_eq!(id.len(), 36);

        assert_eq!(
            aiobs_add_label(c("user_tier").as_ptr(), c("gold").as_ptr(), null_mut()),
            AIOBS_OK
        );
        assert_eq!(
            aiobs_set_labels(c(r#"{"experiment":"42"}"#).as_ptr(), true, null_mut()),
            AIOBS_OK
        );
        assert_eq!(aiobs_remove_label(c("team").as_ptr(), null_mut()), AIOBS_OK);
        let mut labels_out = null_mut();
        assert_eq!(aiobs_get_labels(&mut labels_out, null_mut()), AIOBS_OK);
        let labels: serde_json::Value = serde_json::from_str(&take(labels_out).unwrap()).unwrap();
        assert_eq!(labels["user_tier"], "gold");
        assert_eq!(labels["experiment"], "42");
        assert!(labels.get("team").is_none());

        let mut span = null_mut();
        assert_eq!(
            aiobs_span_begin(c(r#"{"name":"step"}"#).as_ptr(), &mut span, null_mut()),
            AIOBS_OK
        );
        let span = take(span).unwrap();
        assert_eq!(
            aiobs_record_call(c(&common::chat_event(1)).as_ptr(), null_mut()),
            AIOBS_OK
        );
        assert_eq!(
            aiobs_span_end(c(&span).as_ptr(), c("[1,2]").as_ptr(), null(), null_mut()),
            AIOBS_OK
        );
        assert_eq!(aiobs_end(null_mut()), AIOBS_OK);

        let path = common::scratch_dir("ffi").join("run.json");
        let mut written = null_mut();
        assert_eq!(
            aiobs_flush(c(path.to_str().unwrap()).as_ptr(), &mut written, null_mut()),
            AIOBS_OK
        );
        assert_eq!(take(written).unwrap(), path.to_str().unwrap());
        let doc = common::read_json(&path);
        assert_eq!(doc["sessions"][0]["id"], id.as_str());
        assert_eq!(
            doc["trace_tree"][0]["children"][0]["parent_span_id"],
            span.as_str()
        );
        assert_eq!(
            doc["function_events"][0]["result"],
            serde_json::json!([1, 2])
        );
    }
}

#[test]
fn null_arguments_are_invalid_with_a_message() {
    let _turn = turn();
    reset();
    unsafe {
        assert_eq!(
            aiobs_observe(null(), null(), null_mut(), null_mut()),
            AIOBS_OK
        );
        type Call = Box<dyn Fn(*mut *mut c_char) -> aiobs_status>;
        let calls: Vec<(&str, Call)> = vec![
            ("settings_json", Box::new(|e| aiobs_configure(null(), e))),
            (
                "key",
                Box::new(|e| aiobs_add_label(null(), c("v").as_ptr(), e)),
            ),
            (
                "value",
                Box::new(|e| aiobs_add_label(c("k").as_ptr(), null(), e)),
            ),
            (
                "labels_json",
                Box::new(|e| aiobs_set_labels(null(), false, e)),
            ),
            ("key", Box::new(|e| aiobs_remove_label(null(), e))),
            (
                "labels_json_out",
                Box::new(|e| aiobs_get_labels(null_mut(), e)),
            ),
            ("event_json", Box::new(|e| aiobs_record_call(null(), e))),
            (
                "span_json",
                Box::new(|e| aiobs_span_begin(null(), null_mut(), e)),
            ),
            (
                "span_id_out",
                Box::new(|e| aiobs_span_begin(c(r#"{"name":"f"}"#).as_ptr(), null_mut(), e)),
            ),
            (
                "span_id",
                Box::new(|e| aiobs_span_end(null(), null(), null(), e)),
            ),
        ];
        for (name, call) in calls {
            let mut err = null_mut();
            assert_eq!(call(&mut err), AIOBS_ERR_INVALID_ARGUMENT, "{name}");
            let message = take(err).unwrap();
            assert!(message.contains(name), "{name}: {message}");
            // The same call with error_out NULL still fails and leaks nothing.
            assert_eq!(call(null_mut()), AIOBS_ERR_INVALID_ARGUMENT);
        }
        aiobs_string_free(null_mut());
    }
}

#[test]
fn invalid_utf8_is_refused_everywhere() {
    let _turn = turn();
    reset();
    let bad = CString::new(vec![b'{', 0xff, 0xfe, b'}']).unwrap();
    unsafe {
        assert_eq!(
            aiobs_observe(bad.as_ptr(), null(), null_mut(), null_mut()),
            AIOBS_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            aiobs_observe(null(), null(), null_mut(), null_mut()),
            AIOBS_OK
        );
        let mut err = null_mut();
        assert_eq!(
            aiobs_record_call(bad.as_ptr(), &mut err),
            AIOBS_ERR_INVALID_ARGUMENT
        );
        // The message names the argument and where its bytes stop being UTF-8.
        let message = take(err).unwrap();
        assert!(
            message.contains("event_json is not valid UTF-8") && message.contains("from index 1"),
            "{message}"
        );
        assert_eq!(
            aiobs_add_label(c("k").as_ptr(), bad.as_ptr(), null_mut()),
            AIOBS_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            aiobs_flush(bad.as_ptr(), null_mut(), null_mut()),
            AIOBS_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            aiobs_span_end(
                c("00000000000000aa").as_ptr(),
                bad.as_ptr(),
                null(),
                null_mut()
            ),
            AIOBS_ERR_INVALID_ARGUMENT
        );
        // Arguments under 64 bytes are checked apart (an ASCII one word by word): on both sides
        // of that length a bad byte is refused wherever it is, and ASCII and characters beyond
        // it are taken.
        for len in [62, 63, 64, 100] {
            let mut bad = vec![b'a'; len];
            bad.push(0xff);
            let bad = CString::new(bad).unwrap();
            let mut err = null_mut();
            assert_eq!(
                aiobs_add_label(c("k").as_ptr(), bad.as_ptr(), &mut err),
                AIOBS_ERR_INVALID_ARGUMENT
            );
            let message = take(err).unwrap();
            assert!(message.contains(&format!("from index {len}")), "{message}");
        }
        for value in ["é", &"é".repeat(50), &"a".repeat(63), &"a".repeat(64)] {
            assert_eq!(
                aiobs_add_label(c("k").as_ptr(), c(value).as_ptr(), null_mut()),
                AIOBS_OK,
                "{value}"
            );
        }
    }
}

#[test]
fn outputs_are_written_only_on_success() {
    let _turn = turn();
    reset();
    unsafe {
        let sentinel = std::ptr::dangling_mut::<c_char>();
        let mut id = sentinel;
        let mut err = null_mut();
        let status = aiobs_observe(null(), c(r#"{"Bad":"x"}"#).as_ptr(), &mut id, &mut err);
        assert_eq!(status, AIOBS_ERR_INVALID_LABEL);
        assert_eq!(id, sentinel);
        assert!(take(err).unwrap().contains("Bad"));

        let mut labels = sentinel;
        assert_eq!(
            aiobs_get_labels(&mut labels, null_mut()),
            AIOBS_ERR_NO_SESSION
        );
        assert_eq!(labels, sentinel);

        let mut written = sentinel;
        let blocker = common::scratch_dir("ffi-io").join("file");
        std::fs::write(&blocker, "x").unwrap();
        let mut err = null_mut();
        let bad_path = c(blocker.join("out.json").to_str().unwrap());
        assert_eq!(
            aiobs_flush(bad_path.as_ptr(), &mut written, &mut err),
            AIOBS_ERR_IO
        );
        assert_eq!(written, sentinel);
        assert!(take(err).unwrap().contains("out.json"));
    }
}

#[test]
fn error_out_is_cleared_on_success() {
    let _turn = turn();
    reset();
    unsafe {
        let mut err = std::ptr::dangling_mut::<c_char>();
        assert_eq!(aiobs_end(&mut err), AIOBS_OK);
        assert!(err.is_null());
    }
}

#[cfg(feature = "test-hooks")]
#[test]
fn a_panic_stops_at_the_boundary_and_keeps_the_store() {
    let _turn = turn();
    reset();
    unsafe {
        assert_eq!(
            aiobs_observe(null(), null(), null_mut(), null_mut()),
            AIOBS_OK
        );
        assert_eq!(
            aiobs_record_call(c(&common::chat_event(7)).as_ptr(), null_mut()),
            AIOBS_OK
        );
        let mut err = null_mut();
        assert_eq!(aiobs_test_panic(&mut err), AIOBS_ERR_PANIC);
        assert!(take(err).unwrap().contains("deliberate"));
        assert_eq!(
            aiobs_record_call(c(&common::chat_event(8)).as_ptr(), null_mut()),
            AIOBS_OK
        );
        let path = common::scratch_dir("ffi-panic").join("out.json");
        assert_eq!(
            aiobs_flush(c(path.to_str().unwrap()).as_ptr(), null_mut(), null_mut()),
            AIOBS_OK
        );
        assert_eq!(
            common::read_json(&path)["events"].as_array().unwrap().len(),
            2
        );
    }
}
