//! Creating a frontend safely when the answer of the POST can be lost.
//!
//! OVH frontends carry no client token, and the client never repeats a POST whose outcome is unknown (a dropped
//! connection, a timeout, a 5xx: the API may have acted). So before the POST the ids of the LB's frontends of that
//! protocol on the planned port and zone are listed (one filtered call); when the answer is lost they are listed
//! again, and the single new frontend with the planned port, zone and dedicated IPs is adopted. When none appeared
//! the POST provably did nothing and is sent again (a bounded number of times); when several did, nothing is
//! guessed: the error says how to import the right one.

use std::collections::BTreeSet;
use std::time::Duration;

use ovh_client::{Frontend as ApiFrontend, FrontendFilter, Protocol};

use crate::plugin::diag::Diagnostic;
use crate::plugin::framework::Ctx;
use crate::provider::ProviderData;
use crate::resources::common::{CallError, call, same_ip_set};

/// POSTs per create: the first, plus re-sends after a lost answer proven to have created nothing.
pub(super) const MAX_POSTS: u32 = 4;

/// Pause before re-sending, times the attempt number: a server that failed may need a moment.
const RESEND_PAUSE: Duration = Duration::from_millis(300);

/// Why a create did not end with a frontend to track.
#[derive(Debug)]
pub(super) enum CreateFailure {
    /// A call failed with a known outcome (nothing was created), or the operation was interrupted.
    Call(CallError),
    /// The POST's answer was lost and checking what happened failed too.
    Unverified { post: CallError, lookup: CallError },
    /// The POST's answer was lost and several matching frontends appeared meanwhile.
    Ambiguous { post: CallError, ids: Vec<i64> },
}

impl CreateFailure {
    /// The diagnostic, under `summary` (which operation on which LB); `label` is `HTTP`, `TCP` or `UDP`.
    pub(super) fn into_diagnostic(
        self,
        summary: String,
        label: &str,
        service_name: &str,
        body: &ApiFrontend,
    ) -> Diagnostic {
        let port = body.port.as_deref().unwrap_or("?");
        let zone = body.zone.as_deref().unwrap_or("?");
        match self {
            Self::Call(error) => {
                let mut diagnostic = error.to_diagnostic(summary);
                if error.outcome_unknown() {
                    diagnostic.detail.push_str(&format!(
                        " The request may have reached OVH: check the {label} frontends of {service_name} on port \
                         {port} in zone {zone} and, if one was created, import it (service_name/frontend_id) \
                         instead of applying again."
                    ));
                }
                diagnostic
            }
            Self::Unverified { post, lookup } => Diagnostic::error(
                summary,
                format!(
                    "{post}. Checking whether the frontend was created anyway failed too ({lookup}): check the \
                     {label} frontends of {service_name} on port {port} in zone {zone} and, if one was created, \
                     import it (terraform import ADDRESS {service_name}/FRONTEND_ID) instead of applying again."
                ),
            ),
            Self::Ambiguous { post, ids } => {
                let list: Vec<String> = ids
                    .iter()
                    .map(|id| format!("{service_name}/{id}"))
                    .collect();
                Diagnostic::error(
                    summary,
                    format!(
                        "{post}. The answer was lost, and meanwhile {} {label} frontends with port {port}, zone \
                         {zone} and the planned dedicated IPs appeared ({}), so which one this resource created \
                         cannot be told. Import the one to manage (terraform import ADDRESS ID, with one of these \
                         ids) and delete the others if they are unwanted.",
                        ids.len(),
                        list.join(", ")
                    ),
                )
            }
        }
    }
}

/// Creates the frontend `body` describes, adopting it when the POST's answer is lost (see the module docs).
pub(super) async fn create(
    ctx: &Ctx<&ProviderData>,
    protocol: Protocol,
    service_name: &str,
    body: &ApiFrontend,
) -> Result<ApiFrontend, CreateFailure> {
    let client = &ctx.data.client;
    let filter = FrontendFilter {
        zone: body.zone.clone(),
        port: body.port.clone(),
        ..FrontendFilter::default()
    };
    let listed = call(ctx, client.list_frontends(service_name, protocol, &filter)).await;
    let before: BTreeSet<i64> = listed.map_err(CreateFailure::Call)?.into_iter().collect();
    let mut post = 1;
    loop {
        let error = match call(ctx, client.create_frontend(service_name, protocol, body)).await {
            Ok(created) => return Ok(created),
            Err(error) if answer_may_be_lost(&error) => error,
            Err(error) => return Err(CreateFailure::Call(error)),
        };
        tracing::info!(service_name, %protocol, %error, "frontend creation answer lost; looking for the frontend");
        let found = match new_matching(ctx, protocol, service_name, &filter, &before, body).await {
            Ok(found) => found,
            Err(lookup) => {
                return Err(CreateFailure::Unverified {
                    post: error,
                    lookup,
                });
            }
        };
        match found.as_slice() {
            [] if post < MAX_POSTS => {
                tracing::info!(service_name, %protocol, post, "the lost creation did not happen; sending it again");
                let pause = RESEND_PAUSE.saturating_mul(post);
                ctx.run(tokio::time::sleep(pause))
                    .await
                    .map_err(|why| CreateFailure::Call(CallError::Interrupted(why)))?;
                post += 1;
            }
            [] => return Err(CreateFailure::Call(error)),
            [only] => {
                tracing::info!(service_name, %protocol, frontend_id = ?only.frontend_id, "adopting the frontend created by the lost request");
                return Ok(only.clone());
            }
            several => {
                let ids = several.iter().filter_map(|f| f.frontend_id).collect();
                return Err(CreateFailure::Ambiguous { post: error, ids });
            }
        }
    }
}

