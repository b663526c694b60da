//! Frontend calls, one implementation for HTTP, TCP and UDP: list, get, create, update, delete.

use reqwest::Method;

use super::iplb::iplb_path;
use crate::client::Client;
use crate::error::Error;
use crate::models::{Frontend, FrontendFilter, Protocol};

fn frontends_path(service_name: &str, protocol: Protocol) -> String {
    iplb_path(service_name, &format!("/{protocol}/frontend"))
}

fn frontend_path(service_name: &str, protocol: Protocol, frontend_id: i64) -> String {
    iplb_path(service_name, &format!("/{protocol}/frontend/{frontend_id}"))
}

impl Client {
    /// `GET /ipLoadbalancing/{sn}/{proto}/frontend`: frontend ids, optionally filtered.
    pub async fn list_frontends(
        &self,
        service_name: &str,
        protocol: Protocol,
        filter: &FrontendFilter,
    ) -> Result<Vec<i64>, Error> {
        self.get(
            &frontends_path(service_name, protocol),
            &filter.query(protocol),
        )
        .await
    }

    /// `GET /ipLoadbalancing/{sn}/{proto}/frontend/{id}`.
    pub async fn get_frontend(
        &self,
        service_name: &str,
        protocol: Protocol,
        frontend_id: i64,
    ) -> Result<Frontend, Error> {
        self.get(&frontend_path(service_name, protocol, frontend_id), &[])
            .await
    }

    /// `POST /ipLoadbalancing/{sn}/{proto}/frontend` with the set fields of `frontend` that exist for `protocol`
    /// (`port` and `zone` are required by the API); returns the created frontend with its id.
    pub async fn create_frontend(
        &self,
        service_name: &str,
        protocol: Protocol,
        frontend: &Frontend,
    ) -> Result<Frontend, Error> {
        let path = frontends_path(service_name, protocol);
        self.call(self.json_request(Method::POST, &path, &frontend.create_body(protocol))?)
            .await
    }

    /// `PUT /ipLoadbalancing/{sn}/{proto}/frontend/{id}` with every writable field of `protocol`; an unset
    /// nullable field is sent as `null`, which clears it (see [`Frontend::update_body`]).
    pub async fn update_frontend(
        &self,
        service_name: &str,
        protocol: Protocol,
        frontend_id: i64,
        frontend: &Frontend,
    ) -> Result<(), Error> {
        let path = frontend_path(service_name, protocol, frontend_id);
        self.call_void(self.json_request(Method::PUT, &path, &frontend.update_body(protocol))?)
            .await
    }

    /// `DELETE /ipLoadbalancing/{sn}/{proto}/frontend/{id}`.
    pub async fn delete_frontend(
        &self,
        service_name: &str,
        protocol: Protocol,
        frontend_id: i64,
    ) -> Result<(), Error> {
        let path = frontend_path(service_name, protocol, frontend_id);
        self.call_void(self.request(Method::DELETE, &path, &[], None)?)
            .await
    }
}
