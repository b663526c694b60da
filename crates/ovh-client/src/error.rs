//! The client's error types: [`ApiError`] for an error answer of the OVH API, and [`Error`] for everything a call
//! can end with. Every variant renders as one readable line that says what failed and where.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Longest non-JSON error body kept as a message (an HTML 503 page can be large).
const MAX_RAW_MESSAGE: usize = 512;

/// An error answer of the OVH API (any non-2xx status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// `class`, e.g. `Client::NotFound`, when the body had one.
    pub class: Option<String>,
    /// `message`, or the raw body when it was not JSON.
    pub message: String,
    /// `errorCode` of authentication errors, e.g. `INVALID_SIGNATURE`.
    pub error_code: Option<String>,
    /// `httpCode` of authentication errors, e.g. `400 Bad Request`.
    pub http_code: Option<String>,
    /// `details`, e.g. the missing IAM actions of a 403.
    pub details: BTreeMap<String, String>,
    /// The `X-Ovh-QueryID` header, the reference OVH support asks for.
    pub query_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    class: Option<String>,
    message: Option<String>,
    error_code: Option<String>,
    http_code: Option<String>,
    #[serde(default)]
    details: Option<BTreeMap<String, serde_json::Value>>,
}

impl ApiError {
    /// Builds the error from a response's status, body and query id. A body that is not an OVH JSON error object
    /// (an HTML page from a proxy, say) becomes the message.
    pub fn from_response(status: u16, body: &[u8], query_id: Option<String>) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed)
                if parsed.message.is_some()
                    || parsed.class.is_some()
                    || parsed.error_code.is_some() =>
            {
                Self {
                    status,
                    class: parsed.class,
                    message: parsed.message.unwrap_or_default(),
                    error_code: parsed.error_code,
                    http_code: parsed.http_code,
                    details: parsed
                        .details
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| {
                            let text = match v {
                                serde_json::Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (k, text)
                        })
                        .collect(),
                    query_id,
                }
            }
            _ => Self {
                status,
                class: None,
                message: raw_message(body),
                error_code: None,
                http_code: None,
                details: BTreeMap::new(),
                query_id,
            },
        }
    }
}

fn raw_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty response body)".to_owned();
    }
    match collapsed.char_indices().nth(MAX_RAW_MESSAGE) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OVH API error {}", self.status)?;
        if let Some(class) = &self.class {
            write!(f, " {class}")?;
        }
        if let Some(code) = &self.error_code {
            write!(f, " [{code}]")?;
        }
        write!(f, ": {:?}", self.message)?;
        if !self.details.is_empty() {
            let details: Vec<String> = self
                .details
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            write!(f, " (details: {})", details.join("; "))?;
        }
        match &self.query_id {
            Some(id) => write!(f, " (query id {id})"),
            None => f.write_str(" (no query id)"),
        }
    }
}

impl std::error::Error for ApiError {}

/// Which kind of asynchronous task failed or timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// An `/ip/{ip}/task/{id}` task (move, park).
    Ip,
    /// An `/ipLoadbalancing/{sn}/task/{id}` task (refresh).
    IpLoadbalancing,
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ip => "IP task",
            Self::IpLoadbalancing => "IP Load Balancer task",
        })
    }
}

/// Whether a request may have reached OVH, as far as the client can tell. It is about the request the caller asked
/// for: a failure of a request made first on its behalf (the server time, an OAuth2 token) means this one was not
/// sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Not sent, or provably never reached the API (connection refused, TLS handshake refused, a body that could
    /// not be encoded): OVH did nothing.
    NotSent,
    /// Sent, or maybe sent, and no answer came (the connection failed or timed out after sending, the call was
    /// cancelled in flight): OVH may have acted on it.
    MaybeSent,
    /// OVH answered; its status says whether it acted (a 2xx did, even when the body could not be read).
    Answered,
}

