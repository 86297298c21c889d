//! An OpenAPI 3.1 document per vendor face, written from the routing tables' contracts (so it
//! describes exactly what is served): `GET /_ccemu/openapi/{udesk|nxcloud|huawei}.json`.
//!
//! Authentication is described as each vendor does it: Udesk's signature parameters in the
//! query, NXCloud's five signed headers, Huawei's Bearer token (with the token exchange as an
//! operation of its own). Request bodies leave unknown members allowed, as the vendors do;
//! strict mode is where they are reported.

use super::{Auth, Field, In, Op, Ty};
use crate::model::Vendor;
use crate::routing::Described;
use serde_json::{json, Map, Value};

/// Whose schema is being written: a request's members may be `null`, which every route reads
/// as absent (docs/contract.md); an answer's are as ccemu writes them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Answer,
}

/// The schema of one field's value. NXCloud reads integers from strings of digits too (its own
/// example sends them so), which the schema admits; strict mode flags it.
pub fn schema(f: &Field, vendor: Vendor) -> Value {
    value_schema(f, vendor, Side::Answer)
}

fn value_schema(f: &Field, vendor: Vendor, side: Side) -> Value {
    match f.ty {
        Ty::String => json!({"type": "string"}),
        Ty::Integer if vendor == Vendor::Nxcloud => {
            json!({"type": ["integer", "string"], "pattern": "^-?[0-9]+$"})
        }
        Ty::Integer => json!({"type": "integer"}),
        Ty::Boolean => json!({"type": "boolean"}),
        Ty::Flag => json!({"type": ["integer", "boolean"]}),
        Ty::StringList => json!({"type": "array", "items": {"type": "string"}}),
        Ty::Object => members(f.items, vendor, side),
        Ty::ObjectList => json!({"type": "array", "items": members(f.items, vendor, side)}),
        Ty::ObjectOrList => {
            let one = members(f.items, vendor, side);
            json!({"anyOf": [{"type": "array", "items": one.clone()}, one]})
        }
        Ty::Any => json!({}),
        Ty::TimestampMs => json!({"type": "string", "pattern": "^[0-9]+$",
            "description": "Unix time in milliseconds"}),
    }
}

/// An object with these members; unknown members are allowed (the vendors ignore them).
pub fn object(fields: &[Field], vendor: Vendor) -> Value {
    members(fields, vendor, Side::Answer)
}

fn members(fields: &[Field], vendor: Vendor, side: Side) -> Value {
    let mut props = Map::new();
    for f in fields {
        let mut s = value_schema(f, vendor, side);
        if side == Side::Request && !f.required {
            nullable(&mut s);
        }
        // A required string sent empty is refused as missing (`conform`).
        if side == Side::Request && f.required && f.ty == Ty::String {
            s["minLength"] = json!(1);
        }
        props.insert(f.name.to_string(), s);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut o = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// `null` added to an optional member's types. A required member's `null` is its absence, refused
/// as missing, so its schema does not admit it.
fn nullable(s: &mut Value) {
    match s.get_mut("type") {
        Some(Value::Array(types)) => types.push(json!("null")),
        Some(t @ Value::String(_)) => *t = json!([t.clone(), "null"]),
        _ => {} // `{}`: anything, null included
    }
}

/// The request body schema of an operation (its top-level body fields).
pub fn request_schema(op: &Op, vendor: Vendor) -> Value {
    let body: Vec<Field> = op.fields_in(In::Body).copied().collect();
    members(&body, vendor, Side::Request)
}

/// The names the security scheme carries (not repeated as parameters).
fn security_names(auth: Auth) -> &'static [&'static str] {
    match auth {
        Auth::QuerySignature => &["AppId", "app_id", "Timestamp", "Sign", "Sid"],
        Auth::SignedHeaders => &["accessKey", "ts", "bizType", "action", "sign"],
        Auth::Bearer => &["Authorization"],
        Auth::AppKeySecret => &[],
    }
}

fn security(op: &Op) -> Value {
    match op.auth {
        Auth::QuerySignature => {
            let app = if op.field(In::Query, "app_id").is_some() {
                "app_id"
            } else {
                "AppId"
            };
            json!([{app: [], "Timestamp": [], "Sign": [], "Sid": []}])
        }
        Auth::SignedHeaders => {
            json!([{"accessKey": [], "ts": [], "bizType": [], "action": [], "sign": []}])
        }
        Auth::Bearer => json!([{"bearer": []}]),
        Auth::AppKeySecret => json!([]),
    }
}

fn schemes(vendor: Vendor) -> Value {
    let key = |at: &str, name: &str, description: &str| json!({"type": "apiKey", "in": at, "name": name, "description": description});
    match vendor {
        Vendor::Udesk => json!({
            "AppId": key("query", "AppId", "The application (tenant) id."),
            "app_id": key("query", "app_id", "The application id, as sections 23 and 24 spell it."),
            "Timestamp": key("query", "Timestamp", "UTC Unix time in milliseconds; valid within 10 minutes."),
            "Sign": key("query", "Sign", "SHA1(Sid + AuthToken + Timestamp), lowercase hex."),
            "Sid": key("query", "Sid", "The account id."),
        }),
        Vendor::Nxcloud => json!({
            "accessKey": key("header", "accessKey", "The user identity identifier."),
            "ts": key("header", "ts", "Unix time in milliseconds; at most 60 s off."),
            "bizType": key("header", "bizType", "Business type, fixed \"8\"."),
            "action": key("header", "action", "Business operation, fixed \"cc\"."),
            "sign": key("header", "sign", "md5 (or sha256) over the sorted headers, the body and the secret."),
        }),
        Vendor::Huawei => json!({
            "bearer": {"type": "http", "scheme": "bearer",
                "description": "AccessToken from POST /apigovernance/api/oauth/tokenByAkSk (app_key, app_secret)."},
        }),
    }
}

fn title(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Udesk => "Udesk CCPaaS ccapi v2",
        Vendor::Nxcloud => "NXCloud NXCC / NXLink call center OpenAPI",
        Vendor::Huawei => "Huawei Cloud CEC API Fabric",
    }
}

