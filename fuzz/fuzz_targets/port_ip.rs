//! cargo-fuzz entry point of [`ovhiplb_fuzz::harness::port_ip`]; the checks live in the harness so the normal test
//! suite runs them too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ovhiplb_fuzz::harness::port_ip(data));
