//! `AIOBS_CAPTURE_CONTENT=false` in the environment keeps metadata, usage and timings but drops
//! prompts and outputs. A test binary of its own: it sets the variable before any store exists.

mod common;

use std::fs;

#[test]
fn the_environment_turns_content_capture_off_and_configure_turns_it_back_on() {
    // SAFETY: this binary has one test, and it sets the variable before starting any thread.
    unsafe { std::env::set_var("AIOBS_CAPTURE_CONTENT", "false") };
    let dir = common::provider_fixtures().join("openai_chat_basic");
    let exchange = fs::read_to_string(dir.join("exchange.json")).unwrap();
    let request = fs::read(dir.join("request.body")).unwrap();
    let response = fs::read(dir.join("response.body")).unwrap();
    let no_content: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("expected_no_content.json")).unwrap())
            .unwrap();

    let store = aiobs::Store::new();
    assert!(!store.settings().capture_content);
    store.observe(None, None).unwrap();
    store.record_http(&exchange, &request, &response).unwrap();
    let event = &common::flush(&store, "env-off")["events"][0];
    assert_eq!(event["request"], no_content["request"]);
    assert_eq!(event["response"], no_content["response"]);
    assert!(
        event["response"]["tokens"]["total_tokens"].is_u64(),
        "usage is kept"
    );

    // The setting in force when an exchange is recorded decides, whatever it is at flush.
    store.observe(None, None).unwrap();
    store.record_http(&exchange, &request, &response).unwrap();
    store.configure(r#"{"capture_content":true}"#).unwrap();
    store.record_http(&exchange, &request, &response).unwrap();
    let events = common::flush(&store, "env-on")["events"].clone();
    assert_eq!(events[0]["request"], no_content["request"]);
    assert_ne!(events[1]["request"], no_content["request"]);
    assert!(
        events[1]["request"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    );
}
