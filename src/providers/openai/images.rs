//! `POST …/images/generations` → `images.generate`. Generated images are never kept: base64
//! images become their size, and image URLs (signed storage URLs) are sanitised.

use serde_json::Value;

use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, copy_keys, lift_with_rest, take};
use super::super::{url, usage};

const PARAMETERS: [&str; 4] = ["n", "size", "quality", "response_format"];

/// Response members describing the images as a whole (gpt-image models return them).
const METADATA: [&str; 4] = ["size", "quality", "output_format", "background"];

pub(crate) fn request(mut body: Object) -> Object {
    let mut request = Object::new();
    request.insert("model".to_owned(), take(&mut body, "model"));
    request.insert("prompt".to_owned(), take(&mut body, "prompt"));
    lift_with_rest(body, &mut request, &PARAMETERS);
    request
}

pub(crate) fn response(bytes: &[u8]) -> Reply {
    json_reply(bytes, build)
}

fn build(mut body: Object) -> Reply {
    let mut data = take(&mut body, "data");
    for image in data.as_array_mut().into_iter().flatten() {
        if let Some(Value::String(link)) = image.get_mut("url") {
            *link = url::sanitize(link);
        }
    }
    let body = Value::Object(body);
    let mut response = Object::new();
    response.insert("created".to_owned(), cloned(&body, "created"));
    response.insert(
        "image_count".to_owned(),
        data.as_array()
            .map_or(Value::Null, |images| Value::from(images.len())),
    );
    response.insert("data".to_owned(), data);
    copy_keys(&body, &mut response, &METADATA);
    let usage = cloned(&body, "usage");
    response.insert("tokens".to_owned(), usage::openai(&usage));
    response.insert("usage".to_owned(), usage);
    Reply::ok(response)
}
