//! `/auth/*`: server time and introspection of the caller's credential.

use serde_json::{Value, json};

use super::Ctx;
use crate::auth::Identity;
use crate::error::{ApiError, ApiResult};
use crate::time::rfc3339;

pub fn time(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(json!(ctx.server_now_secs))
}

/// `auth.Details`.
pub fn details(ctx: &mut Ctx<'_>) -> ApiResult {
    let account = &ctx.state.account;
    let (method, identity, allowed_routes) = match &ctx.identity {
        Identity::Bearer(Some(client_id)) => (
            "oauth2_client_credentials",
            format!("urn:v1:eu:identity:credential:{account}/oauth2-{client_id}"),
            Value::Null,
        ),
        Identity::Credential(index) => {
            let rules = ctx
                .state
                .credentials
                .get(*index)
                .and_then(|c| c.rules.clone());
            (
                "account",
                format!("urn:v1:eu:identity:account:{account}"),
                json!(rules),
            )
        }
        Identity::Bearer(None) | Identity::Admin => (
            "account",
            format!("urn:v1:eu:identity:account:{account}"),
            Value::Null,
        ),
    };
    Ok(json!({
        "account": account,
        "allowedRoutes": allowed_routes,
        "description": null,
        "identities": [identity],
        "method": method,
        "roles": null,
        "user": null,
    }))
}

/// `auth.ApiCredential` of the consumer key in use (application-key authentication only).
pub fn current_credential(ctx: &mut Ctx<'_>) -> ApiResult {
    let Identity::Credential(index) = ctx.identity else {
        return Err(ApiError::bad_request(
            "This call needs an application key and consumer key authentication",
        ));
    };
    let credential = ctx
        .state
        .credentials
        .get(index)
        .ok_or_else(|| ApiError::not_found("This credential does not exist"))?;
    let rules = credential.rules.clone().map_or_else(
        || {
            ["GET", "POST", "PUT", "DELETE"]
                .iter()
                .map(|m| json!({"method": m, "path": "/*"}))
                .collect()
        },
        |rules| {
            rules
                .iter()
                .map(|r| json!({"method": r.method, "path": r.path}))
                .collect::<Vec<_>>()
        },
    );
    Ok(json!({
        "allowedIPs": null,
        "applicationId": index + 1,
        "creation": rfc3339(0),
        "credentialId": index + 1,
        "expiration": null,
        "lastUse": rfc3339(ctx.now_ms),
        "ovhSupport": false,
        "rules": rules,
        "status": credential.status.clone().unwrap_or_else(|| "validated".into()),
    }))
}
