//! The vendor's "API Interface Invocation Convention": headers `accessKey`, `ts` (ms), `bizType`,
//! `action`, `sign`, where
//! `sign = hex(md5(headersStr + bodyStr + accessSecretStr))`:
//! - headersStr: the signed headers sorted by name in ASCII order, `key=value` joined by `&`;
//! - bodyStr: `&body=` + the raw body bytes exactly as received, left out when the body is empty
//!   or the JSON literal `null` (the convention leaves out an empty or null body: a client
//!   serialising a null body object signs no bodyStr);
//! - accessSecretStr: `&accessSecret=` + the secret.
//!
//! The optional header `algorithm: sha256` switches the digest to SHA-256 of the same string; it is
//! optional, so it is not signed.

use super::errors::NxError;
use crate::emulator::Ctx;
use crate::http::ApiRequest;
use crate::model::{Credentials, Model};
use crate::vendors::hex_lower;
use hyper::header::HeaderName;
use md5::Md5;
use sha2::{Digest, Sha256};

/// "The NX server allows a maximum time error of 60 seconds", either side, edge included.
pub const WINDOW_MS: i64 = 60_000;

/// The call-center business's fixed header values.
pub const BIZ_TYPE: &str = "8";
pub const ACTION: &str = "cc";

/// The signed headers, already in ASCII order (`accessKey` < `action` < `bizType` < `ts`).
pub const SIGNED_HEADERS: [&str; 4] = ["accessKey", "action", "bizType", "ts"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

/// The string to sign, as bytes (the body need not be UTF-8).
pub fn string_to_sign(headers: &[(&str, &[u8])], body: &[u8], secret: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.len());
    pieces(headers, body, secret, |p| out.extend_from_slice(p));
    out
}

/// The string to sign, handed out piece by piece in order: joined by `string_to_sign`, fed to the
/// digest as they come by the check (no copy of the body, no buffer).
fn pieces(headers: &[(&str, &[u8])], body: &[u8], secret: &str, mut piece: impl FnMut(&[u8])) {
    let by_name = |a: &&(&str, &[u8]), b: &&(&str, &[u8])| a.0.as_bytes().cmp(b.0.as_bytes());
    // The check hands them over in order already; another caller's are sorted (stably, so a
    // repeated name keeps its place either way).
    if headers.iter().is_sorted_by(|a, b| by_name(a, b).is_le()) {
        headers_then_rest(headers.iter(), body, secret, &mut piece);
    } else {
        let mut sorted: Vec<&(&str, &[u8])> = headers.iter().collect();
        sorted.sort_by(by_name);
        headers_then_rest(sorted.into_iter(), body, secret, &mut piece);
    }
}

fn headers_then_rest<'h>(
    sorted: impl Iterator<Item = &'h (&'h str, &'h [u8])>,
    body: &[u8],
    secret: &str,
    piece: &mut impl FnMut(&[u8]),
) {
    for (i, (k, v)) in sorted.enumerate() {
        if i > 0 {
            piece(b"&");
        }
        piece(k.as_bytes());
        piece(b"=");
        piece(v);
    }
    if !body_is_absent(body) {
        piece(b"&body=");
        piece(body);
    }
    piece(b"&accessSecret=");
    piece(secret.as_bytes());
}

/// Empty, or the JSON literal `null` (surrounding whitespace allowed): no bodyStr is signed.
fn body_is_absent(body: &[u8]) -> bool {
    body.is_empty() || body.trim_ascii() == b"null"
}

/// The digest of the string to sign, fed piece by piece.
fn digest<D: Digest>(
    headers: &[(&str, &[u8])],
    body: &[u8],
    secret: &str,
) -> sha2::digest::Output<D> {
    let mut d = D::new();
    pieces(headers, body, secret, |p| d.update(p));
    d.finalize()
}

/// Lowercase hex digest of the string to sign.
pub fn sign(algorithm: Algorithm, headers: &[(&str, &[u8])], body: &[u8], secret: &str) -> String {
    match algorithm {
        Algorithm::Md5 => hex_lower(&digest::<Md5>(headers, body, secret)),
        Algorithm::Sha256 => hex_lower(&digest::<Sha256>(headers, body, secret)),
    }
}

