//! The [`Client`] and its request pipeline: building the URL, authenticating, sending with retries, decoding the
//! answer into a typed value or an [`ApiError`]. The typed calls themselves are in the `api` modules.
//!
//! The HTTP stack is built on the first request, not by [`Client::new`]: setting up TLS loads the platform's root
//! certificates (~3 ms), and Terraform starts a provider process 3–5 times per command, most of which (schema,
//! validate, plans of new resources) never call the API.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::config::ResolvedConfig;
use crate::error::{ApiError, Delivery, Error};
use crate::path::query_string;
use crate::retry::{Failure, RetryPolicy, parse_retry_after, sleep_or_cancel};
use crate::wait::PollPolicy;

const USER_AGENT: &str = concat!("terraform-provider-ovhiplb/", env!("CARGO_PKG_VERSION"));
const QUERY_ID_HEADER: &str = "x-ovh-queryid";
/// Largest answer body read: far above any real answer (listing thousands of IPs is well under 1 MiB), and it keeps
/// a broken or hostile server from making the provider allocate without bound.
pub const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// Tunables of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Retries (`retry.max_retries`) and their backoff.
    pub retry: RetryPolicy,
    /// Appended to the User-Agent as ` (<extra>)`.
    pub user_agent_extra: Option<String>,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt of one request, answer included.
    pub request_timeout: Duration,
    /// How task waits poll.
    pub poll: PollPolicy,
    /// Cancels every request and backoff of this client at once (e.g. when Terraform asks the provider to stop).
    pub cancel: CancellationToken,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            user_agent_extra: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            poll: PollPolicy::default(),
            cancel: CancellationToken::new(),
        }
    }
}

/// An OVH API client. Cheap to clone (an `Arc` inside); clones share connections, the server time delta and the
/// OAuth2 token.
///
/// Every call stops when [`ClientOptions::cancel`] fires (returning [`Error::Cancelled`]); dropping a call's future
/// also stops it, at the next await point.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Built by the first request ([`Client::http`]); a failure is kept and reported by every request, since
    /// building again would fail the same way.
    http: OnceCell<Result<reqwest::Client, String>>,
    /// The User-Agent, checked to be a valid header value by [`Client::new`].
    user_agent: HeaderValue,
    #[cfg(test)]
    http_builds: std::sync::atomic::AtomicUsize,
    base_url: String,
    auth: Authenticator,
    options: ClientOptions,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth.method_name())
            .finish_non_exhaustive()
    }
}

/// A body to send, already serialised: the exact bytes are both signed and sent.
pub(crate) struct Body {
    bytes: Vec<u8>,
    content_type: &'static str,
}

impl Body {
    pub(crate) fn form(pairs: &[(&str, String)]) -> Self {
        Self {
            bytes: query_string(pairs).into_bytes(),
            content_type: "application/x-www-form-urlencoded",
        }
    }
}

/// One request to send (possibly several times).
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Body>,
    /// Whether to add the configured credentials (false for `/auth/time` and the OAuth2 token request).
    pub(crate) authenticated: bool,
    /// Which clock v1 signing stamps the request with.
    pub(crate) clock: Clock,
}

/// The clock a v1 signature's timestamp comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Clock {
    /// The server's: the local clock corrected by the delta from `GET /auth/time` (fetched first if needed).
    #[default]
    Server,
    /// The local clock as it is, without waiting for `GET /auth/time`: only for a request whose answer is
    /// trusted once that delta is known to be (nearly) zero, see [`Client::check_credentials`].
    Local,
}

impl Request {
    /// `METHOD /path?query` for messages and logs; never contains a secret.
    pub(crate) fn route(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{} {}?{q}", self.method, self.url.path()),
            None => format!("{} {}", self.method, self.url.path()),
        }
    }
}

/// The successful answer of one request.
pub(crate) struct RawResponse {
    pub(crate) body: Vec<u8>,
}

