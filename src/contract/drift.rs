//! `ccemu proxy --upstream URL [--vendor V]`: is ccemu still true to the live vendor?
//!
//! Each vendor request is forwarded unchanged to the upstream and its real answer returned
//! unchanged to the client. Afterwards, in one background worker (in request order), the same
//! question is put to ccemu's own model — a scratch copy of the state that only the proxy
//! writes — re-signed with the scratch fixture's credentials, and the two answers are compared
//! by shape: fields missing or extra, JSON types, result codes, HTTP status. Values (ids, times,
//! reqIds, names) are expected to differ and are not compared. `GET /_ccemu/drift` lists the
//! differences; the rest of `/_ccemu/` is the scratch emulator's own admin API.
//!
//! The client's credentials go to the upstream and nowhere else: they are not stored, logged,
//! journaled or put into the drift records (the scratch copy is asked with its own).

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::{Credentials, Vendor};
use crate::vendors;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How many drift records are kept (oldest dropped first).
const KEEP: usize = 1000;

/// One difference in shape between the upstream's answer and ccemu's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Where, as `Result.Queues[].QueueId`; `""` for the answer itself.
    pub at: String,
    /// `missing_in_ccemu` (the upstream has it, ccemu not), `extra_in_ccemu`, `type`, `code`,
    /// `status`.
    pub kind: &'static str,
    pub upstream: String,
    pub ccemu: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub seq: u64,
    pub vendor: Vendor,
    pub operation: Option<&'static str>,
    pub method: String,
    pub path: String,
    pub upstream_status: u16,
    pub ccemu_status: u16,
    pub differences: Vec<Difference>,
}

/// The members that carry a vendor's result code: compared by value.
const CODE_FIELDS: [&str; 4] = ["ErrCode", "code", "returnCode", "error_code"];

/// Differences in shape between `upstream` and `ccemu` below `at`.
pub fn compare(upstream: &Value, ccemu: &Value, at: &str, out: &mut Vec<Difference>) {
    let d = |kind, upstream: String, ccemu: String| Difference {
        at: at.to_string(),
        kind,
        upstream,
        ccemu,
    };
    match (upstream, ccemu) {
        (Value::Object(u), Value::Object(c)) => {
            for (k, uv) in u {
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match c.get(k) {
                    None => out.push(Difference {
                        at: here,
                        kind: "missing_in_ccemu",
                        upstream: super::json_type(uv).into(),
                        ccemu: String::new(),
                    }),
                    Some(cv) if at.is_empty() && CODE_FIELDS.contains(&k.as_str()) => {
                        if uv != cv {
                            out.push(Difference {
                                at: here,
                                kind: "code",
                                upstream: uv.to_string(),
                                ccemu: cv.to_string(),
                            });
                        }
                    }
                    Some(cv) => compare(uv, cv, &here, out),
                }
            }
            for (k, cv) in c {
                if !u.contains_key(k) {
                    out.push(Difference {
                        at: if at.is_empty() {
                            k.clone()
                        } else {
                            format!("{at}.{k}")
                        },
                        kind: "extra_in_ccemu",
                        upstream: String::new(),
                        ccemu: super::json_type(cv).into(),
                    });
                }
            }
        }
        // Lists are compared by their first items: how many there are is data.
        (Value::Array(u), Value::Array(c)) => {
            if let (Some(uf), Some(cf)) = (u.first(), c.first()) {
                compare(uf, cf, &format!("{at}[]"), out);
            }
        }
        (u, c) if super::json_type(u) != super::json_type(c) => out.push(d(
            "type",
            super::json_type(u).into(),
            super::json_type(c).into(),
        )),
        _ => {}
    }
}

struct Job {
    seq: u64,
    vendor: Vendor,
    req: ApiRequest,
    upstream_status: u16,
    upstream_body: Bytes,
}

/// The proxy's state: the scratch emulator, the upstream client and the drift records.
pub struct Proxy {
    pub ctx: Ctx,
    upstream: String,
    only: Option<Vendor>,
    client: crate::events::client::HttpClient,
    records: Mutex<VecDeque<Record>>,
    seq: AtomicU64,
    done: AtomicU64,
    jobs: mpsc::UnboundedSender<Job>,
}

