//! The `/_ccemu/` control API: health, reset, state, the virtual clock, agent state and fixture
//! merges. Its paths and shapes are a public contract that tests outside the project rely on:
//! extend them, never rename them.
//!
//! Served to loopback clients only unless `--admin-public` is given, since it can rewrite state;
//! `guard` keeps web pages (foreign Origin or Host, non-JSON writes) and, with `--admin-token`,
//! callers without the token out.

pub mod answers;
pub mod calls;
pub mod contract;
pub mod faults;
mod guard;
pub mod ivr;
pub mod names;
pub mod openapi;
mod refusal;
pub mod requests;
pub mod sandboxes;
pub mod snapshots;
pub mod stream;
pub mod ui;
pub mod webhooks;

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::{fixture, AgentState, Vendor};
use crate::scenarios::ScenarioFile;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

pub const PREFIX: &str = "/_ccemu";

pub fn serves(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_ccemu/")
}

/// An admin refusal: a status and a message, rendered as `{"error","message"}`.
pub struct AdminError {
    pub status: StatusCode,
    pub message: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> AdminError {
    AdminError {
        status,
        message: message.into(),
    }
}

impl From<AdminError> for Reply {
    fn from(e: AdminError) -> Reply {
        Reply::json(
            e.status,
            &json!({"error": e.status.canonical_reason().unwrap_or("error"), "message": e.message}),
        )
    }
}

impl From<AdminError> for Box<Reply> {
    fn from(e: AdminError) -> Box<Reply> {
        Box::new(e.into())
    }
}

pub type AdminResult = Result<Reply, AdminError>;

fn ok(value: Value) -> Reply {
    Reply::json(StatusCode::OK, &value)
}

pub fn reject(why: Rejection) -> Reply {
    refusal(why).into()
}

fn refusal(why: Rejection) -> AdminError {
    match why {
        Rejection::BodyTooLarge => error(StatusCode::PAYLOAD_TOO_LARGE, "body exceeds the limit"),
        Rejection::BodyUnreadable => error(StatusCode::BAD_REQUEST, "body could not be read"),
        Rejection::NotFound => error(StatusCode::NOT_FOUND, "no such admin path"),
        Rejection::MethodNotAllowed => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

fn parse<T: serde::de::DeserializeOwned>(req: &ApiRequest) -> Result<T, AdminError> {
    refusal::parse_object(&req.body).map_err(|e| error(StatusCode::BAD_REQUEST, e))
}

/// Requests that are cheap or mostly wait: health (answered within milliseconds whatever else
/// runs), and the long polls (`.../wait`), which would hold a thread for their whole wait if
/// they were run off the runtime like the rest.
pub fn is_light(req: &ApiRequest) -> bool {
    let path = req.path.trim_end_matches('/');
    path == "/_ccemu/health" || path.ends_with("/wait")
}

/// The admin API's checks (loopback or token, Host, Origin, JSON writes) for a path served
/// outside `handle` (the stream).
pub(crate) fn admit(ctx: &Ctx, req: &ApiRequest, path: &str) -> Result<(), Box<Reply>> {
    guard::check(ctx, req, path)?;
    method_served(req, path)?;
    guard::check_body(req)?;
    Ok(())
}

/// 405 with `Allow` for a method the OpenAPI route table (`openapi::ROUTES`) does not document on
/// a path it does: one answer for every admin path, so the document and the dispatcher agree
/// (RFC 9110 §15.5.6 asks for the `Allow` header). Paths the table does not know pass on.
fn method_served(req: &ApiRequest, path: &str) -> Result<(), Box<Reply>> {
    let Some(allowed) = openapi::allowed_methods(path) else {
        return Ok(());
    };
    if allowed.contains(&req.method.as_str()) {
        return Ok(());
    }
    let allow = allowed.join(", ");
    let message = format!("{} is not served on {path}; it takes {allow}", req.method);
    let reply: Reply = error(StatusCode::METHOD_NOT_ALLOWED, message).into();
    Err(Box::new(reply.with_header(
        hyper::header::ALLOW,
        hyper::header::HeaderValue::from_str(&allow).expect("method names are header-safe"),
    )))
}

pub async fn handle(ctx: &Ctx, req: ApiRequest) -> Reply {
    let path = req.path.trim_end_matches('/');
    if let Err(refused) = admit(ctx, &req, path) {
        return *refused;
    }
    if ui::serves(path) {
        return ui::handle(ctx, &req, path);
    }
    // Sandbox paths, and `?sandbox=ID` on the clock, faults, journal and delivery log.
    if let Some(reply) = sandboxes::handle(ctx, &req, path).await {
        return reply;
    }
    if faults::serves(path) {
        return faults::handle(ctx, &req, path);
    }
    if requests::serves(path) {
        return requests::handle(ctx, &req, path).await;
    }
    if webhooks::serves(path) {
        return webhooks::handle(ctx, &req, path).await;
    }
    if calls::serves(path) {
        return calls::handle(ctx, &req, path);
    }
    if ivr::serves(path) {
        return ivr::handle(ctx, &req);
    }
    if contract::serves(path) {
        return contract::handle(ctx, &req, path);
    }
    if snapshots::serves(path) {
        return snapshots::handle(ctx, None, &req, path).unwrap_or_else(Reply::from);
    }
    let result = match (&req.method, path) {
        (&Method::GET, "/_ccemu/health") => Ok(health(ctx)),
        (&Method::POST, "/_ccemu/reset") => reset_with(ctx, &req),
        (&Method::GET, "/_ccemu/state") => Ok(state(ctx)),
        (&Method::GET, "/_ccemu/clock") => Ok(clock(ctx)),
        (&Method::GET, "/_ccemu/routes") => Ok(ok(json!({"routes": crate::vendors::catalogue()}))),
        (&Method::POST, "/_ccemu/clock") => set_clock(ctx, &req),
        (&Method::POST, "/_ccemu/agent-state") => agent_state(ctx, &req),
        (&Method::POST, "/_ccemu/fixture") => merge_fixture(ctx, &req),
        (_, "/_ccemu/health" | "/_ccemu/reset" | "/_ccemu/state" | "/_ccemu/clock")
        | (_, "/_ccemu/routes")
        | (_, "/_ccemu/agent-state" | "/_ccemu/fixture") => {
            Err(refusal(Rejection::MethodNotAllowed))
        }
        _ => Err(refusal(Rejection::NotFound)),
    };
    result.unwrap_or_else(Reply::from)
}

fn health(ctx: &Ctx) -> Reply {
    let tenants = ctx.tenant_count();
    refusal::typed(&answers::Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        tenants,
        now_ms: ctx.now_ms(),
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResetOptions {
    /// Also return the clock to wall time (unfrozen, no offset). Off by default, as documented
    /// from the start: a test that froze the clock expects it frozen after a reset.
    #[serde(default)]
    clock: bool,
}

/// `POST /_ccemu/reset`, with an optional body `{"clock": true}`; no body keeps the old meaning.
fn reset_with(ctx: &Ctx, req: &ApiRequest) -> AdminResult {
    let options: ResetOptions = if req.body.iter().all(u8::is_ascii_whitespace) {
        ResetOptions::default()
    } else {
        parse(req)?
    };
    Ok(reset(ctx, options.clock))
}

/// Back to the startup state: the fixture, no faults, an empty journal, and the `--scenario`
/// files loaded afresh (their times counted from now); with `clock`, the clock back to wall time
/// first, so those times count from wall time.
fn reset(ctx: &Ctx, clock: bool) -> Reply {
    // All or nothing: a `--scenario` file gone or broken since start is found before anything is
    // cleared, and the emulator stays as it was.
    let scenarios = match read_configured_scenarios(ctx) {
        Ok(files) => files,
        Err(e) => return refusal::refuse(StatusCode::INTERNAL_SERVER_ERROR, e).into(),
    };
    if clock {
        ctx.clock.reset();
    }
    // Timeline first: clearing it waits for an event being applied, so no scripted event can
    // land in the model after it is restored.
    ctx.scenarios.clear();
    ctx.hangs.release_all();
    ctx.reset();
    ctx.journal.clear();
    for file in scenarios {
        // Checked above, so this cannot fail; should it, the answer says so.
        if let Err(e) = ctx.scenarios.load(ctx, file) {
            return refusal::refuse(StatusCode::INTERNAL_SERVER_ERROR, e).into();
        }
    }
    // Readers of the stream (the dashboard) read the state afresh.
    ctx.hub.publish("reset", None, || json!({"clock": clock}));
    ok(json!({"status": "reset"}))
}

/// The `--scenario` files, read and checked as `Scenarios::load` would check them.
fn read_configured_scenarios(ctx: &Ctx) -> Result<Vec<ScenarioFile>, String> {
    ctx.config
        .scenarios
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "reset refused, nothing changed: cannot read scenario {}: {e}",
                    path.display()
                )
            })?;
            let file: ScenarioFile = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "reset refused, nothing changed: scenario {}: {e}",
                    path.display()
                )
            })?;
            for (i, rule) in file.rules.iter().enumerate() {
                rule.validate().map_err(|e| {
                    format!(
                        "reset refused, nothing changed: scenario {}: rule {}: {e}",
                        path.display(),
                        i + 1
                    )
                })?;
            }
            Ok(file)
        })
        .collect()
}

