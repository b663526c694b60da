//! Frontends of the three protocols as one type: which fields exist for which protocol, and how create (POST) and
//! update (PUT) bodies are built from one value so that a cleared optional really is cleared in the API.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::path::filters;

/// The protocol of a frontend, farm or route, i.e. the path segment under `/ipLoadbalancing/{sn}/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Tcp,
    Udp,
}

impl Protocol {
    /// All protocols, e.g. to check every frontend of an LB.
    pub const ALL: [Protocol; 3] = [Self::Http, Self::Tcp, Self::Udp];

    /// The path segment: `http`, `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }

    /// Whether the API has routes for this protocol (UDP has none).
    pub fn has_routes(self) -> bool {
        !matches!(self, Self::Udp)
    }

    fn bit(self) -> u8 {
        match self {
            Self::Http => HTTP,
            Self::Tcp => TCP,
            Self::Udp => UDP,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "http" => Ok(Self::Http),
            "tcp" => Ok(Self::Tcp),
            "udp" => Ok(Self::Udp),
            other => Err(format!(
                "unknown protocol {other:?}: expected http, tcp or udp"
            )),
        }
    }
}

/// A frontend of any protocol (`frontendHttp`/`frontendTcp`/`frontendUdp`). Every field is optional: a GET fills
/// those its protocol has; for a POST or PUT, `None` means "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frontend {
    /// Read-only: never sent.
    #[serde(default)]
    pub frontend_id: Option<i64>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub default_farm_id: Option<i64>,
    #[serde(default)]
    pub default_ssl_id: Option<i64>,
    #[serde(default)]
    pub allowed_source: Option<Vec<String>>,
    #[serde(default)]
    pub denied_source: Option<Vec<String>>,
    #[serde(default)]
    pub dedicated_ipfo: Option<Vec<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub ssl: Option<bool>,
    #[serde(default)]
    pub hsts: Option<bool>,
    #[serde(default)]
    pub http_header: Option<Vec<String>>,
    #[serde(default)]
    pub redirect_location: Option<String>,
    /// Read-only: never sent.
    #[serde(default)]
    pub vrack_network_id: Option<i64>,
    /// Read-only: never sent.
    #[serde(default)]
    pub vrack_vrouter_id: Option<i64>,
}

const HTTP: u8 = 1;
const TCP: u8 = 2;
const UDP: u8 = 4;
const ALL: u8 = HTTP | TCP | UDP;

/// A writable frontend field: its API name, whether the schema lets it be `null`, and which protocols have it.
struct WritableField {
    name: &'static str,
    nullable: bool,
    protocols: u8,
}

const fn field(name: &'static str, nullable: bool, protocols: u8) -> WritableField {
    WritableField {
        name,
        nullable,
        protocols,
    }
}

/// The writable fields per the schema (`frontendId`, `vrackNetworkId`, `vrackVrouterId` are read-only).
const WRITABLE: &[WritableField] = &[
    field("port", false, ALL),
    field("zone", false, ALL),
    field("displayName", true, ALL),
    field("defaultFarmId", true, ALL),
    field("defaultSslId", true, HTTP | TCP),
    field("allowedSource", true, HTTP | TCP),
    field("deniedSource", true, HTTP | TCP),
    field("dedicatedIpfo", true, ALL),
    field("disabled", false, ALL),
    field("ssl", false, HTTP | TCP),
    field("hsts", false, HTTP),
    field("httpHeader", true, HTTP),
    field("redirectLocation", true, HTTP),
];

impl Frontend {
    /// The POST body: the set fields that exist for `protocol`.
    pub fn create_body(&self, protocol: Protocol) -> Value {
        self.body(protocol, |_| false)
    }

    /// The PUT body: every writable field of `protocol`; an unset nullable field is sent as `null` (that clears it
    /// in the API), an unset non-nullable one (`port`, `zone`, booleans) is left out and so left unchanged.
    pub fn update_body(&self, protocol: Protocol) -> Value {
        self.body(protocol, |f| f.nullable)
    }

    /// The API names of the fields a POST or PUT of `protocol` carries (read-only fields never are), from the same
    /// table the bodies are built from: callers that map their own fields onto these can check that they agree.
    pub fn writable_fields(protocol: Protocol) -> impl Iterator<Item = &'static str> {
        WRITABLE
            .iter()
            .filter(move |f| f.protocols & protocol.bit() != 0)
            .map(|f| f.name)
    }

    fn body(&self, protocol: Protocol, send_null: impl Fn(&WritableField) -> bool) -> Value {
        // Serialising the struct gives every field under its API name; the table then picks what may be sent.
        let Ok(Value::Object(all)) = serde_json::to_value(self) else {
            unreachable!(
                "a struct of options, strings and integers always serialises to a JSON object"
            )
        };
        let mut body = Map::new();
        for f in WRITABLE
            .iter()
            .filter(|f| f.protocols & protocol.bit() != 0)
        {
            match all.get(f.name) {
                Some(Value::Null) | None if send_null(f) => {
                    body.insert(f.name.to_owned(), Value::Null);
                }
                Some(Value::Null) | None => {}
                Some(value) => {
                    body.insert(f.name.to_owned(), value.clone());
                }
            }
        }
        Value::Object(body)
    }
}

