//! `ccemu sign <vendor> <METHOD> <path> [body]`: a vendor call signed the way the emulator checks
//! it, printed as a curl line to paste into a shell (or, with `--auth-only`, just the signed
//! query or headers to paste into another client).
//!
//! The signature is computed at the emulator's own clock when `--url` names a running emulator
//! (read from `GET /_ccemu/clock`, so a frozen or moved clock cannot trap the call), else at
//! `--ts`, else at wall time. Credentials default to the demo tenants of the embedded default
//! fixture.

use super::{fetch, shell_quote};
use crate::model::{fixture, Credentials, Model};
use crate::vendors::nxcloud::auth::{self as nx, Algorithm};
use crate::vendors::udesk::auth as udesk;
use clap::ValueEnum;
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the curl line points when no `--url` is given: `cargo run --release`'s address.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VendorArg {
    Udesk,
    Nxcloud,
    Huawei,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    Md5,
    Sha256,
}

/// `ccemu sign`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SignArgs {
    /// The vendor whose signing to use.
    #[arg(value_enum)]
    pub vendor: VendorArg,
    /// The HTTP method (GET, POST, PUT, DELETE).
    pub method: String,
    /// The path, in full (`/ccapi/v2/agents`) or after the vendor's prefix (`agents`; Huawei:
    /// after `/apiaccess/`); it may carry a query (`agents?Role=agent`).
    pub path: String,
    /// The JSON body, sent and signed byte for byte as given.
    pub body: Option<String>,
    /// A running emulator: sign at its clock (and for Huawei fetch a token from it); the curl
    /// line points there too. Default: sign at wall time for http://127.0.0.1:8080.
    #[arg(long)]
    pub url: Option<String>,
    /// Print only the signed query (Udesk) or headers (NXCloud, Huawei), one per line.
    #[arg(long)]
    pub auth_only: bool,
    /// Sign at this instant (ms since the epoch) instead of the emulator's clock or wall time.
    #[arg(long)]
    pub ts: Option<i64>,
    /// Also print the string that was signed (to stderr).
    #[arg(long, short)]
    pub verbose: bool,
    /// Udesk AppId (default: the demo app).
    #[arg(long)]
    pub app_id: Option<String>,
    /// Udesk Sid (default: the demo account).
    #[arg(long)]
    pub sid: Option<String>,
    /// Udesk AuthToken (default: the demo account's).
    #[arg(long)]
    pub auth_token: Option<String>,
    /// NXCloud accessKey (default: the demo team's).
    #[arg(long)]
    pub access_key: Option<String>,
    /// NXCloud accessSecret (default: the demo team's).
    #[arg(long)]
    pub access_secret: Option<String>,
    /// NXCloud digest.
    #[arg(long, value_enum, default_value = "md5")]
    pub algorithm: AlgorithmArg,
    /// Huawei app_key (default: the demo app's).
    #[arg(long)]
    pub app_key: Option<String>,
    /// Huawei app_secret (default: the demo app's).
    #[arg(long)]
    pub app_secret: Option<String>,
    /// Huawei AccessToken to use instead of fetching one.
    #[arg(long)]
    pub token: Option<String>,
}

/// What `sign` prints: the line(s) for stdout and the explanation for stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signed {
    pub stdout: String,
    pub stderr: String,
}