fn state(ctx: &Ctx) -> Reply {
    // Clone under the lock, serialise outside it: a large model must not stall the API.
    let snapshot = ctx.model().clone();
    Reply::json(StatusCode::OK, &snapshot)
}

fn clock(ctx: &Ctx) -> Reply {
    refusal::typed(&answers::ClockView {
        now_ms: ctx.clock.now_ms(),
        frozen: ctx.clock.is_frozen(),
        sandbox: None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    now_ms: Option<i64>,
    advance_ms: Option<i64>,
    frozen: Option<bool>,
    /// `true`: back to wall time, unfrozen, no offset (then `frozen`/`now_ms`/`advance_ms`, if
    /// also given, apply on top). `false` is refused: it would mean nothing.
    real: Option<bool>,
}

fn set_clock(ctx: &Ctx, req: &ApiRequest) -> AdminResult {
    change_clock(&ctx.clock, req)?;
    let (now_ms, frozen) = (ctx.clock.now_ms(), ctx.clock.is_frozen());
    ctx.hub.publish(
        "clock",
        None,
        || json!({"now_ms": now_ms, "frozen": frozen}),
    );
    Ok(clock(ctx))
}

/// Applies `real` first, then `frozen`, then `now_ms`, then `advance_ms`, so one call can freeze at
/// an instant. On the global clock or a sandbox's (`sandboxes`).
fn change_clock(clock: &crate::clock::Clock, req: &ApiRequest) -> Result<(), AdminError> {
    let change: ClockChange = parse(req)?;
    if change.now_ms.is_none()
        && change.advance_ms.is_none()
        && change.frozen.is_none()
        && change.real.is_none()
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "expected one of real, now_ms, advance_ms, frozen",
        ));
    }
    if change.real == Some(false) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "real only takes true (back to wall time); to move the clock use now_ms or advance_ms",
        ));
    }
    // Checked before anything moves: a refused change leaves the clock as it was.
    let base = if change.real == Some(true) {
        crate::clock::Clock::new().now_ms()
    } else {
        clock.now_ms()
    };
    let target = change.now_ms.unwrap_or(base);
    let target = change
        .advance_ms
        .map_or(Some(target), |d| target.checked_add(d));
    if !target.is_some_and(crate::clock::can_show)
        || !change.now_ms.is_none_or(crate::clock::can_show)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "now_ms (plus advance_ms) must be an i64 instant above i64::MIN",
        ));
    }
    if change.real == Some(true) {
        clock.reset();
    }
    if let Some(f) = change.frozen {
        clock.set_frozen(f);
    }
    if let Some(t) = change.now_ms {
        clock.set(t);
    }
    if let Some(d) = change.advance_ms {
        clock.advance(d);
    }
    Ok(())
}