impl Client {
    /// Makes a client after checking its settings; no request is made, and the HTTP stack is not built, until the
    /// first call.
    pub fn new(config: ResolvedConfig, options: ClientOptions) -> Result<Self, Error> {
        let user_agent = match options
            .user_agent_extra
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(extra) => format!("{USER_AGENT} ({extra})"),
            None => USER_AGENT.to_owned(),
        };
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::Setup(format!(
                "the User-Agent {user_agent:?} is not a valid HTTP header value; use printable ASCII in \
                 user_agent_extra"
            ))
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http: OnceCell::new(),
                user_agent,
                #[cfg(test)]
                http_builds: std::sync::atomic::AtomicUsize::new(0),
                base_url: config.endpoint.as_str().to_owned(),
                auth: Authenticator::new(config.auth),
                options,
            }),
        })
    }

    /// Whether the HTTP stack has been built, i.e. a request was attempted.
    pub fn http_client_built(&self) -> bool {
        self.inner.http.initialized()
    }

    /// The HTTP client, built by the first caller; concurrent first callers wait for that one build.
    async fn http(&self) -> Result<&reqwest::Client, Error> {
        let built = self
            .inner
            .http
            .get_or_init(|| async { self.build_http() })
            .await;
        built
            .as_ref()
            .map_err(|message| Error::Setup(message.clone()))
    }

    fn build_http(&self) -> Result<reqwest::Client, String> {
        #[cfg(test)]
        self.inner
            .http_builds
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let options = &self.inner.options;
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let started = std::time::Instant::now();
        let http = reqwest::Client::builder()
            .user_agent(self.inner.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .https_only(false)
            .build()
            .map_err(|e| format!("setting up HTTP and TLS failed: {}", error_chain(&e)));
        tracing::debug!(elapsed = ?started.elapsed(), ok = http.is_ok(), "built the HTTP client");
        http
    }

    /// The API base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub(crate) fn authenticator(&self) -> &Authenticator {
        &self.inner.auth
    }

    pub(crate) fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The URL of an API path (segments already encoded) with an optional query.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, Error> {
        let mut url = format!("{}{path}", self.inner.base_url);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query_string(query));
        }
        Url::parse(&url).map_err(|e| Error::Setup(format!("invalid request URL {url:?}: {e}")))
    }

    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Body>,
    ) -> Result<Request, Error> {
        Ok(Request {
            method,
            url: self.url(path, query)?,
            body,
            authenticated: true,
            clock: Clock::Server,
        })
    }

    /// An authenticated request with `value` as its JSON body; a value that cannot be encoded is
    /// [`Error::Encode`], naming the route, and nothing is sent.
    pub(crate) fn json_request(
        &self,
        method: Method,
        path: &str,
        value: &impl Serialize,
    ) -> Result<Request, Error> {
        let mut request = self.request(method, path, &[], None)?;
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Encode {
            route: request.route(),
            message: e.to_string(),
        })?;
        request.body = Some(Body {
            bytes,
            content_type: "application/json",
        });
        Ok(request)
    }

    /// Sends an authenticated request and decodes the JSON answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let route = request.route();
        let response = self.execute(&request).await?;
        decode(&route, &response.body)
    }

    /// Sends an authenticated request whose answer carries nothing (`void` in the schema).
    pub(crate) async fn call_void(&self, request: Request) -> Result<(), Error> {
        self.execute(&request).await.map(drop)
    }

    /// Convenience for `GET path?query`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, Error> {
        self.call(self.request(Method::GET, path, query, None)?)
            .await
    }

    /// Sends `request` with retries per the policy: see [`Failure::retryable`] for which failures are retried.
    /// The error's [`Error::delivery`] covers every attempt: when one may have reached OVH, so may the request.
    pub(crate) async fn execute(&self, request: &Request) -> Result<RawResponse, Error> {
        let policy = &self.inner.options.retry;
        let mut attempt = 0;
        let mut maybe_reached = false;
        let outcome = |error: Error, maybe_reached: bool| {
            if maybe_reached {
                error.after_maybe_sent()
            } else {
                error
            }
        };
        loop {
            attempt += 1;
            let (error, failure) = match self.attempt(request, attempt).await {
                Ok(response) => return Ok(response),
                Err(failed) => failed,
            };
            if attempt > policy.max_retries || !failure.retryable(&request.method) {
                return Err(outcome(error, maybe_reached));
            }
            maybe_reached |= failure.maybe_acted_on();
            let delay = policy.delay(attempt, failure);
            tracing::debug!(route = %request.route(), attempt, ?delay, error = %error, "retrying OVH API request");
            if !sleep_or_cancel(delay, &self.inner.options.cancel).await {
                let cancelled = Error::Cancelled {
                    what: format!("waiting to retry {}", request.route()),
                    delivery: Delivery::NotSent,
                };
                return Err(outcome(cancelled, maybe_reached));
            }
        }
    }

    async fn attempt(
        &self,
        request: &Request,
        attempt: u32,
    ) -> Result<RawResponse, (Error, Failure)> {
        let cancel = &self.inner.options.cancel;
        let cancelled = || {
            (
                Error::Cancelled {
                    what: format!("sending {}", request.route()),
                    delivery: Delivery::MaybeSent,
                },
                Failure::Final,
            )
        };
        let http = self.http().await.map_err(|e| (e, Failure::Final))?;
        let mut builder = http.request(request.method.clone(), request.url.clone());
        let body = request.body.as_ref().map_or(&[][..], |b| &b.bytes[..]);
        if let Some(b) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, b.content_type)
                .body(b.bytes.clone());
        }
        if request.authenticated {
            let headers = self
                .inner
                .auth
                .headers(self, request, body)
                .await
                // A failed server-time or token request: this one was not sent, whatever happened to that one.
                .map_err(|e| (e.before_sending(), Failure::Final))?;
            builder = builder.headers(headers);
        }

        let response = tokio::select! {
            r = builder.send() => r.map_err(|e| transport_error(request, attempt, &e))?,
            _ = cancel.cancelled() => return Err(cancelled()),
        };
        let status = response.status();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let query_id = header_text(QUERY_ID_HEADER);
        let retry_after = parse_retry_after(header_text(header::RETRY_AFTER.as_str()).as_deref());
        let bytes = tokio::select! {
            r = read_capped(response, MAX_RESPONSE_BODY) => match r {
                Ok(bytes) => bytes,
                Err(ReadError::Transport(e)) => return Err(transport_error(request, attempt, &e)),
                Err(ReadError::TooLarge) => return Err((too_large(request, status), Failure::Final)),
            },
            _ = cancel.cancelled() => return Err(cancelled()),
        };
        tracing::debug!(
            method = %request.method,
            path = request.url.path(),
            status = status.as_u16(),
            attempt,
            query_id = query_id.as_deref().unwrap_or("-"),
            "OVH API request"
        );
        if status.is_success() {
            return Ok(RawResponse { body: bytes });
        }
        if status == StatusCode::UNAUTHORIZED && request.authenticated {
            // A bearer token may have been revoked or expired early: get a fresh one next time. (Not for the
            // token request itself, which runs while the token lock is held.)
            self.inner.auth.forget_token().await;
        }
        let failure = match status.as_u16() {
            429 => Failure::Throttled(retry_after),
            500..=599 => Failure::ServerError,
            _ => Failure::Final,
        };
        Err((
            ApiError::from_response(status.as_u16(), &bytes, query_id).into(),
            failure,
        ))
    }
}

