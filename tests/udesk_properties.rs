//! Properties of the Udesk face, run in-process against `Udesk::handle` (no sockets, so the whole
//! file takes a few seconds):
//! - the signature check accepts exactly the valid signatures;
//! - random sequences of API calls keep every model invariant and the Udesk rules, and a refused
//!   call changes nothing;
//! - random bytes as a body never panic and never change state.
mod common;
use ccemu::model::{fixture, Model};
use ccemu::vendors::udesk::{auth, Udesk};
use ccemu::vendors::VendorApi;
use ccemu::{Config, Ctx};
use common::{sha1_hex, UDESK_APP_ID, UDESK_SID, UDESK_TOKEN};
use hyper::body::Bytes;
use hyper::Method;
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_767_225_600_000;

fn ctx() -> Ctx {
    let model = fixture::parse(fixture::DEFAULT_FIXTURE).unwrap();
    let ctx = Ctx::new(Config::ephemeral(), model);
    ctx.clock.set_frozen(true);
    ctx.clock.set(NOW);
    ctx
}

fn query(sid: &str, token: &str, ts: &str, sign: Option<&str>) -> String {
    let sign = sign.map_or_else(|| sha1_hex(&format!("{sid}{token}{ts}")), str::to_string);
    format!("AppId={UDESK_APP_ID}&Timestamp={ts}&Sign={sign}&Sid={sid}")
}

fn request(method: Method, path: &str, query: &str, body: &[u8]) -> ccemu::http::ApiRequest {
    let mut req = ccemu::http::ApiRequest::new(method, &format!("/ccapi/v2{path}?{query}"));
    req.body = Bytes::copy_from_slice(body);
    req
}

fn snapshot(ctx: &Ctx) -> Model {
    ctx.model().clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn valid_signatures_inside_the_window_are_accepted(skew in -600_000i64..=600_000, upper in any::<bool>()) {
        let ctx = ctx();
        let ts = (NOW + skew).to_string();
        let mut sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{ts}"));
        if upper { sign = sign.to_uppercase(); }
        let req = request(Method::GET, "/spnumbers", &query(UDESK_SID, UDESK_TOKEN, &ts, Some(&sign)), b"");
        prop_assert_eq!(auth::authenticate(&ctx.model(), &req, NOW), Ok(UDESK_APP_ID.to_string()));
    }

    #[test]
    fn any_change_to_sid_token_timestamp_or_sign_is_refused(
        which in 0u8..4,
        other in "[a-zA-Z0-9_-]{1,24}",
        delta in prop_oneof![-600_000i64..-1, 1i64..600_000],
        pos in 0usize..40,
        hexdigit in 0u8..16,
    ) {
        let ctx = ctx();
        let ts = NOW.to_string();
        let good_sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{ts}"));
        let q = match which {
            // Another Sid, signed with it.
            0 => {
                prop_assume!(other != UDESK_SID);
                query(&other, UDESK_TOKEN, &ts, None)
            }
            // A wrong AuthToken.
            1 => {
                prop_assume!(other != UDESK_TOKEN);
                query(UDESK_SID, &other, &ts, None)
            }
            // The Timestamp changed after signing (still inside the window).
            2 => query(UDESK_SID, UDESK_TOKEN, &(NOW + delta).to_string(), Some(&good_sign)),
            // One hex digit of the Sign changed.
            _ => {
                let mut bytes = good_sign.clone().into_bytes();
                let c = b"0123456789abcdef"[hexdigit as usize];
                prop_assume!(bytes[pos] != c);
                bytes[pos] = c;
                query(UDESK_SID, UDESK_TOKEN, &ts, Some(&String::from_utf8(bytes).unwrap()))
            }
        };
        let req = request(Method::GET, "/spnumbers", &q, b"");
        prop_assert!(auth::authenticate(&ctx.model(), &req, NOW).is_err());
        let before = snapshot(&ctx);
        let (code, _) = {
            let reply = Udesk.handle(&ctx, &req);
            (reply.meta.code.clone().unwrap_or_default(), ())
        };
        prop_assert_ne!(code, "000000");
        prop_assert_eq!(snapshot(&ctx), before);
    }
}

