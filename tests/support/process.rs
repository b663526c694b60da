//! Finding the processes a Terraform command started (its providers), from Linux's `/proc`, so that a test can
//! kill a provider in the middle of an operation as a crash or an OOM kill would.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The descendants of `root` (children, grandchildren...) whose executable's file name is `name`.
pub fn descendants_named(root: u32, name: &str) -> Vec<u32> {
    let parents = parent_map();
    let mut found = Vec::new();
    for &pid in parents.keys() {
        if is_descendant(pid, root, &parents) && executable_name(pid).as_deref() == Some(name) {
            found.push(pid);
        }
    }
    found
}

/// Every process's parent, as `/proc/<pid>/stat` tells; processes that end while being read are skipped.
fn parent_map() -> BTreeMap<u32, u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return BTreeMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect()
}

/// The parent pid: the field after the `(comm)` one and the state (comm may hold spaces or parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

fn is_descendant(mut pid: u32, root: u32, parents: &BTreeMap<u32, u32>) -> bool {
    // Bounded: a pid reused while reading could otherwise make a cycle.
    for _ in 0..64 {
        match parents.get(&pid) {
            Some(&parent) if parent == root => return true,
            Some(&parent) if parent > 1 => pid = parent,
            _ => return false,
        }
    }
    false
}

/// The file name of the process's executable (not `comm`, which the kernel truncates to 15 bytes).
fn executable_name(pid: u32) -> Option<String> {
    let exe = fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Path::new(&exe)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
}
