//! URL handling: the path that classification looks at, the model and operation names that
//! Gemini puts in the path, and the sanitised form that is the only URL ever stored.

/// The path of a URL, without scheme, authority, query or fragment. Borrowed: classification runs
/// on the caller's thread for every HTTP request and must not allocate.
pub(crate) fn path_of(url: &str) -> &str {
    // Vectorised byte searches (a byte-by-byte scan was half of classifying a URL); the
    // separators are ASCII, so every index found is a char boundary.
    let bytes = url.as_bytes();
    let end = memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len());
    let bytes = &bytes[..end];
    let Some(slash) = memchr::memchr(b'/', bytes) else {
        return &url[..end];
    };
    // `scheme://authority/path`: the first slash is the one of `://`.
    let has_scheme = slash > 0 && bytes[slash - 1] == b':' && bytes.get(slash + 1) == Some(&b'/');
    if !has_scheme {
        return &url[..end];
    }
    let authority = slash + 2;
    match memchr::memchr(b'/', &bytes[authority..]) {
        Some(path) => &url[authority + path..end],
        None => "",
    }
}

/// The Gemini model named in the path, URL-decoded, as a caller of the Gemini SDK names it:
/// `…/models/{model}:action` and `…/models/{model}/operations/{id}` give the bare `{model}`
/// (the SDK adds `models/`), `…/tunedModels/{model}:action` gives `tunedModels/{model}` (the
/// SDK takes it whole, and it must not read as a base model of the same id).
pub(crate) fn gemini_model(url: &str) -> Option<String> {
    let mut segments = path_of(url).split('/');
    let collection = segments.find(|segment| matches!(*segment, "models" | "tunedModels"))?;
    let segment = segments.next()?;
    let model = segment
        .split_once(':')
        .map_or(segment, |(model, _action)| model);
    if model.is_empty() {
        return None;
    }
    let model = percent_decode(model);
    Some(if collection == "tunedModels" {
        format!("tunedModels/{model}")
    } else {
        model
    })
}

/// The operation name a `GET …/operations/{id}` poll refers to, in the form the submit returned
/// it: the resource path from `projects/…` (Vertex) or `models/…` (Gemini API) on, URL-decoded.
pub(crate) fn operation_name(url: &str) -> Option<String> {
    let path = path_of(url);
    let start = ["projects/", "models/"]
        .iter()
        .filter_map(|root| {
            path.match_indices(root)
                .find(|(at, _)| *at == 0 || path.as_bytes()[at - 1] == b'/')
                .map(|(at, _)| at)
        })
        .min()?;
    Some(percent_decode(path[start..].trim_end_matches('/')))
}

/// Decodes `%XX` escapes; malformed escapes stay as they are and invalid UTF-8 is replaced.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// The URL without credentials: no `user:password@`, no fragment, and no query parameter whose
/// name looks like a secret (Gemini's `?key=`, Azure's `api-key`, SAS `sig`, OAuth tokens, …).
/// Removal is by name, not value, so a secret is dropped even when it is not recognisable.
pub fn sanitize(url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut out = String::with_capacity(url.len());
    match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            out.push_str(scheme);
            out.push_str("://");
            out.push_str(host);
            out.push_str(path);
        }
        None => out.push_str(base),
    }
    let mut separator = '?';
    for param in query.split('&').filter(|param| !param.is_empty()) {
        let name = param.split_once('=').map_or(param, |(name, _)| name);
        if !is_secret_param(name) {
            out.push(separator);
            out.push_str(param);
            separator = '&';
        }
    }
    out
}

