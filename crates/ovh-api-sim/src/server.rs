//! The HTTP server: the `Simulator` handle (start, addresses, shutdown), the per-connection hyper
//! service, and the path of one OVH call through latency, faults, the state lock, the request
//! log and persistence. A fault that drops the connection makes the service fail, which makes
//! hyper close the connection without writing a response.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::admin;
use crate::auth::{self, SignedRequest};
use crate::config::SimConfig;
use crate::error::ApiError;
use crate::faults::{Decision, DropPoint, FaultRule, Faults, ReplacedBody};
use crate::fixture::Fixture;
use crate::ovh::{self, Call, Env};
use crate::persist;
use crate::schema::Schema;
use crate::state::State;
use crate::time::now_ms;

/// Largest request body accepted.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Schema(String),
    #[error("invalid fixture: {0}")]
    Fixture(String),
    #[error("{0}")]
    State(String),
    #[error("cannot start the simulator thread: {0}")]
    Thread(String),
}

/// One OVH call in the request log (`GET /_sim/requests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path exactly as received (percent-encoding kept), e.g. `/1.0/ip/1.2.3.4%2F32/move`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The body as JSON, or as a string if it is not JSON; null when empty.
    pub body: Value,
    /// The status answered; null when the connection was dropped before answering.
    pub status: Option<u16>,
    /// Whether the connection was dropped (before or after handling).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dropped: bool,
}

/// Everything behind the one lock.
pub(crate) struct Inner {
    pub state: State,
    pub faults: Faults,
    pub log: Vec<RecordedRequest>,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub schema: Schema,
    pub addr: SocketAddr,
    inner: Mutex<Inner>,
    /// The latest state to write to the state file, serialised under the lock and written by [`write_snapshots`]
    /// outside it, so that no request handler does file I/O or holds the lock while the disk is slow.
    snapshots: tokio::sync::watch::Sender<Option<Arc<String>>>,
    query_counter: AtomicU64,
    started_secs: u64,
}

