//! `ccemu import udesk|nxcloud|huawei`: reads a live tenant through the vendor's own read APIs and
//! writes a fixture of it, so a developer can run offline against a copy of their real tenant's
//! configuration. Secrets (Udesk's AuthToken and extension passwords, NXCloud's accessSecret) are
//! written as `********` unless `--show-secrets` is given: a fixture tends to get committed.
//!
//! Udesk: relay numbers (`GET /spnumbers`), queues (`GET /queues`), agents page by page
//! (`GET /agents`) and the extensions bound to them (each agent's `ExtenInfos`); an extension
//! bound to no agent is listed by no Udesk read API, so it is not copied. NXCloud: agent groups
//! (`agentGroup/page`) and agents (`agent/page`), an agent's groups found by the group names its
//! `queueName` lists. Huawei CEC: a token from `tokenByAkSk`, the SIP server and agents from
//! `querySysInfo` (with `queryAgentInfo` filling in business accounts and SIP accounts), skills
//! page by page from `querySkills` and each skill's agents from `queryAgentInfoBySkillId`; the
//! app secret, agents' sign-in and SIP passwords are masked. Configuration only: agents' live
//! states are not copied (every agent starts offline).

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
    /// The vendor to read: udesk, nxcloud or huawei.
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
    /// NXCloud tenantId; for huawei, the imported tenant's id (default: the tenantId its agents
    /// carry).
    #[arg(long, default_value = "")]
    pub tenant_id: String,
    /// NXCloud accessKey.
    #[arg(long, default_value = "")]
    pub access_key: String,
    /// NXCloud accessSecret.
    #[arg(long, default_value = "")]
    pub access_secret: String,
    /// Huawei CEC app_key.
    #[arg(long, default_value = "")]
    pub app_key: String,
    /// Huawei CEC app_secret.
    #[arg(long, default_value = "")]
    pub app_secret: String,
    /// Write the secrets (AuthToken, extension passwords, accessSecret, app_secret, agents'
    /// passwords) as they are instead of masked.
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
        "huawei" => {
            need(&[("app-key", &args.app_key), ("app-secret", &args.app_secret)])?;
            runtime.block_on(huawei(args))
        }
        other => Err(format!(
            "import from {other} is not supported; udesk, nxcloud or huawei"
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

/// Sends `req`, answers the status and the body.
async fn exchange(
    client: &crate::events::client::HttpClient,
    req: hyper::Request<Full<Bytes>>,
    what: &str,
) -> Result<(hyper::StatusCode, Bytes), String> {
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
    Ok((status, body))
}

/// Sends `req`, answers the body as JSON.
async fn send(
    client: &crate::events::client::HttpClient,
    req: hyper::Request<Full<Bytes>>,
    what: &str,
) -> Result<Value, String> {
    let (status, body) = exchange(client, req, what).await?;
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

/// One Huawei CEC call with the Bearer token: the whole body once the status is 200.
async fn hw_call(
    client: &crate::events::client::HttpClient,
    args: &ImportArgs,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let url = format!("{}{path}", args.url.trim_end_matches('/'));
    let builder = match body {
        Some(_) => hyper::Request::post(&url),
        None => hyper::Request::get(&url),
    };
    let bytes = match body {
        Some(b) => serde_json::to_vec(b).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let req = builder
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {token}"))
        .header("X-APP-Key", &args.app_key)
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| format!("{url}: {e}"))?;
    hw_send(client, req, path).await
}

/// Sends a Huawei request; a status other than 200 is the vendor's refusal.
async fn hw_send(
    client: &crate::events::client::HttpClient,
    req: hyper::Request<Full<Bytes>>,
    what: &str,
) -> Result<Value, String> {
    let (status, body) = exchange(client, req, what).await?;
    let text = String::from_utf8_lossy(&body);
    if status != hyper::StatusCode::OK {
        return Err(format!("{what}: HTTP {status}: {text}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{what}: not JSON ({e}): {text}"))
}

/// A business answer (`returnCode`/`resultCode`) that is not "0" is a refusal too.
fn hw_ok(what: &str, v: Value) -> Result<Value, String> {
    for code in ["returnCode", "resultCode"] {
        if let Some(c) = v.get(code) {
            if text(c) != "0" {
                return Err(format!("{what}: {v}"));
            }
        }
    }
    Ok(v)
}

/// ccRoleId back to the model's role: 3 leader, 4 outbound, 255 idle, anything else an
/// operator (the model's default role).
fn hw_role(cc_role_id: &Value) -> &'static str {
    match cc_role_id.as_u64() {
        Some(3) => "leader",
        Some(4) => "outbound",
        Some(255) => "idle",
        _ => "agent",
    }
}

async fn huawei(args: &ImportArgs) -> Result<Value, String> {
    const SYS_INFO: &str = "/apiaccess/CC-Mangemant/v1/querySysInfo";
    const AGENT_INFO: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";
    const SKILLS: &str = "/apiaccess/rest/cc-management/v1/skill/querySkills";
    const BY_SKILL: &str = "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId";
    let client = crate::events::client::build(None)?;
    let secret = |s: String| {
        if args.show_secrets || s.is_empty() {
            s
        } else {
            MASK.to_string()
        }
    };
    let token_url = format!(
        "{}/apigovernance/api/oauth/tokenByAkSk",
        args.url.trim_end_matches('/')
    );
    let body = json!({"app_key": args.app_key, "app_secret": args.app_secret});
    let req = hyper::Request::post(&token_url)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| format!("{token_url}: {e}"))?;
    let token = text(&hw_send(&client, req, "tokenByAkSk").await?["AccessToken"]);
    if token.is_empty() {
        return Err("tokenByAkSk: no AccessToken in the answer".into());
    }
    let sys = hw_call(&client, args, &token, SYS_INFO, None).await?;
    let info = hw_call(&client, args, &token, AGENT_INFO, None).await?;
    let softphones: std::collections::HashMap<String, &Value> = info["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| (text(&a["workNo"]), a))
        .collect();

    // Skills, page by page, and the members of each.
    let mut skills = Vec::new();
    loop {
        let offset = skills.len();
        let page = hw_ok(
            "querySkills",
            hw_call(
                &client,
                args,
                &token,
                SKILLS,
                Some(&json!({"limit": 100, "offset": offset})),
            )
            .await?,
        )?;
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        let done = rows.is_empty();
        skills.extend(rows);
        if done
            || page["total"]
                .as_u64()
                .is_some_and(|t| skills.len() as u64 >= t)
        {
            break;
        }
    }
    let mut memberships: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut queues = Vec::new();
    for s in &skills {
        let id = text(&s["skillId"]);
        for page_num in 0.. {
            let page = hw_ok(
                "queryAgentInfoBySkillId",
                hw_call(
                    &client,
                    args,
                    &token,
                    BY_SKILL,
                    Some(&json!({"requestParam": {
                        "skillId": s["skillId"], "pageSize": 100, "pageNum": page_num,
                    }})),
                )
                .await?,
            )?;
            let rows = page["data"].as_array().cloned().unwrap_or_default();
            for a in &rows {
                memberships
                    .entry(text(&a["workNo"]))
                    .or_default()
                    .push(id.clone());
            }
            let seen = (page_num + 1) * 100;
            if rows.len() < 100 || page["count"].as_u64().is_some_and(|c| seen >= c) {
                break;
            }
        }
        queues.push(json!({
            "id": id,
            "name": text(&s["name"]),
            "description": text(&s["description"]),
            "media_type_id": s["mediaTypeId"].as_u64().unwrap_or(5),
        }));
    }

    let mut tenant_id = args.tenant_id.clone();
    let mut agents = Vec::new();
    for a in sys["agents"].as_array().into_iter().flatten() {
        let work_no = text(&a["workNo"]);
        if tenant_id.is_empty() {
            tenant_id = text(&a["tenantId"]);
        }
        let soft = softphones.get(&work_no);
        let pick = |name: &str| {
            let own = text(&a[name]);
            if own.is_empty() {
                soft.map(|s| text(&s[name])).unwrap_or_default()
            } else {
                own
            }
        };
        let mut agent = Map::new();
        agent.insert("id".into(), json!(work_no));
        agent.insert("name".into(), json!(text(&a["accountName"])));
        agent.insert("role".into(), json!(hw_role(&a["ccRoleId"])));
        let mobile = text(&a["selfPhone"]);
        if !mobile.is_empty() {
            agent.insert("mobile".into(), json!(mobile));
        }
        for (from, to, hide) in [
            ("accountCode", "account_code", false),
            ("sipAccount", "sip_number", false),
            ("sipPwd", "sip_password", true),
            ("password", "password", true),
        ] {
            let v = pick(from);
            if !v.is_empty() {
                agent.insert(to.into(), json!(if hide { secret(v) } else { v }));
            }
        }
        if let Some(t) = a["agentType"].as_u64() {
            agent.insert("agent_type".into(), json!(t));
        }
        agent.insert(
            "queues".into(),
            json!(memberships.remove(&work_no).unwrap_or_default()),
        );
        agents.push(Value::Object(agent));
    }
    if tenant_id.is_empty() {
        tenant_id = "huawei-imported".into();
    }
    Ok(json!({
        "tenants": [{
            "id": tenant_id,
            "name": format!("Huawei CEC tenant space {tenant_id} (imported from {})", args.url),
            "credentials": {
                "vendor": "huawei",
                "apps": [{"app_key": args.app_key, "app_secret": secret(args.app_secret.clone())}],
            },
            "sip_server": {
                "ip": text(&sys["sipServiceIp"]),
                "port": sys["sipServicePort"].as_u64().or_else(|| text(&sys["sipServicePort"]).parse().ok()).unwrap_or(5060),
            },
            "queues": queues,
            "agents": agents,
        }],
    }))
}
