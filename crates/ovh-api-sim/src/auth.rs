//! Authentication as OVH's API v1 does it: the `$1$` SHA-1 request signature with a timestamp
//! window, OAuth2 bearer tokens (client-credentials token endpoint), access rules, and OVH's
//! error bodies for each failure.

use base64::Engine;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, HeaderMap};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::error::{ApiError, ApiResult};
use crate::secret::Secret;
use crate::state::{AccessToken, State};

/// Lifetime of the bearer tokens the token endpoint issues, in seconds.
pub const TOKEN_LIFETIME_SECS: u64 = 3599;

/// Who made an authenticated call.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// Index into `State::credentials`.
    Credential(usize),
    /// A bearer token; the OAuth2 client id when it was issued by the token endpoint.
    Bearer(Option<String>),
    /// The `/_sim/ovh/...` admin passage.
    Admin,
}

/// `$1$` + hex(SHA1(AS+CK+METHOD+URL+BODY+TS)).
pub fn signature(
    application_secret: &str,
    consumer_key: &str,
    method: &str,
    url: &str,
    body: &[u8],
    timestamp: &str,
) -> String {
    let mut hasher = Sha1::new();
    for part in [
        application_secret.as_bytes(),
        consumer_key.as_bytes(),
        method.as_bytes(),
        url.as_bytes(),
        body,
    ] {
        hasher.update(part);
        hasher.update(b"+");
    }
    hasher.update(timestamp.as_bytes());
    format!("$1${}", hex::encode(hasher.finalize()))
}

/// What the signature check needs to know about the request.
pub struct SignedRequest<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a str,
    /// The URL the client signed: public base + raw request target.
    pub url: &'a str,
    /// The API path (after `/1.0`), for access rules.
    pub api_path: &'a str,
    pub body: &'a [u8],
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn not_authenticated() -> ApiError {
    ApiError::auth(
        StatusCode::UNAUTHORIZED,
        "NOT_AUTHENTICATED",
        "You must login first",
    )
}

/// Authenticates a call with a bearer token or the v1 signature.
pub fn authenticate(
    state: &State,
    req: &SignedRequest<'_>,
    server_now_secs: i64,
    window_secs: u64,
    now_ms: u64,
) -> ApiResult<Identity> {
    if let Some(authorization) = header(req.headers, AUTHORIZATION.as_str()) {
        let token = authorization
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or_else(not_authenticated)?;
        let record = state
            .tokens
            .iter()
            .find(|t| t.token.expose() == token && t.expires_at_ms.is_none_or(|exp| exp > now_ms))
            .ok_or_else(|| {
                ApiError::auth(
                    StatusCode::UNAUTHORIZED,
                    "INVALID_CREDENTIAL",
                    "This credential is not valid",
                )
            })?;
        return Ok(Identity::Bearer(record.client_id.clone()));
    }
    let application_key = header(req.headers, "x-ovh-application").ok_or_else(not_authenticated)?;
    if !state
        .credentials
        .iter()
        .any(|c| c.application_key == application_key)
    {
        return Err(ApiError::auth(
            StatusCode::FORBIDDEN,
            "INVALID_KEY",
            "This application key is invalid",
        ));
    }
    let consumer_key = header(req.headers, "x-ovh-consumer").ok_or_else(not_authenticated)?;
    let index = state
        .credentials
        .iter()
        .position(|c| {
            c.application_key == application_key && c.consumer_key.expose() == consumer_key
        })
        .ok_or_else(|| {
            ApiError::auth(
                StatusCode::FORBIDDEN,
                "NOT_CREDENTIAL",
                "This credential does not exist",
            )
        })?;
    let credential = &state.credentials[index];
    if credential
        .status
        .as_deref()
        .is_some_and(|s| s != "validated")
    {
        return Err(ApiError::auth(
            StatusCode::FORBIDDEN,
            "INVALID_CREDENTIAL",
            "This credential is not valid",
        ));
    }
    let timestamp = header(req.headers, "x-ovh-timestamp").unwrap_or_default();
    let in_window = timestamp
        .parse::<i64>()
        .is_ok_and(|ts| ts.abs_diff(server_now_secs) <= window_secs);
    if !in_window {
        return Err(ApiError::auth(
            StatusCode::BAD_REQUEST,
            "QUERY_TIME_OUT",
            "Query out of time",
        ));
    }
    let given = header(req.headers, "x-ovh-signature").unwrap_or_default();
    let expected = signature(
        credential.application_secret.expose(),
        consumer_key,
        req.method,
        req.url,
        req.body,
        timestamp,
    );
    if given != expected {
        return Err(ApiError::auth(
            StatusCode::BAD_REQUEST,
            "INVALID_SIGNATURE",
            "Invalid signature",
        ));
    }
    let granted = match &credential.rules {
        None => true,
        Some(rules) => rules.iter().any(|r| {
            r.method.eq_ignore_ascii_case(req.method) && rule_matches(&r.path, req.api_path)
        }),
    };
    if !granted {
        return Err(ApiError::auth(
            StatusCode::FORBIDDEN,
            "NOT_GRANTED_CALL",
            "This call has not been granted",
        ));
    }
    Ok(Identity::Credential(index))
}

