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
    },
    /// The API answered 2xx with a body that does not have the expected shape.
    #[error("unexpected response to {route}: {message}")]
    Decode { route: String, message: String },
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
    /// A wait or call ran past its deadline.
    #[error("timed out after {waited:?} waiting for {what} (last status: {last_status})")]
    Timeout {
        what: String,
        waited: Duration,
        last_status: String,
    },
    /// The operation was cancelled.
    #[error("cancelled while {what}")]
    Cancelled { what: String },
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