/// Whether a failed POST may have been acted on although its answer did not say so: the connection failed or
/// timed out after sending, the server answered 5xx, or it answered 2xx with a body that cannot be read. Not when the operation itself was interrupted (no time
/// is left to look).
fn answer_may_be_lost(error: &CallError) -> bool {
    match error {
        CallError::Interrupted(_) => false,
        CallError::Api(ovh_client::Error::Api(api)) => api.status >= 500,
        // A 2xx answer that cannot be read: the frontend was created, but its description is lost.
        CallError::Api(ovh_client::Error::Decode { .. }) => true,
        other => other.outcome_unknown(),
    }
}

/// The frontends listed under `filter` now but not in `before` that are what `body` asked for.
async fn new_matching(
    ctx: &Ctx<&ProviderData>,
    protocol: Protocol,
    service_name: &str,
    filter: &FrontendFilter,
    before: &BTreeSet<i64>,
    body: &ApiFrontend,
) -> Result<Vec<ApiFrontend>, CallError> {
    let client = &ctx.data.client;
    let mut found = Vec::new();
    for id in call(ctx, client.list_frontends(service_name, protocol, filter)).await? {
        if before.contains(&id) {
            continue;
        }
        match call(ctx, client.get_frontend(service_name, protocol, id)).await {
            Ok(mut frontend) if is_what_was_asked(&frontend, body) => {
                frontend.frontend_id.get_or_insert(id);
                found.push(frontend);
            }
            Ok(_) => {}
            // Deleted between the list and the get: not ours to adopt.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// Whether `candidate` has the port, zone and dedicated IPs of the creation request (the list filters are loose:
/// the port filter is a `like` match).
fn is_what_was_asked(candidate: &ApiFrontend, body: &ApiFrontend) -> bool {
    let zone_matches = match (&candidate.zone, &body.zone) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    };
    let ips = |f: &ApiFrontend| f.dedicated_ipfo.clone().unwrap_or_default();
    candidate.port == body.port && zone_matches && same_ip_set(&ips(candidate), &ips(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontend(port: &str, zone: &str, ips: Option<&[&str]>) -> ApiFrontend {
        ApiFrontend {
            port: Some(port.to_owned()),
            zone: Some(zone.to_owned()),
            dedicated_ipfo: ips.map(|ips| ips.iter().map(|ip| (*ip).to_owned()).collect()),
            ..ApiFrontend::default()
        }
    }

    #[test]
    fn a_candidate_must_have_the_planned_port_zone_and_ips() {
        let asked = frontend("80", "gra", Some(&["203.0.113.7", "203.0.113.8/32"]));
        assert!(is_what_was_asked(
            &frontend("80", "GRA", Some(&["203.0.113.8/32", "203.0.113.7/32"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("8080", "gra", Some(&["203.0.113.7", "203.0.113.8"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("80", "rbx", Some(&["203.0.113.7", "203.0.113.8"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("80", "gra", Some(&["203.0.113.7"])),
            &asked
        ));
        // No dedicated IPs: `[]` and absent are the same.
        assert!(is_what_was_asked(
            &frontend("53", "all", Some(&[])),
            &frontend("53", "all", None)
        ));
    }

    #[test]
    fn lost_answers_are_5xx_and_transport_failures_only() {
        let api = |status| {
            CallError::Api(ovh_client::Error::Api(ovh_client::ApiError::from_response(
                status, b"{}", None,
            )))
        };
        assert!(answer_may_be_lost(&api(500)) && answer_may_be_lost(&api(504)));
        assert!(!answer_may_be_lost(&api(400)) && !answer_may_be_lost(&api(409)));
        let dropped = ovh_client::Error::Transport {
            method: "POST".into(),
            route: "/ipLoadbalancing/lb/http/frontend".into(),
            attempts: 1,
            message: "connection closed".into(),
        };
        assert!(answer_may_be_lost(&CallError::Api(dropped)));
        let stopped = CallError::Interrupted(crate::plugin::framework::Interrupted::Cancelled);
        assert!(!answer_may_be_lost(&stopped));
    }

    #[test]
    fn an_ambiguous_adoption_says_how_to_import() {
        let post = CallError::Api(ovh_client::Error::Api(ovh_client::ApiError::from_response(
            502, b"{}", None,
        )));
        let failure = CreateFailure::Ambiguous {
            post,
            ids: vec![7, 9],
        };
        let diagnostic = failure.into_diagnostic(
            "Cannot create".into(),
            "TCP",
            "lb",
            &frontend("443", "gra", None),
        );
        assert!(diagnostic.detail.contains("lb/7, lb/9"), "{diagnostic}");
        assert!(
            diagnostic.detail.contains("terraform import"),
            "{diagnostic}"
        );
    }
}
