//! Helpers shared by the Rust integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// A fresh, empty folder under the system temp folder.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "aiobs-test-{tag}-{}-{}",
        std::process::id(),
        aiobs::ids::SpanId::random()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    remove_at_exit(dir.clone());
    dir
}

/// The scratch folders of this test binary, removed when it exits (some hold hundreds of MB of
/// exports; left behind, every run would add its own).
static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn remove_at_exit(dir: PathBuf) {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    static OWNER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    extern "C" fn remove_all() {
        // A forked child that exits must not take its parent's folders with it.
        if OWNER.load(std::sync::atomic::Ordering::SeqCst) != std::process::id() {
            return;
        }
        let dirs = std::mem::take(&mut *SCRATCH.lock().unwrap_or_else(|e| e.into_inner()));
        for dir in dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    SCRATCH.lock().unwrap_or_else(|e| e.into_inner()).push(dir);
    // SAFETY: registers a plain function; the test harness exits through `exit`, which runs it.
    REGISTER.call_once(|| unsafe {
        OWNER.store(std::process::id(), std::sync::atomic::Ordering::SeqCst);
        libc::atexit(remove_all);
    });
}

pub fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Flushes `store` into a fresh folder and returns the parsed document.
pub fn flush(store: &aiobs::Store, tag: &str) -> Value {
    let path = scratch_dir(tag).join("out.json");
    let written = store.flush(Some(path.to_str().unwrap())).unwrap();
    assert_eq!(written, path);
    read_json(&path)
}

/// A realistic chat call of about 1 KB, as a binding would hand it over.
pub fn chat_event(i: usize) -> String {
    format!(
        r#"{{"provider":"openai","api":"chat.completions.create","request":{{"model":"gpt-4o-mini","messages":[{{"role":"system","content":"You are a concise assistant that answers questions about software architecture, observability and distributed tracing. Keep answers short."}},{{"role":"user","content":"Question {i}: what is the difference between a span and a trace in OpenTelemetry, and how do parent ids link them?"}}],"temperature":0.2,"max_tokens":256,"other":{{}}}},"response":{{"id":"chatcmpl-{i:08}","model":"gpt-4o-mini-2024-07-18","text":"A trace is the whole tree of work for one request; a span is one timed operation inside it. Each span names its parent span id, and every span of a tree shares the trace id of its root, which is how backends rebuild the tree. Answer {i}.","usage":{{"prompt_tokens":61,"completion_tokens":58,"total_tokens":119}}}},"error":null,"started_at":1767400000.25,"ended_at":1767400000.975,"callsite":{{"file":"app/research.c","line":42,"function":"research"}}}}"#
    )
}

/// The keys of a JSON object in document order (serde_json's Value sorts them).
pub fn keys_in_order(object_json: &str) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    serde_json::from_str::<Keys>(object_json).unwrap().0
}

/// The shared provider test vectors (format in their README).
pub fn provider_fixtures() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers")
}

/// The folders directly inside `dir`, sorted by name.
pub fn sorted_dirs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A fixture folder without exchange.json holds a sequence of steps.
pub fn is_sequence(dir: &std::path::Path) -> bool {
    !dir.join("exchange.json").exists()
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}
