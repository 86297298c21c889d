//! `/_ccemu/sandboxes` and the `?sandbox=ID` views of the other admin paths.
//!
//! - `POST /_ccemu/sandboxes` `{"id"?, "from"?}` — make one; answers its id and credentials.
//! - `GET /_ccemu/sandboxes`, `GET /_ccemu/sandboxes/{id}` — list, one.
//! - `DELETE /_ccemu/sandboxes/{id}` — drop it and its tenants.
//! - `POST /_ccemu/sandboxes/{id}/reset` — its tenants as made, its RNG restarted, its rules gone.
//! - `GET|POST /_ccemu/clock?sandbox=ID` — its clock, same shapes as the global clock.
//! - `/_ccemu/faults[/{id}]?sandbox=ID` — its fault rules, same shapes as the global ones.
//! - `/_ccemu/snapshots[/{name}[/restore]]?sandbox=ID` — its named snapshots (`super::snapshots`).
//! - `GET /_ccemu/requests[/count]?sandbox=ID`, `GET /_ccemu/webhooks/deliveries?sandbox=ID` —
//!   the journal and the delivery log narrowed to its tenants (other filters still apply).

use super::answers::{ClockView, SandboxList, SandboxTenant, SandboxView};
use super::refusal::typed;
use super::refusal::{method_not_allowed, not_found, ok, refuse as error, Answer, Refusal};
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::{fixture, Credentials, Tenant};
use crate::sandbox::{self, CreateError, Sandbox};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const PREFIX: &str = "/_ccemu/sandboxes";

/// The answer when this module serves the request: sandbox paths, and any admin path with a
/// `sandbox` query parameter. `None` leaves the request to the usual handlers.
pub async fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Option<Reply> {
    let answer = if path == PREFIX || path.starts_with("/_ccemu/sandboxes/") {
        sweep(ctx);
        sandboxes(ctx, req, path)
    } else {
        let id = sandbox_param(req)?;
        sweep(ctx);
        scoped(ctx, req, path, &id).await
    };
    Some(answer.unwrap_or_else(Reply::from))
}

fn sandbox_param(req: &ApiRequest) -> Option<String> {
    form_urlencoded::parse(req.query.as_bytes())
        .find(|(k, _)| k == "sandbox")
        .map(|(_, v)| v.into_owned())
}

/// Deletes sandboxes idle past `--sandbox-ttl-ms`.
fn sweep(ctx: &Ctx) {
    let Some(ttl) = ctx.config.sandbox_ttl else {
        return;
    };
    let ttl = ttl.as_millis() as i64;
    for sb in ctx.sandboxes.list() {
        if sb.idle_ms() > ttl {
            drop_sandbox(ctx, &sb.id);
        }
    }
}

fn drop_sandbox(ctx: &Ctx, id: &str) -> Option<Arc<Sandbox>> {
    let sb = sandbox::delete(&ctx.sandboxes, &mut ctx.model(), id)?;
    ctx.snapshots.forget_sandbox(id);
    for rule in sb.scenarios.rule_ids() {
        ctx.hangs.release_rule(rule);
    }
    sb.scenarios.clear_rules();
    Some(sb)
}