/// Why an answer body could not be read.
enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

/// Reads an answer body, refusing one over `limit` bytes (announced or actually sent) before it is all in memory.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|announced| announced > limit as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer over the limit: answered all the same (its status says whether OVH acted), and never worth asking
/// again, as the next answer would be as large.
fn too_large(request: &Request, status: StatusCode) -> Error {
    Error::TooLarge {
        route: request.route(),
        status: status.as_u16(),
        limit: MAX_RESPONSE_BODY,
    }
}

fn transport_error(request: &Request, attempts: u32, error: &reqwest::Error) -> (Error, Failure) {
    let (failure, delivery) = if error.is_builder() || (error.is_connect() && tls_refused(error)) {
        // Nothing was sent, and sending again would fail the same way.
        (Failure::Final, Delivery::NotSent)
    } else if error.is_connect() {
        (Failure::NotSent, Delivery::NotSent)
    } else {
        (Failure::MaybeSent, Delivery::MaybeSent)
    };
    let message = if error.is_timeout() {
        format!("timed out: {}", error_chain(error))
    } else {
        error_chain(error)
    };
    // `route` is the path alone: the message puts the method in front of it already.
    let route = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let error = Error::Transport {
        method: request.method.to_string(),
        route,
        attempts,
        message,
        delivery,
    };
    (error, failure)
}

/// Whether connecting failed because the TLS handshake was refused: the server's certificate is not trusted (or
/// not for this host), or the server does not speak TLS as expected. The TLS layer reports every such verdict as
/// an I/O error of kind `InvalidData`; a connection reset or closed during the handshake is another kind, and may
/// well succeed on the next try. A refused handshake does not heal by itself, so it is not retried.
fn tls_refused(error: &reqwest::Error) -> bool {
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        next = match cause.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::InvalidData => return true,
            // An I/O error's `source` skips the error it wraps (the TLS layer's, wrapped again by the connector):
            // look at that one.
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    false
}

