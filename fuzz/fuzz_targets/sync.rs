#![no_main]
//! Fuzz target `sync`: see `kith_fuzz::sync` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::sync(data));
