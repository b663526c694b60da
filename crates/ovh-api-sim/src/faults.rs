//! Faults on demand: rules matching method + path glob that add latency, answer an error
//! status, drop the connection (before or after handling), or make the next task a route creates
//! fail or hang, or replace the answer with a hostile body (any status, any bytes, or a generated
//! huge one). `times` bounds how often a rule fires; `probability` draws from a seeded RNG so
//! runs are reproducible.

use serde::{Deserialize, Serialize};

use crate::state::TaskOutcome;

/// Statuses an injected `status` fault may answer with.
const FAULT_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];
/// Final statuses a `task_status` fault may give a task (IPLB and IP task enums).
const TASK_FAILURES: [&str; 5] = ["error", "cancelled", "customerError", "ovhError", "blocked"];
/// Largest body a `body` fault may generate: big enough to exceed any client's cap, small enough
/// not to take the simulator down.
pub const MAX_HUGE_BODY: u64 = 256 * 1024 * 1024;

/// One fault to inject: which calls it matches, what it does, how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Assigned by the simulator.
    #[serde(default)]
    pub id: u64,
    /// HTTP method, or `*` / absent for any.
    #[serde(default)]
    pub method: Option<String>,
    /// Path glob over the API path (`/1.0` or `/v1` prefix optional): `*` is one segment, `**`
    /// any number of segments.
    pub path: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many times the rule fires; unlimited when absent.
    #[serde(default)]
    pub times: Option<u32>,
    /// Chance (0..=1) that a matching request fires the rule; 1 when absent.
    #[serde(default)]
    pub probability: Option<f64>,
    /// How many times it fired so far.
    #[serde(default)]
    pub fired: u32,
}

/// What a fault does to a matching call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    Latency {
        ms: u64,
    },
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    Drop {
        #[serde(default)]
        after_handling: bool,
    },
    TaskStatus {
        status: String,
        #[serde(default)]
        comment: Option<String>,
    },
    TaskStuck,
    /// Answers `status` with exactly `body` (not re-encoded: invalid JSON stays invalid), or with
    /// a generated JSON string of `huge_bytes` bytes. With `after_handling` the call is processed
    /// first and only its answer is replaced.
    Body {
        #[serde(default = "default_body_status")]
        status: u16,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        huge_bytes: Option<u64>,
        #[serde(default)]
        after_handling: bool,
    },
}

fn default_body_status() -> u16 {
    200
}

/// The answer a `body` fault puts in place of the real one.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacedBody {
    pub status: u16,
    content: BodyContent,
    pub after_handling: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum BodyContent {
    Text(String),
    /// Generated when answering, so a rule listing does not hold the bytes.
    Huge(u64),
}

impl ReplacedBody {
    /// The exact bytes to send.
    pub fn bytes(&self) -> Vec<u8> {
        match &self.content {
            BodyContent::Text(text) => text.clone().into_bytes(),
            BodyContent::Huge(size) => {
                // A valid JSON string, so only the size can make a client fail.
                let inner = usize::try_from(size.saturating_sub(2)).unwrap_or(usize::MAX);
                let mut bytes = Vec::with_capacity(inner + 2);
                bytes.push(b'"');
                bytes.resize(inner + 1, b'x');
                bytes.push(b'"');
                bytes
            }
        }
    }
}

/// When a dropped request's connection is closed: before the request is handled (nothing happened), or after
/// (the change is made, the answer is lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropPoint {
    BeforeHandling,
    AfterHandling,
}

/// What the matching rules decided for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub latency_ms: u64,
    pub status: Option<(u16, Option<u64>)>,
    /// Whether, and when, the connection is dropped instead of answered.
    pub drop: Option<DropPoint>,
    pub task: Option<TaskOutcome>,
    pub body: Option<ReplacedBody>,
}

#[derive(Debug)]
pub struct Faults {
    rules: Vec<FaultRule>,
    rng: fastrand::Rng,
    next_id: u64,
}