/// One API call of the random sequences, over small id pools so calls collide often.
#[derive(Debug, Clone)]
enum Op {
    CreateAgent {
        agent: u8,
        ext: bool,
    },
    Disable {
        agent: u8,
        enable: bool,
    },
    Bind {
        agent: u8,
        exts: Vec<u8>,
    },
    Unbind {
        agent: u8,
        exts: Vec<u8>,
    },
    CreateExt {
        ext: u8,
        webrtc: bool,
    },
    DeleteExt {
        ext: u8,
    },
    CreateQueue {
        name: u8,
    },
    DeleteQueue {
        queue: u8,
    },
    AddToQueue {
        queue: u8,
        agents: Vec<u8>,
    },
    Enrol {
        agent: u8,
        queues: Vec<u8>,
        full: bool,
    },
    Dequeue {
        agent: u8,
        queues: Vec<u8>,
    },
    Login {
        agent: u8,
        busy: bool,
    },
    Logout {
        agent: u8,
    },
    Subscribe {
        name: u8,
    },
    Unsubscribe {
        id: u8,
    },
}

const AGENTS: [&str; 5] = ["189", "9006", "9415", "7001", "7002"];
const EXTS: [&str; 6] = ["1001", "1002", "1008", "1135", "1500", "1501"];
const QUEUES: [&str; 6] = ["9001", "9003", "9009", "551", "181154", "181155"];

fn pick<T: Copy>(pool: &[T], i: u8) -> T {
    pool[i as usize % pool.len()]
}

fn op() -> impl Strategy<Value = Op> {
    let ids = || prop::collection::vec(any::<u8>(), 0..3);
    prop_oneof![
        (any::<u8>(), any::<bool>()).prop_map(|(agent, ext)| Op::CreateAgent { agent, ext }),
        (any::<u8>(), any::<bool>()).prop_map(|(agent, enable)| Op::Disable { agent, enable }),
        (any::<u8>(), ids()).prop_map(|(agent, exts)| Op::Bind { agent, exts }),
        (any::<u8>(), ids()).prop_map(|(agent, exts)| Op::Unbind { agent, exts }),
        (any::<u8>(), any::<bool>()).prop_map(|(ext, webrtc)| Op::CreateExt { ext, webrtc }),
        any::<u8>().prop_map(|ext| Op::DeleteExt { ext }),
        any::<u8>().prop_map(|name| Op::CreateQueue { name }),
        any::<u8>().prop_map(|queue| Op::DeleteQueue { queue }),
        (any::<u8>(), ids()).prop_map(|(queue, agents)| Op::AddToQueue { queue, agents }),
        (any::<u8>(), ids(), any::<bool>()).prop_map(|(agent, queues, full)| Op::Enrol {
            agent,
            queues,
            full
        }),
        (any::<u8>(), ids()).prop_map(|(agent, queues)| Op::Dequeue { agent, queues }),
        (any::<u8>(), any::<bool>()).prop_map(|(agent, busy)| Op::Login { agent, busy }),
        any::<u8>().prop_map(|agent| Op::Logout { agent }),
        any::<u8>().prop_map(|name| Op::Subscribe { name }),
        any::<u8>().prop_map(|id| Op::Unsubscribe { id }),
    ]
}

