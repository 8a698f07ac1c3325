#![no_main]
//! Fuzz target `dialogue`: see `kith_fuzz::dialogue` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::dialogue(data));
