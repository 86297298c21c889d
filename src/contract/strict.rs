//! Strict mode: what the real vendor lets pass silently, reported per request. Off by default
//! (`--strict`, `POST /_ccemu/strict {"on": bool, "refuse": bool}`); when off, nothing here runs.
//!
//! A finding the vendor's own document makes too (its example sends the same thing, or its
//! section spells a name so) is a quirk: reported with `quirk: true`, never refused.

use super::{Field, In, Op, Ty};
use crate::http::{ApiRequest, Reply};
use crate::model::Vendor;
use crate::routing::Described;
use hyper::StatusCode;
use serde_json::{json, Map, Value};

pub use crate::op::Finding;

fn finding(kind: &'static str, field: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        kind,
        field: field.into(),
        detail: detail.into(),
        quirk: false,
    }
}

fn fits(ty: Ty, v: &Value) -> bool {
    match ty {
        Ty::Any => true,
        Ty::String => v.is_string(),
        Ty::Integer | Ty::TimestampMs => v.is_i64() || v.is_u64(),
        Ty::Boolean => v.is_boolean(),
        Ty::Flag => v.is_boolean() || v.is_i64() || v.is_u64(),
        Ty::StringList => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Ty::Object => v.is_object(),
        Ty::ObjectList => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        Ty::ObjectOrList => v.is_object() || fits(Ty::ObjectList, v),
    }
}

