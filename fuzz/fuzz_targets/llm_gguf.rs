#![no_main]
//! Fuzz target `llm_gguf`: see `kith_fuzz::llm_gguf` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::llm_gguf(data));
