//! Tests of settings resolution: arguments, environment, each ovh.conf location, and the error cases.

use std::collections::HashMap;
use std::path::PathBuf;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn args(ak: &str, as_: &str, ck: &str) -> ConfigInput {
    ConfigInput {
        application_key: Some(ak.into()),
        application_secret: Some(as_.into()),
        consumer_key: Some(ck.into()),
        ..Default::default()
    }
}

fn app(ak: &str, as_: &str, ck: Option<&str>) -> Auth {
    Auth::Application {
        application_key: ak.into(),
        application_secret: Secret::from(as_),
        consumer_key: ck.map(Secret::from),
    }
}

/// Three config files standing for /etc/ovh.conf, ~/.ovh.conf and ./ovh.conf (lowest priority first).
struct Files {
    _dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
}

impl Files {
    fn new(contents: [Option<&str>; 3]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let names = ["etc-ovh.conf", "home-.ovh.conf", "cwd-ovh.conf"];
        let paths = names.iter().map(|n| dir.path().join(n)).collect::<Vec<_>>();
        for (path, content) in paths.iter().zip(contents) {
            if let Some(content) = content {
                std::fs::write(path, content).unwrap();
            }
        }
        Self { _dir: dir, paths }
    }
}

#[test]
fn explicit_arguments_with_default_endpoint() {
    let r = resolve(&args("AK", "AS", "CK"), &no_env, &[]).unwrap();
    assert_eq!(r.endpoint.as_str(), "https://eu.api.ovh.com/1.0");
    assert_eq!(r.auth, app("AK", "AS", Some("CK")));
}

#[test]
fn every_alias_maps_to_its_base_url() {
    for (alias, url) in [
        ("ovh-eu", "https://eu.api.ovh.com/1.0"),
        ("ovh-ca", "https://ca.api.ovh.com/1.0"),
        ("ovh-us", "https://api.us.ovhcloud.com/1.0"),
        ("kimsufi-eu", "https://eu.api.kimsufi.com/1.0"),
        ("kimsufi-ca", "https://ca.api.kimsufi.com/1.0"),
        ("soyoustart-eu", "https://eu.api.soyoustart.com/1.0"),
        ("soyoustart-ca", "https://ca.api.soyoustart.com/1.0"),
    ] {
        let input = ConfigInput {
            endpoint: Some(alias.into()),
            ..args("a", "b", "c")
        };
        assert_eq!(
            resolve(&input, &no_env, &[]).unwrap().endpoint.as_str(),
            url,
            "{alias}"
        );
    }
}

#[test]
fn full_url_endpoint_and_its_errors() {
    let input = ConfigInput {
        endpoint: Some("http://127.0.0.1:8080/1.0".into()),
        ..args("a", "b", "c")
    };
    assert_eq!(
        resolve(&input, &no_env, &[]).unwrap().endpoint.as_str(),
        "http://127.0.0.1:8080/1.0"
    );

    let input = ConfigInput {
        endpoint: Some("http://127.0.0.1:8080/1.0/".into()),
        ..args("a", "b", "c")
    };
    let err = resolve(&input, &no_env, &[]).unwrap_err();
    assert!(matches!(err, ConfigError::TrailingSlash { .. }));
    assert!(
        err.to_string().contains("must not end with a slash"),
        "{err}"
    );

    let input = ConfigInput {
        endpoint: Some("ovh-mars".into()),
        ..args("a", "b", "c")
    };
    assert!(matches!(
        resolve(&input, &no_env, &[]).unwrap_err(),
        ConfigError::UnknownEndpoint { .. }
    ));

    let input = ConfigInput {
        endpoint: Some("ftp://x/1.0".into()),
        ..args("a", "b", "c")
    };
    assert!(matches!(
        resolve(&input, &no_env, &[]).unwrap_err(),
        ConfigError::InvalidEndpointUrl { .. }
    ));
}