impl Faults {
    pub fn new(seed: u64) -> Faults {
        Faults {
            rules: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
            next_id: 1,
        }
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    pub fn reseed(&mut self, seed: u64) {
        self.rng = fastrand::Rng::with_seed(seed);
    }

    /// Checks and adds rules; all or none.
    pub fn add(&mut self, rules: Vec<FaultRule>) -> Result<Vec<FaultRule>, String> {
        for (i, rule) in rules.iter().enumerate() {
            validate(rule).map_err(|e| format!("rules[{i}]: {e}"))?;
        }
        let mut added = Vec::with_capacity(rules.len());
        for mut rule in rules {
            rule.id = self.next_id;
            rule.fired = 0;
            self.next_id += 1;
            added.push(rule.clone());
            self.rules.push(rule);
        }
        Ok(added)
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Fires every matching rule (latency adds up; the first status/drop/task rule wins).
    pub fn decide(&mut self, method: &str, api_path: &str) -> Decision {
        let mut decision = Decision::default();
        let segments: Vec<&str> = api_path.trim_start_matches('/').split('/').collect();
        for rule in &mut self.rules {
            let method_ok = rule
                .method
                .as_deref()
                .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method));
            if !method_ok
                || !glob_matches(&rule.path, &segments)
                || rule.times.is_some_and(|t| rule.fired >= t)
            {
                continue;
            }
            let exclusive_taken =
                decision.status.is_some() || decision.drop.is_some() || decision.body.is_some();
            let applies = match rule.kind {
                FaultKind::Latency { .. } => true,
                FaultKind::Status { .. } | FaultKind::Drop { .. } | FaultKind::Body { .. } => {
                    !exclusive_taken
                }
                FaultKind::TaskStatus { .. } | FaultKind::TaskStuck => decision.task.is_none(),
            };
            if !applies || !rule.probability.is_none_or(|p| self.rng.f64() < p) {
                continue;
            }
            rule.fired += 1;
            match &rule.kind {
                FaultKind::Latency { ms } => decision.latency_ms += ms,
                FaultKind::Status {
                    status,
                    retry_after,
                } => decision.status = Some((*status, *retry_after)),
                FaultKind::Drop { after_handling } => {
                    decision.drop = Some(if *after_handling {
                        DropPoint::AfterHandling
                    } else {
                        DropPoint::BeforeHandling
                    });
                }
                FaultKind::TaskStatus { status, comment } => {
                    decision.task = Some(TaskOutcome::Fail {
                        status: status.clone(),
                        comment: comment.clone(),
                    });
                }
                FaultKind::TaskStuck => decision.task = Some(TaskOutcome::Stuck),
                FaultKind::Body {
                    status,
                    body,
                    huge_bytes,
                    after_handling,
                } => {
                    let content = match (body, huge_bytes) {
                        (Some(text), _) => BodyContent::Text(text.clone()),
                        (None, size) => BodyContent::Huge(size.unwrap_or(0)),
                    };
                    decision.body = Some(ReplacedBody {
                        status: *status,
                        content,
                        after_handling: *after_handling,
                    });
                }
            }
        }
        decision
    }
}

fn validate(rule: &FaultRule) -> Result<(), String> {
    if !rule.path.starts_with('/') {
        return Err(format!("path {:?} must start with /", rule.path));
    }
    if rule.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err("probability must be between 0 and 1".into());
    }
    match &rule.kind {
        FaultKind::Status { status, .. } if !FAULT_STATUSES.contains(status) => {
            Err(format!("status {status} is not one of {FAULT_STATUSES:?}"))
        }
        FaultKind::TaskStatus { status, .. } if !TASK_FAILURES.contains(&status.as_str()) => Err(
            format!("task status {status:?} is not one of {TASK_FAILURES:?}"),
        ),
        FaultKind::Body { status, .. } if !(200..=599).contains(status) => {
            Err(format!("body status {status} is not between 200 and 599"))
        }
        FaultKind::Body {
            body, huge_bytes, ..
        } => match (body, huge_bytes) {
            (Some(_), None) => Ok(()),
            (None, Some(size)) if (2..=MAX_HUGE_BODY).contains(size) => Ok(()),
            (None, Some(size)) => Err(format!(
                "huge_bytes {size} is not between 2 and {MAX_HUGE_BODY}"
            )),
            _ => Err("a body fault needs exactly one of body and huge_bytes".into()),
        },
        _ => Ok(()),
    }
}

/// Matches a glob against the API path's raw segments (or their decoded form).
fn glob_matches(glob: &str, segments: &[&str]) -> bool {
    let glob = ["/1.0/", "/v1/"]
        .iter()
        .find_map(|p| glob.strip_prefix(p).map(|g| format!("/{g}")))
        .unwrap_or_else(|| glob.to_owned());
    let parts: Vec<&str> = glob.trim_start_matches('/').split('/').collect();
    match_parts(&parts, segments)
}

