#![no_main]
//! Fuzz target `bundle`: see `kith_fuzz::bundle` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::bundle(data));
