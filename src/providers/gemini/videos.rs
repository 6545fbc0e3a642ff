//! Veo video generation → `models.generate_videos`: the `:predictLongRunning` submit, which
//! returns an operation, and the polls of that operation (`GET …/operations/{id}` on the Gemini
//! API, `POST …:fetchPredictOperation` on Vertex) until it is `done`. The flush folds each poll
//! into its submit's record with [`apply_poll`], so one record runs from submit to finished video.
//! Only metadata of the media is kept (URI, MIME type, size), never the bytes.

use serde_json::Value;

use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, items, non_null, str_at, take, take_any, u64_at};
use super::super::{CapturedCall, Endpoint, OperationLink, error, url};

/// The members of a poll's record that update the submit's record.
const POLL_UPDATES: [&str; 4] = [
    "done",
    "generated_videos",
    "rai_media_filtered_count",
    "rai_media_filtered_reasons",
];

/// `{instances: [{prompt, image?, video?, …}], parameters: {aspectRatio, durationSeconds, …}}`.
pub(crate) fn submit_request(mut body: Object, model: Option<&str>) -> Object {
    let mut instances = match body.remove("instances") {
        Some(Value::Array(instances)) => instances,
        Some(other) => {
            body.insert("instances".to_owned(), other);
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut instance = match (!instances.is_empty()).then(|| instances.remove(0)) {
        Some(Value::Object(instance)) => instance,
        _ => Object::new(),
    };
    let mut request = Object::new();
    request.insert("model".to_owned(), Value::from(model));
    request.insert("prompt".to_owned(), take(&mut instance, "prompt"));
    request.insert(
        "image".to_owned(),
        media_input(take(&mut instance, "image")),
    );
    request.insert(
        "video".to_owned(),
        media_input(take(&mut instance, "video")),
    );
    request.insert("config".to_owned(), take(&mut body, "parameters"));
    // Other instance members (lastFrame, referenceImages, …) and any further instances.
    body.extend(instance);
    if !instances.is_empty() {
        body.insert("instances".to_owned(), Value::Array(instances));
    }
    request.insert("other".to_owned(), Value::Object(body));
    request
}

/// A poll names its operation in the body (`fetchPredictOperation`) or in the URL (`GET`).
pub(crate) fn poll_request(mut body: Object, model: Option<&str>, link: &str) -> Object {
    let name = match take_any(&mut body, &["operationName", "operation_name"]) {
        Value::String(name) => Some(name),
        _ => url::operation_name(link),
    };
    let mut request = Object::new();
    request.insert("model".to_owned(), Value::from(model));
    request.insert("operation_name".to_owned(), Value::from(name));
    request
}

/// An input image or video (`bytesBase64Encoded`/`inlineData` already replaced by `byte_length`)
/// as `{mime_type, uri, byte_length}`.
fn media_input(value: Value) -> Value {
    if !value.is_object() {
        return value;
    }
    let inline = value
        .get("inlineData")
        .or_else(|| value.get("inline_data"))
        .unwrap_or(&Value::Null);
    media(&value, inline)
}

/// `{mime_type, uri, byte_length}` from the first spelling present in `value`, then in `fallback`.
fn media(value: &Value, fallback: &Value) -> Value {
    let first = |keys: &[&str]| {
        [value, fallback]
            .iter()
            .flat_map(|source| keys.iter().filter_map(|key| source.get(*key)))
            .find_map(non_null)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let uri = match first(&["uri", "gcsUri", "fileUri", "file_uri"]) {
        Value::String(uri) => Value::from(url::sanitize(&uri)),
        other => other,
    };
    serde_json::json!({
        "mime_type": first(&["mimeType", "mime_type", "encoding"]),
        "uri": uri,
        "byte_length": first(&["byte_length"]),
    })
}

pub(crate) fn response(bytes: &[u8], model: Option<&str>, is_poll: bool) -> Reply {
    json_reply(bytes, |body| build(&Value::Object(body), model, is_poll))
}

/// An Operation: `{name, done?, error?, response?}`. The Gemini API nests the videos as
/// `response.generateVideoResponse.generatedSamples[].video`; Vertex as `response.videos[]`.
fn build(body: &Value, model: Option<&str>, is_poll: bool) -> Reply {
    let result = body.get("response").unwrap_or(&Value::Null);
    let result = result.get("generateVideoResponse").unwrap_or(result);
    let samples = ["generatedSamples", "videos", "generatedVideos"]
        .iter()
        .map(|key| items(result, key))
        .find(|samples| !samples.is_empty())
        .unwrap_or_default();
    let videos: Vec<Value> = samples.iter().map(generated_video).collect();
    let mut response = Object::new();
    response.insert("model".to_owned(), Value::from(model));
    response.insert("operation_name".to_owned(), cloned(body, "name"));
    // An Operation omits `done` until it is true.
    let done = body.get("done").and_then(Value::as_bool).unwrap_or(false);
    response.insert("done".to_owned(), Value::from(done));
    let videos = (!videos.is_empty()).then_some(Value::Array(videos));
    response.insert("generated_videos".to_owned(), videos.unwrap_or_default());
    for (key, wire) in [
        ("rai_media_filtered_count", "raiMediaFilteredCount"),
        ("rai_media_filtered_reasons", "raiMediaFilteredReasons"),
    ] {
        response.insert(key.to_owned(), cloned(result, wire));
    }
    response.insert("polls".to_owned(), Value::from(u64::from(is_poll)));
    response.insert("usage".to_owned(), Value::Null);
    response.insert("tokens".to_owned(), Value::Null);
    Reply {
        body: response,
        error: body.get("error").and_then(error::describe),
    }
}

/// A sample is `{video: {uri, …}}` (Gemini API) or the video itself (Vertex).
fn generated_video(sample: &Value) -> Value {
    let video = sample
        .get("video")
        .filter(|video| video.is_object())
        .unwrap_or(sample);
    serde_json::json!({"video": media(video, sample)})
}

/// The operation a submit started or a poll polls, by name.
pub(crate) fn link(endpoint: Endpoint, request: &Value, response: &Value) -> Option<OperationLink> {
    let is_poll = match endpoint {
        Endpoint::GeminiPredictLongRunning => false,
        Endpoint::GeminiGetOperation | Endpoint::GeminiFetchPredictOperation => true,
        _ => return None,
    };
    let name = str_at(response, "operation_name").or_else(|| str_at(request, "operation_name"))?;
    Some(OperationLink {
        name: name.to_owned(),
        is_poll,
    })
}

pub(crate) fn apply_poll(submit: &mut CapturedCall, poll: &CapturedCall) {
    let (Some(target), Some(source)) = (&submit.operation, &poll.operation) else {
        return;
    };
    if !source.is_poll || source.name != target.name {
        return;
    }
    let Some(record) = submit.response.as_object_mut() else {
        return;
    };
    let update = &poll.response;
    for key in POLL_UPDATES {
        if let Some(value) = update.get(key).and_then(non_null) {
            record.insert(key.to_owned(), value.clone());
        }
    }
    let polls = record.get("polls").and_then(Value::as_u64).unwrap_or(0);
    let added = u64_at(update, "polls").unwrap_or(1);
    record.insert("polls".to_owned(), Value::from(polls.saturating_add(added)));
    // The latest poll says where the operation stands: a failed poll sets the error, a later
    // successful one clears it.
    submit.error = poll.error.clone();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_inputs_and_inline_outputs_keep_only_metadata() {
        let mut body = json!({"instances": [{"prompt": "p",
            "video": {"inlineData": {"mimeType": "video/mp4", "byte_length": 900}},
            "lastFrame": {"gcsUri": "gs://b/last.png", "mimeType": "image/png"}}]});
        let body = std::mem::take(body.as_object_mut().unwrap());
        let request = submit_request(body, Some("veo-3.1-generate-preview"));
        assert_eq!(
            request["video"],
            json!({"mime_type": "video/mp4", "uri": null, "byte_length": 900})
        );
        assert_eq!(
            request["other"],
            json!({"lastFrame": {"gcsUri": "gs://b/last.png", "mimeType": "image/png"}})
        );

        // Vertex without a storage URI returns the bytes; `media::strip` has replaced them.
        let operation = json!({"name": "projects/p/locations/l/publishers/google/models/veo/operations/1", "done": true,
                               "response": {"videos": [{"byte_length": 1_048_576, "mimeType": "video/mp4"}]}});
        let reply = build(&operation, Some("veo"), true);
        assert_eq!(
            reply.body["generated_videos"],
            json!([{"video": {"mime_type": "video/mp4", "uri": null, "byte_length": 1_048_576}}])
        );
    }

    #[test]
    fn a_poll_of_an_unknown_body_is_still_linked_by_url() {
        let url = "https://h/v1beta/models/veo-3.0-generate-001/operations/abc?key=k";
        let request = Value::Object(poll_request(
            Object::new(),
            Some("veo-3.0-generate-001"),
            url,
        ));
        let response = json!({"capture_error": "body is empty", "operation_name": null});
        let poll = link(Endpoint::GeminiGetOperation, &request, &response).unwrap();
        assert_eq!(poll.name, "models/veo-3.0-generate-001/operations/abc");
        assert!(poll.is_poll);
        assert_eq!(link(Endpoint::OpenAiResponses, &request, &response), None);
    }
}