fn match_parts(parts: &[&str], segments: &[&str]) -> bool {
    match (parts.first(), segments.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            (0..=segments.len()).any(|skip| match_parts(&parts[1..], &segments[skip..]))
        }
        (Some(part), Some(segment)) => {
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            (*part == "*" || part == segment || *part == decoded)
                && match_parts(&parts[1..], &segments[1..])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, kind: FaultKind) -> FaultRule {
        FaultRule {
            id: 0,
            method: Some("POST".into()),
            path: path.into(),
            kind,
            times: Some(1),
            probability: None,
            fired: 0,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_matches("/ip/*/move", &["ip", "1.2.3.4%2F32", "move"]));
        assert!(!glob_matches(
            "/1.0/ip/1.2.3.4/32/move",
            &["ip", "1.2.3.4%2F32", "move"]
        ));
        assert!(glob_matches(
            "/ip/1.2.3.4%2F32/move",
            &["ip", "1.2.3.4%2F32", "move"]
        ));
        assert!(glob_matches(
            "/ipLoadbalancing/**",
            &["ipLoadbalancing", "lb", "http", "frontend"]
        ));
        assert!(!glob_matches(
            "/ipLoadbalancing/*",
            &["ipLoadbalancing", "lb", "refresh"]
        ));
    }

    #[test]
    fn times_bound_the_rule_and_method_filters() {
        let mut faults = Faults::new(1);
        faults
            .add(vec![rule(
                "/ip/*/move",
                FaultKind::Status {
                    status: 503,
                    retry_after: Some(2),
                },
            )])
            .unwrap();
        assert_eq!(faults.decide("GET", "/ip/x/move"), Decision::default());
        assert_eq!(
            faults.decide("POST", "/ip/x/move").status,
            Some((503, Some(2)))
        );
        assert_eq!(faults.decide("POST", "/ip/x/move"), Decision::default());
    }

    #[test]
    fn rejects_unknown_statuses() {
        let mut faults = Faults::new(1);
        assert!(
            faults
                .add(vec![rule(
                    "/x",
                    FaultKind::Status {
                        status: 418,
                        retry_after: None
                    }
                )])
                .is_err()
        );
        assert!(
            faults
                .add(vec![rule(
                    "/x",
                    FaultKind::TaskStatus {
                        status: "done".into(),
                        comment: None
                    }
                )])
                .is_err()
        );
    }

    #[test]
    fn body_faults_replace_the_answer_and_are_checked() {
        let mut faults = Faults::new(1);
        let body = |body: Option<&str>, huge_bytes| FaultKind::Body {
            status: 200,
            body: body.map(str::to_owned),
            huge_bytes,
            after_handling: false,
        };
        assert!(faults.add(vec![rule("/x", body(None, None))]).is_err());
        assert!(
            faults
                .add(vec![rule("/x", body(Some("{"), Some(10)))])
                .is_err()
        );
        assert!(
            faults
                .add(vec![rule("/x", body(None, Some(MAX_HUGE_BODY + 1)))])
                .is_err()
        );
        faults
            .add(vec![
                rule("/x", body(Some("{not json"), None)),
                rule("/y", body(None, Some(16))),
            ])
            .unwrap();
        let replaced = faults.decide("POST", "/x").body.unwrap();
        assert_eq!(
            (replaced.status, replaced.bytes()),
            (200, b"{not json".to_vec())
        );
        let huge = faults.decide("POST", "/y").body.unwrap().bytes();
        assert_eq!(huge.len(), 16);
        assert!(serde_json::from_slice::<String>(&huge).is_ok());
    }

    #[test]
    fn probability_is_reproducible_with_a_seed() {
        let run = || {
            let mut faults = Faults::new(42);
            let mut r = rule(
                "/x",
                FaultKind::Drop {
                    after_handling: false,
                },
            );
            r.times = None;
            r.probability = Some(0.5);
            faults.add(vec![r]).unwrap();
            (0..32)
                .map(|_| faults.decide("POST", "/x").drop.is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert!(first.iter().any(|d| *d) && first.iter().any(|d| !*d));
    }
}
