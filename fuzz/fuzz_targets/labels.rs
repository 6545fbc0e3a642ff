#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aiobs_fuzz::Target::Labels.run(data);
});