#[test]
fn environment_fills_unset_arguments_and_arguments_win() {
    let env = env_of(&[
        ("OVH_ENDPOINT", "ovh-ca"),
        ("OVH_APPLICATION_KEY", "env-ak"),
        ("OVH_APPLICATION_SECRET", "env-as"),
        ("OVH_CONSUMER_KEY", "env-ck"),
    ]);
    let r = resolve(&ConfigInput::default(), &env, &[]).unwrap();
    assert_eq!(r.endpoint.as_str(), "https://ca.api.ovh.com/1.0");
    assert_eq!(r.auth, app("env-ak", "env-as", Some("env-ck")));

    let input = ConfigInput {
        consumer_key: Some("arg-ck".into()),
        endpoint: Some(String::new()),
        ..Default::default()
    };
    let r = resolve(&input, &env, &[]).unwrap();
    assert_eq!(
        r.endpoint.as_str(),
        "https://ca.api.ovh.com/1.0",
        "an empty argument counts as unset"
    );
    assert_eq!(r.auth, app("env-ak", "env-as", Some("arg-ck")));
}

#[test]
fn each_config_file_location_is_read() {
    let conf = "[default]\nendpoint=ovh-us\n\n; a comment\n[ovh-us]\napplication_key=fak\napplication_secret=fas\nconsumer_key=fck\n";
    for slot in 0..3 {
        let mut contents = [None; 3];
        contents[slot] = Some(conf);
        let files = Files::new(contents);
        let r = resolve(&ConfigInput::default(), &no_env, &files.paths).unwrap();
        assert_eq!(
            r.endpoint.as_str(),
            "https://api.us.ovhcloud.com/1.0",
            "slot {slot}"
        );
        assert_eq!(r.auth, app("fak", "fas", Some("fck")), "slot {slot}");
    }
}

#[test]
fn later_files_override_earlier_ones_key_by_key() {
    let etc = "[default]\nendpoint=ovh-eu\n[ovh-eu]\napplication_key=etc-ak\napplication_secret=etc-as\nconsumer_key=etc-ck\n";
    let home = "[ovh-eu]\napplication_secret=home-as\nconsumer_key=home-ck\n";
    let cwd = "[ovh-eu]\nconsumer_key=cwd-ck\n";
    let files = Files::new([Some(etc), Some(home), Some(cwd)]);
    let r = resolve(&ConfigInput::default(), &no_env, &files.paths).unwrap();
    assert_eq!(r.auth, app("etc-ak", "home-as", Some("cwd-ck")));

    // The environment beats every file; arguments beat the environment.
    let env = env_of(&[
        ("OVH_CONSUMER_KEY", "env-ck"),
        ("OVH_APPLICATION_KEY", "env-ak"),
    ]);
    let input = ConfigInput {
        application_key: Some("arg-ak".into()),
        ..Default::default()
    };
    let r = resolve(&input, &env, &files.paths).unwrap();
    assert_eq!(r.auth, app("arg-ak", "home-as", Some("env-ck")));
}

#[test]
fn credentials_come_from_the_section_of_the_endpoint_in_use() {
    let conf = "[default]\nendpoint=http://127.0.0.1:9/1.0\n[ovh-eu]\naccess_token=wrong\n\
                [http://127.0.0.1:9/1.0]\nclient_id=id\nclient_secret=sec\n";
    let files = Files::new([None, None, Some(conf)]);
    let r = resolve(&ConfigInput::default(), &no_env, &files.paths).unwrap();
    assert_eq!(r.endpoint.as_str(), "http://127.0.0.1:9/1.0");
    assert_eq!(
        r.auth,
        Auth::OAuth2 {
            client_id: "id".into(),
            client_secret: Secret::from("sec"),
            token_url: "http://127.0.0.1:9/auth/oauth2/token".into()
        }
    );
}

