//! The journal on its own: recording, eviction, matching and waiting, without an emulator.

use super::*;
use crate::http::ApiRequest;
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};

fn entry(operation: &'static str, body: &[u8]) -> Entry {
    Entry {
        seq: 0,
        at_ms: 0,
        vendor: Vendor::Udesk,
        operation: Some(operation),
        tenant: None,
        method: Method::POST,
        path: "/ccapi/v2/agents".into(),
        query: String::new(),
        status: Some(200),
        code: Some("000000".into()),
        latency_ms: 0,
        rule: None,
        fault: None,
        request: Message::new([("content-type", &b"application/json"[..])], body),
        response: None,
        findings: Vec::new(),
    }
}

fn spec(json: serde_json::Value) -> MatchSpec {
    serde_json::from_value(json).unwrap()
}

/// Issue 11 item 2: with many waits pending, a request costs the ring lock one push and an
/// atomic load. The entries are copied out once per batch (not once per wait), each is
/// matched only against the waits filed under one of its keys, and only satisfied waits
/// wake. Before the matcher, every entry woke every wait and each rescanned the ring under
/// its lock, parsing the body each time: 50 waits × 500 entries of wake-ups, copies and
/// parses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_waits_are_matched_once_outside_the_lock_and_woken_only_when_satisfied() {
    let journal = Arc::new(Journal::new(1000));
    let never = spec(serde_json::json!({"operation": "never", "body": {"AgentId": "1"}}));
    let mut waits = Vec::new();
    for _ in 0..50 {
        let (j, s) = (Arc::clone(&journal), never.clone());
        waits.push(tokio::spawn(async move {
            j.wait(&s, 1, Duration::from_secs(30)).await
        }));
    }
    // Registered and past their first look (at the empty ring): filed.
    while journal.pending_waits() < 50 || !journal.0.waits.lock().joining.is_empty() {
        tokio::task::yield_now().await;
    }
    for _ in 0..500 {
        journal.end(
            journal.begin(0),
            entry("createAgent", br#"{"AgentId":"9006"}"#),
        );
        tokio::task::yield_now().await;
    }
    // A sentinel wait: once it is answered, the matcher has been through every entry.
    let sentinel = spec(serde_json::json!({"operation": "sentinel"}));
    let (j, s) = (Arc::clone(&journal), sentinel);
    let last = tokio::spawn(async move { j.wait(&s, 1, Duration::from_secs(30)).await });
    while journal.pending_waits() < 51 {
        tokio::task::yield_now().await;
    }
    journal.end(journal.begin(0), entry("sentinel", b"{}"));
    let got = last.await.unwrap().expect("the sentinel wait is satisfied");
    assert_eq!(got[0].operation, Some("sentinel"));

    let stats = journal.wait_stats();
    assert_eq!(stats.woken, 1, "only the satisfied wait woke: {stats:?}");
    // The 50 waits are filed under AgentId 1: no entry (AgentId 9006) is matched against
    // them at all; the matches run are the sentinel's first look at the ring.
    assert!(stats.matches <= 2 * 501, "{stats:?}");
    // Copied under the lock about once per entry, not once per wait per entry.
    assert!(stats.copied_under_lock <= 2 * 501, "{stats:?}");
    assert_eq!(journal.pending_waits(), 50);
    for w in waits {
        w.abort();
    }
}

