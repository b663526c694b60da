//! The OVH API v1 request signature: `"$1$" + hex(sha1(AS+CK+METHOD+URL+BODY+TIMESTAMP joined by "+"))`, computed
//! over the full URL exactly as sent (query and percent-encoding included) and the exact body bytes.

use sha1::{Digest, Sha1};

/// Signs one request. `url` must be the full URL as sent and `body` the exact bytes sent (empty when none).
pub fn sign(
    application_secret: &str,
    consumer_key: &str,
    method: &str,
    url: &str,
    body: &[u8],
    timestamp: i64,
) -> String {
    let mut hasher = Sha1::new();
    for part in [
        application_secret.as_bytes(),
        consumer_key.as_bytes(),
        method.as_bytes(),
        url.as_bytes(),
        body,
    ] {
        hasher.update(part);
        hasher.update(b"+");
    }
    hasher.update(timestamp.to_string().as_bytes());
    format!("$1${}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::sign;

    const AS: &str = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk";
    const CK: &str = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY";
    const TS: i64 = 1457018875;

    /// Each case is `(method, url, body, expected signature)`.
    fn assert_signs(cases: &[(&str, &str, &[u8], &str)]) {
        for (method, url, body, expected) in cases {
            assert_eq!(
                sign(AS, CK, method, url, body, TS),
                *expected,
                "{method} {url}"
            );
        }
    }

    #[test]
    fn ovh_worked_example() {
        let sig = sign(
            "EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF",
            "MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1",
            "GET",
            "https://eu.api.ovh.com/1.0/domain/",
            b"",
            1366560945,
        );
        assert_eq!(sig, "$1$6a77f43f2871db97a029f1d1d81c4dcd3c6f7265");
    }

    #[test]
    fn go_ovh_and_python_ovh_vectors() {
        let body = br#"{"a":"b","c":"d"}"#.as_slice();
        let cases: [(&str, &str, &[u8], &str); 8] = [
            (
                "GET",
                "https://eu.api.ovh.com/1.0/auth",
                b"",
                "$1$e9556054b6309771395efa467c22e627407461ad",
            ),
            (
                "POST",
                "https://eu.api.ovh.com/1.0/auth",
                body,
                "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1",
            ),
            (
                "PUT",
                "https://eu.api.ovh.com/1.0/auth",
                body,
                "$1$8a75a9e7c8e7296c9dbeda6a2a735eb6bd58ec4b",
            ),
            (
                "DELETE",
                "https://eu.api.ovh.com/1.0/auth",
                b"",
                "$1$a1eecd00b3b02b6cf5708b84b9ff42059a950d85",
            ),
            (
                "GET",
                "https://eu.api.ovh.com/1.0/authTO",
                b"",
                "$1$1f0958be70f095ddaba525778a9ac1dcffac89f3",
            ),
            (
                "GET",
                "https://eu.api.ovh.com/1.0/call",
                b"",
                "$1$7f2db49253edfc41891023fcd1a54cf61db05fbb",
            ),
            (
                "GET",
                "https://eu.api.ovh.com/v1/call",
                b"",
                "$1$e6e7906d385eb28adcbfbe6b66c1528a42d741ad",
            ),
            (
                "GET",
                "https://eu.api.ovh.com/v2/call",
                b"",
                "$1$bb63b132a6f84ad5433d0c534d48d3f7c3804285",
            ),
        ];
        assert_signs(&cases);
    }

    #[test]
    fn extra_vectors() {
        let cases: [(&str, &str, &[u8], &str); 4] = [
            (
                "GET",
                "https://eu.api.ovh.com/1.0/ip?type=failover",
                b"",
                "$1$6b96e4a661c75d8679b77497c751dbe32ac25745",
            ),
            (
                "POST",
                "https://eu.api.ovh.com/1.0/ip/1.2.3.4%2F32/move",
                br#"{"to":"loadbalancer-abc"}"#,
                "$1$0fb6cdd32ee07dac24d41abd7669d40cca6e2357",
            ),
            (
                "POST",
                "https://eu.api.ovh.com/1.0/ipLoadbalancing/loadbalancer-abc/refresh",
                b"",
                "$1$66fb5e5f4a40845ff49583e0086e63b994ac4ebb",
            ),
            (
                "GET",
                "http://127.0.0.1:8080/1.0/ipLoadbalancing",
                b"",
                "$1$2f744c45654fb57da6d7d65237eec44c577e352e",
            ),
        ];
        assert_signs(&cases);
    }
}