#[test]
fn oauth2_token_urls_per_endpoint() {
    let oauth = |endpoint: &str| ConfigInput {
        endpoint: Some(endpoint.into()),
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        ..Default::default()
    };
    for (endpoint, token) in [
        ("ovh-eu", "https://www.ovh.com/auth/oauth2/token"),
        ("ovh-ca", "https://ca.ovh.com/auth/oauth2/token"),
        ("ovh-us", "https://us.ovhcloud.com/auth/oauth2/token"),
        (
            "https://eu.api.ovh.com/1.0",
            "https://www.ovh.com/auth/oauth2/token",
        ),
        (
            "https://sim.example:8443/1.0",
            "https://sim.example:8443/auth/oauth2/token",
        ),
    ] {
        match resolve(&oauth(endpoint), &no_env, &[]).unwrap().auth {
            Auth::OAuth2 { token_url, .. } => assert_eq!(token_url, token, "{endpoint}"),
            other => panic!("{endpoint}: {other:?}"),
        }
    }
    for endpoint in ["kimsufi-eu", "soyoustart-ca"] {
        let err = resolve(&oauth(endpoint), &no_env, &[]).unwrap_err();
        assert!(
            matches!(err, ConfigError::OAuth2Unsupported { .. }),
            "{endpoint}: {err}"
        );
    }
}

#[test]
fn access_token_alone_is_enough() {
    let env = env_of(&[("OVH_ACCESS_TOKEN", "tok")]);
    let r = resolve(&ConfigInput::default(), &env, &[]).unwrap();
    assert_eq!(r.auth, Auth::AccessToken(Secret::from("tok")));
}

#[test]
fn application_without_consumer_key_is_accepted() {
    let input = ConfigInput {
        consumer_key: None,
        ..args("ak", "as", "")
    };
    assert_eq!(
        resolve(&input, &no_env, &[]).unwrap().auth,
        app("ak", "as", None)
    );
}

#[test]
fn no_credentials_at_all() {
    let err = resolve(&ConfigInput::default(), &no_env, &[]).unwrap_err();
    assert_eq!(err, ConfigError::NoAuthentication);
    assert!(
        err.to_string()
            .contains("missing authentication information")
    );
}

#[test]
fn mixed_methods_name_each_and_where_it_came_from() {
    let env = env_of(&[("OVH_CLIENT_ID", "id"), ("OVH_CLIENT_SECRET", "s")]);
    let err = resolve(&args("ak", "as", "ck"), &env, &[]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ConfigError::MultipleAuthMethods { .. }));
    assert!(
        msg.contains("application_key/application_secret")
            && msg.contains("client_id/client_secret"),
        "{msg}"
    );
    assert!(
        msg.contains("OVH_CLIENT_ID") && msg.contains("argument application_key"),
        "{msg}"
    );
    assert!(
        !msg.contains("\"s\""),
        "no secret value in the message: {msg}"
    );

    let input = ConfigInput {
        access_token: Some("t".into()),
        ..args("ak", "as", "ck")
    };
    assert!(matches!(
        resolve(&input, &no_env, &[]).unwrap_err(),
        ConfigError::MultipleAuthMethods { .. }
    ));
}

