//! Authentication headers for each method: v1 signing (with the server time delta fetched once from the unsigned
//! `GET /auth/time` and shared), OAuth2 client credentials (token cached and renewed before it expires), or a raw
//! bearer token. Header values holding secrets are marked sensitive so that no HTTP layer logs them.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use tokio::sync::{Mutex, OnceCell};

use crate::client::{Body, Client, Clock, Request, decode};
use crate::config::Auth;
use crate::error::Error;
use crate::secret::Secret;
use crate::signature::sign;

/// Lifetime assumed when the token endpoint gives no `expires_in`.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// Renew a token this long before it expires (at most half its lifetime).
const TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(60);

pub(crate) struct Authenticator {
    auth: Auth,
    /// `local clock - server clock`, in seconds.
    time_delta: OnceCell<i64>,
    token: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Authenticator {
    pub(crate) fn new(auth: Auth) -> Self {
        Self {
            auth,
            time_delta: OnceCell::new(),
            token: Mutex::new(None),
        }
    }

    pub(crate) fn method_name(&self) -> &'static str {
        self.auth.method_name()
    }

    /// The headers that authenticate `request`, whose body is `body`.
    pub(crate) async fn headers(
        &self,
        client: &Client,
        request: &Request,
        body: &[u8],
    ) -> Result<HeaderMap, Error> {
        let (method, url) = (&request.method, request.url.as_str());
        let mut headers = HeaderMap::new();
        match &self.auth {
            Auth::Application {
                application_key,
                application_secret,
                consumer_key,
            } => {
                insert(&mut headers, "x-ovh-application", application_key, false)?;
                // Without a consumer key only unauthenticated calls can succeed; send them unsigned as go-ovh does.
                let Some(consumer_key) = consumer_key else {
                    return Ok(headers);
                };
                let delta = match request.clock {
                    Clock::Server => self.time_delta(client).await?,
                    Clock::Local => 0,
                };
                let timestamp = unix_now() - delta;
                let signature = sign(
                    application_secret.expose(),
                    consumer_key.expose(),
                    method.as_str(),
                    url,
                    body,
                    timestamp,
                );
                insert(&mut headers, "x-ovh-consumer", consumer_key.expose(), true)?;
                insert(
                    &mut headers,
                    "x-ovh-timestamp",
                    &timestamp.to_string(),
                    false,
                )?;
                insert(&mut headers, "x-ovh-signature", &signature, true)?;
            }
            Auth::OAuth2 { .. } => {
                insert_bearer(&mut headers, &self.oauth2_token(client).await?)?;
            }
            Auth::AccessToken(token) => insert_bearer(&mut headers, token)?,
        }
        Ok(headers)
    }

    /// Drops a cached OAuth2 token after the API refused it.
    pub(crate) async fn forget_token(&self) {
        if matches!(self.auth, Auth::OAuth2 { .. }) {
            *self.token.lock().await = None;
        }
    }

    /// Whether requests are signed with a server time this client does not know yet.
    pub(crate) fn awaits_server_time(&self) -> bool {
        matches!(
            &self.auth,
            Auth::Application {
                consumer_key: Some(_),
                ..
            }
        ) && !self.time_delta.initialized()
    }

    /// `local clock - server clock`, in seconds, from one `GET /auth/time` per client.
    pub(crate) async fn time_delta(&self, client: &Client) -> Result<i64, Error> {
        self.time_delta
            .get_or_try_init(|| fetch_time_delta(client))
            .await
            .copied()
    }

    async fn oauth2_token(&self, client: &Client) -> Result<Secret, Error> {
        let Auth::OAuth2 {
            client_id,
            client_secret,
            token_url,
        } = &self.auth
        else {
            return Err(Error::Setup(
                "OAuth2 token requested without OAuth2 credentials".to_owned(),
            ));
        };
        // Holding the lock while fetching makes concurrent callers share one token request.
        let mut cached = self.token.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let fetched = fetch_token(client, client_id, client_secret, token_url)
            .await
            .map_err(|e| Error::OAuth2 {
                token_url: token_url.clone(),
                message: e.to_string(),
            })?;
        let lifetime = fetched
            .expires_in
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        let token = Secret::from(fetched.access_token);
        *cached = Some(CachedToken {
            token: token.clone(),
            renew_at: Instant::now() + lifetime - TOKEN_RENEWAL_MARGIN.min(lifetime / 2),
        });
        Ok(token)
    }
}

/// Adds `Authorization: Bearer <token>` (OAuth2 and access-token authentication alike), marked sensitive.
fn insert_bearer(headers: &mut HeaderMap, token: &Secret) -> Result<(), Error> {
    insert(
        headers,
        AUTHORIZATION.as_str(),
        &format!("Bearer {}", token.expose()),
        true,
    )
}

fn insert(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &str,
    sensitive: bool,
) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::Setup(format!(
            "the value for header {name} contains characters not allowed in HTTP"
        ))
    })?;
    value.set_sensitive(sensitive);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

fn unix_now() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}

/// `GET /auth/time`, unsigned. Boxed because it goes back through the request pipeline that called it.
fn fetch_time_delta(client: &Client) -> BoxFuture<'_, Result<i64, Error>> {
    Box::pin(async move {
        let request = Request {
            authenticated: false,
            ..client.request(Method::GET, "/auth/time", &[], None)?
        };
        let route = request.route();
        let response = client.execute(&request).await?;
        let server_time: i64 = decode(&route, &response.body)?;
        Ok(unix_now() - server_time)
    })
}

/// The client-credentials grant: a form POST to the token URL.
fn fetch_token<'a>(
    client: &'a Client,
    client_id: &'a str,
    client_secret: &'a Secret,
    token_url: &'a str,
) -> BoxFuture<'a, Result<TokenResponse, Error>> {
    Box::pin(async move {
        let url = reqwest::Url::parse(token_url)
            .map_err(|e| Error::Setup(format!("invalid OAuth2 token URL {token_url:?}: {e}")))?;
        let body = Body::form(&[
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", client_id.to_owned()),
            ("client_secret", client_secret.expose().to_owned()),
            ("scope", "all".to_owned()),
        ]);
        let request = Request {
            method: Method::POST,
            url,
            body: Some(body),
            authenticated: false,
            clock: Clock::Server,
        };
        let route = request.route();
        let response = client.execute(&request).await?;
        decode(&route, &response.body)
    })
}