/// Whether `sent` is the signature `sign` would write (lowercase hex, exactly), compared without
/// writing it out: the check runs on every request.
fn signed_as(
    algorithm: Algorithm,
    headers: &[(&str, &[u8])],
    body: &[u8],
    secret: &str,
    sent: &[u8],
) -> bool {
    match algorithm {
        Algorithm::Md5 => crate::hex::spells(sent, &digest::<Md5>(headers, body, secret), false),
        Algorithm::Sha256 => {
            crate::hex::spells(sent, &digest::<Sha256>(headers, body, secret), false)
        }
    }
}

/// The region a vendor host belongs to; `None` for any other host (loopback, a test's own name),
/// which every tenant answers on.
pub fn region_of_host(host: &str) -> Option<&'static str> {
    const REGIONS: [(&str, &str); 4] = [
        ("api2.nxcloud.com", "nxcc"),
        ("api-hk.nxlink.ai", "hk"),
        ("chl-api.nxlink.ai", "amer"),
        ("api-idn.nxlink.ai", "idn"),
    ];
    REGIONS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(host))
        .map(|(_, region)| *region)
}

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The model's tenant id (the team's tenantId as text).
    pub tenant: String,
}

/// What the check needs from the model, copied out under the lock so that hashing runs after it.
struct KeyOwner {
    tenant: String,
    secret: String,
}

/// Checks, in order: all five headers present (1001) → bizType "8", action "cc" and a known
/// `algorithm` (1002) → the accessKey belongs to a team reachable on this host (1005) → ts is a
/// number of milliseconds within 60 s of the virtual clock (1004) → sign (1003).
///
/// The model lock is held only to find the key's team; the digest is computed after it.
pub fn authenticate(ctx: &Ctx, req: &ApiRequest) -> Result<Caller, NxError> {
    let headers = Signed::of(req)?;
    let owner = {
        let model = ctx.model();
        find_owner(&model, req, headers.access_key)?
    };
    // The window is checked on the team's own clock, which a scenario may skew.
    let now_ms = ctx.now_ms_for(&owner.tenant);
    let tenant = owner.tenant.clone();
    verify(&headers, &req.body, now_ms, owner).map_err(|e| match e {
        NxError::TimestampExpired(why) => {
            NxError::TimestampExpired(format!("{why}; {}", ctx.clock_standing(&tenant)))
        }
        other => other,
    })
}

/// The team whose accessKey the headers name, unverified (for fault rules matching a tenant).
pub fn claimed_tenant(model: &Model, req: &ApiRequest) -> Option<String> {
    static ACCESS_KEY: HeaderName = HeaderName::from_static("accesskey");
    let key = req.headers.get(&ACCESS_KEY)?.as_bytes();
    model
        .find_tenant(|c| matches!(c, Credentials::Nxcloud { access_key, .. } if access_key.as_bytes() == key))
        .map(|t| t.id.clone())
}

/// The convention's headers, each looked up once: the checks and the signature read them all.
struct Signed<'a> {
    access_key: &'a [u8],
    ts: &'a [u8],
    biz_type: &'a [u8],
    action: &'a [u8],
    sign: &'a [u8],
    algorithm: Algorithm,
}