#[derive(Deserialize)]
struct AgentStateChange {
    vendor: Option<Vendor>,
    tenant: String,
    agent: String,
    state: String,
    at_ms: Option<i64>,
}

/// Moves an agent along its state timeline as a scenario or test needs; the same path Udesk
/// login/logout take, so every vendor face sees the change.
fn agent_state(ctx: &Ctx, req: &ApiRequest) -> AdminResult {
    let change: AgentStateChange = parse(req)?;
    let state: AgentState = change
        .state
        .parse()
        .map_err(|e: String| error(StatusCode::BAD_REQUEST, e))?;
    let now = ctx.clock_ms_for(&change.tenant);
    let at_ms = change.at_ms.unwrap_or(now);
    // A change dated after now would be the agent's state before its time, and would bar every
    // change until the clock passed it (login refused, agent-state 409): the past and now only.
    if at_ms > now {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("at_ms {at_ms} is after the virtual clock's now ({now}); a state change is dated now or earlier"),
        ));
    }
    let mut model = ctx.model();
    names::check_vendor(&model, &change.tenant, change.vendor)
        .map_err(|r| error(r.status, r.message))?;
    model
        .set_agent_state(&change.tenant, &change.agent, state, at_ms)
        .map_err(|e| {
            let status = match e {
                crate::model::ModelError::TenantNotFound(_)
                | crate::model::ModelError::AgentNotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            error(status, e.to_string())
        })?;
    drop(model);
    Ok(refusal::typed(&answers::AgentStateSet {
        tenant: change.tenant,
        agent: change.agent,
        state: state.name().to_string(),
        at_ms,
    }))
}

fn merge_fixture(ctx: &Ctx, req: &ApiRequest) -> AdminResult {
    let fragment: Value = parse(req)?;
    let mut model = ctx.model();
    fixture::merge(&mut model, &fragment).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    let tenants = model.tenants.len();
    drop(model);
    Ok(ok(json!({"status": "merged", "tenants": tenants})))
}
