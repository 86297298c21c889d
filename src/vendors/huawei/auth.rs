//! API Fabric authentication: an app's key and secret are exchanged for a Bearer token at
//! `POST /apigovernance/api/oauth/tokenByAkSk`, and every `/apiaccess/` call carries
//! `Authorization: Bearer {AccessToken}`. Token lifetimes run on the virtual clock.

use super::errors::HuaweiError;
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::tokens::AccessToken;
use crate::model::{Credentials, Model};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};

/// Lifetime when `X-Token-Expire` is absent. Not documented; 600 s is the value every example
/// of the vendor's uses, and a short default shows a client that never renews early.
pub const DEFAULT_LIFETIME_S: u64 = 600;
/// The documented maximum of `X-Token-Expire`.
pub const MAX_LIFETIME_S: u64 = 3600;
/// The token scope ccemu reports (the vendor's example elides it).
pub const SCOPE: &str = "default";

#[derive(Deserialize)]
struct TokenRequest {
    app_key: String,
    app_secret: String,
}

/// Every value a string, as the vendor answers.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TokenResponse {
    access_token: String,
    apply_type: &'static str,
    create_time: String,
    expires: String,
    scope: &'static str,
    app_key: String,
    #[serde(rename = "UserID")]
    user_id: &'static str,
}

/// The caller a live token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: String,
}

