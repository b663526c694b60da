//! OVH-shaped API errors: the JSON bodies and status codes the simulator answers with.
//!
//! Application errors carry `class` + `message`; authentication errors also carry
//! `errorCode` and `httpCode`, as OVH's authentication layer does (facts §3.1).

use hyper::StatusCode;
use serde_json::{Map, Value, json};

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// `class` key, e.g. `Client::NotFound`; `None` for the bare unknown-route body.
    pub class: Option<&'static str>,
    /// `errorCode` key (authentication errors only).
    pub error_code: Option<&'static str>,
    pub message: String,
    /// Extra response headers (e.g. `Retry-After` on an injected 429).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    fn new(status: StatusCode, class: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            class: Some(class),
            error_code: None,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// 400 `Client::BadRequest` with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Client::BadRequest", message)
    }

    /// A request body that does not match the schema (`Invalid body: [field] ...`).
    pub fn invalid_body(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("Invalid body: [{field}] {reason}"))
    }

    /// 404 `Client::NotFound` with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Client::NotFound", message)
    }

    /// 404 for an unknown service name, as OVH words it.
    pub fn service_not_found() -> Self {
        Self::not_found("This service does not exist")
    }

    /// 404 for an unknown object `what` with id `id`.
    pub fn object_not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::not_found(format!(
            "The requested object ({what} = {id}) does not exist"
        ))
    }

    /// 409 `Client::Conflict` with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Client::Conflict", message)
    }

    /// OVH's answer to a URL that matches no route.
    pub fn invalid_url() -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            class: None,
            error_code: None,
            message: "Got an invalid (or empty) URL".into(),
            headers: Vec::new(),
        }
    }

    /// A route present in OVH's schema that the simulator does not implement.
    pub fn not_implemented(method: &str, template: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "Server::NotImplemented",
            format!("ovh-api-sim does not implement {method} {template}"),
        )
    }

    /// An authentication-layer error with all four keys.
    pub fn auth(status: StatusCode, error_code: &'static str, message: impl Into<String>) -> Self {
        let class = match status {
            StatusCode::UNAUTHORIZED => "Client::Unauthorized",
            StatusCode::FORBIDDEN => "Client::Forbidden",
            _ => "Client::BadRequest",
        };
        ApiError {
            status,
            class: Some(class),
            error_code: Some(error_code),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// An injected fault status (429 / 5xx).
    pub fn injected(status: StatusCode, retry_after: Option<u64>) -> Self {
        let (class, message) = match status {
            StatusCode::TOO_MANY_REQUESTS => ("Client::TooManyRequests", "Too many requests"),
            StatusCode::BAD_GATEWAY => ("Server::BadGateway", "Bad gateway"),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("Server::ServiceUnavailable", "Service unavailable")
            }
            StatusCode::GATEWAY_TIMEOUT => ("Server::GatewayTimeout", "Gateway timeout"),
            _ => ("Server::InternalServerError", "Internal server error"),
        };
        let mut err = Self::new(status, class, message);
        if let Some(secs) = retry_after {
            err.headers.push(("retry-after", secs.to_string()));
        }
        err
    }

    /// The JSON error body OVH would send.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        if let Some(class) = self.class {
            map.insert("class".into(), json!(class));
        }
        if let Some(code) = self.error_code {
            map.insert("errorCode".into(), json!(code));
            let reason = self.status.canonical_reason().unwrap_or("");
            map.insert(
                "httpCode".into(),
                json!(format!("{} {reason}", self.status.as_u16())),
            );
        }
        map.insert("message".into(), json!(self.message));
        Value::Object(map)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T = Value> = Result<T, ApiError>;
