//! Credential checks: `GET /auth/details`.

use reqwest::Method;

use crate::client::{Client, Clock, Request};
use crate::error::Error;
use crate::models::AuthDetails;

/// How far (seconds) the local clock may be from the server's for a request stamped with it to stand: the delta
/// itself is only known to the second, so a clock in step may show one either way.
const CLOCK_IN_STEP: i64 = 1;

impl Client {
    /// `GET /auth/details`: proves the credentials work (the error is the API's, e.g. an invalid signature).
    ///
    /// It is the first call of every configured provider process, so with v1 signing the server time is not known
    /// yet. Rather than wait for `GET /auth/time` and then sign, the check is sent at once, stamped with the local
    /// clock, alongside `GET /auth/time`: one round trip instead of two. A success stands whatever the clocks say.
    /// A refusal stands when the server time shows the local clock in step (within [`CLOCK_IN_STEP`], the precision
    /// of the delta itself), since the check was then stamped as it would have been; when the clock is off, the
    /// refusal may be the clock's fault, so the check is sent again, stamped with the server time.
    pub async fn check_credentials(&self) -> Result<AuthDetails, Error> {
        const PATH: &str = "/auth/details";
        if !self.authenticator().awaits_server_time() {
            return self.get(PATH, &[]).await;
        }
        let early = Request {
            clock: Clock::Local,
            ..self.request(Method::GET, PATH, &[], None)?
        };
        let (delta, details) = tokio::join!(
            self.authenticator().time_delta(self),
            self.call::<AuthDetails>(early)
        );
        let delta = delta?;
        match details {
            Err(error) if delta.abs() > CLOCK_IN_STEP => {
                tracing::debug!(%error, delta, "credential check sent again with the server time");
                self.get(PATH, &[]).await
            }
            details => details,
        }
    }
}
