//! Udesk server-side authentication: `Sign = SHA1(Sid + AuthToken + Timestamp)` in the query
//! string, Timestamp in UTC milliseconds and valid for 10 minutes either side of the clock.

use super::errors::UdeskError;
use crate::http::ApiRequest;
use crate::model::{Credentials, Model};
use crate::vendors::hex_lower;
use sha1::{Digest, Sha1};
use std::borrow::Cow;

/// The document's "valid within 10 minutes", applied to both past and future.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// Lowercase hex SHA1 of `Sid + AuthToken + Timestamp`, as a client computes it.
pub fn sign(sid: &str, auth_token: &str, timestamp: &str) -> String {
    hex_lower(&digest(sid, auth_token, timestamp))
}

fn digest(sid: &str, auth_token: &str, timestamp: &str) -> sha1::digest::Output<Sha1> {
    let mut h = Sha1::new();
    h.update(sid.as_bytes());
    h.update(auth_token.as_bytes());
    h.update(timestamp.as_bytes());
    h.finalize()
}

/// The AppId of a request: the document spells it `AppId`, but its login, logout and
/// callback2ivr examples spell it `app_id`; both are accepted everywhere.
pub fn app_id(req: &ApiRequest) -> Option<String> {
    req.query_param("AppId")
        .or_else(|| req.query_param("app_id"))
        .map(|v| v.into_owned())
}

/// The credential parameters of a query, read in one pass over it (every request reads all
/// four; one parse each cost more than the SHA1). The first of a repeated name counts, as in
/// `ApiRequest::query_param`.
#[derive(Default)]
struct QueryCredentials<'a> {
    sid: Option<Cow<'a, str>>,
    app_id: Option<Cow<'a, str>>,
    app_id_snake: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    sign: Option<Cow<'a, str>>,
}

impl<'a> QueryCredentials<'a> {
    fn of(req: &'a ApiRequest) -> Self {
        let mut c = QueryCredentials::default();
        for (k, v) in crate::http::query_pairs(&req.query) {
            let slot = match &*k {
                "Sid" => &mut c.sid,
                "AppId" => &mut c.app_id,
                "app_id" => &mut c.app_id_snake,
                "Timestamp" => &mut c.timestamp,
                "Sign" => &mut c.sign,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        c
    }
}

fn required<'a>(v: Option<Cow<'a, str>>, name: &'static str) -> Result<Cow<'a, str>, UdeskError> {
    match v {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(UdeskError::MissingCredential(name)),
    }
}

/// What the model knows about the caller: the tenant and its AuthToken, with the request's
/// Sid, Timestamp and Sign, so the time and signature checks can run after the lock is released.
/// The request's own parameters stay borrowed from its query (decoded only where encoded).
pub struct Account<'a> {
    /// The tenant (AppId) the Sid and AppId name; not yet proven by the Sign.
    pub tenant: String,
    auth_token: String,
    sid: Cow<'a, str>,
    timestamp: Cow<'a, str>,
    signature: Cow<'a, str>,
}

/// Checks, in order: the four parameters are present, the Sid names an account, the account owns
/// the AppId. Needs the model; `verify` finishes the job without it.
pub fn account<'a>(model: &Model, req: &'a ApiRequest) -> Result<Account<'a>, UdeskError> {
    let c = QueryCredentials::of(req);
    let sid = required(c.sid, "Sid")?;
    let app = c.app_id.or(c.app_id_snake).filter(|a| !a.is_empty());
    let app = app.ok_or(UdeskError::AppIdEmpty)?;
    let timestamp = required(c.timestamp, "Timestamp")?;
    let signature = required(c.sign, "Sign")?;

    let mut sid_known = false;
    for t in model.tenants.values() {
        if let Credentials::Udesk {
            app_id,
            sid: s,
            auth_token,
        } = &t.credentials
        {
            if *s == sid {
                sid_known = true;
                if *app_id == app {
                    return Ok(Account {
                        tenant: t.id.clone(),
                        auth_token: auth_token.clone(),
                        sid,
                        timestamp,
                        signature,
                    });
                }
            }
        }
    }
    Err(if sid_known {
        UdeskError::AppInvalid
    } else {
        UdeskError::AccountNotFound
    })
}

/// Then: the Timestamp is in milliseconds and inside the window, the Sign matches (the account's
/// tenant is then the caller's).
pub fn verify(account: &Account, now_ms: i64) -> Result<(), UdeskError> {
    let Account {
        auth_token,
        sid,
        timestamp,
        signature,
        ..
    } = account;
    let ts: i64 = timestamp.parse().map_err(|_| {
        UdeskError::RequestTimeout(format!(
            "Timestamp {timestamp:?} is not a number of milliseconds"
        ))
    })?;
    // abs_diff: any i64 a client sends is a distance, never an overflow.
    if ts.abs_diff(now_ms) > WINDOW_MS.unsigned_abs() {
        // A 10-digit value is almost always seconds (the subscription examples send one); say so.
        let why = if (1_000_000_000..10_000_000_000).contains(&ts) {
            format!("Timestamp {ts} looks like seconds; it must be UTC milliseconds")
        } else {
            format!(
                "Timestamp {ts} is {} the emulator clock {now_ms} (the window is 10 minutes either side)",
                crate::clock::distance(ts, now_ms)
            )
        };
        return Err(UdeskError::RequestTimeout(why));
    }
    // Either case, compared without writing the digest out.
    let signed = digest(sid, auth_token, timestamp);
    if !crate::hex::spells(signature.as_bytes(), &signed, true) {
        return Err(UdeskError::AuthenticationError);
    }
    Ok(())
}

/// `account` then `verify`, for callers that hold the model anyway.
pub fn authenticate(model: &Model, req: &ApiRequest, now_ms: i64) -> Result<String, UdeskError> {
    let account = account(model, req)?;
    verify(&account, now_ms).map(|()| account.tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_is_lowercase_hex_sha1_of_the_concatenation() {
        // sha1("abc") is a well-known vector.
        assert_eq!(
            sign("a", "b", "c"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