impl<'a> Signed<'a> {
    /// All five present (1001), then bizType, action and algorithm (1002): what can be refused
    /// before the model is asked about the key.
    fn of(req: &'a ApiRequest) -> Result<Signed<'a>, NxError> {
        // One walk over the request's headers (about nine) instead of six lookups, each of which
        // hashes its name; the first of a repeated header counts, as a lookup's would.
        const NAMES: [&str; 6] = ["accessKey", "ts", "bizType", "action", "sign", "algorithm"];
        let mut found: [Option<&[u8]>; 6] = [None; 6];
        for (name, value) in &req.headers {
            // hyper's names are lower case.
            let slot = match name.as_str() {
                "accesskey" => 0,
                "ts" => 1,
                "biztype" => 2,
                "action" => 3,
                "sign" => 4,
                "algorithm" => 5,
                _ => continue,
            };
            found[slot].get_or_insert(value.as_bytes());
        }
        // Absent and empty are the same to the vendor ("missing").
        let header = |slot: usize| match found[slot] {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(NxError::MissingHeader(NAMES[slot])),
        };
        let signed = Signed {
            access_key: header(0)?,
            ts: header(1)?,
            biz_type: header(2)?,
            action: header(3)?,
            sign: header(4)?,
            algorithm: Algorithm::Md5,
        };
        if signed.biz_type != BIZ_TYPE.as_bytes() {
            return Err(NxError::WrongHeader(format!(
                "bizType must be \"{BIZ_TYPE}\" for the call-center APIs, not {:?}",
                String::from_utf8_lossy(signed.biz_type)
            )));
        }
        if signed.action != ACTION.as_bytes() {
            return Err(NxError::WrongHeader(format!(
                "action must be \"{ACTION}\" for the call-center APIs, not {:?}",
                String::from_utf8_lossy(signed.action)
            )));
        }
        Ok(Signed {
            algorithm: algorithm(found[5])?,
            ..signed
        })
    }
}

fn find_owner(model: &Model, req: &ApiRequest, access_key: &[u8]) -> Result<KeyOwner, NxError> {
    let region = req.host_as_sent().and_then(region_of_host);
    let owner = model.find_tenant(
        |c| matches!(c, Credentials::Nxcloud { access_key: k, .. } if k.as_bytes() == access_key),
    );
    let Some(tenant) = owner else {
        return Err(NxError::UnknownAccessKey(format!(
            "no team has accessKey {:?}",
            String::from_utf8_lossy(access_key)
        )));
    };
    let Credentials::Nxcloud {
        access_secret,
        regions,
        ..
    } = &tenant.credentials
    else {
        return Err(NxError::UnknownAccessKey("no such accessKey".into()));
    };
    if let Some(region) = region {
        if !regions.is_empty() && !regions.iter().any(|r| r.eq_ignore_ascii_case(region)) {
            return Err(NxError::UnknownAccessKey(format!(
                "this accessKey's team is served in region(s) {}, not through this host (region {region})",
                regions.join(", ")
            )));
        }
    }
    Ok(KeyOwner {
        tenant: tenant.id.clone(),
        secret: access_secret.clone(),
    })
}

fn algorithm(sent: Option<&[u8]>) -> Result<Algorithm, NxError> {
    match sent {
        None => Ok(Algorithm::Md5),
        // Values are matched exactly, as every other header's: `SHA256` is not `sha256`.
        Some(b"md5") => Ok(Algorithm::Md5),
        Some(b"sha256") => Ok(Algorithm::Sha256),
        Some(v) => Err(NxError::WrongHeader(format!(
            "algorithm must be md5 or sha256, not {:?}",
            String::from_utf8_lossy(v)
        ))),
    }
}

fn verify(h: &Signed, body: &[u8], now_ms: i64, owner: KeyOwner) -> Result<Caller, NxError> {
    let ts_raw = h.ts;
    let not_ms = || {
        let ts_text = String::from_utf8_lossy(ts_raw);
        NxError::TimestampExpired(format!("ts {ts_text:?} is not a number of milliseconds"))
    };
    // Digits only (so ASCII): no `+`, sign or space that `parse` would take.
    if !ts_raw.iter().all(u8::is_ascii_digit) {
        return Err(not_ms());
    }
    let ts: i64 = std::str::from_utf8(ts_raw)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(not_ms)?;
    // abs_diff: a clock moved far before the epoch must not overflow the subtraction.
    if ts.abs_diff(now_ms) > WINDOW_MS.unsigned_abs() {
        let why = if ts_raw.len() <= 10 {
            format!("ts {ts} looks like seconds; it must be milliseconds")
        } else {
            format!(
                "ts {ts} is {} the emulator clock {now_ms} (the window is 60 s either side)",
                crate::clock::distance(ts, now_ms)
            )
        };
        return Err(NxError::TimestampExpired(why));
    }
    // The values in the order `SIGNED_HEADERS` names them.
    let values = [h.access_key, h.action, h.biz_type, h.ts];
    let signed: [(&str, &[u8]); 4] = std::array::from_fn(|i| (SIGNED_HEADERS[i], values[i]));
    if !signed_as(h.algorithm, &signed, body, &owner.secret, h.sign) {
        return Err(NxError::InvalidSignature);
    }
    Ok(Caller {
        tenant: owner.tenant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_headers() -> [(&'static str, &'static [u8]); 4] {
        // Deliberately out of order: the signer sorts.
        [
            ("ts", b"1655710885431"),
            ("bizType", b"1"),
            ("accessKey", b"fme2na3kdi3ki"),
            ("action", b"send"),
        ]
    }

    #[test]
    fn published_vectors() {
        let h = vector_headers();
        let s = "abciiiko2k3";
        let md5 = |body: &str| sign(Algorithm::Md5, &h, body.as_bytes(), s);
        assert_eq!(
            md5(r#"{"name":"牛小信","id":10001}"#),
            "87c3560d3331ae23f1021e2025722354"
        );
        assert_eq!(
            md5(r#"{"id":10001,"name":"牛小信"}"#),
            "7750759da06333f20d0640be09355e34"
        );
        assert_eq!(
            md5(r#"{"id": 10001, "name": "牛小信"}"#),
            "d0c24a9886c629330d7f3f2056c65bc2"
        );
        assert_eq!(md5(""), "884afe159e39b6c88a0d6102ca97d704");
        assert_eq!(md5("null"), "884afe159e39b6c88a0d6102ca97d704");
        assert_eq!(md5(" null\n"), "884afe159e39b6c88a0d6102ca97d704");
        assert_ne!(md5("nul"), "884afe159e39b6c88a0d6102ca97d704");
        assert_eq!(
            sign(
                Algorithm::Sha256,
                &h,
                r#"{"name":"牛小信","id":10001}"#.as_bytes(),
                s
            ),
            "e0eec2c99ef80f269a82795e2223f618ebfc0616c8b6c8c7d438021ec38ad0eb"
        );
    }

    #[test]
    fn string_to_sign_layout() {
        let text = string_to_sign(&vector_headers(), b"{}", "x");
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "accessKey=fme2na3kdi3ki&action=send&bizType=1&ts=1655710885431&body={}&accessSecret=x"
        );
    }

    #[test]
    fn the_check_accepts_what_sign_writes_and_nothing_else() {
        let unsorted = vector_headers();
        let mut sorted = unsorted;
        sorted.sort_by_key(|(k, _)| *k);
        for alg in [Algorithm::Md5, Algorithm::Sha256] {
            for body in ["", "null", "{}", r#"{"name":"牛小信","id":10001}"#] {
                let body = body.as_bytes();
                let written = sign(alg, &unsorted, body, "x");
                // Fed piece by piece, the digest is the joined string's.
                let text = string_to_sign(&unsorted, body, "x");
                let whole = match alg {
                    Algorithm::Md5 => hex_lower(&Md5::digest(&text)),
                    Algorithm::Sha256 => hex_lower(&Sha256::digest(&text)),
                };
                assert_eq!(written, whole);
                assert_eq!(sign(alg, &sorted, body, "x"), written, "the order sent");
                for headers in [&unsorted, &sorted] {
                    assert!(signed_as(alg, headers, body, "x", written.as_bytes()));
                    let upper = written.to_ascii_uppercase();
                    assert!(!signed_as(alg, headers, body, "x", upper.as_bytes()));
                    assert!(!signed_as(alg, headers, body, "y", written.as_bytes()));
                    assert!(!signed_as(
                        alg,
                        headers,
                        body,
                        "x",
                        &written.as_bytes()[1..]
                    ));
                }
            }
        }
    }

    #[test]
    fn hosts_map_to_regions() {
        assert_eq!(region_of_host("api2.nxcloud.com"), Some("nxcc"));
        assert_eq!(region_of_host("chl-api.nxlink.ai"), Some("amer"));
        assert_eq!(region_of_host("127.0.0.1"), None);
        assert_eq!(region_of_host("API2.NXCloud.com"), Some("nxcc"), "any case");
    }
}