/// Everything an API call can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with an error status.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The request could not be completed (connection refused or dropped, timeout, TLS failure...).
    #[error("{method} {route} failed after {attempts} attempt(s): {message}")]
    Transport {
        method: String,
        route: String,
        attempts: u32,
        message: String,
        /// Whether the request may have reached OVH.
        delivery: Delivery,
    },
    /// The API answered 2xx (so it did what was asked) with a body that does not have the expected shape.
    #[error("unexpected response to {route}: {message}")]
    Decode { route: String, message: String },
    /// The request body could not be encoded; nothing was sent.
    #[error("cannot encode the request body of {route}: {message}")]
    Encode { route: String, message: String },
    /// The answer, of any status, is larger than [`MAX_RESPONSE_BODY`](crate::MAX_RESPONSE_BODY) and was not read.
    #[error(
        "the answer to {route} (HTTP {status}) is larger than the {} MiB the client accepts; refusing to read it",
        limit / (1024 * 1024)
    )]
    TooLarge {
        route: String,
        /// The answer's status: a 2xx means OVH did what was asked, any other status that it did not.
        status: u16,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Getting an OAuth2 access token failed.
    #[error("OAuth2 token request to {token_url} failed: {message}")]
    OAuth2 { token_url: String, message: String },
    /// An asynchronous task ended in a failure status.
    #[error("{kind} {id} ({subject}) failed with status {status}: {details}")]
    TaskFailed {
        kind: TaskKind,
        id: i64,
        subject: String,
        status: String,
        details: String,
    },
    /// A task is in a status this client does not know, so whether it succeeded cannot be told.
    #[error("{kind} {id} of {owner} is in an unknown task status {status:?}")]
    UnknownTaskStatus {
        kind: TaskKind,
        id: i64,
        owner: String,
        status: String,
    },
    /// A wait or call ran past its deadline.
    #[error("timed out after {waited:?} waiting for {what} (last status: {last_status})")]
    Timeout {
        what: String,
        waited: Duration,
        last_status: String,
    },
    /// The operation was cancelled.
    #[error("cancelled while {what}")]
    Cancelled {
        what: String,
        /// Whether the request may have reached OVH before the cancellation.
        delivery: Delivery,
    },
    /// Work the client runs on the caller's behalf stopped unexpectedly (a spawned task panicked or was aborted).
    #[error("internal error while {what}: {message}")]
    Internal { what: String, message: String },
    /// The client could not be built (e.g. the TLS stack failed to initialise).
    #[error("cannot build the OVH API client: {0}")]
    Setup(String),
}