fn run(ctx: &Ctx, op: &Op) -> String {
    let names = |pool: &[&str], v: &Vec<u8>| -> Vec<String> {
        v.iter().map(|i| pick(pool, *i).to_string()).collect()
    };
    let (m, path, body) = match op {
        Op::CreateAgent { agent, ext } => {
            let id = pick(&AGENTS, *agent);
            (
                Method::POST,
                "/agents".to_string(),
                Some(
                    json!({"AgentId": id, "WorkId": format!("w{id}"), "IsCreateExtension": *ext as u8}),
                ),
            )
        }
        Op::Disable { agent, enable } => (
            Method::PUT,
            format!("/agents/{}", pick(&AGENTS, *agent)),
            Some(json!({"Enable": enable})),
        ),
        Op::Bind { agent, exts } => (
            Method::POST,
            "/agents/extensions".into(),
            Some(json!({"AgentId": pick(&AGENTS, *agent), "Extensions": names(&EXTS, exts)})),
        ),
        Op::Unbind { agent, exts } => (
            Method::DELETE,
            "/agents/extensions".into(),
            Some(json!({"AgentId": pick(&AGENTS, *agent), "Extensions": names(&EXTS, exts)})),
        ),
        Op::CreateExt { ext, webrtc } => (
            Method::POST,
            "/extensions".into(),
            Some(json!({"Extension": pick(&EXTS, *ext), "SignalType": *webrtc as u8})),
        ),
        Op::DeleteExt { ext } => (
            Method::DELETE,
            "/extensions".into(),
            Some(json!({"Extension": pick(&EXTS, *ext)})),
        ),
        Op::CreateQueue { name } => (
            Method::POST,
            "/queues".into(),
            Some(json!({"QueueName": format!("q{}", name % 3)})),
        ),
        Op::DeleteQueue { queue } => (
            Method::DELETE,
            "/queues".into(),
            Some(json!({"QueueId": pick(&QUEUES, *queue)})),
        ),
        Op::AddToQueue { queue, agents } => (
            Method::POST,
            "/queues/agents".into(),
            Some(json!({"QueueId": pick(&QUEUES, *queue), "AgentIds": names(&AGENTS, agents)})),
        ),
        Op::Enrol {
            agent,
            queues,
            full,
        } => (
            Method::POST,
            "/agents/queues".into(),
            Some(
                json!({"AgentId": pick(&AGENTS, *agent), "Queues": names(&QUEUES, queues), "IsFull": *full as u8}),
            ),
        ),
        Op::Dequeue { agent, queues } => (
            Method::DELETE,
            "/agents/queues".into(),
            Some(json!({"AgentId": pick(&AGENTS, *agent), "Queues": names(&QUEUES, queues)})),
        ),
        Op::Login { agent, busy } => (
            Method::POST,
            "/agent/login?MsgId=1".into(),
            Some(json!({"agent_id": pick(&AGENTS, *agent), "state": *busy as u8})),
        ),
        Op::Logout { agent } => (
            Method::POST,
            "/agent/logout".into(),
            Some(json!({"agent_id": pick(&AGENTS, *agent)})),
        ),
        Op::Subscribe { name } => (
            Method::POST,
            "/subscriptions".into(),
            Some(
                json!({"subscriptions": [{"callback": "http://127.0.0.1:9/cb", "events": ["acd_agent_state"], "name": format!("s{}", name % 3)}]}),
            ),
        ),
        Op::Unsubscribe { id } => (
            Method::DELETE,
            format!("/subscriptions/{}", 164 + (id % 6) as u64),
            None,
        ),
    };
    // The login route carries its own query; split it off.
    let (path, extra) = path
        .split_once('?')
        .map_or((path.clone(), String::new()), |(p, q)| {
            (p.to_string(), format!("&{q}"))
        });
    let ts = NOW.to_string();
    let q = format!("{}{extra}", query(UDESK_SID, UDESK_TOKEN, &ts, None));
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let reply = Udesk.handle(ctx, &request(m, &path, &q, &bytes));
    reply.meta.code.unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_call_sequences_keep_invariants_and_rules(ops in prop::collection::vec(op(), 1..40)) {
        let ctx = ctx();
        for op in &ops {
            let before = snapshot(&ctx);
            let code = run(&ctx, op);
            let after = snapshot(&ctx);
            prop_assert!(!code.is_empty());
            if code != "000000" {
                prop_assert_eq!(&after, &before, "{:?} refused with {} but changed state", op, code);
            }
            prop_assert_eq!(after.check_invariants(), Ok(()), "{:?}", op);
            let t = &after.tenants[UDESK_APP_ID];
            for a in t.agents.values() {
                // An agent that was in a queue stays in one.
                let was = before.tenants[UDESK_APP_ID].agents.get(&a.id).is_some_and(|b| !b.queues.is_empty());
                prop_assert!(!was || !a.queues.is_empty(), "{:?} left agent {} in no queue", op, a.id);
                // A disabled agent is never online through the API.
                prop_assert!(a.enable || !a.state_at(NOW).is_online(), "{:?}: disabled agent {} online", op, a.id);
            }
            // Queue and subscription names stay unique; extensions are four digits starting with 1.
            let names: std::collections::BTreeSet<_> = t.queues.values().map(|q| &q.name).collect();
            prop_assert_eq!(names.len(), t.queues.len());
            let subs: std::collections::BTreeSet<_> = t.subscriptions.values().map(|s| &s.name).collect();
            prop_assert_eq!(subs.len(), t.subscriptions.len());
            prop_assert!(t.extensions.keys().all(|e| ccemu::model::ops::is_extension_number(e)));
        }
    }

    #[test]
    fn random_bodies_never_panic_nor_change_state(route in 0usize..64, body in prop::collection::vec(any::<u8>(), 0..256)) {
        // Every route that reads a body; DELETE /spnumbers/default and DELETE /subscriptions/{id}
        // take none, so any body is a valid call there.
        let routes: Vec<_> = ccemu::vendors::udesk::routes::ROUTES
            .iter()
            .filter(|r| r.method != Method::GET)
            .filter(|r| !(r.method == Method::DELETE && (r.pattern.ends_with("/default") || r.pattern.ends_with("{id}"))))
            .collect();
        let r = routes[route % routes.len()];
        let path = r.pattern.trim_start_matches("/ccapi/v2").replace("{id}", "9415").replace("{queue_id}", "9001");
        let ctx = ctx();
        let before = snapshot(&ctx);
        let ts = NOW.to_string();
        let q = format!("{}&MsgId=1", query(UDESK_SID, UDESK_TOKEN, &ts, None));
        let reply = Udesk.handle(&ctx, &request(r.method.clone(), &path, &q, &body));
        let code = reply.meta.code.clone().unwrap_or_default();
        prop_assert_ne!(code, "000000");
        prop_assert!(reply.json_body().is_some());
        prop_assert_eq!(snapshot(&ctx), before);
    }
}

