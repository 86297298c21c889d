//! `ccemu import udesk|nxcloud`: reads a live tenant through the vendor's own read APIs and
//! writes a fixture of it, so a developer can run offline against a copy of their real tenant's
//! configuration. Secrets (Udesk's AuthToken and extension passwords, NXCloud's accessSecret) are
//! written as `********` unless `--show-secrets` is given: a fixture tends to get committed.
//!
//! Udesk: relay numbers (`GET /spnumbers`), queues (`GET /queues`), agents page by page
//! (`GET /agents`) and the extensions bound to them (each agent's `ExtenInfos`); an extension
//! bound to no agent is listed by no Udesk read API, so it is not copied. NXCloud: agent groups
//! (`agentGroup/page`) and agents (`agent/page`), an agent's groups found by the group names its
//! `queueName` lists. Configuration only: agents' live states are not copied (every agent starts
//! offline).

use crate::vendors::udesk::auth;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// The mask written in place of a secret.
pub const MASK: &str = "********";

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The vendor to read: udesk or nxcloud (huawei is not supported yet).
    pub vendor: String,
    /// The vendor's base URL (https://… for the real one, or a running ccemu).
    #[arg(long)]
    pub url: String,
    /// Udesk AppId.
    #[arg(long, default_value = "")]
    pub app_id: String,
    /// Udesk Sid.
    #[arg(long, default_value = "")]
    pub sid: String,
    /// Udesk AuthToken.
    #[arg(long, default_value = "")]
    pub auth_token: String,
    /// NXCloud tenantId.
    #[arg(long, default_value = "")]
    pub tenant_id: String,
    /// NXCloud accessKey.
    #[arg(long, default_value = "")]
    pub access_key: String,
    /// NXCloud accessSecret.
    #[arg(long, default_value = "")]
    pub access_secret: String,
    /// Write the AuthToken and extension passwords as they are instead of masked.
    #[arg(long)]
    pub show_secrets: bool,
    /// Where to write the fixture; default stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Reads the app and answers the fixture.
