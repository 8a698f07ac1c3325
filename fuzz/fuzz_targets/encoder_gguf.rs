#![no_main]
//! Fuzz target `encoder_gguf`: see `kith_fuzz::encoder_gguf` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::encoder_gguf(data));