impl Proxy {
    /// Starts the background worker; call inside a tokio runtime.
    pub fn new(ctx: Ctx, upstream: &str, only: Option<Vendor>) -> Result<Arc<Proxy>, String> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let proxy = Arc::new(Proxy {
            ctx,
            upstream: upstream.trim_end_matches('/').to_string(),
            only,
            client: crate::events::client::build(None)?,
            records: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            done: AtomicU64::new(0),
            jobs: tx,
        });
        let worker = Arc::downgrade(&proxy);
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let Some(p) = worker.upgrade() else { break };
                // The model is locked inside; keep it off the async workers.
                let p2 = p.clone();
                let _ = tokio::task::spawn_blocking(move || p2.shadow(job)).await;
                p.done.fetch_add(1, Ordering::Release);
            }
        });
        Ok(proxy)
    }

    /// Asks the scratch copy and records the differences.
    fn shadow(&self, job: Job) {
        let vendor = vendors::by_vendor(job.vendor);
        let local_req = resign(&self.ctx, job.vendor, job.req);
        let reply = vendor.handle(&self.ctx, &local_req);
        let upstream: Value = serde_json::from_slice(&job.upstream_body).unwrap_or(Value::Null);
        let ccemu: Value = serde_json::from_slice(&reply.body.to_bytes()).unwrap_or(Value::Null);
        let mut differences = Vec::new();
        if job.upstream_status != reply.status.as_u16() {
            differences.push(Difference {
                at: String::new(),
                kind: "status",
                upstream: job.upstream_status.to_string(),
                ccemu: reply.status.as_u16().to_string(),
            });
        }
        compare(&upstream, &ccemu, "", &mut differences);
        let record = Record {
            seq: job.seq,
            vendor: job.vendor,
            operation: vendor.operation(&local_req),
            method: local_req.method.to_string(),
            path: local_req.path.clone(),
            upstream_status: job.upstream_status,
            ccemu_status: reply.status.as_u16(),
            differences,
        };
        let mut records = self.records.lock();
        if records.len() == KEEP {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// `GET /_ccemu/drift`.
    pub fn report(&self) -> Value {
        let records = self.records.lock();
        let with: Vec<&Record> = records
            .iter()
            .filter(|r| !r.differences.is_empty())
            .collect();
        json!({
            "upstream": self.upstream,
            "compared": records.len(),
            "pending": self.seq.load(Ordering::Acquire) - self.done.load(Ordering::Acquire),
            "drifted": with.len(),
            "records": with,
        })
    }

    async fn forward(
        &self,
        req: &ApiRequest,
    ) -> Result<(StatusCode, Vec<(HeaderName, HeaderValue)>, Bytes), String> {
        let uri = if req.query.is_empty() {
            format!("{}{}", self.upstream, req.path)
        } else {
            format!("{}{}?{}", self.upstream, req.path, req.query)
        };
        let mut builder = Request::builder().method(req.method.clone()).uri(&uri);
        for (k, v) in &req.headers {
            if !is_hop_by_hop(k.as_str()) && k != hyper::header::HOST {
                builder = builder.header(k, v);
            }
        }
        let request = builder
            .body(Full::new(req.body.clone()))
            .map_err(|e| e.to_string())?;
        let resp = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("upstream {}: {e}", self.upstream))?;
        let status = resp.status();
        let headers: Vec<(HeaderName, HeaderValue)> = resp
            .headers()
            .iter()
            .filter(|(k, _)| !is_hop_by_hop(k.as_str()) && *k != hyper::header::CONTENT_LENGTH)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("upstream {}: {e}", self.upstream))?
            .to_bytes();
        Ok((status, headers, body))
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
    )
}

