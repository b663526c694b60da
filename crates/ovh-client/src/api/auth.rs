//! Credential checks: `GET /auth/details`.

use crate::client::Client;
use crate::error::Error;
use crate::models::AuthDetails;

impl Client {
    /// `GET /auth/details`: proves the credentials work (the error is the API's, e.g. an invalid signature).
    pub async fn check_credentials(&self) -> Result<AuthDetails, Error> {
        self.get("/auth/details", &[]).await
    }
}