/// The first tenant of the embedded default fixture whose credentials `pick` accepts.
fn demo<T>(pick: impl Fn(&Credentials) -> Option<T>) -> Option<T> {
    let model: Model = fixture::parse(fixture::DEFAULT_FIXTURE).ok()?;
    model.tenants.values().find_map(|t| pick(&t.credentials))
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The instant to sign at: `--ts`, else the running emulator's clock as the signing tenant sees
/// it (its skew added, when a scenario gave it one), else wall time. `owns` picks the tenant by
/// its `credentials` in `GET /_ccemu/state`.
fn instant(args: &SignArgs, owns: impl Fn(&Value) -> bool) -> Result<i64, String> {
    if let Some(ts) = args.ts {
        return Ok(ts);
    }
    let Some(url) = &args.url else {
        return Ok(wall_ms());
    };
    let clock = get_json(url, "/_ccemu/clock")?;
    let now = clock["now_ms"]
        .as_i64()
        .ok_or_else(|| format!("{url}/_ccemu/clock answered {clock}, not the clock"))?;
    Ok(now.saturating_add(skew(url, owns)?))
}

fn get_json(url: &str, path: &str) -> Result<Value, String> {
    let (status, body) = fetch::request(url, "GET", path, &[], b"")?;
    serde_json::from_str(&body).map_err(|_| format!("{url}{path} answered {status} {body:?}"))
}

/// The signing tenant's clock skew: 0 unless some tenant has one (then the state is read once to
/// find which tenant the credentials belong to).
fn skew(url: &str, owns: impl Fn(&Value) -> bool) -> Result<i64, String> {
    let skews = get_json(url, "/_ccemu/skews")?;
    let Some(skews) = skews["skews"].as_object().filter(|m| !m.is_empty()) else {
        return Ok(0);
    };
    let state = get_json(url, "/_ccemu/state")?;
    let tenant = state["tenants"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| owns(&t["credentials"])))
        .and_then(|t| t["id"].as_str());
    Ok(tenant
        .and_then(|t| skews.get(t))
        .and_then(Value::as_i64)
        .unwrap_or(0))
}

fn full_path(prefix: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{prefix}{path}")
    }
}

fn encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// `curl -sS -X METHOD 'url'` with the headers and the body (`--data-binary`, so the bytes sent
/// are the bytes signed).
fn curl(method: &str, url: &str, headers: &[(String, String)], body: Option<&str>) -> String {
    let mut line = format!("curl -sS -X {method} {}", shell_quote(url));
    for (k, v) in headers {
        line.push_str(&format!(" -H {}", shell_quote(&format!("{k}: {v}"))));
    }
    if let Some(b) = body {
        line.push_str(&format!(" --data-binary {}", shell_quote(b)));
    }
    line
}

/// Signs one call; `Err` is a message for the user (unreachable emulator, refused token).
pub fn run(args: &SignArgs) -> Result<Signed, String> {
    let method = args.method.to_ascii_uppercase();
    let base = args
        .url
        .as_deref()
        .unwrap_or(DEFAULT_URL)
        .trim_end_matches('/')
        .to_string();
    match args.vendor {
        VendorArg::Udesk => sign_udesk(args, &method, &base),
        VendorArg::Nxcloud => sign_nxcloud(args, &method, &base),
        VendorArg::Huawei => sign_huawei(args, &method, &base),
    }
}

fn sign_udesk(args: &SignArgs, method: &str, base: &str) -> Result<Signed, String> {
    let (demo_app, demo_sid, demo_token) = demo(|c| match c {
        Credentials::Udesk {
            app_id,
            sid,
            auth_token,
        } => Some((app_id.clone(), sid.clone(), auth_token.clone())),
        _ => None,
    })
    .unwrap_or_default();
    let app_id = args.app_id.clone().unwrap_or(demo_app);
    let sid = args.sid.clone().unwrap_or(demo_sid);
    let token = args.auth_token.clone().unwrap_or(demo_token);
    let ts = instant(args, |c| c["app_id"] == app_id.as_str())?.to_string();
    let sign = udesk::sign(&sid, &token, &ts);
    let query = format!(
        "AppId={}&Timestamp={ts}&Sign={sign}&Sid={}",
        encode(&app_id),
        encode(&sid)
    );
    let stderr = if args.verbose {
        format!("# Sign = SHA1(Sid + AuthToken + Timestamp) = SHA1({sid}{token}{ts})\n")
    } else {
        String::new()
    };
    if args.auth_only {
        return Ok(Signed {
            stdout: format!("{query}\n"),
            stderr,
        });
    }
    let path = full_path(crate::vendors::udesk::PREFIX, &args.path);
    let sep = if path.contains('?') { '&' } else { '?' };
    let headers = match &args.body {
        Some(_) => vec![(
            "Content-Type".to_string(),
            "application/json;charset=utf-8".to_string(),
        )],
        None => Vec::new(),
    };
    let url = format!("{base}{path}{sep}{query}");
    Ok(Signed {
        stdout: curl(method, &url, &headers, args.body.as_deref()) + "\n",
        stderr,
    })
}

