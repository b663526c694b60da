//! A minimal HTTP/1.1 client on `std::net::TcpStream`, for the simulator's admin API
//! (`/_sim/...`) on loopback. The root package has no HTTP client among its dev-dependencies, and
//! the tests only need plain `http://` requests with a JSON body and `Connection: close`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A response: status code, headers (names lower-cased) and body text.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Value::Null` for an empty body).
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        if self.body.trim().is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str(&self.body)
        }
    }
}

/// Sends `method url` with an optional JSON body and reads the whole response.
/// Only `http://host:port/path?query` URLs are supported.
pub fn request(method: &str, url: &str, json_body: Option<&Value>) -> io::Result<HttpResponse> {
    let (authority, target) = split_url(url)?;
    let body = json_body.map(Value::to_string).unwrap_or_default();

    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if json_body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn split_url(url: &str) -> io::Result<(&str, &str)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not an http:// URL: {url}"),
        )
    })?;
    Ok(match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    })
}

fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            invalid(format!(
                "no end of headers in a {}-byte response",
                raw.len()
            ))
        })?;
    let head = std::str::from_utf8(&raw[..split])
        .map_err(|e| invalid(format!("response head is not UTF-8: {e}")))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let payload = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(payload)?
    } else {
        payload.to_vec()
    };
    let body =
        String::from_utf8(body).map_err(|e| invalid(format!("response body is not UTF-8: {e}")))?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = payload
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("truncated chunk size line".into()))?;
        let size_text = std::str::from_utf8(&payload[..line_end]).unwrap_or_default();
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        payload = &payload[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = payload
            .get(..size)
            .ok_or_else(|| invalid("truncated chunk".into()))?;
        body.extend_from_slice(chunk);
        payload = payload.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}").unwrap();
        assert_eq!(
            (plain.status, plain.body.as_str(), plain.header("x-a")),
            (200, "{}", Some("b"))
        );
        let chunked =
            parse_response(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (404, "[1,2]"));
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8/_sim/state?x=1").unwrap(),
            ("127.0.0.1:8", "/_sim/state?x=1")
        );
        assert_eq!(
            split_url("http://127.0.0.1:8").unwrap(),
            ("127.0.0.1:8", "/")
        );
        assert!(split_url("https://x").is_err());
    }
}
