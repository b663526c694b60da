//! Retry policy: which failures may be retried for which method, exponential backoff with full jitter, and a
//! backoff sleep that stops at once when cancelled.

use std::time::Duration;

use reqwest::Method;
use tokio_util::sync::CancellationToken;

/// How a failed attempt may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The request provably never reached the server (connection refused or reset before TLS completed, DNS).
    NotSent,
    /// The server refused the request for now (429), optionally saying how long to wait.
    Throttled(Option<Duration>),
    /// The server answered 5xx: it may or may not have acted on the request.
    ServerError,
    /// The connection failed after the request was (maybe) sent, or no answer came in time.
    MaybeSent,
    /// Not retryable: the answer is final (4xx other than 429, an answer too large to read), or the failure does
    /// not heal by itself (a TLS handshake refused, e.g. an untrusted certificate; a request that cannot be built).
    Final,
}

impl Failure {
    /// Whether a request of `method` that failed this way may be sent again. A POST is not idempotent, so it is
    /// only repeated when the server cannot have acted on it.
    pub(crate) fn retryable(self, method: &Method) -> bool {
        let idempotent = matches!(
            *method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        match self {
            Self::NotSent | Self::Throttled(_) => true,
            Self::ServerError | Self::MaybeSent => idempotent,
            Self::Final => false,
        }
    }

    /// Whether the server may have acted on the attempt: it was maybe sent and not answered, or answered 5xx.
    pub(crate) fn maybe_acted_on(self) -> bool {
        matches!(self, Self::ServerError | Self::MaybeSent)
    }
}

/// Retry settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = no retry).
    pub max_retries: u32,
    /// Backoff ceiling of the first retry; doubles on each further retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Largest `Retry-After` honoured; a longer one is shortened to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): the server's `Retry-After` when given, otherwise a
    /// uniformly random time up to `min(max_delay, base_delay * 2^(retry-1))` ("full jitter").
    pub(crate) fn delay(&self, retry: u32, failure: Failure) -> Duration {
        if let Failure::Throttled(Some(after)) = failure {
            return after.min(self.max_retry_after);
        }
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}

/// Sleeps for `delay` unless `cancel` fires first; returns false when cancelled.
pub(crate) async fn sleep_or_cancel(delay: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = cancel.cancelled() => false,
    }
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is not used by APIs like this one).
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_is_retried_only_when_it_cannot_have_been_acted_on() {
        for f in [Failure::NotSent, Failure::Throttled(None)] {
            assert!(f.retryable(&Method::POST));
            assert!(f.retryable(&Method::GET));
        }
        for f in [Failure::ServerError, Failure::MaybeSent] {
            assert!(!f.retryable(&Method::POST));
            assert!(
                f.retryable(&Method::GET)
                    && f.retryable(&Method::PUT)
                    && f.retryable(&Method::DELETE)
            );
        }
        assert!(!Failure::Final.retryable(&Method::GET));
    }

    #[test]
    fn backoff_is_bounded_and_honours_retry_after() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..Default::default()
        };
        for retry in 1..40 {
            let ceiling =
                Duration::from_millis(100 * 2u64.pow((retry - 1).min(20))).min(p.max_delay);
            assert!(p.delay(retry, Failure::ServerError) <= ceiling);
        }
        assert_eq!(
            p.delay(1, Failure::Throttled(Some(Duration::from_secs(3)))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(1, Failure::Throttled(Some(Duration::from_secs(9999)))),
            p.max_retry_after
        );
        assert_eq!(parse_retry_after(Some(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
    }

    #[tokio::test]
    async fn sleep_stops_when_cancelled() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let started = std::time::Instant::now();
        assert!(!sleep_or_cancel(Duration::from_secs(60), &cancel).await);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