/// Waits registered while entries pour in each see every matching entry exactly once, in
/// order: none is missed between a wait's first look and the matcher's rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_joining_a_busy_journal_miss_nothing_and_count_nothing_twice() {
    let journal = Arc::new(Journal::new(10_000));
    let want = spec(serde_json::json!({"operation": "a"}));
    let pusher = {
        let j = Arc::clone(&journal);
        tokio::spawn(async move {
            for i in 0..400 {
                let op = if i % 2 == 0 { "a" } else { "b" };
                j.end(j.begin(0), entry(op, b"{}"));
                if i % 7 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut waits = Vec::new();
    for _ in 0..20 {
        let (j, s) = (Arc::clone(&journal), want.clone());
        waits.push(tokio::spawn(async move {
            j.wait(&s, 200, Duration::from_secs(20)).await
        }));
        tokio::task::yield_now().await;
    }
    pusher.await.unwrap();
    for w in waits {
        let got = w.await.unwrap().expect("all 200 arrive");
        assert_eq!(got.len(), 200);
        assert!(got.iter().all(|e| e.operation == Some("a")));
        assert!(
            got.windows(2).all(|p| p[0].seq < p[1].seq),
            "in order, no repeats"
        );
    }
    assert_eq!(journal.pending_waits(), 0);
}

#[tokio::test]
async fn filed_waits_find_loosely_equal_values_and_nested_bodies() {
    let journal = Journal::new(10);
    journal.end(
        journal.begin(0),
        entry("createAgent", br#"{"AgentId":"9006","Queue":{"Id":1}}"#),
    );
    let cases = [
        serde_json::json!({"body": {"AgentId": 9006}}),
        serde_json::json!({"body": {"Queue": {"Id": 1}}}),
        serde_json::json!({"body": {"Queue": {"Id": 1}, "AgentId": "9006"}, "vendor": "udesk"}),
        serde_json::json!({"operation": "createAgent", "method": "post"}),
        serde_json::json!({"vendor": "udesk"}),
        serde_json::json!({}),
    ];
    for c in cases {
        let got = journal
            .wait(&spec(c.clone()), 1, Duration::from_secs(5))
            .await;
        assert_eq!(got.map(|v| v.len()), Ok(1), "{c}");
    }
    let filed_elsewhere = spec(serde_json::json!({"vendor": "huawei"}));
    let before = journal.wait_stats().matches;
    let (w, _) = tokio::join!(
        journal.wait(&filed_elsewhere, 1, Duration::from_millis(100)),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            journal.end(journal.begin(0), entry("createAgent", b"{}"));
        }
    );
    assert_eq!(w.map(|v| v.len()), Err(0));
    // Its first look at the one old entry, and nothing for the new udesk entry.
    assert_eq!(journal.wait_stats().matches - before, 1);
}

#[tokio::test]
async fn a_wait_counts_entries_already_there_restarts_after_a_clear_and_times_out() {
    let journal = Journal::new(10);
    let create = spec(serde_json::json!({"operation": "createAgent"}));
    journal.end(journal.begin(0), entry("createAgent", b"{}"));
    let got = journal.wait(&create, 1, Duration::from_secs(5)).await;
    assert_eq!(got.map(|v| v.len()), Ok(1));
    journal.clear();
    let seen = journal.wait(&create, 1, Duration::from_millis(50)).await;
    assert_eq!(seen.map(|v| v.len()), Err(0));
    assert_eq!(
        journal.pending_waits(),
        0,
        "a timed-out wait leaves nothing behind"
    );
}

/// Issue 11 item 4: an entry copies what it keeps. A small body is a slice of the
/// connection's read buffer; keeping the slice (as the journal once did) pins the whole
/// buffer for the entry's life.
#[test]
fn an_entry_does_not_pin_the_request_buffer() {
    let buffer = Bytes::from(vec![b'x'; 8192]);
    let mut req = ApiRequest::new(Method::POST, "/ccapi/v2/agents");
    req.body = buffer.slice(0..40);
    req.headers.insert(
        HeaderName::from_static("x-trace"),
        HeaderValue::from_maybe_shared(buffer.slice(100..110)).unwrap(),
    );
    let journal = Journal::new(4);
    let mut e = entry("createAgent", b"");
    e.request = Message::of_request(&req);
    drop(req);
    journal.end(journal.begin(0), e);
    assert!(
        buffer.is_unique(),
        "the journal still holds the read buffer"
    );
    let kept = &journal.select(&MatchSpec::default(), None)[0];
    assert_eq!(kept.request.body().len(), 40);
    assert_eq!(kept.request.header("X-Trace"), Some("xxxxxxxxxx"));
    assert!(
        kept.request.heap_bytes() < 100,
        "{}",
        kept.request.heap_bytes()
    );
}

#[test]
fn bodies_and_headers_over_the_cap_are_cut_and_flagged() {
    let big = vec![b'a'; BODY_KEPT + 1];
    let m = Message::new([("a", &b"1"[..]), ("a", &b"2"[..])], &big);
    assert!(m.truncated);
    assert_eq!(m.body().len(), BODY_KEPT);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["headers"]["a"], "1, 2");
    assert_eq!(json["truncated"], true);
    let long = vec![b'v'; BODY_KEPT];
    let m = Message::new([("x", &long[..])], b"{}");
    assert!(m.truncated && m.header("x").is_none());
    assert!(!Message::new([], b"{}").truncated);
}