fn find(ctx: &Ctx, id: &str) -> Result<Arc<Sandbox>, Refusal> {
    ctx.sandboxes
        .get(id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no sandbox {id:?}")))
}

fn sandboxes(ctx: &Ctx, req: &ApiRequest, path: &str) -> Answer {
    match (&req.method, path) {
        (&Method::POST, PREFIX) => create(ctx, req),
        (&Method::GET, PREFIX) => {
            let list: Vec<SandboxView> = ctx.sandboxes.list().iter().map(|s| describe(s)).collect();
            Ok(typed(&SandboxList {
                count: list.len(),
                max: ctx.config.max_sandboxes,
                sandboxes: list,
            }))
        }
        (_, PREFIX) => Err(method_not_allowed()),
        (method, p) => {
            let rest = p.strip_prefix("/_ccemu/sandboxes/").unwrap_or_default();
            match rest.split_once('/') {
                None => match *method {
                    Method::GET => Ok(typed(&describe(&*find(ctx, rest)?))),
                    Method::DELETE => match drop_sandbox(ctx, rest) {
                        Some(_) => Ok(ok(json!({"status": "deleted", "id": rest}))),
                        None => Err(find(ctx, rest).err().unwrap_or_else(not_found)),
                    },
                    _ => Err(method_not_allowed()),
                },
                Some((id, "reset")) => {
                    if *method != Method::POST {
                        return Err(method_not_allowed());
                    }
                    let sb = find(ctx, id)?;
                    for rule in sb.scenarios.rule_ids() {
                        ctx.hangs.release_rule(rule);
                    }
                    sb.scenarios.clear_rules();
                    sandbox::reset(&sb, &mut ctx.model());
                    Ok(ok(json!({"status": "reset", "id": sb.id})))
                }
                Some(_) => Err(not_found()),
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    id: Option<String>,
    /// A fixture fragment (`{"tenants": [...]}`), checked as a fixture file is.
    from: Option<Value>,
}

fn create(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: CreateBody = if req.body.iter().all(u8::is_ascii_whitespace) {
        CreateBody {
            id: None,
            from: None,
        }
    } else {
        super::refusal::parse(req)?
    };
    let from = match body.from {
        None => None,
        Some(v) => Some(
            fixture::parse(&v.to_string())
                .map_err(|e| error(StatusCode::BAD_REQUEST, format!("from: {e}")))?,
        ),
    };
    let made = sandbox::create(
        &ctx.sandboxes,
        || ctx.model(),
        ctx.fixture(),
        ctx.config.seed,
        ctx.config.max_sandboxes,
        sandbox::Request { id: body.id, from },
    );
    let sb = match made {
        Ok(sb) => sb,
        Err(CreateError::Full(cap)) => {
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{cap} sandboxes are live, the most --max-sandboxes allows; DELETE /_ccemu/sandboxes/{{id}} the ones you are done with"),
            ))
        }
        Err(CreateError::Invalid(why)) => return Err(error(StatusCode::BAD_REQUEST, why)),
    };
    let mut answer = describe(&sb);
    // The first tenant of each vendor, under the vendor's own field names: what a test usually
    // needs, without walking the list.
    for t in sb.template() {
        let (vendor, creds) = credentials(t);
        answer.first.entry(vendor).or_insert(creds);
    }
    Ok(typed(&answer))
}

/// A tenant's credentials as the vendor names them.
fn credentials(t: &Tenant) -> (String, Value) {
    match &t.credentials {
        Credentials::Udesk {
            app_id,
            sid,
            auth_token,
        } => (
            "udesk".into(),
            json!({"AppId": app_id, "Sid": sid, "AuthToken": auth_token}),
        ),
        Credentials::Nxcloud {
            access_key,
            access_secret,
            ..
        } => (
            "nxcloud".into(),
            json!({"tenantId": t.id.parse::<u64>().map_or(json!(t.id), |n| json!(n)), "accessKey": access_key, "accessSecret": access_secret}),
        ),
        Credentials::Huawei { apps, .. } => {
            let first = apps.first();
            (
                "huawei".into(),
                json!({
                    "tenant": t.id,
                    "app_key": first.map(|a| a.app_key.as_str()),
                    "app_secret": first.map(|a| a.app_secret.as_str()),
                }),
            )
        }
    }
}

fn describe(sb: &Sandbox) -> SandboxView {
    let tenants: Vec<SandboxTenant> = sb
        .template()
        .iter()
        .map(|t| {
            let (vendor, creds) = credentials(t);
            SandboxTenant {
                id: t.id.clone(),
                name: t.name.clone(),
                vendor,
                credentials: match creds {
                    Value::Object(m) => m,
                    _ => Default::default(),
                },
            }
        })
        .collect();
    SandboxView {
        id: sb.id.clone(),
        seed: sb.seed().to_string(),
        tenants,
        clock: ClockView {
            now_ms: sb.clock.now_ms(),
            frozen: sb.clock.is_frozen(),
            sandbox: None,
        },
        faults: sb.scenarios.rule_ids().len(),
        idle_ms: sb.idle_ms(),
        created_ms: sb.created_ms(),
        first: Default::default(),
    }
}

/// An admin path narrowed to one sandbox.
async fn scoped(ctx: &Ctx, req: &ApiRequest, path: &str, id: &str) -> Answer {
    let sb = find(ctx, id)?;
    match path {
        "/_ccemu/clock" => clock(&sb, req),
        p if p == "/_ccemu/faults" || p.starts_with("/_ccemu/faults/") => {
            super::faults::rules_in(ctx, &sb.scenarios, req, p)
        }
        p if super::snapshots::serves(p) => super::snapshots::handle(ctx, Some(&sb), req, p),
        "/_ccemu/requests" | "/_ccemu/requests/count" if req.method == Method::GET => {
            let (inner, limit) = without(req, "/_ccemu/requests");
            let reply = super::requests::handle(ctx, &inner, "/_ccemu/requests").await;
            let (status, mut body) = json_of(&reply)?;
            if !status.is_success() {
                return Ok(reply);
            }
            let kept = narrow(&mut body, "requests", &sb, limit);
            if path.ends_with("/count") {
                return Ok(ok(json!({"count": kept})));
            }
            Ok(Reply::json(status, &body))
        }
        "/_ccemu/webhooks/deliveries" if req.method == Method::GET => {
            let (inner, limit) = without(req, path);
            let reply = super::webhooks::handle(ctx, &inner, path).await;
            let (status, mut body) = json_of(&reply)?;
            if !status.is_success() {
                return Ok(reply);
            }
            let kept = narrow(&mut body, "deliveries", &sb, limit);
            if let Value::Object(m) = &mut body {
                m.insert("count".into(), json!(kept));
            }
            Ok(Reply::json(status, &body))
        }
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            format!("{} {path} takes no sandbox parameter; sandboxes scope /_ccemu/clock, /_ccemu/faults, /_ccemu/snapshots, GET /_ccemu/requests[/count] and GET /_ccemu/webhooks/deliveries", req.method),
        )),
    }
}