/// The request as the scratch copy's own tenant of that vendor would sign it, at the scratch
/// clock; the client's credentials are dropped here.
fn resign(ctx: &Ctx, vendor: Vendor, mut req: ApiRequest) -> ApiRequest {
    let now_ms = ctx.now_ms();
    let creds = {
        let model = ctx.model();
        model
            .tenants
            .values()
            .find(|t| t.credentials.vendor() == vendor)
            .map(|t| (t.id.clone(), t.credentials.clone()))
    };
    let Some((tenant, creds)) = creds else {
        return req;
    };
    match creds {
        Credentials::Udesk {
            app_id,
            sid,
            auth_token,
        } => {
            let ts = now_ms.to_string();
            let sign = crate::vendors::udesk::auth::sign(&sid, &auth_token, &ts);
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
                match k.as_ref() {
                    "AppId" | "app_id" => q.append_pair(&k, &app_id),
                    "Sid" => q.append_pair("Sid", &sid),
                    "Timestamp" => q.append_pair("Timestamp", &ts),
                    "Sign" => q.append_pair("Sign", &sign),
                    _ => q.append_pair(&k, &v),
                };
            }
            req.query = q.finish();
        }
        Credentials::Nxcloud {
            access_key,
            access_secret,
            ..
        } => {
            if let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&req.body) {
                if body.contains_key("tenantId") {
                    let id = tenant.parse::<i64>().map_or(json!(tenant), |n| json!(n));
                    body.insert("tenantId".into(), id);
                    req.body = Bytes::from(Value::Object(body).to_string());
                }
            }
            let ts = now_ms.to_string();
            let header = |name: &str| {
                req.headers
                    .get(name)
                    .map(|v| v.as_bytes().to_vec())
                    .unwrap_or_default()
            };
            let (biz, action) = (header("bizType"), header("action"));
            let algorithm = match req.headers.get("algorithm").map(|v| v.as_bytes()) {
                Some(b"sha256") => crate::vendors::nxcloud::auth::Algorithm::Sha256,
                _ => crate::vendors::nxcloud::auth::Algorithm::Md5,
            };
            let sign = crate::vendors::nxcloud::auth::sign(
                algorithm,
                &[
                    ("accessKey", access_key.as_bytes()),
                    ("action", &action),
                    ("bizType", &biz),
                    ("ts", ts.as_bytes()),
                ],
                &req.body,
                &access_secret,
            );
            for (k, v) in [
                ("accesskey", access_key.as_str()),
                ("ts", &ts),
                ("sign", &sign),
            ] {
                if let Ok(v) = HeaderValue::from_str(v) {
                    req.headers.insert(k, v);
                }
            }
        }
        Credentials::Huawei { apps, .. } => {
            let Some(app) = apps.first() else { return req };
            if req.path.ends_with("/tokenByAkSk") {
                req.body = Bytes::from(
                    json!({"app_key": app.app_key, "app_secret": app.app_secret}).to_string(),
                );
            } else {
                let mut token_req =
                    ApiRequest::new(hyper::Method::POST, "/apigovernance/api/oauth/tokenByAkSk");
                token_req.headers.insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                token_req.body = Bytes::from(
                    json!({"app_key": app.app_key, "app_secret": app.app_secret}).to_string(),
                );
                let token = crate::vendors::huawei::auth::token_by_ak_sk(ctx, &token_req)
                    .ok()
                    .and_then(|(reply, _)| reply.json_body())
                    .and_then(|b| b["AccessToken"].as_str().map(str::to_string));
                if let Some(v) =
                    token.and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
                {
                    req.headers.insert(hyper::header::AUTHORIZATION, v);
                }
                if req.headers.contains_key("x-app-key") {
                    if let Ok(v) = HeaderValue::from_str(&app.app_key) {
                        req.headers.insert("x-app-key", v);
                    }
                }
            }
        }
    }
    req
}

type Body = http_body_util::Full<Bytes>;

fn response(reply: Reply) -> Response<Body> {
    let mut resp = Response::new(Full::new(reply.body.to_bytes()));
    *resp.status_mut() = reply.status;
    for (k, v) in reply.headers {
        resp.headers_mut().append(k, v);
    }
    resp
}

async fn handle(proxy: Arc<Proxy>, remote: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if body.len() > proxy.ctx.config.body_limit {
        return response(Reply::json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": "Payload Too Large", "message": "body exceeds the limit"}),
        ));
    }
    let api = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
        remote,
    };
    if api.path == "/_ccemu/drift" {
        if api.method == hyper::Method::DELETE {
            proxy.records.lock().clear();
            return response(Reply::json(StatusCode::OK, &json!({"cleared": true})));
        }
        return response(Reply::json(StatusCode::OK, &proxy.report()));
    }
    if crate::admin::serves(&api.path) {
        return response(crate::admin::handle(&proxy.ctx, api).await);
    }
    let Some(vendor) = vendors::for_path(&api.path) else {
        return response(Reply::json(
            StatusCode::NOT_FOUND,
            &json!({"error": "Not Found", "message": "not a vendor path"}),
        ));
    };
    let vendor = vendor.vendor();
    if proxy.only.is_some_and(|v| v != vendor) {
        return response(Reply::json(
            StatusCode::BAD_GATEWAY,
            &json!({"error": "Bad Gateway", "message": format!("this proxy forwards {} only", proxy.only.map_or("", |v| v.name()))}),
        ));
    }
    match proxy.forward(&api).await {
        Ok((status, headers, body)) => {
            let seq = proxy.seq.fetch_add(1, Ordering::AcqRel) + 1;
            let _ = proxy.jobs.send(Job {
                seq,
                vendor,
                req: api,
                upstream_status: status.as_u16(),
                upstream_body: body.clone(),
            });
            let mut resp = Response::new(Full::new(body));
            *resp.status_mut() = status;
            for (k, v) in headers {
                resp.headers_mut().append(k, v);
            }
            resp
        }
        Err(e) => response(Reply::json(
            StatusCode::BAD_GATEWAY,
            &json!({"error": "Bad Gateway", "message": e}),
        )),
    }
}

/// Serves the proxy until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let proxy = proxy.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let proxy = proxy.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(proxy, remote, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}
