//! Settings resolution: turns the (possibly partial) settings a user gave into one endpoint and one authentication
//! method, looking them up exactly as go-ovh does so that users of the official provider switch with no change.
//!
//! For every key: the explicit value, then the `OVH_<KEY>` environment variable, then the ovh.conf files. In the
//! files, `endpoint` is read from the `[default]` section and every credential from the section named after the
//! endpoint (`[ovh-eu]`, or the full URL when a URL is used). Empty strings count as unset, as in go-ovh.

use std::fmt;
use std::path::{Path, PathBuf};

use ini::Ini;

use crate::secret::Secret;

/// The endpoint used when none is configured anywhere.
pub const DEFAULT_ENDPOINT: &str = "ovh-eu";

/// The endpoint aliases and their API base URL and OAuth2 token URL (none for Kimsufi / So you Start).
const ENDPOINT_ALIASES: &[(&str, &str, Option<&str>)] = &[
    (
        "ovh-eu",
        "https://eu.api.ovh.com/1.0",
        Some("https://www.ovh.com/auth/oauth2/token"),
    ),
    (
        "ovh-ca",
        "https://ca.api.ovh.com/1.0",
        Some("https://ca.ovh.com/auth/oauth2/token"),
    ),
    (
        "ovh-us",
        "https://api.us.ovhcloud.com/1.0",
        Some("https://us.ovhcloud.com/auth/oauth2/token"),
    ),
    ("kimsufi-eu", "https://eu.api.kimsufi.com/1.0", None),
    ("kimsufi-ca", "https://ca.api.kimsufi.com/1.0", None),
    ("soyoustart-eu", "https://eu.api.soyoustart.com/1.0", None),
    ("soyoustart-ca", "https://ca.api.soyoustart.com/1.0", None),
];

/// Path of the OAuth2 token endpoint relative to the origin of a custom base URL (e.g. a simulator).
const CUSTOM_TOKEN_PATH: &str = "/auth/oauth2/token";

/// Settings as the user gave them (provider arguments); `None` or an empty string means "not set here".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigInput {
    pub endpoint: Option<String>,
    pub application_key: Option<String>,
    pub application_secret: Option<String>,
    pub consumer_key: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub access_token: Option<String>,
}

impl fmt::Debug for ConfigInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are reduced to whether they are set.
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("ConfigInput")
            .field("endpoint", &self.endpoint)
            .field("application_key", &self.application_key)
            .field("application_secret", &redacted(&self.application_secret))
            .field("consumer_key", &redacted(&self.consumer_key))
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("access_token", &redacted(&self.access_token))
            .finish()
    }
}

/// An API base URL without a trailing slash, e.g. `https://eu.api.ovh.com/1.0` or `http://127.0.0.1:8080/1.0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint(String);

impl Endpoint {
    /// The base URL; request paths (`/ip/...`) are appended to it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base URL of an alias such as `ovh-eu`.
    pub fn from_alias(alias: &str) -> Option<Self> {
        ENDPOINT_ALIASES
            .iter()
            .find(|(name, ..)| *name == alias)
            .map(|(_, url, _)| Self((*url).to_owned()))
    }