/// Sanitises every URL inside free text. Transport errors quote the URL they failed on (Go's
/// `Post "https://…?key=…": dial tcp …`), so error messages go through this before being kept.
/// One pass: every byte is looked at a bounded number of times, so a message holding a
/// million URLs costs a million times one URL, not a million squared.
pub(crate) fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = next_url(rest) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(tail.len());
        out.push_str(&sanitize(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Where the first `http://` or `https://` in `text` starts, the scheme in any case (`HTTPS://`
/// is as much a URL to a reader, and its key as much a secret). One look at each byte: the
/// check at a position reads at most the 8 bytes of `https://`.
fn next_url(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let starts_with = |at: usize, scheme: &[u8]| {
        bytes
            .get(at..at + scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    };
    (0..bytes.len()).find(|&at| starts_with(at, b"http://") || starts_with(at, b"https://"))
}

/// Names are matched loosely (decoded, case-insensitive, by fragment): dropping a harmless
/// parameter costs little, keeping a credential is a leak. The fragments name things that
/// authenticate whoever presents them: keys (`key`, `api-key`, `x-goog-api-key`), tokens and
/// JWTs, secrets (`client_secret`), passwords (`password`, `passwd`, `pwd`, `passphrase`),
/// signatures (`X-Goog-Signature`, `hmac`), credentials, `auth`/`authorization`, signed
/// assertions (`client_assertion`), bearer values, cookies and session ids (`session`,
/// `sessionid`, `PHPSESSID`); plus the short exact names `sig` (Azure SAS), `sid` (session id)
/// and `code` (OAuth authorisation code), too short to match as fragments. Ordinary parameters
/// (`api-version`, `alt`, `stream`, `model`, `user`, `page`, …) stay. The one known casualty of
/// the loose match is `author`.
fn is_secret_param(name: &str) -> bool {
    const FRAGMENTS: [&str; 17] = [
        "key",
        "token",
        "jwt",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "signature",
        "hmac",
        "credential",
        "auth",
        "assertion",
        "bearer",
        "cookie",
        "session",
        "sessid",
    ];
    const EXACT: [&str; 3] = ["sig", "sid", "code"];
    let decoded;
    let name = if name.contains('%') {
        decoded = percent_decode(name);
        decoded.as_str()
    } else {
        name
    };
    EXACT.iter().any(|exact| name.eq_ignore_ascii_case(exact))
        || FRAGMENTS
            .iter()
            .any(|fragment| contains_ignore_ascii_case(name, fragment))
}

/// `haystack` contains `needle` (lower-case ASCII), ignoring ASCII case; no allocation.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_strips_scheme_host_query_and_fragment() {
        assert_eq!(
            path_of("https://api.openai.com/v1/chat/completions?x=1#f"),
            "/v1/chat/completions"
        );
        assert_eq!(path_of("http://localhost:8080"), "");
        assert_eq!(path_of("/v1/embeddings?a=b"), "/v1/embeddings");
        assert_eq!(path_of("v1/embeddings"), "v1/embeddings");
        assert_eq!(path_of("https://h"), "");
        assert_eq!(path_of("https://h?x=/a"), "");
        assert_eq!(path_of("é://h/é/p"), "/é/p");
    }

    #[test]
    fn path_of_agrees_with_a_plain_reading_of_every_mix_of_separators() {
        // The reading path_of's searches stand for, written with `str` methods.
        fn plain(url: &str) -> &str {
            let url = &url[..url.find(['?', '#']).unwrap_or(url.len())];
            match url.find('/') {
                Some(slash) if url[..slash].ends_with(':') && url[slash..].starts_with("//") => {
                    let authority = slash + 2;
                    url[authority..]
                        .find('/')
                        .map_or("", |path| &url[authority + path..])
                }
                _ => url,
            }
        }
        // Every string of up to six pieces from these, long ones included, so that the searches
        // meet their separators inside and past their first vector.
        let pieces = [":", "/", "?", "#", "h", "é", "https", &"a".repeat(40)];
        let mut urls = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = urls
                .iter()
                .flat_map(|url| pieces.iter().map(move |piece| format!("{url}{piece}")))
                .collect();
            for url in &longer {
                assert_eq!(path_of(url), plain(url), "{url:?}");
            }
            urls = longer;
        }
    }

    #[test]
    fn sanitize_removes_every_credential_parameter() {
        let url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=SECRET";
        assert_eq!(
            sanitize(url),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
        );
        let url = "https://x.example/p?api-version=2024-10-21&api-key=S1&api_key=S2&access_token=S3&token=S4&sig=S5&X-Goog-Signature=S6&X-Amz-Credential=S7&Key=S8&%6Bey=S9";
        let clean = sanitize(url);
        assert_eq!(clean, "https://x.example/p?api-version=2024-10-21");
        for n in 1..=9 {
            assert!(!clean.contains(&format!("S{n}")), "{clean}");
        }
    }

    #[test]
    fn sanitize_removes_passwords_jwts_sessions_and_other_credentials() {
        let secrets = [
            "pwd",
            "password",
            "passwd",
            "user_pwd",
            "passphrase",
            "jwt",
            "id_jwt",
            "secret",
            "client_secret",
            "auth",
            "authorization",
            "Authorization",
            "x-goog-api-key",
            "apikey",
            "oauth_token",
            "X-Amz-Security-Token",
            "hmac",
            "client_assertion",
            "bearer",
            "cookie",
            "session",
            "sessionid",
            "session_id",
            "JSESSIONID",
            "PHPSESSID",
            "sid",
            "SIG",
            "code",
            "pass%77ord",
        ];
        for name in secrets {
            let url = format!("https://h.example/v1/responses?api-version=1&{name}=SECRET&n=2");
            assert_eq!(
                sanitize(&url),
                "https://h.example/v1/responses?api-version=1&n=2",
                "{name}"
            );
        }
    }

    #[test]
    fn sanitize_keeps_ordinary_parameters() {
        let url = "https://h.example/v1beta/models/m:streamGenerateContent?alt=sse&api-version=2024-10-21&stream=true&model=gpt-4o&user=u1&page=2&limit=10&order=desc&after=a&format=json&pass=1&region=eu&sidebar=0&codec=x";
        assert_eq!(sanitize(url), url);
    }

    #[test]
    fn sanitize_never_panics_on_odd_input() {
        for url in [
            "",
            "?",
            "?&&=&",
            "#",
            "://",
            "https://",
            "https://@",
            "https://é@ü/é?é=é&key=%&%=%zz#é",
            "https://h/p?%E2%82=1&%ff%fe=2&k%65y=S",
            "\u{0}?\u{0}=\u{0}",
        ] {
            let clean = sanitize(url);
            assert!(!clean.contains("key="), "{url} -> {clean}");
            assert!(!clean.contains("k%65y"), "{url} -> {clean}");
        }
    }

    #[test]
    fn sanitize_removes_userinfo_and_fragment() {
        assert_eq!(
            sanitize("https://user:pass@host.example:8443/v1/responses?stream=true#top"),
            "https://host.example:8443/v1/responses?stream=true"
        );
        assert_eq!(sanitize("https://host/a?key=only"), "https://host/a");
    }

    #[test]
    fn scrub_text_sanitises_urls_inside_messages() {
        let message = "Post \"https://h.example/v1beta/models/m:generateContent?key=SECRET&alt=sse\": dial tcp: lookup h.example: no such host; see http://x.example/?token=T2";
        assert_eq!(
            scrub_text(message),
            "Post \"https://h.example/v1beta/models/m:generateContent?alt=sse\": dial tcp: lookup h.example: no such host; see http://x.example/"
        );
        assert_eq!(scrub_text("no url here"), "no url here");
        assert_eq!(
            scrub_text("httphttp://a/?key=S https:/x http:// https://b?sig=S"),
            "httphttp://a/ https:/x http:// https://b"
        );
    }

    /// 400,000 URLs in 14 MB: linear scrubbing takes a few seconds unoptimised; the former search
    /// for the scheme absent from the message rescanned the rest of it after every URL, about
    /// 3 * 10^12 byte comparisons here (many minutes, past any CI limit).
    #[test]
    fn scrub_text_is_linear_in_the_number_of_urls() {
        let message = "see https://h.example/p?key=SECRET ".repeat(400_000);
        let clean = scrub_text(&message);
        assert!(!clean.contains("SECRET"));
        assert_eq!(clean.matches("https://h.example/p").count(), 400_000);
    }

    #[test]
    fn gemini_model_comes_from_the_path_and_is_decoded() {
        assert_eq!(
            gemini_model("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key=k").as_deref(),
            Some("gemini-2.5-flash")
        );
        assert_eq!(
            gemini_model("https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001%40default:streamGenerateContent").as_deref(),
            Some("gemini-2.0-flash-001@default")
        );
        assert_eq!(
            gemini_model("https://h/v1beta/models/veo-3.0-generate-001/operations/abc").as_deref(),
            Some("veo-3.0-generate-001")
        );
        assert_eq!(
            gemini_model("https://api.openai.com/v1/chat/completions"),
            None
        );
    }

    #[test]
    fn a_tuned_model_keeps_its_collection() {
        assert_eq!(
            gemini_model(
                "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model-abc123:generateContent?key=k"
            )
            .as_deref(),
            Some("tunedModels/my-model-abc123")
        );
        assert_eq!(
            gemini_model("https://h/v1beta/tunedModels/a%2Db:streamGenerateContent").as_deref(),
            Some("tunedModels/a-b")
        );
        assert_eq!(
            gemini_model("https://h/v1beta/tunedModels/:generateContent"),
            None
        );
    }

    #[test]
    fn operation_name_is_the_resource_path() {
        assert_eq!(
            operation_name("https://h/v1beta/models/veo-3.0-generate-001/operations/abc?key=k")
                .as_deref(),
            Some("models/veo-3.0-generate-001/operations/abc")
        );
        assert_eq!(
            operation_name(
                "https://h/v1/projects/p/locations/l/publishers/google/models/veo/operations/1"
            )
            .as_deref(),
            Some("projects/p/locations/l/publishers/google/models/veo/operations/1")
        );
    }

    #[test]
    fn percent_decode_tolerates_malformed_escapes() {
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