/// The generator's calls are well-formed: each kind succeeds from the fixture when it should, so
/// the random sequences exercise the success paths and not only refusals.
#[test]
fn generated_calls_can_succeed() {
    let ctx = ctx();
    let ok = [
        Op::CreateAgent {
            agent: 3,
            ext: true,
        },
        Op::CreateExt {
            ext: 4,
            webrtc: true,
        },
        Op::Bind {
            agent: 2,
            exts: vec![3, 4],
        },
        Op::Unbind {
            agent: 2,
            exts: vec![4],
        },
        Op::DeleteExt { ext: 4 },
        Op::CreateQueue { name: 0 },
        Op::AddToQueue {
            queue: 4,
            agents: vec![2, 3],
        },
        Op::Enrol {
            agent: 2,
            queues: vec![3],
            full: true,
        },
        Op::Dequeue {
            agent: 2,
            queues: vec![4],
        },
        Op::DeleteQueue { queue: 2 },
        Op::Login {
            agent: 2,
            busy: true,
        },
        Op::Logout { agent: 2 },
        Op::Disable {
            agent: 2,
            enable: false,
        },
        Op::Subscribe { name: 1 },
        Op::Unsubscribe { id: 0 },
    ];
    for op in &ok {
        assert_eq!(run(&ctx, op), "000000", "{op:?}");
    }
    assert_eq!(ctx.model().check_invariants(), Ok(()));
}