/// An access-rule path: `*` matches any run of characters.
fn rule_matches(rule: &str, path: &str) -> bool {
    match rule.split_once('*') {
        None => rule == path,
        Some((head, tail)) => path.strip_prefix(head).is_some_and(|rest| {
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| rule_matches(tail, &rest[i..]))
        }),
    }
}

/// An OAuth2 error answer of the token endpoint (RFC 6749 §5.2 body).
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub body: Value,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> OAuthError {
    OAuthError {
        status,
        body: json!({"error": error, "error_description": description}),
    }
}

/// The client-credentials token endpoint: form body, client credentials in the form or in HTTP
/// Basic authentication.
pub fn issue_token(
    state: &mut State,
    headers: &HeaderMap,
    body: &[u8],
    now_ms: u64,
) -> Result<Value, OAuthError> {
    let form: Vec<(String, String)> = form_urlencoded(body);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("client_credentials") {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        ));
    }
    let basic = header(headers, AUTHORIZATION.as_str())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (decode_component(id), decode_component(secret)))
        });
    let (client_id, client_secret) = match basic {
        Some(pair) => pair,
        None => (
            field("client_id").unwrap_or_default(),
            field("client_secret").unwrap_or_default(),
        ),
    };
    if !state
        .oauth2_clients
        .iter()
        .any(|c| c.client_id == client_id && c.client_secret.expose() == client_secret)
    {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        ));
    }
    let token = format!("sim-{:032x}", fastrand::u128(..));
    state
        .tokens
        .retain(|t| t.expires_at_ms.is_none_or(|exp| exp > now_ms));
    state.tokens.push(AccessToken {
        token: Secret::new(token.clone()),
        client_id: Some(client_id),
        expires_at_ms: Some(now_ms + TOKEN_LIFETIME_SECS * 1000),
    });
    state.dirty = true;
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "scope": field("scope").unwrap_or_else(|| "all".into()),
    }))
}

fn decode_component(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// `application/x-www-form-urlencoded` pairs (also used for query strings).
pub fn form_urlencoded(raw: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(raw)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

/// The body of a token request with `client_secret` masked, for the request log.
pub fn redact_form(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k == "client_secret" => format!("{k}=<redacted>"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS: &str = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk";
    const CK: &str = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY";

    #[test]
    fn known_answer_vectors() {
        let ts = "1457018875";
        let url = "https://eu.api.ovh.com/1.0/auth";
        assert_eq!(
            signature(AS, CK, "GET", url, b"", ts),
            "$1$e9556054b6309771395efa467c22e627407461ad"
        );
        assert_eq!(
            signature(AS, CK, "POST", url, br#"{"a":"b","c":"d"}"#, ts),
            "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1"
        );
        assert_eq!(
            signature(
                AS,
                CK,
                "GET",
                "http://127.0.0.1:8080/1.0/ipLoadbalancing",
                b"",
                ts
            ),
            "$1$2f744c45654fb57da6d7d65237eec44c577e352e"
        );
    }

    #[test]
    fn access_rule_globs() {
        assert!(rule_matches("/*", "/ip"));
        assert!(rule_matches(
            "/ipLoadbalancing/*",
            "/ipLoadbalancing/lb/refresh"
        ));
        assert!(!rule_matches("/ipLoadbalancing/*", "/ip/1.2.3.4"));
        assert!(rule_matches("/ip", "/ip"));
    }

    #[test]
    fn form_parsing_and_redaction() {
        let body = b"grant_type=client_credentials&client_id=a%20b&client_secret=s+t";
        let form = form_urlencoded(body);
        assert_eq!(form[1], ("client_id".into(), "a b".into()));
        assert_eq!(form[2], ("client_secret".into(), "s t".into()));
        assert!(!redact_form(body).contains("s+t"));
    }
}