/// An error and its causes on one line (reqwest's own message hides the root cause, e.g. "connection refused").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

pub(crate) fn decode<T: DeserializeOwned>(route: &str, body: &[u8]) -> Result<T, Error> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"null".as_slice()
    } else {
        body
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| decode_error(route, &e))?;
    deserializer.end().map_err(|e| Error::Decode {
        route: route.to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// The error names the field at fault (`disabled`, `[2].zone`) unless the body itself is broken.
fn decode_error(route: &str, error: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = error.path().to_string();
    let message = if path == "." {
        error.inner().to_string()
    } else {
        format!("field {path}: {}", error.inner())
    };
    Error::Decode {
        route: route.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ovh_api_sim::{Fixture, SimConfig, Simulator};

    use super::*;
    use crate::config::{Auth, Endpoint};
    use crate::secret::Secret;

    fn token_config(base_url: &str) -> ResolvedConfig {
        ResolvedConfig {
            endpoint: Endpoint::parse(base_url).unwrap(),
            auth: Auth::AccessToken(Secret::from("TOKEN")),
        }
    }

    #[test]
    fn new_checks_settings_but_builds_no_http_stack() {
        let client = Client::new(
            token_config("http://127.0.0.1:9/1.0"),
            ClientOptions::default(),
        )
        .unwrap();
        assert!(!client.http_client_built());
        assert_eq!(client.inner.http_builds.load(Ordering::SeqCst), 0);

        let options = ClientOptions {
            user_agent_extra: Some("ci\nX-Injected: 1".to_owned()),
            ..ClientOptions::default()
        };
        let error = Client::new(token_config("http://127.0.0.1:9/1.0"), options).unwrap_err();
        assert!(
            matches!(&error, Error::Setup(m) if m.contains("user_agent_extra")),
            "{error}"
        );
    }

    /// A listener on 127.0.0.1 that answers any connection with a plain HTTP answer, as a plain HTTP port behind
    /// an `https://` endpoint does to a TLS handshake; counts the connections.
    fn plain_http_listener() -> (std::net::SocketAddr, std::sync::Arc<AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = std::sync::Arc::new(AtomicUsize::new(0));
        let counted = std::sync::Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                counted.fetch_add(1, Ordering::SeqCst);
                let mut hello = [0_u8; 1024];
                let _ = stream.read(&mut hello);
                let _ = stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        (addr, connections)
    }

    /// Calls an API at `base_url` that cannot answer, with `max_retries` retries 1 ms apart, and checks the call
    /// failed in transport after `attempts` tries, known not to have reached the API; returns that error.
    async fn transport_failure(base_url: &str, max_retries: u32, attempts: u32) -> Error {
        let options = ClientOptions {
            retry: RetryPolicy {
                max_retries,
                base_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        };
        let client = Client::new(token_config(base_url), options).unwrap();
        let error = client
            .list_zones("loadbalancer-0123abcd")
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Transport { attempts: a, .. } if *a == attempts),
            "{error}"
        );
        assert_eq!(error.delivery(), Delivery::NotSent, "{error}");
        error
    }

    #[tokio::test]
    async fn a_refused_tls_handshake_is_not_retried() {
        let (addr, connections) = plain_http_listener();
        let error = transport_failure(
            &format!("https://{addr}/1.0"),
            RetryPolicy::default().max_retries,
            1,
        )
        .await;
        assert_eq!(connections.load(Ordering::SeqCst), 1, "{error}");

        // A connection refused may heal (the server restarting): it is retried.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        transport_failure(&format!("https://127.0.0.1:{port}/1.0"), 2, 3).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_calls_share_one_build() {
        let sim = Simulator::start(SimConfig {
            fixture: Fixture::example(),
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let client = Client::new(token_config(&sim.base_url()), ClientOptions::default()).unwrap();
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.list_zones("loadbalancer-0123abcd").await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), vec!["gra", "rbx"]);
        }
        assert!(client.http_client_built());
        assert_eq!(client.inner.http_builds.load(Ordering::SeqCst), 1);
        client.list_zones("loadbalancer-0123abcd").await.unwrap();
        assert_eq!(client.inner.http_builds.load(Ordering::SeqCst), 1);
    }
}