    /// Parses an alias or a full base URL (anything containing `/`, as go-ovh decides).
    pub fn parse(name: &str) -> Result<Self, ConfigError> {
        if !name.contains('/') {
            return Self::from_alias(name).ok_or_else(|| ConfigError::UnknownEndpoint {
                name: name.to_owned(),
            });
        }
        if name.ends_with('/') {
            return Err(ConfigError::TrailingSlash {
                endpoint: name.to_owned(),
            });
        }
        match reqwest::Url::parse(name) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                Ok(Self(name.to_owned()))
            }
            Ok(_) => Err(ConfigError::InvalidEndpointUrl {
                endpoint: name.to_owned(),
                reason: "it must be an http:// or https:// URL with a host".to_owned(),
            }),
            Err(e) => Err(ConfigError::InvalidEndpointUrl {
                endpoint: name.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// The OAuth2 client-credentials token URL for this endpoint: OVH's for the three OVH regions, none for the
    /// Kimsufi / So you Start ones, and `<origin>/auth/oauth2/token` for a custom base URL.
    pub fn oauth2_token_url(&self) -> Option<String> {
        if let Some((_, _, token)) = ENDPOINT_ALIASES.iter().find(|(_, url, _)| *url == self.0) {
            return token.map(str::to_owned);
        }
        let url = reqwest::Url::parse(&self.0).ok()?;
        Some(format!(
            "{}{CUSTOM_TOKEN_PATH}",
            url.origin().ascii_serialization()
        ))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The one authentication method in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// v1 request signing; without a consumer key only unauthenticated calls work.
    Application {
        application_key: String,
        application_secret: Secret,
        consumer_key: Option<Secret>,
    },
    /// OAuth2 client credentials (service account); `token_url` may be changed after resolution.
    OAuth2 {
        client_id: String,
        client_secret: Secret,
        token_url: String,
    },
    /// A ready-made bearer token.
    AccessToken(Secret),
}

impl Auth {
    /// A short name of the method, for messages.
    pub fn method_name(&self) -> &'static str {
        match self {
            Self::Application { .. } => "application_key/application_secret",
            Self::OAuth2 { .. } => "client_id/client_secret",
            Self::AccessToken(_) => "access_token",
        }
    }
}

/// The outcome of settings resolution: where to send requests and how to authenticate them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedConfig {
    pub endpoint: Endpoint,
    pub auth: Auth,
}

/// Why the settings cannot be used. Each message is one sentence naming the setting at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "endpoint {endpoint:?} must not end with a slash; use e.g. \"https://eu.api.ovh.com/1.0\""
    )]
    TrailingSlash { endpoint: String },
    #[error(
        "unknown endpoint {name:?}: use one of ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, \
         soyoustart-ca, or a full base URL such as \"http://127.0.0.1:8080/1.0\""
    )]
    UnknownEndpoint { name: String },
    #[error("endpoint {endpoint:?} is not a valid base URL: {reason}")]
    InvalidEndpointUrl { endpoint: String, reason: String },
    #[error(
        "can't use multiple authentication methods: {methods} are all configured ({sources}); keep only one"
    )]
    MultipleAuthMethods { methods: String, sources: String },
    #[error(
        "missing authentication information: provide application_key/application_secret (and consumer_key), \
         client_id/client_secret, or access_token (as arguments, OVH_* environment variables or in ovh.conf)"
    )]
    NoAuthentication,
    #[error("{given} is set ({source_desc}) but {missing} is missing; both must be given")]
    IncompletePair {
        given: &'static str,
        source_desc: String,
        missing: &'static str,
    },
    #[error(
        "consumer_key is set ({source_desc}) but application_key and application_secret are missing"
    )]
    ConsumerKeyWithoutApplication { source_desc: String },
    #[error(
        "OAuth2 (client_id/client_secret) is not available on endpoint {endpoint}; use \
         application_key/application_secret/consumer_key or access_token there"
    )]
    OAuth2Unsupported { endpoint: String },
    #[error("cannot read configuration file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// Resolves settings from `input`, then `env` (`OVH_*` names), then the ovh.conf `files` given lowest priority
