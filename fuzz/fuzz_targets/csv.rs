#![no_main]
//! Fuzz target `csv`: see `kith_fuzz::csv` (fuzz/src/checks.rs) for what it checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kith_fuzz::csv(data));