fn operation(vendor: Vendor, d: &Described, id: String) -> Value {
    let op = d.contract;
    let hidden = security_names(op.auth);
    let mut params = Vec::new();
    for f in op.request {
        let at = match f.at {
            In::Query => "query",
            In::Path => "path",
            In::Header => "header",
            In::Body => continue,
        };
        if hidden.contains(&f.name) {
            continue;
        }
        params.push(json!({
            "name": f.name, "in": at, "required": f.required || f.at == In::Path,
            "schema": schema(f, vendor),
        }));
    }
    let envelope = object(op.answer, vendor);
    let codes: Vec<Value> = op
        .errors
        .iter()
        .map(|c| json!({"code": c, "description": describe_code(vendor, c)}))
        .collect();
    let mut o = json!({
        "operationId": id,
        "summary": d.operation,
        "description": d.doc,
        "parameters": params,
        "security": security(op),
        "responses": {
            "200": {"description": ok_description(vendor, op),
                "content": {"application/json": {"schema": envelope.clone()}}},
            "default": {"description": "A refusal, in the same envelope (Huawei: {error_code, error_msg}); x-error-codes lists the codes.",
                "content": {"application/json": {"schema": {}}}},
        },
        "x-envelope": op.envelope,
        "x-error-codes": codes,
    });
    if vendor == Vendor::Nxcloud {
        o["x-errors-in-body"] = errors_in_body();
    }
    if op.has_body {
        let mut media = json!({"schema": request_schema(op, vendor)});
        if let Some(ex) = op
            .example
            .and_then(|e| serde_json::from_str::<Value>(e).ok())
        {
            media["example"] = ex;
        }
        o["requestBody"] = json!({
            "required": op.fields_in(In::Body).any(|f| f.required),
            "content": {"application/json": media},
        });
    }
    o
}

/// NXCloud refuses with HTTP 200 and a non-zero `code`: said in words and as data, so that a
/// tool that reads statuses knows a 200 is not yet a success.
fn errors_in_body() -> Value {
    json!({"status": 200, "member": "code", "success": 0})
}

fn ok_description(vendor: Vendor, op: &Op) -> String {
    match vendor {
        Vendor::Nxcloud => format!(
            "The answer, in the {} envelope. Refusals come with HTTP 200 too: `code` is 0 on \
             success and the vendor's error code otherwise (x-error-codes lists them; \
             x-errors-in-body says so as data). Only a route or body the gateway cannot read \
             answers another status.",
            op.envelope
        ),
        _ => format!("The answer, in the {} envelope.", op.envelope),
    }
}

fn describe_code(vendor: Vendor, code: &str) -> String {
    match vendor {
        Vendor::Udesk => crate::vendors::udesk::errors::describe(code)
            .unwrap_or("")
            .to_string(),
        Vendor::Nxcloud => match code.parse::<i64>() {
            Ok(0) => "Success".to_string(),
            Ok(c) => crate::vendors::nxcloud::errors::describe(c).to_string(),
            Err(_) => String::new(),
        },
        Vendor::Huawei => code
            .parse::<u16>()
            .ok()
            .and_then(|s| hyper::StatusCode::from_u16(s).ok())
            .map(|s| crate::vendors::huawei::errors::status_text(s).to_string())
            .unwrap_or_default(),
    }
}

fn info_description(vendor: Vendor) -> String {
    let mut d = "Written by ccemu from its routing tables: the vendor's documented routes, fields, envelopes and error codes, as ccemu serves them. A request body member that is null is read as absent. See docs/contract.md.".to_string();
    if vendor == Vendor::Nxcloud {
        d.push_str(" NXCloud answers its errors with HTTP 200 and a non-zero code in the body (x-errors-in-body on each operation).");
    }
    d
}

/// The OpenAPI 3.1 document of one vendor face.
pub fn document(vendor: Vendor) -> Value {
    let mut paths = Map::new();
    let mut ids: Vec<String> = Vec::new();
    for entry in crate::vendors::catalogue()
        .into_iter()
        .filter(|e| e.vendor == vendor)
    {
        let d = &entry.route;
        let mut id = d.operation.replace('/', "_");
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("{}_{n}", d.operation.replace('/', "_"));
            n += 1;
        }
        ids.push(id.clone());
        let item = paths.entry(d.path.to_string()).or_insert_with(|| json!({}));
        item[d.method.to_ascii_lowercase()] = operation(vendor, d, id);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title(vendor),
            "version": "ccemu",
            "description": info_description(vendor),
        },
        "paths": paths,
        "components": {"securitySchemes": schemes(vendor)},
    })
}