/// The request with `sandbox` and `limit` taken out of its query (the limit applies after the
/// narrowing), at `path`.
fn without(req: &ApiRequest, path: &str) -> (ApiRequest, Option<usize>) {
    let mut limit = None;
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        match k.as_ref() {
            "sandbox" => {}
            "limit" => limit = v.parse().ok(),
            _ => {
                query.append_pair(&k, &v);
            }
        }
    }
    let inner = ApiRequest {
        method: req.method.clone(),
        path: path.to_string(),
        query: query.finish(),
        headers: req.headers.clone(),
        body: req.body.clone(),
        remote: req.remote,
    };
    (inner, limit)
}

fn json_of(reply: &Reply) -> Result<(StatusCode, Value), Refusal> {
    let body = serde_json::from_slice(&reply.body.to_bytes())
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok((reply.status, body))
}

/// Keeps the `list` entries whose tenant is the sandbox's (the newest `limit` of them); answers
/// how many are kept.
fn narrow(body: &mut Value, list: &str, sb: &Sandbox, limit: Option<usize>) -> usize {
    let Some(Value::Array(entries)) = body.get_mut(list) else {
        return 0;
    };
    entries.retain(|e| {
        e.get("tenant")
            .and_then(Value::as_str)
            .is_some_and(|t| sb.tenants.iter().any(|s| s == t))
    });
    if let Some(n) = limit {
        if entries.len() > n {
            entries.drain(..entries.len() - n);
        }
    }
    entries.len()
}

/// The sandbox's clock, with the global clock call's shapes and rules.
fn clock(sb: &Sandbox, req: &ApiRequest) -> Answer {
    let show = || {
        typed(&ClockView {
            now_ms: sb.clock.now_ms(),
            frozen: sb.clock.is_frozen(),
            sandbox: Some(sb.id.clone()),
        })
    };
    match req.method {
        Method::GET => Ok(show()),
        Method::POST => {
            super::change_clock(&sb.clock, req).map_err(|e| error(e.status, e.message))?;
            Ok(show())
        }
        _ => Err(method_not_allowed()),
    }
}