fn is_json(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// `X-Token-Expire`: whole seconds from 1 to 3600; anything else is refused (400) rather than
/// clamped, so a client asking for more than the maximum learns it at once.
fn lifetime(req: &ApiRequest) -> Result<u64, HuaweiError> {
    let Some(raw) = req.headers.get("x-token-expire") else {
        return Ok(DEFAULT_LIFETIME_S);
    };
    let text = raw.to_str().unwrap_or_default().trim();
    match text.parse::<u64>() {
        Ok(s) if (1..=MAX_LIFETIME_S).contains(&s) => Ok(s),
        _ => Err(HuaweiError::BadRequest(format!(
            "X-Token-Expire must be a whole number of seconds from 1 to {MAX_LIFETIME_S}, not {text:?}."
        ))),
    }
}

/// The status for a wrong key or secret: the owning tenant's `bad_credentials_status`; for a key
/// no tenant owns, the first Huawei tenant's (in id order); 401 if that is not a 4xx status.
fn bad_credentials(model: &Model, app_key: &str) -> HuaweiError {
    let huawei_status = |c: &Credentials| match c {
        Credentials::Huawei {
            apps,
            bad_credentials_status,
        } => Some((
            apps.iter().any(|a| a.app_key == app_key),
            *bad_credentials_status,
        )),
        _ => None,
    };
    let statuses: Vec<(bool, u16)> = model
        .tenants
        .values()
        .filter_map(|t| huawei_status(&t.credentials))
        .collect();
    let configured = statuses
        .iter()
        .find(|(owns, _)| *owns)
        .or(statuses.first())
        .map_or(401, |(_, s)| *s);
    let status = StatusCode::from_u16(configured)
        .ok()
        .filter(|s| s.is_client_error())
        .unwrap_or(StatusCode::UNAUTHORIZED);
    HuaweiError::Status(status, "The app_key or app_secret is incorrect.".into())
}

/// Which tenant owns the app `key`/`secret`, or the refusal.
fn owner(model: &Model, key: &str, secret: &str) -> Result<String, HuaweiError> {
    for t in model.tenants.values() {
        if let Credentials::Huawei { apps, .. } = &t.credentials {
            if apps
                .iter()
                .any(|a| a.app_key == key && a.app_secret == secret)
            {
                return Ok(t.id.clone());
            }
        }
    }
    Err(bad_credentials(model, key))
}

/// tokenByAkSk — `POST /apigovernance/api/oauth/tokenByAkSk`.
///
/// Checks, in order: `Content-Type` is JSON (415), the body is a JSON object with string
/// `app_key` and `app_secret` (400), `X-Token-Expire` is 1..=3600 when present (400), the pair
/// belongs to an app (401, or the tenant's `bad_credentials_status`). Issues a new random token;
/// earlier tokens of the app stay valid until they expire.
pub fn token_by_ak_sk(ctx: &Ctx, req: &ApiRequest) -> Result<(Reply, String), HuaweiError> {
    let content_type = req.header("content-type").unwrap_or_default();
    if !is_json(content_type) {
        return Err(HuaweiError::UnsupportedMediaType(format!(
            "Content-Type must be application/json, not {content_type:?}."
        )));
    }
    // The exchange's own contract, as every API's (`super::conform`).
    if let Some(route) = super::routes::ROUTES
        .iter()
        .find(|r| r.operation == "tokenByAkSk")
    {
        super::conform(route.contract, req)?;
    }
    let body: TokenRequest = super::parse_body(&req.body)?;
    if body.app_key.is_empty() || body.app_secret.is_empty() {
        return Err(HuaweiError::BadRequest(
            "app_key and app_secret must not be empty.".into(),
        ));
    }
    let life_s = lifetime(req)?;
    let (value, tenant, now_ms) = {
        let mut model = ctx.model();
        let tenant = owner(&model, &body.app_key, &body.app_secret)?;
        // Drawn only once the credentials are accepted, so a refused request leaves the seeded
        // sequence where it was (as Udesk's passwords do). Lock order: model, then RNG.
        let mut value = ctx.random_hex_for(Some(&tenant), 32);
        // Tokens live on the tenant's own clock, which a scenario may skew.
        let now_ms = ctx.now_ms_for(&tenant);
        let token = AccessToken {
            tenant: tenant.clone(),
            app_key: body.app_key.clone(),
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(life_s as i64 * 1000),
        };
        while !model.tokens.issue(value.clone(), token.clone(), now_ms) {
            // A collision of 128 random bits: draw again (the RNG lock is free of the model's).
            value = ctx.random_hex_for(Some(&tenant), 32);
        }
        (value, tenant, now_ms)
    };
    let answer = TokenResponse {
        access_token: value,
        apply_type: "Bearer",
        create_time: now_ms.div_euclid(1000).to_string(),
        expires: life_s.to_string(),
        scope: SCOPE,
        app_key: body.app_key,
        user_id: "Anonymous",
    };
    Ok((super::json_reply(StatusCode::OK, &answer), tenant))
}

/// Looked up by a `HeaderName` made once, not by a `&str` parsed into one on every call.
static X_APP_KEY: hyper::header::HeaderName = hyper::header::HeaderName::from_static("x-app-key");

/// The Bearer check every `/apiaccess/` call passes: `Authorization: Bearer <token>` with exactly
/// one space (the scheme in any case), a token that exists and has not expired on the virtual
/// clock, an app that still belongs to the token's tenant, and, when `X-APP-Key` is sent, the
/// token's own app key. Every refusal is 401.
///
/// Expiry is read on the token's tenant clock (a scenario may skew it), and a token the fault
/// engine revoked early (`/_ccemu/revoke-tokens`, a scenario's `revoke_tokens`) is refused like an
/// expired one.
pub fn authenticate(ctx: &Ctx, model: &Model, req: &ApiRequest) -> Result<Caller, HuaweiError> {
    let header =
        match req.headers.get(hyper::header::AUTHORIZATION) {
            None => return Err(HuaweiError::Unauthorized(
                "The Authorization header is missing; send Authorization: Bearer {AccessToken}."
                    .into(),
            )),
            Some(h) => h.to_str().unwrap_or_default(),
        };
    // Bytes, not chars: a value `to_str` accepts is visible ASCII, spaces and tabs only, and
    // `str`'s char searcher cost every call more than the token lookup.
    let space = header.bytes().position(|b| b == b' ');
    let token =
        match space.map(|at| (&header[..at], &header[at + 1..])) {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer")
                    && !token.is_empty()
                    && !token.bytes().any(|b| b.is_ascii_whitespace()) =>
            {
                token
            }
            _ => return Err(HuaweiError::Unauthorized(
                "The Authorization header must be Bearer {AccessToken}, with exactly one space."
                    .into(),
            )),
        };
    let stored = model
        .tokens
        .get(token)
        .ok_or_else(|| HuaweiError::Unauthorized("The AccessToken is invalid.".into()))?;
    let now_ms = ctx.now_ms_for(&stored.tenant);
    if ctx.token_revoked(&stored.tenant, stored.created_ms) {
        return Err(HuaweiError::Unauthorized(format!(
            "The AccessToken has been revoked; call tokenByAkSk again. It was issued at {} on the emulator clock, now {now_ms}; {}.",
            stored.created_ms,
            ctx.clock_standing(&stored.tenant)
        )));
    }
    if !stored.is_live(now_ms) {
        return Err(HuaweiError::Unauthorized(format!(
            "The AccessToken has expired; call tokenByAkSk again. It expired at {}, {} the emulator clock {now_ms}; {}.",
            stored.expires_ms,
            crate::clock::distance(stored.expires_ms, now_ms),
            ctx.clock_standing(&stored.tenant)
        )));
    }
    let app_still_there = model.tenants.get(&stored.tenant).is_some_and(|t| {
        matches!(&t.credentials, Credentials::Huawei { apps, .. } if apps.iter().any(|a| a.app_key == stored.app_key))
    });
    if !app_still_there {
        return Err(HuaweiError::Unauthorized(
            "The app of this AccessToken no longer exists.".into(),
        ));
    }
    if let Some(key) = req.headers.get(&X_APP_KEY) {
        if key.as_bytes() != stored.app_key.as_bytes() {
            return Err(HuaweiError::Unauthorized(
                "X-APP-Key is not the app_key this AccessToken was issued to.".into(),
            ));
        }
    }
    Ok(Caller {
        tenant: stored.tenant.clone(),
    })
}

/// The tenant a request claims, unverified (for fault rules matching a tenant): the Bearer
/// token's tenant on `/apiaccess/`, the app_key's tenant on the token exchange.
pub fn claimed_tenant(model: &Model, req: &ApiRequest) -> Option<String> {
    let bearer = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .map(|(_, token)| token);
    if let Some(token) = bearer {
        return model.tokens.get(token).map(|t| t.tenant.clone());
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).ok()?;
    let key = body.get("app_key")?.as_str()?;
    model
        .find_tenant(|c| matches!(c, Credentials::Huawei { apps, .. } if apps.iter().any(|a| a.app_key == key)))
        .map(|t| t.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=UTF-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