impl Error {
    /// True for a 404 answer: the object does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api(e) if e.status == 404)
    }

    /// The API error, when the API answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the request may have reached OVH: the fact a caller needs before deciding to send a non-idempotent
    /// request again. An API error answer to a request made first on the caller's behalf (`GET /auth/time`) is
    /// `Answered`, although the caller's own request was not sent: a caller that treats some answers as "look
    /// before sending again" only looks once too often.
    pub fn delivery(&self) -> Delivery {
        match self {
            Self::Transport { delivery, .. } | Self::Cancelled { delivery, .. } => *delivery,
            Self::Api(_)
            | Self::Decode { .. }
            | Self::TooLarge { .. }
            | Self::TaskFailed { .. }
            | Self::UnknownTaskStatus { .. }
            | Self::Timeout { .. } => Delivery::Answered,
            Self::Encode { .. } | Self::OAuth2 { .. } | Self::Setup(_) => Delivery::NotSent,
            // A spawned call that stopped unexpectedly may have been anywhere.
            Self::Internal { .. } => Delivery::MaybeSent,
        }
    }

    /// The same error, for a request that was not sent because a request made first on its behalf failed.
    pub(crate) fn before_sending(mut self) -> Self {
        if let Self::Transport { delivery, .. } | Self::Cancelled { delivery, .. } = &mut self {
            *delivery = Delivery::NotSent;
        }
        self
    }

    /// The same error, for a request an earlier attempt of which may have reached OVH: a last attempt that was not
    /// sent does not undo an earlier one that maybe was.
    pub(crate) fn after_maybe_sent(mut self) -> Self {
        if let Self::Transport { delivery, .. } | Self::Cancelled { delivery, .. } = &mut self
            && *delivery == Delivery::NotSent
        {
            *delivery = Delivery::MaybeSent;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_renders_in_one_line_with_query_id() {
        let body = br#"{"class":"Client::NotFound","message":"This service does not exist"}"#;
        let err = ApiError::from_response(404, body, Some("EU.ext-1.abc".into()));
        assert_eq!(
            err.to_string(),
            "OVH API error 404 Client::NotFound: \"This service does not exist\" (query id EU.ext-1.abc)"
        );
        assert!(Error::from(err).is_not_found());
    }

    #[test]
    fn auth_error_keeps_error_code_and_details() {
        let body = br#"{"class":"Client::Forbidden","errorCode":"NOT_GRANTED_CALL","httpCode":"403 Forbidden",
            "message":"This call has not been granted","details":{"unauthorizedActionsByIAM":"ip:apiovh:get"}}"#;
        let err = ApiError::from_response(403, body, None);
        assert_eq!(err.error_code.as_deref(), Some("NOT_GRANTED_CALL"));
        assert_eq!(err.http_code.as_deref(), Some("403 Forbidden"));
        let text = err.to_string();
        assert!(
            text.contains("[NOT_GRANTED_CALL]") && text.contains("ip:apiovh:get"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        assert!(!Error::from(err).is_not_found());
    }

    #[test]
    fn each_failure_says_what_failed_where_and_whether_it_reached_ovh() {
        let route = "POST /1.0/ipLoadbalancing/lb/http/frontend";
        let cases = [
            (
                Error::from(ApiError::from_response(409, b"{}", None)),
                "OVH API error 409",
                Delivery::Answered,
            ),
            (
                Error::Decode {
                    route: route.into(),
                    message: "field frontendId: invalid type".into(),
                },
                "unexpected response to POST /1.0/ipLoadbalancing/lb/http/frontend: field frontendId",
                Delivery::Answered,
            ),
            (
                Error::Encode {
                    route: route.into(),
                    message: "key must be a string".into(),
                },
                "cannot encode the request body of POST /1.0/ipLoadbalancing/lb/http/frontend: key must be",
                Delivery::NotSent,
            ),
            (
                Error::TooLarge {
                    route: route.into(),
                    status: 400,
                    limit: 16 * 1024 * 1024,
                },
                "the answer to POST /1.0/ipLoadbalancing/lb/http/frontend (HTTP 400) is larger than the 16 MiB",
                Delivery::Answered,
            ),
            (
                Error::UnknownTaskStatus {
                    kind: TaskKind::IpLoadbalancing,
                    id: 4,
                    owner: "lb".into(),
                    status: "paused".into(),
                },
                "IP Load Balancer task 4 of lb is in an unknown task status \"paused\"",
                Delivery::Answered,
            ),
            (
                Error::Internal {
                    what: "reading the configuration of lb".into(),
                    message: "a read task stopped unexpectedly: panicked".into(),
                },
                "internal error while reading the configuration of lb: a read task",
                Delivery::MaybeSent,
            ),
            (
                Error::Transport {
                    method: "POST".into(),
                    route: "/1.0/ip/x/move".into(),
                    attempts: 1,
                    message: "connection closed before message completed".into(),
                    delivery: Delivery::MaybeSent,
                },
                "POST /1.0/ip/x/move failed after 1 attempt(s)",
                Delivery::MaybeSent,
            ),
            (
                Error::Setup("setting up HTTP and TLS failed".into()),
                "cannot build the OVH API client",
                Delivery::NotSent,
            ),
        ];
        for (error, start, delivery) in cases {
            let text = error.to_string();
            assert!(text.starts_with(start), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert_eq!(error.delivery(), delivery, "{text}");
        }
    }

    #[test]
    fn a_failure_before_sending_or_after_a_maybe_sent_attempt() {
        let transport = |delivery| Error::Transport {
            method: "GET".into(),
            route: "/1.0/auth/time".into(),
            attempts: 6,
            message: "connection closed".into(),
            delivery,
        };
        assert_eq!(
            transport(Delivery::MaybeSent).before_sending().delivery(),
            Delivery::NotSent
        );
        assert_eq!(
            transport(Delivery::NotSent).after_maybe_sent().delivery(),
            Delivery::MaybeSent
        );
        // An answer stays an answer.
        let answered = Error::from(ApiError::from_response(503, b"{}", None));
        assert_eq!(answered.before_sending().delivery(), Delivery::Answered);
        let answered = Error::from(ApiError::from_response(404, b"{}", None));
        assert_eq!(answered.after_maybe_sent().delivery(), Delivery::Answered);
    }

    #[test]
    fn html_body_becomes_the_message() {
        let body = b"<html>\n<body>503 Service Unavailable</body>\n</html>\n";
        let err = ApiError::from_response(503, body, None);
        assert_eq!(
            err.message,
            "<html> <body>503 Service Unavailable</body> </html>"
        );
        assert!(err.class.is_none());
        let long = vec![b'x'; 2000];
        assert!(
            ApiError::from_response(503, &long, None)
                .message
                .chars()
                .count()
                <= MAX_RAW_MESSAGE + 1
        );
        assert_eq!(
            ApiError::from_response(502, b"", None).message,
            "(empty response body)"
        );
    }
}