/// Why a request got no answer: the service fails so that hyper drops the connection.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// An answer before it becomes an HTTP response.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer {
            status: StatusCode::OK,
            body,
            headers: Vec::new(),
        }
    }

    pub fn error(err: &ApiError) -> Answer {
        Answer {
            status: err.status,
            body: err.body(),
            headers: err.headers.clone(),
        }
    }
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half-written in a way that matters
        // more than stopping the simulator would; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn duration_ms(&self) -> u64 {
        self.config.task_duration.as_millis() as u64
    }

    pub fn server_now_secs(&self) -> i64 {
        (now_ms() / 1000) as i64 + self.config.clock_offset_secs
    }

    pub fn env(&self) -> Env<'_> {
        Env {
            schema: &self.schema,
            duration_ms: self.duration_ms(),
            window_secs: self.config.timestamp_window.as_secs(),
            server_now_secs: self.server_now_secs(),
            now_ms: now_ms(),
        }
    }

    /// The fixture's state (for start and `/_sim/reset`).
    pub fn fixture_state(&self) -> Result<State, String> {
        State::from_fixture(&self.config.fixture, &self.schema)
    }

    /// Hands the state to the state file's writer if the state changed (a snapshot taken now, so the file
    /// always holds a state the API was in; later snapshots replace one not yet written).
    pub fn persist_if_dirty(&self, inner: &mut Inner) {
        if !inner.state.dirty {
            return;
        }
        inner.state.dirty = false;
        if self.config.persist.is_none() {
            return;
        }
        match persist::encode(&inner.state) {
            Ok(text) => {
                self.snapshots.send_replace(Some(Arc::new(text)));
            }
            // The simulator is a tool run from a terminal or CI log: say it where it is seen.
            Err(e) => eprintln!("ovh-api-sim: {e}"),
        }
    }

    fn query_id(&self) -> String {
        let n = self.query_counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "EU.ext-1.{:08x}.{n}.{:032x}",
            self.started_secs,
            fastrand::u128(..)
        )
    }

    pub fn respond(&self, answer: Answer) -> Response<Full<Bytes>> {
        let body = serde_json::to_vec(&answer.body).unwrap_or_else(|_| b"null".to_vec());
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = answer.status;
        let headers = response.headers_mut();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            "cache-control",
            HeaderValue::from_static("no-cache, no-store"),
        );
        if let Ok(id) = HeaderValue::from_str(&self.query_id()) {
            headers.insert("x-ovh-queryid", id);
        }
        for (name, value) in answer.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }

    async fn serve(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Dropped> {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                let err = ApiError::bad_request(format!(
                    "The request body is unreadable or larger than {MAX_BODY} bytes"
                ));
                return Ok(self.respond(Answer::error(&err)));
            }
        };
        let path = parts.uri.path();
        if path == "/_sim" || path.starts_with("/_sim/") {
            return Ok(self.respond(admin::handle(
                &self,
                parts.method.as_str(),
                path,
                parts.uri.query(),
                &body,
            )));
        }
        self.serve_ovh(&parts, &body).await
    }

    async fn serve_ovh(
        &self,
        parts: &hyper::http::request::Parts,
        body: &Bytes,
    ) -> Result<Response<Full<Bytes>>, Dropped> {
        let method = parts.method.as_str();
        let path = parts.uri.path();
        let query = parts.uri.query();
        let is_token = [
            "/auth/oauth2/token",
            "/1.0/auth/oauth2/token",
            "/v1/auth/oauth2/token",
        ]
        .contains(&path);
        let api_path = ["/1.0", "/v1"]
            .iter()
            .find_map(|prefix| {
                path.strip_prefix(prefix)
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map(|rest| if rest.is_empty() { "/" } else { rest });

        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        let decision: Decision = self.lock().faults.decide(
            method,
            if is_token {
                path
            } else {
                api_path.unwrap_or(path)
            },
        );
        if decision.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
        }
        let record = |status: Option<u16>, dropped: bool| RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            body: recorded_body(body, is_token),
            status,
            dropped,
        };
        if let Some((status, retry_after)) = decision.status {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let answer = Answer::error(&ApiError::injected(status, retry_after));
            self.lock().log.push(record(Some(status.as_u16()), false));
            return Ok(self.respond(answer));
        }
        if decision.drop == Some(DropPoint::BeforeHandling) {
            self.lock().log.push(record(None, true));
            return Err(Dropped);
        }
        if let Some(replaced) = decision.body.as_ref().filter(|b| !b.after_handling) {
            self.lock().log.push(record(Some(replaced.status), false));
            return Ok(self.respond_raw(replaced));
        }

        let answer = {
            let mut guard = self.lock();
            let inner = &mut *guard;
            let env = self.env();
            inner.state.advance(env.now_ms, env.duration_ms);
            let answer = if is_token {
                match auth::issue_token(&mut inner.state, &parts.headers, body, env.now_ms) {
                    Ok(token) => Answer::ok(token),
                    Err(e) => Answer {
                        status: e.status,
                        body: e.body,
                        headers: Vec::new(),
                    },
                }
            } else if let Some(api_path) = api_path {
                let url = format!(
                    "{}{}",
                    self.public_base(parts),
                    parts.uri.path_and_query().map_or(path, |pq| pq.as_str())
                );
                let call = Call {
                    method,
                    api_path,
                    query,
                    body,
                    auth: Some(SignedRequest {
                        headers: &parts.headers,
                        method,
                        url: &url,
                        api_path,
                        body,
                    }),
                };
                match ovh::dispatch(
                    &env,
                    &mut inner.state,
                    &call,
                    decision.task.clone().unwrap_or_default(),
                ) {
                    Ok(value) => Answer::ok(value),
                    Err(err) => Answer::error(&err),
                }
            } else {
                Answer::error(&ApiError::invalid_url())
            };
            let dropped = decision.drop == Some(DropPoint::AfterHandling);
            inner.log.push(record(
                Some(
                    decision
                        .body
                        .as_ref()
                        .map_or(answer.status.as_u16(), |b| b.status),
                ),
                dropped,
            ));
            self.persist_if_dirty(inner);
            answer
        };
        if decision.drop == Some(DropPoint::AfterHandling) {
            return Err(Dropped);
        }
        if let Some(replaced) = &decision.body {
            return Ok(self.respond_raw(replaced));
        }
        Ok(self.respond(answer))
    }

    /// The answer of a `body` fault: its status and bytes as they are, with the usual headers.
    fn respond_raw(&self, replaced: &ReplacedBody) -> Response<Full<Bytes>> {
        let mut response = self.respond(Answer::ok(Value::Null));
        *response.body_mut() = Full::new(Bytes::from(replaced.bytes()));
        *response.status_mut() =
            StatusCode::from_u16(replaced.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response
    }

    /// Scheme and authority the client signed with.
    fn public_base(&self, parts: &hyper::http::request::Parts) -> String {
        if let Some(base) = &self.config.public_base {
            return base.trim_end_matches('/').to_owned();
        }
        match parts.headers.get(HOST).and_then(|h| h.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => format!("http://{}", self.addr),
        }
    }
}