/// first (a later file overrides an earlier one key by key; missing files are skipped).
pub fn resolve(
    input: &ConfigInput,
    env: &dyn Fn(&str) -> Option<String>,
    files: &[PathBuf],
) -> Result<ResolvedConfig, ConfigError> {
    let files = ConfFiles::load(files)?;
    let lookup = Lookup { env, files: &files };

    let endpoint_name = lookup
        .value(&input.endpoint, "default", "endpoint")
        .map(|s| s.value)
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    if endpoint_name.ends_with('/') {
        return Err(ConfigError::TrailingSlash {
            endpoint: endpoint_name,
        });
    }
    let section = endpoint_name.as_str();
    let app_key = lookup.value(&input.application_key, section, "application_key");
    let app_secret = lookup.value(&input.application_secret, section, "application_secret");
    let consumer_key = lookup.value(&input.consumer_key, section, "consumer_key");
    let client_id = lookup.value(&input.client_id, section, "client_id");
    let client_secret = lookup.value(&input.client_secret, section, "client_secret");
    let access_token = lookup.value(&input.access_token, section, "access_token");

    let methods: Vec<(&str, String)> = [
        (
            "application_key/application_secret",
            first_source([&app_key, &app_secret, &consumer_key]),
        ),
        (
            "client_id/client_secret",
            first_source([&client_id, &client_secret]),
        ),
        ("access_token", first_source([&access_token])),
    ]
    .into_iter()
    .filter_map(|(name, source)| source.map(|s| (name, s)))
    .collect();
    if methods.len() > 1 {
        return Err(ConfigError::MultipleAuthMethods {
            methods: methods
                .iter()
                .map(|(m, _)| *m)
                .collect::<Vec<_>>()
                .join(", "),
            sources: methods
                .iter()
                .map(|(m, s)| format!("{m} from {s}"))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    check_pair(
        &app_key,
        "application_key",
        &app_secret,
        "application_secret",
    )?;
    check_pair(&client_id, "client_id", &client_secret, "client_secret")?;

    let endpoint = Endpoint::parse(&endpoint_name)?;
    let auth = match (app_key, app_secret, client_id, client_secret, access_token) {
        (Some(ak), Some(secret), ..) => Auth::Application {
            application_key: ak.value,
            application_secret: Secret::from(secret.value),
            consumer_key: consumer_key.map(|ck| Secret::from(ck.value)),
        },
        (_, _, Some(id), Some(secret), _) => {
            let token_url =
                endpoint
                    .oauth2_token_url()
                    .ok_or_else(|| ConfigError::OAuth2Unsupported {
                        endpoint: endpoint.to_string(),
                    })?;
            Auth::OAuth2 {
                client_id: id.value,
                client_secret: Secret::from(secret.value),
                token_url,
            }
        }
        (.., Some(token)) => Auth::AccessToken(Secret::from(token.value)),
        _ => {
            return Err(match consumer_key {
                Some(ck) => ConfigError::ConsumerKeyWithoutApplication {
                    source_desc: ck.source.to_string(),
                },
                None => ConfigError::NoAuthentication,
            });
        }
    };
    Ok(ResolvedConfig { endpoint, auth })
}

/// [`resolve`] with the process environment and the standard files `/etc/ovh.conf`, `~/.ovh.conf`, `./ovh.conf`.
pub fn resolve_default(input: &ConfigInput) -> Result<ResolvedConfig, ConfigError> {
    resolve(
        input,
        &|name| std::env::var(name).ok(),
        &default_config_files(),
    )
}

/// Where each setting [`resolve`] would use comes from, for messages that must say which credentials were used
/// without showing them: `(setting, source)` for every setting set anywhere, in the order `endpoint`,
/// `application_key`, `application_secret`, `consumer_key`, `client_id`, `client_secret`, `access_token`; the
/// source reads like `argument application_key`, `environment variable OVH_APPLICATION_KEY` or
/// `section [ovh-eu] of /home/me/.ovh.conf`. The endpoint, when set nowhere, is `default (ovh-eu)`.
pub fn setting_sources(
    input: &ConfigInput,
    env: &dyn Fn(&str) -> Option<String>,
    files: &[PathBuf],
) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let files = ConfFiles::load(files)?;
    let lookup = Lookup { env, files: &files };
    let endpoint = lookup.value(&input.endpoint, "default", "endpoint");
    let section = endpoint
        .as_ref()
        .map_or(DEFAULT_ENDPOINT, |e| e.value.as_str())
        .to_owned();
    let mut sources = vec![(
        "endpoint",
        endpoint.map_or_else(
            || format!("default ({DEFAULT_ENDPOINT})"),
            |e| e.source.to_string(),
        ),
    )];
    let keys: [(&'static str, &Option<String>); 6] = [
        ("application_key", &input.application_key),
        ("application_secret", &input.application_secret),
        ("consumer_key", &input.consumer_key),
        ("client_id", &input.client_id),
        ("client_secret", &input.client_secret),
        ("access_token", &input.access_token),
    ];
    for (key, explicit) in keys {
        if let Some(found) = lookup.value(explicit, &section, key) {
            sources.push((key, found.source.to_string()));
        }
    }
    Ok(sources)
}

/// [`setting_sources`] with the process environment and the standard ovh.conf files, as [`resolve_default`].
pub fn setting_sources_default(
    input: &ConfigInput,
) -> Result<Vec<(&'static str, String)>, ConfigError> {
    setting_sources(
        input,
        &|name| std::env::var(name).ok(),
        &default_config_files(),
    )
}

/// The ovh.conf locations go-ovh reads, lowest priority first.
pub fn default_config_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("/etc/ovh.conf")];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        files.push(Path::new(&home).join(".ovh.conf"));
    }
    files.push(PathBuf::from("./ovh.conf"));
    files
}