/// Members of `obj` checked against `fields` (recursing into objects and lists of objects).
fn check_members(fields: &[Field], obj: &Map<String, Value>, path: &str, out: &mut Vec<Finding>) {
    for (name, v) in obj {
        let at = format!("{path}{name}");
        let Some(f) = fields.iter().find(|f| f.name == name) else {
            let hint = fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| format!("; the document spells it {}", f.name))
                .unwrap_or_default();
            out.push(finding(
                "unknown_field",
                at,
                format!("{name} is not a documented field{hint}"),
            ));
            continue;
        };
        if v.is_null() {
            continue;
        }
        if !fits(f.ty, v) {
            out.push(finding(
                "wrong_type",
                at.clone(),
                format!(
                    "{name} is documented as {}, sent as {}",
                    f.ty.name(),
                    super::json_type(v)
                ),
            ));
            continue;
        }
        match (f.ty, v) {
            (Ty::Object, Value::Object(m)) if !f.items.is_empty() => {
                check_members(f.items, m, &format!("{at}."), out)
            }
            (Ty::ObjectList, Value::Array(items)) if !f.items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(m) = item {
                        check_members(f.items, m, &format!("{at}[{i}]."), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The body's findings, against the operation's body fields.
fn check_body(vendor: Vendor, op: &Op, body: &[u8], out: &mut Vec<Finding>) {
    let blank = body.iter().all(u8::is_ascii_whitespace);
    if !op.has_body {
        if !blank {
            out.push(finding(
                "body_shape",
                "body",
                "the document defines no body for this request; it is ignored",
            ));
        }
        return;
    }
    if blank {
        return; // the handlers refuse a missing body themselves
    }
    let fields: Vec<Field> = op.fields_in(In::Body).copied().collect();
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) => {
            // Huawei's listing APIs wrap their parameters; the wrapper is documented.
            if vendor == Vendor::Huawei {
                for wrapper in ["requestParam", "requestParams"] {
                    if let Some(Value::Object(inner)) = map.remove(wrapper) {
                        map = inner;
                        break;
                    }
                }
            }
            check_members(&fields, &map, "", out);
        }
        Ok(other) => out.push(finding(
            "body_shape",
            "body",
            format!(
                "the body is a JSON {}, the document shows an object",
                super::json_type(&other)
            ),
        )),
        Err(_) => {} // refused by the handlers as malformed
    }
}

/// Every finding for one request to the route `d`.
pub fn inspect(vendor: Vendor, d: &Described, req: &ApiRequest) -> Vec<Finding> {
    let op = d.contract;
    let mut out = Vec::new();
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (k, v) in &query {
        if vendor == Vendor::Udesk && k == "app_id" {
            let documented = op.field(In::Query, "app_id").is_some();
            out.push(Finding {
                quirk: documented,
                ..finding(
                    "quirky_spelling",
                    "app_id",
                    if documented {
                        "app_id as this section spells it; the general specification says AppId"
                    } else {
                        "app_id is accepted, but the document spells it AppId"
                    },
                )
            });
            continue;
        }
        if vendor == Vendor::Udesk && k == "AppId" && op.field(In::Query, "app_id").is_some() {
            continue; // the general specification's spelling
        }
        match op.field(In::Query, k) {
            None => out.push(finding(
                "unknown_field",
                k.clone(),
                format!("query parameter {k} is not documented for {}", d.operation),
            )),
            Some(f) if f.ty == Ty::TimestampMs && looks_like_seconds(v) => out.push(finding(
                "timestamp_seconds",
                k.clone(),
                format!("{k}={v} looks like seconds; the document says milliseconds"),
            )),
            Some(_) => {}
        }
    }
    for f in op.fields_in(In::Header) {
        let value = req.headers.get(f.name).and_then(|v| v.to_str().ok());
        match value {
            None if f.name == "X-APP-Key" => out.push(finding(
                "missing_header",
                "X-APP-Key",
                "X-APP-Key is missing; the vendor lets it pass, but one of its pages requires the app key of the token",
            )),
            Some(v) if f.ty == Ty::TimestampMs && looks_like_seconds(v) => out.push(finding(
                "timestamp_seconds",
                f.name,
                format!("{}={v} looks like seconds; the document says milliseconds", f.name),
            )),
            _ => {}
        }
    }
    if vendor == Vendor::Huawei && req.path.contains("/CC-Mangemant/") {
        out.push(Finding {
            quirk: true,
            ..finding(
                "quirky_spelling",
                "CC-Mangemant",
                "the agent management pages' spelling of the module (a vendor typo); the English pages say CC-Management",
            )
        });
    }
    check_body(vendor, op, &req.body, &mut out);
    // What the document's own example does is the document's quirk, not the client's.
    if let Some(example) = op.example {
        let mut own = Vec::new();
        check_body(vendor, op, example.as_bytes(), &mut own);
        for f in out.iter_mut() {
            if own.iter().any(|o| o.kind == f.kind && o.field == f.field) {
                f.quirk = true;
            }
        }
    }
    out
}

/// Ten digits or fewer is seconds until the year 2286; milliseconds have had 13 since 2001.
fn looks_like_seconds(v: &str) -> bool {
    !v.is_empty() && v.len() <= 11 && v.bytes().all(|b| b.is_ascii_digit())
}

/// The vendor-style refusal of a request whose first (non-quirk) finding is `f`.
pub fn refusal(vendor: Vendor, d: &Described, f: &Finding, req_id: &str) -> Reply {
    let why = format!("strict mode: {} {}: {}", f.kind, f.field, f.detail);
    let reply = match vendor {
        Vendor::Udesk => {
            let desc = format!("Parameter error: {why}");
            let body = match d.contract.envelope {
                "udesk.callback" => json!({"code": "000001", "message": desc, "results": ""}),
                "udesk.session" => json!({"ErrCode": "000001", "ErrDesc": desc, "msg_id": "",
                    "results": "", "data": null}),
                _ => json!({"ErrCode": "000001", "ErrDesc": desc, "Result": null}),
            };
            Reply::json(StatusCode::BAD_REQUEST, &body).with_code("000001")
        }
        Vendor::Nxcloud => Reply::json(
            StatusCode::OK,
            &json!({"reqId": req_id, "code": 1002, "msg": format!("Parameter error: {why}"), "data": {}}),
        )
        .with_code("1002"),
        Vendor::Huawei => Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"error_code": "CCEMU.0400", "error_msg": format!(
                "{} {why}", crate::vendors::huawei::errors::status_text(StatusCode::BAD_REQUEST))}),
        )
        .with_code("CCEMU.0400"),
    };
    crate::vendors::with_detail(reply, &why).with_operation(d.operation)
}