pub fn run(args: &ImportArgs) -> Result<Value, String> {
    let need = |names: &[(&str, &String)]| -> Result<(), String> {
        match names.iter().find(|(_, v)| v.is_empty()) {
            Some((flag, _)) => Err(format!("import {} needs --{flag}", args.vendor)),
            None => Ok(()),
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    match args.vendor.as_str() {
        "udesk" => {
            need(&[
                ("app-id", &args.app_id),
                ("sid", &args.sid),
                ("auth-token", &args.auth_token),
            ])?;
            runtime.block_on(udesk(args))
        }
        "nxcloud" => {
            need(&[
                ("tenant-id", &args.tenant_id),
                ("access-key", &args.access_key),
                ("access-secret", &args.access_secret),
            ])?;
            runtime.block_on(nxcloud(args))
        }
        other => Err(format!(
            "import from {other} is not supported yet; udesk or nxcloud"
        )),
    }
}

fn wall_ms() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

/// Sends `req`, answers the body as JSON.
async fn send(
    client: &crate::events::client::HttpClient,
    req: hyper::Request<Full<Bytes>>,
    what: &str,
) -> Result<Value, String> {
    let answer = client
        .request(req)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    let status = answer.status();
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{what}: {e}"))?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| {
        format!(
            "{what}: HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// One signed NXCloud call (`POST /saas/cc/openapi/{op}`), its `data` once `code` is 0.
async fn nx_post(
    client: &crate::events::client::HttpClient,
    args: &ImportArgs,
    op: &str,
    body: &Value,
) -> Result<(Value, Value), String> {
    use crate::vendors::nxcloud::auth as nx;
    let ts = wall_ms();
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let signed = [
        ("accessKey", args.access_key.as_bytes()),
        ("action", nx::ACTION.as_bytes()),
        ("bizType", nx::BIZ_TYPE.as_bytes()),
        ("ts", ts.as_bytes()),
    ];
    let sign = nx::sign(nx::Algorithm::Md5, &signed, &bytes, &args.access_secret);
    let url = format!(
        "{}{}{op}",
        args.url.trim_end_matches('/'),
        crate::vendors::nxcloud::PREFIX
    );
    let req = hyper::Request::post(&url)
        .header("Content-Type", "application/json")
        .header("accessKey", &args.access_key)
        .header("ts", &ts)
        .header("bizType", nx::BIZ_TYPE)
        .header("action", nx::ACTION)
        .header("sign", sign)
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| format!("{url}: {e}"))?;
    let value = send(client, req, op).await?;
    if value["code"] != 0 {
        return Err(format!("{op}: {value}"));
    }
    Ok((value["data"].clone(), value["total"].clone()))
}

/// Every item of a paged NXCloud listing.
async fn nx_all(
    client: &crate::events::client::HttpClient,
    args: &ImportArgs,
    op: &str,
) -> Result<Vec<Value>, String> {
    let tenant: Value = args
        .tenant_id
        .parse::<u64>()
        .map_or_else(|_| json!(args.tenant_id), |n| json!(n));
    let mut out = Vec::new();
    for page in 1.. {
        let (data, total) = nx_post(
            client,
            args,
            op,
            &json!({"tenantId": tenant, "size": 100, "page": page}),
        )
        .await?;
        let items = data.as_array().cloned().unwrap_or_default();
        let done = items.is_empty();
        out.extend(items);
        if done || total.as_u64().is_some_and(|t| out.len() as u64 >= t) {
            break;
        }
    }
    Ok(out)
}

async fn nxcloud(args: &ImportArgs) -> Result<Value, String> {
    let client = crate::events::client::build(None)?;
    let groups = nx_all(&client, args, "agentGroup/page").await?;
    let by_name: std::collections::HashMap<String, String> = groups
        .iter()
        .map(|g| (text(&g["groupName"]), text(&g["groupNo"])))
        .collect();
    let queues: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "id": text(&g["groupNo"]),
                "name": text(&g["groupName"]),
                "description": text(&g["remark"]),
                "ring_policy": g["ringPolicy"].as_u64().unwrap_or(1),
                "familiarize_first": g["familiarizeFirst"].as_bool().unwrap_or(false),
            })
        })
        .collect();
    let agents: Vec<Value> = nx_all(&client, args, "agent/page")
        .await?
        .iter()
        .map(|a| {
            let queues: Vec<String> = a["queueName"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| by_name.get(&text(n)).cloned())
                .collect();
            let sip = text(&a["sipNumber"]);
            json!({
                "id": text(&a["userName"]),
                "nick_name": text(&a["nickName"]),
                "sip_number": (!sip.is_empty()).then_some(sip),
                "allow_country": a["allowCountry"].as_array().cloned().unwrap_or_default(),
                "end_point_name": text(&a["endPointName"]),
                "recording": a["recording"].as_i64().unwrap_or(0) != 0,
                "recording_storage_days": a["recordingStorageDays"].as_u64().unwrap_or(0),
                "queues": queues,
            })
        })
        .collect();
    let secret = if args.show_secrets {
        args.access_secret.clone()
    } else {
        MASK.to_string()
    };
    Ok(json!({
        "tenants": [{
            "id": args.tenant_id,
            "name": format!("NXCloud tenant {} (imported from {})", args.tenant_id, args.url),
            "credentials": {"vendor": "nxcloud", "access_key": args.access_key, "access_secret": secret},
            "queues": queues,
            "agents": agents,
        }],
    }))
}

/// One signed GET under `/ccapi/v2`, its `Result` once the envelope says `000000`.
async fn get(
    client: &crate::events::client::HttpClient,
    args: &ImportArgs,
    path: &str,
) -> Result<Value, String> {
    // Signed at wall time, as a real client signs; a ccemu standing in with a frozen clock far
    // from it refuses, and says so.
    let ts = wall_ms();
    let sign = auth::sign(&args.sid, &args.auth_token, &ts);
    let sep = if path.contains('?') { '&' } else { '?' };
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("AppId", &args.app_id)
        .append_pair("Timestamp", &ts)
        .append_pair("Sign", &sign)
        .append_pair("Sid", &args.sid)
        .finish();
    let url = format!(
        "{}/ccapi/v2{path}{sep}{query}",
        args.url.trim_end_matches('/')
    );
    let req = hyper::Request::get(&url)
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("{url}: {e}"))?;
    let value = send(client, req, &format!("GET {path}")).await?;
    if value["ErrCode"] != "000000" {
        return Err(format!("GET {path}: {value}"));
    }
    Ok(value["Result"].clone())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Udesk writes a queue or agent as `ID@AppId` in some answers.
