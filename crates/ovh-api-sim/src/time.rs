//! Wall-clock helpers: the simulator keeps times as Unix milliseconds (so they persist across
//! restarts) and renders them as RFC 3339 datetimes, the format of OVH's `datetime` fields.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 (UTC, second precision) rendering of a Unix-milliseconds time.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}
