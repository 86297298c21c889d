//! Just enough HTTP/1.1 for `ccemu sign --url`: one request to a running emulator (its clock, a
//! Huawei token), `Connection: close`, the whole answer read. Plain `http://` only, which is all
//! ccemu serves; no client library is pulled into the binary for two calls.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `(host:port, path prefix)` of an `http://` URL.
fn split(url: &str) -> Result<(&str, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must be an http:// URL, not {url:?}"))?;
    Ok(match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    })
}

/// Sends one request and answers `(status, body)`.
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String), String> {
    let (authority, base) = split(url)?;
    let fail = |e: std::io::Error| format!("cannot reach {url}: {e}");
    let mut stream = TcpStream::connect(authority).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(fail)?;
    let mut head = format!(
        "{method} {base}{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(fail)?;
    stream.write_all(body).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{url} answered something that is not HTTP"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{url} answered without a status"))?;
    // ccemu answers with Content-Length, never chunked, so the rest is the body.
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_base() {
        assert_eq!(split("http://127.0.0.1:8080"), Ok(("127.0.0.1:8080", "")));
        assert_eq!(split("http://h:1/x/"), Ok(("h:1", "/x")));
        assert!(split("https://h").is_err());
    }
}