#[test]
fn half_given_pairs_name_the_missing_half() {
    let cases: [(ConfigInput, &str, &str); 5] = [
        (
            ConfigInput {
                application_key: Some("ak".into()),
                ..Default::default()
            },
            "application_key",
            "application_secret",
        ),
        (
            ConfigInput {
                application_secret: Some("as".into()),
                ..Default::default()
            },
            "application_secret",
            "application_key",
        ),
        (
            ConfigInput {
                client_id: Some("id".into()),
                ..Default::default()
            },
            "client_id",
            "client_secret",
        ),
        (
            ConfigInput {
                client_secret: Some("s".into()),
                ..Default::default()
            },
            "client_secret",
            "client_id",
        ),
        (
            ConfigInput {
                application_key: Some("ak".into()),
                consumer_key: Some("ck".into()),
                ..Default::default()
            },
            "application_key",
            "application_secret",
        ),
    ];
    for (input, given, missing) in cases {
        let err = resolve(&input, &no_env, &[]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::IncompletePair {
                given,
                source_desc: format!("argument {given}"),
                missing
            },
            "{input:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&format!("{missing} is missing")), "{msg}");
    }
    let input = ConfigInput {
        consumer_key: Some("ck".into()),
        ..Default::default()
    };
    let err = resolve(&input, &no_env, &[]).unwrap_err();
    assert!(
        matches!(err, ConfigError::ConsumerKeyWithoutApplication { .. }),
        "{err}"
    );
}

#[test]
fn half_pair_from_a_file_names_the_file() {
    let files = Files::new([None, Some("[ovh-eu]\nclient_id=id\n"), None]);
    let err = resolve(&ConfigInput::default(), &no_env, &files.paths).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("home-.ovh.conf") && msg.contains("client_secret is missing"),
        "{msg}"
    );
}

#[test]
fn malformed_file_is_an_error_naming_it() {
    let files = Files::new([Some("[ovh-eu\nfoo"), None, None]);
    let err = resolve(&args("a", "b", "c"), &no_env, &files.paths).unwrap_err();
    assert!(
        matches!(&err, ConfigError::File { path, .. } if path.ends_with("etc-ovh.conf")),
        "{err}"
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let input = ConfigInput {
        access_token: Some("tok-123".into()),
        client_secret: Some("cs-456".into()),
        ..args("ak", "as-789", "ck-000")
    };
    let dbg = format!("{input:?}");
    for secret in ["tok-123", "cs-456", "as-789", "ck-000"] {
        assert!(!dbg.contains(secret), "{dbg}");
    }
    let resolved = resolve(&args("ak", "as-789", "ck-000"), &no_env, &[]).unwrap();
    let dbg = format!("{resolved:?}");
    assert!(!dbg.contains("as-789") && !dbg.contains("ck-000"), "{dbg}");
}

#[test]
fn default_files_are_in_go_ovh_order() {
    let files = default_config_files();
    assert_eq!(files.first().unwrap(), &PathBuf::from("/etc/ovh.conf"));
    assert_eq!(files.last().unwrap(), &PathBuf::from("./ovh.conf"));
}

#[test]
fn setting_sources_name_where_each_setting_comes_from() {
    let files = Files::new([
        Some("[default]\nendpoint=ovh-ca\n[ovh-ca]\nconsumer_key=etc-ck\n"),
        Some("[ovh-ca]\napplication_secret=home-as\n"),
        None,
    ]);
    let input = ConfigInput {
        application_key: Some("AK".into()),
        ..Default::default()
    };
    let env = env_of(&[("OVH_CONSUMER_KEY", "env-ck")]);
    let sources = setting_sources(&input, &env, &files.paths).unwrap();
    let home = files.paths[1].display();
    assert_eq!(
        sources,
        vec![
            (
                "endpoint",
                format!("section [default] of {}", files.paths[0].display())
            ),
            ("application_key", "argument application_key".to_owned()),
            ("application_secret", format!("section [ovh-ca] of {home}")),
            (
                "consumer_key",
                "environment variable OVH_CONSUMER_KEY".to_owned()
            ),
        ]
    );
    // The same lookups as resolve: what it resolved is what the sources describe.
    let resolved = resolve(&input, &env, &files.paths).unwrap();
    assert_eq!(resolved.endpoint.as_str(), "https://ca.api.ovh.com/1.0");
    assert_eq!(resolved.auth, app("AK", "home-as", Some("env-ck")));

    let none = setting_sources(&ConfigInput::default(), &no_env, &[]).unwrap();
    assert_eq!(none, vec![("endpoint", "default (ovh-eu)".to_owned())]);
}
