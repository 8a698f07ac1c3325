#![no_main]
//! Fuzz target `profile`: see `kith_fuzz::profile` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::profile(data));
