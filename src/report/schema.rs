//! What the JSON report's writer ([`super::json`]) and reader ([`super::load`]) must agree
//! on: the schema version and how times are written. Both import it from here, so
//! neither imports the other.

use std::time::{SystemTime, UNIX_EPOCH};

/// `schema_version` of the JSON report; a reader refuses any other.
pub const SCHEMA_VERSION: u32 = 1;

/// A time as the reports write it: RFC 3339 in UTC, to the second.
pub fn rfc3339_time(t: SystemTime) -> String {
    crate::cert::rfc3339(unix_secs(t).unwrap_or(0) as i64)
}

/// Whole seconds since the Unix epoch (`summary.started_unix`); `None` before 1970.
pub fn unix_secs(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}
