//! Fuzz target: `starttls_check::fuzzing::target` over arbitrary bytes (see CONTRIBUTING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| starttls_check::fuzzing::target(data));
