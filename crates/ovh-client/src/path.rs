//! Building request paths and query strings: every path parameter is one percent-encoded segment (an IP block's
//! `/` becomes `%2F`, as the API requires), and query values are percent-encoded the same way.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment or query component.
pub fn encode(component: &str) -> String {
    utf8_percent_encode(component, COMPONENT).to_string()
}

/// The query string (without `?`) of the given pairs, or an empty string.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query pairs of the filters that are set, in order.
pub(crate) fn filters(pairs: &[(&'static str, Option<String>)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (*k, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_blocks_and_service_names() {
        assert_eq!(encode("1.2.3.4/32"), "1.2.3.4%2F32");
        assert_eq!(encode("2001:db8::/64"), "2001%3Adb8%3A%3A%2F64");
        assert_eq!(encode("loadbalancer-0123abcd"), "loadbalancer-0123abcd");
        assert_eq!(encode("ip-1.2.3.4"), "ip-1.2.3.4");
        assert_eq!(encode("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn query() {
        let q = query_string(&[
            ("function", "genericMoveFloatingIp".into()),
            ("port", "80,443".into()),
        ]);
        assert_eq!(q, "function=genericMoveFloatingIp&port=80%2C443");
        assert_eq!(query_string(&[]), "");
        let set = filters(&[("zone", None), ("status", Some("todo".into()))]);
        assert_eq!(set, vec![("status", "todo".to_owned())]);
    }
}