/// Where a setting's value came from, to name it in error messages (never the value itself).
#[derive(Clone, Debug)]
enum Source {
    Argument(&'static str),
    Env(String),
    File { path: PathBuf, section: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Argument(key) => write!(f, "argument {key}"),
            Self::Env(var) => write!(f, "environment variable {var}"),
            Self::File { path, section } => write!(f, "section [{section}] of {}", path.display()),
        }
    }
}

#[derive(Clone, Debug)]
struct Sourced {
    value: String,
    source: Source,
}

fn first_source<const N: usize>(values: [&Option<Sourced>; N]) -> Option<String> {
    values
        .into_iter()
        .flatten()
        .next()
        .map(|s| s.source.to_string())
}

fn check_pair(
    a: &Option<Sourced>,
    a_name: &'static str,
    b: &Option<Sourced>,
    b_name: &'static str,
) -> Result<(), ConfigError> {
    match (a, b) {
        (Some(given), None) => Err(ConfigError::IncompletePair {
            given: a_name,
            source_desc: given.source.to_string(),
            missing: b_name,
        }),
        (None, Some(given)) => Err(ConfigError::IncompletePair {
            given: b_name,
            source_desc: given.source.to_string(),
            missing: a_name,
        }),
        _ => Ok(()),
    }
}

/// The parsed ovh.conf files, highest priority first.
struct ConfFiles(Vec<(PathBuf, Ini)>);

impl ConfFiles {
    fn load(paths: &[PathBuf]) -> Result<Self, ConfigError> {
        let mut loaded = Vec::new();
        for path in paths.iter().rev() {
            // go-ini's loose loading: a missing file is simply skipped, an unreadable or malformed one is an error.
            match Ini::load_from_file_noescape(path) {
                Ok(ini) => loaded.push((path.clone(), ini)),
                Err(ini::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ConfigError::File {
                        path: path.clone(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(Self(loaded))
    }

    fn get(&self, section: &str, key: &str) -> Option<Sourced> {
        self.0.iter().find_map(|(path, ini)| {
            let value = ini.section(Some(section))?.get(key)?.trim();
            (!value.is_empty()).then(|| Sourced {
                value: value.to_owned(),
                source: Source::File {
                    path: path.clone(),
                    section: section.to_owned(),
                },
            })
        })
    }
}

struct Lookup<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    files: &'a ConfFiles,
}

impl Lookup<'_> {
    /// One setting: explicit value, then `OVH_<KEY>`, then `[section] key` in the files.
    fn value(
        &self,
        explicit: &Option<String>,
        section: &str,
        key: &'static str,
    ) -> Option<Sourced> {
        if let Some(v) = explicit.as_ref().filter(|v| !v.is_empty()) {
            return Some(Sourced {
                value: v.clone(),
                source: Source::Argument(key),
            });
        }
        let var = format!("OVH_{}", key.to_ascii_uppercase());
        if let Some(v) = (self.env)(&var).filter(|v| !v.is_empty()) {
            return Some(Sourced {
                value: v,
                source: Source::Env(var),
            });
        }
        self.files.get(section, key)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
