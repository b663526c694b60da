//! The optional state file: the whole simulated account as JSON, written atomically (temp file +
//! rename) after every change and loaded at start when present.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::state::State;

const FORMAT: &str = "ovh-api-sim-state/1";

#[derive(Deserialize)]
struct StateFile {
    format: String,
    state: State,
}

#[derive(Serialize)]
struct StateFileRef<'a> {
    format: &'a str,
    state: &'a State,
}

/// The state saved in `path`, or `None` if there is no such file.
pub fn load(path: &Path) -> Result<Option<State>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let file: StateFile = serde_json::from_str(&text)
        .map_err(|e| format!("state file {} is not valid: {e}", path.display()))?;
    if file.format != FORMAT {
        return Err(format!(
            "state file {} has format {:?}, expected {FORMAT:?}",
            path.display(),
            file.format
        ));
    }
    Ok(Some(file.state))
}

/// The state file's text for `state`.
pub fn encode(state: &State) -> Result<String, String> {
    serde_json::to_string(&StateFileRef {
        format: FORMAT,
        state,
    })
    .map_err(|e| format!("cannot serialise state: {e}"))
}

/// Replaces the state file at `path` with `text`, atomically (a reader sees the old file or the new one).
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)
        .map_err(|e| format!("cannot write {}: {e}", Path::new(&tmp).display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| format!("cannot replace state file {}: {e}", path.display()))
}