fn bare(id: &str) -> String {
    id.split('@').next().unwrap_or(id).to_string()
}

/// Agent info says `voip`/`webrtc`, the list `"0"`/`"1"`.
fn signal_type(v: &Value) -> u8 {
    match text(v).as_str() {
        "1" | "webrtc" => 1,
        _ => 0,
    }
}

async fn udesk(args: &ImportArgs) -> Result<Value, String> {
    let client = crate::events::client::build(None)?;
    let secret = |s: &str| {
        if args.show_secrets {
            s.to_string()
        } else {
            MASK.to_string()
        }
    };
    let numbers = get(&client, args, "/spnumbers").await?;
    let default_number = text(&numbers["DefSpNumber"]);
    let mut relay_numbers: Vec<String> = Vec::new();
    if !default_number.is_empty() {
        relay_numbers.push(default_number.clone());
    }
    for n in numbers["SpNumbers"].as_array().into_iter().flatten() {
        let n = text(n);
        if !relay_numbers.contains(&n) {
            relay_numbers.push(n);
        }
    }
    let queues: Vec<Value> = get(&client, args, "/queues").await?["Queues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| {
            json!({
                "id": bare(&text(&q["QueueId"])),
                "name": text(&q["Name"]),
                "strategy": q["Strategy"].as_u64().unwrap_or(0),
                "timeout": q["Timeout"].as_i64().unwrap_or(0),
                "wait_music": text(&q["WaitMusic"]),
            })
        })
        .collect();
    let mut agents = Vec::new();
    let mut extensions: Map<String, Value> = Map::new();
    let mut prefix = String::new();
    let mut page = 1;
    loop {
        let result = get(
            &client,
            args,
            &format!("/agents?PageNum={page}&PageSize=100"),
        )
        .await?;
        for a in result["AgentList"].as_array().into_iter().flatten() {
            let id = bare(&text(&a["AgentId"]));
            let mut bound = Vec::new();
            for e in a["ExtenInfos"].as_array().into_iter().flatten() {
                let ext = text(&e["Extension"]);
                let number = text(&e["Number"]);
                if prefix.is_empty() {
                    if let Some(p) = number.strip_suffix(ext.as_str()) {
                        prefix = p.to_string();
                    }
                }
                bound.push(ext.clone());
                extensions.insert(
                    ext.clone(),
                    json!({
                        "extension": ext,
                        "password": secret(&text(&e["Password"])),
                        "number": number,
                        "signal_type": signal_type(&e["SignalType"]),
                        "agent": id,
                    }),
                );
            }
            let queues: Vec<String> = a["Queues"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|q| bare(&text(q)))
                .collect();
            agents.push(json!({
                "id": id,
                "work_id": text(&a["WorkId"]),
                "name": text(&a["Name"]),
                "mobile": text(&a["Mobile"]),
                "email": text(&a["Email"]),
                "role": text(&a["Role"]),
                "enable": a["Enable"].as_bool().unwrap_or(true),
                "wrap_up_time": a["WrapUpTime"].as_i64().unwrap_or(0),
                "out_wrap_up_time": a["OutWrapUpTime"].as_i64().unwrap_or(0),
                "def_sp_number": text(&a["DefSpNumber"]),
                "queues": queues,
                "extensions": bound,
            }));
        }
        let pages = result["TotalPage"].as_u64().unwrap_or(1);
        if page >= pages {
            break;
        }
        page += 1;
    }
    Ok(json!({
        "tenants": [{
            "id": args.app_id,
            "name": format!("Udesk app {} (imported from {})", args.app_id, args.url),
            "credentials": {
                "vendor": "udesk",
                "app_id": args.app_id,
                "sid": args.sid,
                "auth_token": secret(&args.auth_token),
            },
            "relay_numbers": relay_numbers,
            "default_relay_number": (!default_number.is_empty()).then_some(default_number),
            "extension_prefix": prefix,
            "queues": queues,
            "agents": agents,
            "extensions": extensions.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }],
    }))
}
