//! `/_ccemu/requests`: the journal, listed, counted, cleared and waited on.

use super::answers::{Journal, JournalFound};
use super::refusal::typed;
use super::refusal::{
    method_not_allowed, not_found, ok, parse, refuse as error, Answer, Refusal, Wait,
};
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::journal::Entry;
use crate::scenarios::rules::MatchSpec;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub fn serves(path: &str) -> bool {
    path == "/_ccemu/requests" || path.starts_with("/_ccemu/requests/")
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    route(ctx, req, path).await.unwrap_or_else(Reply::from)
}

async fn route(ctx: &Ctx, req: &ApiRequest, path: &str) -> Answer {
    match (&req.method, path) {
        (&Method::GET, "/_ccemu/requests") => list(ctx, req),
        (&Method::DELETE, "/_ccemu/requests") => {
            ctx.journal.clear();
            Ok(ok(json!({"status": "cleared"})))
        }
        (&Method::GET, "/_ccemu/requests/count") => {
            let (spec, _) = spec_from_query(req)?;
            Ok(ok(json!({"count": ctx.journal.count(&spec)})))
        }
        (&Method::POST, "/_ccemu/requests/count") => {
            let body: CountBody = parse(req)?;
            Ok(ok(json!({"count": ctx.journal.count(&body.matcher)})))
        }
        (&Method::POST, "/_ccemu/requests/wait") => wait(ctx, req).await,
        (_, "/_ccemu/requests" | "/_ccemu/requests/count" | "/_ccemu/requests/wait") => {
            Err(method_not_allowed())
        }
        _ => Err(not_found()),
    }
}

/// The query parameters `GET /_ccemu/requests` and its count take.
const FILTERS: [&str; 12] = [
    "vendor",
    "method",
    "path",
    "operation",
    "tenant",
    "status",
    "code",
    "rule",
    "fault",
    "since",
    "body_contains",
    "limit",
];

/// The query's filters as a `MatchSpec`; `limit` comes back apart.
fn spec_from_query(req: &ApiRequest) -> Result<(MatchSpec, Option<usize>), Refusal> {
    let mut fields = Map::new();
    let mut limit = None;
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        // An empty value filters nothing, so docs/admin.md's `?vendor=&method=…` template works as is.
        if v.is_empty() && FILTERS.contains(&k.as_ref()) {
            continue;
        }
        let bad = |what: &str| error(StatusCode::BAD_REQUEST, format!("{k}={v:?} is not {what}"));
        match k.as_ref() {
            "limit" => limit = Some(v.parse::<usize>().map_err(|_| bad("a count"))?),
            "status" => {
                fields.insert(
                    "status".into(),
                    v.parse::<u16>().map_err(|_| bad("an HTTP status"))?.into(),
                );
            }
            "since" => {
                fields.insert(
                    "since".into(),
                    v.parse::<u64>().map_err(|_| bad("a seq"))?.into(),
                );
            }
            "rule" => {
                fields.insert(
                    "rule".into(),
                    v.parse::<u64>().map_err(|_| bad("a rule id"))?.into(),
                );
            }
            "vendor" | "method" | "path" | "operation" | "tenant" | "code" | "fault"
            | "body_contains" => {
                fields.insert(k.to_string(), Value::String(v.to_string()));
            }
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("unknown filter {other:?}; use {}", FILTERS.join(", ")),
                ))
            }
        }
    }
    let spec = serde_json::from_value(Value::Object(fields))
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok((spec, limit))
}

fn list(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let (spec, limit) = spec_from_query(req)?;
    let entries = ctx.journal.select(&spec, limit);
    let entries: Vec<&Entry> = entries.iter().map(|e| &**e).collect();
    Ok(typed(&Journal {
        enabled: ctx.journal.enabled(),
        capacity: ctx.journal.capacity(),
        requests: entries,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountBody {
    #[serde(
        rename = "match",
        default,
        deserialize_with = "crate::journal::matcher::object_only"
    )]
    matcher: MatchSpec,
}

/// Answers as soon as `count` matching requests are in the journal (counting those already there
/// since the last clear), or 408 with the count seen once `timeout_ms` of real time passes.
async fn wait(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: Wait<MatchSpec> = parse(req)?;
    if !ctx.journal.enabled() {
        return Err(error(
            StatusCode::CONFLICT,
            "the journal is disabled (--journal-size 0)",
        ));
    }
    if body.count > ctx.journal.capacity() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "count {} exceeds the journal size {}",
                body.count,
                ctx.journal.capacity()
            ),
        ));
    }
    match ctx
        .journal
        .wait(&body.matcher, body.count, body.timeout())
        .await
    {
        Ok(entries) => {
            let entries: Vec<&Entry> = entries.iter().map(|e| &**e).collect();
            Ok(typed(&JournalFound {
                count: entries.len(),
                requests: entries,
            }))
        }
        Err(seen) => Ok(body.timed_out(seen, "requests arrived")),
    }
}