/// Optional filters of a frontend list (`GET …/{proto}/frontend`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrontendFilter {
    pub zone: Option<String>,
    /// A `like` match on the port string.
    pub port: Option<String>,
    pub default_farm_id: Option<i64>,
    /// Ignored for UDP, which has no SSL.
    pub default_ssl_id: Option<i64>,
}

impl FrontendFilter {
    pub(crate) fn query(&self, protocol: Protocol) -> Vec<(&'static str, String)> {
        filters(&[
            ("zone", self.zone.clone()),
            ("port", self.port.clone()),
            (
                "defaultFarmId",
                self.default_farm_id.map(|id| id.to_string()),
            ),
            (
                "defaultSslId",
                self.default_ssl_id
                    .filter(|_| protocol != Protocol::Udp)
                    .map(|id| id.to_string()),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn full() -> Frontend {
        Frontend {
            frontend_id: Some(7),
            port: Some("80,443".into()),
            zone: Some("all".into()),
            display_name: Some("web".into()),
            default_farm_id: Some(11),
            default_ssl_id: Some(3),
            allowed_source: Some(vec!["10.0.0.0/8".into()]),
            denied_source: None,
            dedicated_ipfo: Some(vec!["203.0.113.7/32".into()]),
            disabled: Some(false),
            ssl: Some(true),
            hsts: Some(true),
            http_header: Some(vec!["X-Ip: %ci".into()]),
            redirect_location: None,
            vrack_network_id: Some(5),
            vrack_vrouter_id: Some(6),
        }
    }

    #[test]
    fn create_body_sends_only_set_fields_of_the_protocol() {
        let http = full().create_body(Protocol::Http);
        assert_eq!(
            http,
            json!({"port":"80,443","zone":"all","displayName":"web","defaultFarmId":11,"defaultSslId":3,
                   "allowedSource":["10.0.0.0/8"],"dedicatedIpfo":["203.0.113.7/32"],"disabled":false,"ssl":true,
                   "hsts":true,"httpHeader":["X-Ip: %ci"]})
        );
        let udp = full().create_body(Protocol::Udp);
        assert_eq!(
            udp,
            json!({"port":"80,443","zone":"all","displayName":"web","defaultFarmId":11,
                   "dedicatedIpfo":["203.0.113.7/32"],"disabled":false})
        );
    }

    #[test]
    fn update_body_clears_unset_optionals_and_never_sends_read_only_fields() {
        let mut fe = full();
        fe.display_name = None;
        fe.default_farm_id = None;
        fe.hsts = None;
        let tcp = fe.update_body(Protocol::Tcp);
        assert_eq!(
            tcp,
            json!({"port":"80,443","zone":"all","displayName":null,"defaultFarmId":null,"defaultSslId":3,
                   "allowedSource":["10.0.0.0/8"],"deniedSource":null,"dedicatedIpfo":["203.0.113.7/32"],
                   "disabled":false,"ssl":true})
        );
        let http = fe.update_body(Protocol::Http);
        let obj = http.as_object().unwrap();
        assert_eq!(obj["redirectLocation"], Value::Null);
        assert!(
            !obj.contains_key("hsts"),
            "an unset non-nullable field is left out"
        );
        for ro in ["frontendId", "vrackNetworkId", "vrackVrouterId"] {
            assert!(!obj.contains_key(ro), "{ro} is read-only");
        }
    }

    #[test]
    fn writable_fields_follow_the_protocol() {
        let udp: Vec<_> = Frontend::writable_fields(Protocol::Udp).collect();
        assert_eq!(
            udp,
            [
                "port",
                "zone",
                "displayName",
                "defaultFarmId",
                "dedicatedIpfo",
                "disabled"
            ]
        );
        assert_eq!(Frontend::writable_fields(Protocol::Tcp).count(), 10);
        assert_eq!(
            Frontend::writable_fields(Protocol::Http).count(),
            WRITABLE.len()
        );
    }

    #[test]
    fn decodes_a_get_response() {
        let body = r#"{"frontendId":12345,"port":"80,443","zone":"all","displayName":"web","defaultFarmId":678,
            "defaultSslId":null,"allowedSource":[],"deniedSource":[],"dedicatedIpfo":["1.2.3.4/32"],"disabled":false,
            "ssl":false,"hsts":false,"httpHeader":[],"redirectLocation":null,"vrackNetworkId":null,"vrackVrouterId":null}"#;
        let fe: Frontend = serde_json::from_str(body).unwrap();
        assert_eq!(fe.frontend_id, Some(12345));
        assert_eq!(fe.default_ssl_id, None);
        assert_eq!(fe.dedicated_ipfo, Some(vec!["1.2.3.4/32".to_owned()]));
    }

    #[test]
    fn filter_query_skips_ssl_for_udp() {
        let f = FrontendFilter {
            zone: Some("gra".into()),
            default_ssl_id: Some(2),
            ..Default::default()
        };
        assert_eq!(
            f.query(Protocol::Tcp),
            vec![("zone", "gra".to_owned()), ("defaultSslId", "2".to_owned())]
        );
        assert_eq!(f.query(Protocol::Udp), vec![("zone", "gra".to_owned())]);
    }
}