fn sign_nxcloud(args: &SignArgs, method: &str, base: &str) -> Result<Signed, String> {
    let (demo_key, demo_secret) = demo(|c| match c {
        Credentials::Nxcloud {
            access_key,
            access_secret,
            ..
        } => Some((access_key.clone(), access_secret.clone())),
        _ => None,
    })
    .unwrap_or_default();
    let key = args.access_key.clone().unwrap_or(demo_key);
    let secret = args.access_secret.clone().unwrap_or(demo_secret);
    let ts = instant(args, |c| c["access_key"] == key.as_str())?.to_string();
    let body = args.body.as_deref().unwrap_or("");
    let signed = [
        ("accessKey", key.as_bytes()),
        ("action", nx::ACTION.as_bytes()),
        ("bizType", nx::BIZ_TYPE.as_bytes()),
        ("ts", ts.as_bytes()),
    ];
    let algorithm = match args.algorithm {
        AlgorithmArg::Md5 => Algorithm::Md5,
        AlgorithmArg::Sha256 => Algorithm::Sha256,
    };
    let sign = nx::sign(algorithm, &signed, body.as_bytes(), &secret);
    let mut headers = vec![
        ("accessKey".to_string(), key.clone()),
        ("ts".to_string(), ts.clone()),
        ("bizType".to_string(), nx::BIZ_TYPE.to_string()),
        ("action".to_string(), nx::ACTION.to_string()),
        ("sign".to_string(), sign),
    ];
    if algorithm == Algorithm::Sha256 {
        headers.push(("algorithm".to_string(), "sha256".to_string()));
    }
    let stderr = if args.verbose {
        let text = nx::string_to_sign(&signed, body.as_bytes(), &secret);
        format!(
            "# sign = {}(\"{}\")\n",
            if algorithm == Algorithm::Sha256 {
                "sha256"
            } else {
                "md5"
            },
            String::from_utf8_lossy(&text)
        )
    } else {
        String::new()
    };
    if args.auth_only {
        let lines: String = headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        return Ok(Signed {
            stdout: lines,
            stderr,
        });
    }
    headers.insert(
        0,
        ("Content-Type".to_string(), "application/json".to_string()),
    );
    let path = full_path(crate::vendors::nxcloud::PREFIX, &args.path);
    let url = format!("{base}{path}");
    Ok(Signed {
        stdout: curl(method, &url, &headers, args.body.as_deref()) + "\n",
        stderr,
    })
}

