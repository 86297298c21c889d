//! `/_ccemu/snapshots`: named snapshots of the whole state (`crate::snapshots`), and with
//! `?sandbox=ID` of one sandbox.
//!
//! - `POST /_ccemu/snapshots` `{"name"}` — take one (a name already taken is replaced).
//! - `GET /_ccemu/snapshots` — list them.
//! - `POST /_ccemu/snapshots/{name}/restore` — put the state back as it was.
//! - `DELETE /_ccemu/snapshots/{name}` — forget one.

use super::answers::{SnapshotList, SnapshotRestored, SnapshotTaken};
use super::refusal::typed;
use super::refusal::{method_not_allowed, not_found, ok, parse, refuse, Answer};
use crate::emulator::Ctx;
use crate::http::ApiRequest;
use crate::sandbox::Sandbox;
use crate::snapshots::{self, SnapshotError};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

pub fn serves(path: &str) -> bool {
    path == "/_ccemu/snapshots" || path.starts_with("/_ccemu/snapshots/")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Take {
    name: String,
}

fn refused(e: SnapshotError) -> super::refusal::Refusal {
    match e {
        SnapshotError::NoSuchName(_) => refuse(StatusCode::NOT_FOUND, e.to_string()),
        SnapshotError::BadName(_) => refuse(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// The global snapshots (`sb` `None`) or one sandbox's.
pub fn handle(ctx: &Ctx, sb: Option<&Sandbox>, req: &ApiRequest, path: &str) -> Answer {
    let scope = sb.map(|s| s.id.as_str());
    if path == "/_ccemu/snapshots" {
        return match req.method {
            Method::GET => Ok(typed(&SnapshotList {
                snapshots: ctx.snapshots.list(scope),
            })),
            Method::POST => {
                let take: Take = parse(req)?;
                let (summary, replaced) = match sb {
                    None => snapshots::save(ctx, &take.name),
                    Some(sb) => snapshots::save_sandbox(ctx, sb, &take.name),
                }
                .map_err(refused)?;
                Ok(typed(&SnapshotTaken { summary, replaced }))
            }
            _ => Err(method_not_allowed()),
        };
    }
    let rest = path.strip_prefix("/_ccemu/snapshots/").unwrap_or_default();
    match (rest.split_once('/'), &req.method) {
        (Some((name, "restore")), &Method::POST) => {
            let summary = match sb {
                None => snapshots::restore(ctx, name),
                Some(sb) => snapshots::restore_sandbox(ctx, sb, name),
            }
            .map_err(refused)?;
            Ok(typed(&SnapshotRestored {
                summary,
                status: "restored",
            }))
        }
        (Some((_, "restore")), _) => Err(method_not_allowed()),
        (Some(_), _) => Err(not_found()),
        (None, &Method::DELETE) => {
            if !ctx.snapshots.delete(scope, rest) {
                return Err(refused(SnapshotError::NoSuchName(rest.to_string())));
            }
            Ok(ok(json!({"status": "deleted", "name": rest})))
        }
        (None, _) => Err(method_not_allowed()),
    }
}
