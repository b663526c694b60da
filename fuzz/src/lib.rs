//! Fuzzing of the provider's input parsers. The checks are in [`harness`], a plain module with no fuzzing
//! dependency, so `tests/e2e_bad_input.rs` also feeds it seeds and pseudo-random input in the normal test suite.

pub mod harness;