fn sign_huawei(args: &SignArgs, method: &str, base: &str) -> Result<Signed, String> {
    let (demo_key, demo_secret) = demo(|c| match c {
        Credentials::Huawei { apps, .. } => apps
            .first()
            .map(|a| (a.app_key.clone(), a.app_secret.clone())),
        _ => None,
    })
    .unwrap_or_default();
    let key = args.app_key.clone().unwrap_or(demo_key);
    let secret = args.app_secret.clone().unwrap_or(demo_secret);
    let token_body = serde_json::json!({"app_key": key, "app_secret": secret}).to_string();
    // A token from the running emulator, or a shell line that fetches one into $TOKEN.
    let (token, fetch_line) = match (&args.token, &args.url) {
        (Some(t), _) => (t.clone(), None),
        (None, Some(url)) => (fetch_token(url, &token_body)?, None),
        (None, None) => {
            let line = format!(
                "TOKEN=$({} | sed 's/.*\"AccessToken\":\"\\([^\"]*\\)\".*/\\1/')",
                curl(
                    "POST",
                    &format!("{base}{TOKEN_PATH}"),
                    &[("Content-Type".into(), "application/json".into())],
                    Some(&token_body)
                )
            );
            ("$TOKEN".to_string(), Some(line))
        }
    };
    let stderr = if args.verbose {
        "# Huawei signs nothing per request: tokenByAkSk trades app_key/app_secret for a Bearer token\n"
            .to_string()
    } else {
        String::new()
    };
    let mut headers = vec![
        ("Authorization".to_string(), format!("Bearer {token}")),
        ("X-APP-Key".to_string(), key),
    ];
    let mut out = fetch_line.map(|l| l + "\n").unwrap_or_default();
    if args.auth_only {
        for (k, v) in &headers {
            out.push_str(&format!("{k}: {v}\n"));
        }
        return Ok(Signed {
            stdout: out,
            stderr,
        });
    }
    if args.body.is_some() {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let path = full_path("/apiaccess/", &args.path);
    let line = curl(
        method,
        &format!("{base}{path}"),
        &headers,
        args.body.as_deref(),
    );
    // `$TOKEN` must expand: the Authorization header goes in double quotes then.
    let line = if out.is_empty() {
        line
    } else {
        line.replace(
            "'Authorization: Bearer $TOKEN'",
            "\"Authorization: Bearer $TOKEN\"",
        )
    };
    out.push_str(&line);
    out.push('\n');
    Ok(Signed {
        stdout: out,
        stderr,
    })
}

const TOKEN_PATH: &str = "/apigovernance/api/oauth/tokenByAkSk";

fn fetch_token(url: &str, body: &str) -> Result<String, String> {
    let (status, answer) = fetch::request(
        url,
        "POST",
        TOKEN_PATH,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )?;
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    json["AccessToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("tokenByAkSk at {url} answered {status}: {answer}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: SignArgs,
    }

    fn sign(argv: &[&str]) -> Signed {
        let args = Wrap::parse_from(std::iter::once("sign").chain(argv.iter().copied())).args;
        run(&args).unwrap()
    }

    #[test]
    fn udesk_signs_the_demo_app_at_the_given_instant() {
        let out = sign(&["udesk", "get", "spnumbers", "--ts", "1700000000000"]);
        let expected = udesk::sign("udesk-demo-sid", "udesk-demo-token", "1700000000000");
        assert_eq!(
            out.stdout,
            format!("curl -sS -X GET 'http://127.0.0.1:8080/ccapi/v2/spnumbers?AppId=4b8dc715-05e0-4340-6cae-a6e3c39a6012&Timestamp=1700000000000&Sign={expected}&Sid=udesk-demo-sid'\n")
        );
        let only = sign(&[
            "udesk",
            "GET",
            "/ccapi/v2/agents?Role=agent",
            "--ts",
            "1",
            "--auth-only",
        ]);
        assert!(only.stdout.starts_with("AppId=4b8dc715"), "{}", only.stdout);
    }

    #[test]
    fn nxcloud_signs_headers_and_body_and_explains_the_string() {
        let body = r#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;
        let out = sign(&[
            "nxcloud",
            "POST",
            "agentGroup/member/list",
            body,
            "--ts",
            "1655710885431",
            "-v",
            "--auth-only",
        ]);
        assert!(
            out.stdout.contains("accessKey: fme2na3kdi3ki\n"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("ts: 1655710885431\n"));
        assert!(out.stderr.contains(&format!(
            "accessKey=fme2na3kdi3ki&action=cc&bizType=8&ts=1655710885431&body={body}&accessSecret=nx-demo-secret"
        )), "{}", out.stderr);
        let full = sign(&["nxcloud", "POST", "agent/page", "{}", "--ts", "1"]);
        assert!(
            full.stdout.contains("--data-binary '{}'"),
            "{}",
            full.stdout
        );
        assert!(full.stdout.contains("/saas/cc/openapi/agent/page'"));
    }

    #[test]
    fn huawei_without_an_emulator_prints_the_token_line_first() {
        let out = sign(&["huawei", "GET", "CC-Mangemant/v1/queryAgentInfo"]);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        assert!(lines[0].starts_with("TOKEN=$(curl -sS -X POST"));
        assert!(lines[1].contains("\"Authorization: Bearer $TOKEN\""));
        assert!(lines[1].contains("/apiaccess/CC-Mangemant/v1/queryAgentInfo"));
        let given = sign(&[
            "huawei",
            "GET",
            "/apiaccess/x",
            "--token",
            "abc",
            "--auth-only",
        ]);
        assert_eq!(
            given.stdout,
            "Authorization: Bearer abc\nX-APP-Key: huawei-demo-ak\n"
        );
    }
}
