//! (to be written): provider schema and Configure
