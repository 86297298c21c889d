//! Who may use `/_ccemu/`: the checks every admin request passes before it is routed.
//!
//! The admin API rewrites state and `GET /_ccemu/state` holds every credential, so it must not
//! obey a web page open in the developer's browser. Two browser attacks matter:
//! - a cross-site request (a form or `fetch` from another origin): browsers mark it with an
//!   `Origin` header, and can only send it with a "simple" content type (form, multipart,
//!   `text/plain`). So a foreign `Origin` is refused, and a write must say `application/json`,
//!   which a page can only send after a CORS preflight that ccemu never approves.
//! - DNS rebinding: a page at `evil.example` re-points its name at 127.0.0.1 and reads the answers
//!   as same-origin. Its requests carry `Host: evil.example`. A name can be rebound, an IP literal
//!   cannot, so the `Host` must be an IP address or `localhost` (or a `*.localhost` name, which
//!   resolves to loopback by definition).
//!
//! `--admin-public` opens the API to other machines, whose names for ccemu cannot be known in
//! advance: the `Host` check is off there, and `--admin-token` is what protects it. `GET
//! /_ccemu/health` answers everyone who may connect (probes and orchestrators call it by service
//! name); it says nothing secret and changes nothing.

use super::AdminError;
use crate::emulator::Ctx;
use crate::http::ApiRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN};
use hyper::{Method, StatusCode};
use std::net::IpAddr;

/// Refuses a caller the admin API must not serve (loopback, token, Host, Origin); `path` has no
/// trailing slash. `check_body` is the rest.
pub fn check(ctx: &Ctx, req: &ApiRequest, path: &str) -> Result<(), AdminError> {
    let config = &ctx.config;
    // Canonical first: through a dual-stack `--bind ::`, 127.0.0.1 arrives as ::ffff:127.0.0.1.
    if !config.admin_public && !req.remote.ip().to_canonical().is_loopback() {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the /_ccemu admin API answers loopback clients only (start with --admin-public to open it)",
        ));
    }
    if req.method == Method::GET && path == "/_ccemu/health" {
        return Ok(());
    }
    // The dashboard's page, script and style hold no data: a browser loads them without a way
    // to send the token, and the page then sends it with every call it makes.
    let asset = req.method == Method::GET && super::ui::is_asset(path);
    if let Some(token) = &config.admin_token {
        if !asset && !bearer_matches(req, token) {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "the /_ccemu admin API needs the header Authorization: Bearer <the --admin-token value>",
            ));
        }
    }
    if !config.admin_public {
        if let Some(host) = req.headers.get(HOST) {
            let host = host.to_str().unwrap_or("");
            if !is_local_authority(host) {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!("Host {host:?} is refused: the /_ccemu admin API answers requests addressed to localhost or an IP address only (DNS rebinding guard)"),
                ));
            }
        }
    }
    if let Some(origin) = req.headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let host = req.header(HOST.as_str()).unwrap_or("");
        if !origin_allowed(origin, host) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("Origin {origin:?} is refused: the /_ccemu admin API does not answer web pages from other origins"),
            ));
        }
    }
    Ok(())
}

/// Refuses a write whose body is not JSON (the cross-site form guard); run after `check` and
/// after the method is known to be served on the path.
pub fn check_body(req: &ApiRequest) -> Result<(), AdminError> {
    if writes(&req.method) && (!req.body.is_empty() || req.headers.contains_key(CONTENT_TYPE)) {
        let ct = req.header(CONTENT_TYPE.as_str()).unwrap_or("");
        if !is_json(ct) {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Type {ct:?} is refused: admin writes send Content-Type: application/json (with curl: -H 'Content-Type: application/json')"),
            ));
        }
    }
    Ok(())
}

fn refuse(status: StatusCode, message: impl Into<String>) -> AdminError {
    AdminError {
        status,
        message: message.into(),
    }
}

fn writes(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// `application/json`, with or without parameters, or any `+json` type; case-insensitive.
fn is_json(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// Compares in time independent of where the first difference is, so the token cannot be
/// guessed a byte at a time from answer timings.
fn bearer_matches(req: &ApiRequest, token: &str) -> bool {
    let Some(given) = req.header(AUTHORIZATION.as_str()).and_then(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    }) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The host part of `host[:port]` (brackets kept off an IPv6 literal), lower-cased.
fn host_name(authority: &str) -> String {
    let authority = authority.trim();
    let name = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match authority.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => authority,
        }
    };
    name.to_ascii_lowercase()
}

/// An IP literal (which no DNS answer can rebind) or a `localhost` name.
fn is_local_authority(authority: &str) -> bool {
    let name = host_name(authority);
    name.parse::<IpAddr>().is_ok() || name == "localhost" || name.ends_with(".localhost")
}

/// A loopback name or address: pages served there are the developer's own.
fn is_loopback_authority(authority: &str) -> bool {
    let name = host_name(authority);
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => name == "localhost" || name.ends_with(".localhost"),
    }
}

/// An `Origin` is allowed when it is the request's own `Host` (same origin) or a loopback
/// origin; `null` (sandboxed frames, `file:` pages) and anything else is foreign.
fn origin_allowed(origin: &str, host: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = authority.trim_end_matches('/');
    authority.eq_ignore_ascii_case(host.trim()) || is_loopback_authority(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "10.0.0.5",
            "app.localhost:9",
        ] {
            assert!(is_local_authority(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "",
        ] {
            assert!(!is_local_authority(bad), "{bad}");
        }
        assert!(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(origin_allowed("http://localhost:3000", "127.0.0.1:8080"));
        assert!(origin_allowed("http://ccemu:8080", "ccemu:8080"));
        assert!(!origin_allowed("http://evil.example", "127.0.0.1:8080"));
        assert!(!origin_allowed("null", "127.0.0.1:8080"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