fn recorded_body(body: &[u8], is_token: bool) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if is_token {
        return Value::String(auth::redact_form(body));
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// A running simulator. Dropping the handle stops the server.
pub struct Simulator {
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.shared.addr)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Binds, loads the state (state file if present, else the fixture) and serves on the current
    /// tokio runtime.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        let (shared, listener, snapshots) = prepare(config).await?;
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(accept_loop(
            listener,
            shared.clone(),
            snapshots,
            shutdown.clone(),
        ));
        Ok(Simulator {
            shared,
            shutdown,
            server: Some(server),
            thread: None,
        })
    }

    /// Starts the simulator on its own thread and runtime, for synchronous code (tests).
    pub fn start_blocking(config: SimConfig) -> Result<Simulator, SimError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let thread = std::thread::Builder::new()
            .name("ovh-api-sim".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = tx.send(Err(SimError::Thread(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match prepare(config).await {
                        Ok((shared, listener, snapshots)) => {
                            let _ = tx.send(Ok(shared.clone()));
                            accept_loop(listener, shared, snapshots, token).await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| SimError::Thread(e.to_string()))?;
        let shared = rx.recv().map_err(|e| SimError::Thread(e.to_string()))??;
        Ok(Simulator {
            shared,
            shutdown,
            server: None,
            thread: Some(thread),
        })
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The fixture the simulator started from (and resets to).
    pub fn fixture(&self) -> &Fixture {
        &self.shared.config.fixture
    }

    /// `http://127.0.0.1:PORT` (the OAuth2 token URL is `{root_url}/auth/oauth2/token`).
    pub fn root_url(&self) -> String {
        let addr = self.shared.addr;
        let ip = if addr.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            addr.ip()
        };
        format!("http://{}", SocketAddr::new(ip, addr.port()))
    }

    /// `http://127.0.0.1:PORT/1.0`, the API endpoint to configure clients with.
    pub fn base_url(&self) -> String {
        format!("{}/1.0", self.root_url())
    }

    /// The OAuth2 token URL (`/auth/oauth2/token` at the server root).
    pub fn token_url(&self) -> String {
        format!("{}/auth/oauth2/token", self.root_url())
    }

    /// The request log (OVH calls only, in arrival order).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The `/_sim/state` view.
    pub fn state(&self) -> Value {
        let mut inner = self.shared.lock();
        let (now, duration) = (now_ms(), self.shared.duration_ms());
        inner.state.advance(now, duration);
        inner.state.view(now, duration)
    }

    /// Adds fault rules (see `/_sim/faults`).
    pub fn add_faults(&self, rules: Vec<FaultRule>) -> Result<Vec<FaultRule>, String> {
        self.shared.lock().faults.add(rules)
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Back to the fixture: state, request log and faults.
    pub fn reset(&self) -> Result<(), String> {
        admin::reset(&self.shared)
    }

    /// Stops accepting, lets open connections finish, and waits for the server to end.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// `shutdown` for synchronous code (a simulator from `start_blocking`).
    pub fn shutdown_blocking(mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The receiving end of [`Shared::snapshots`].
type Snapshots = tokio::sync::watch::Receiver<Option<Arc<String>>>;

async fn prepare(config: SimConfig) -> Result<(Arc<Shared>, TcpListener, Snapshots), SimError> {
    let schema = Schema::load().map_err(SimError::Schema)?;
    let initial = match &config.persist {
        Some(path) => persist::load(path).map_err(SimError::State)?,
        None => None,
    };
    let state = match initial {
        Some(state) => state,
        None => State::from_fixture(&config.fixture, &schema).map_err(SimError::Fixture)?,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let faults = Faults::new(config.fault_seed);
    let (snapshot_sender, snapshots) = tokio::sync::watch::channel(None);
    let shared = Arc::new(Shared {
        config,
        schema,
        addr,
        inner: Mutex::new(Inner {
            state,
            faults,
            log: Vec::new(),
        }),
        snapshots: snapshot_sender,
        query_counter: AtomicU64::new(1),
        started_secs: now_ms() / 1000,
    });
    {
        let mut inner = shared.lock();
        inner.state.dirty = true;
        shared.persist_if_dirty(&mut inner);
    }
    Ok((shared, listener, snapshots))
}

/// Serves until `shutdown`, then lets open connections finish and writes the last state to the state file.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    snapshots: Snapshots,
    shutdown: CancellationToken,
) {
    let written = CancellationToken::new();
    let writer = tokio::spawn(write_snapshots(
        shared.config.persist.clone(),
        snapshots,
        written.clone(),
    ));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(stream, shared.clone(), shutdown.clone()));
            }
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    written.cancel();
    let _ = writer.await;
}

/// Writes each new snapshot to the state file, one write at a time and off the runtime's threads, until `done`;
/// then writes the last one if it is not written yet.
async fn write_snapshots(path: Option<PathBuf>, mut snapshots: Snapshots, done: CancellationToken) {
    let Some(path) = path else { return };
    loop {
        tokio::select! {
            biased;
            changed = snapshots.changed() => if changed.is_err() { return },
            () = done.cancelled() => {
                if !snapshots.has_changed().unwrap_or(false) {
                    return;
                }
            }
        }
        let Some(text) = snapshots.borrow_and_update().clone() else {
            continue;
        };
        let path = path.clone();
        match tokio::task::spawn_blocking(move || persist::write(&path, &text)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("ovh-api-sim: {e}"),
            Err(e) => eprintln!("ovh-api-sim: writing the state file stopped: {e}"),
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let service = service_fn(move |req| shared.clone().serve(req));
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
