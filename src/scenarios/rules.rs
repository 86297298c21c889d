//! Fault rules: what a request must look like for a rule to apply (`MatchSpec`, shared with the
//! journal's queries and waits), and when a matching rule fires (first N, after N, every Nth, by
//! chance, inside a virtual-clock window, or when a token bucket runs dry).

use super::faults::Fault;
use crate::journal::Entry;
use crate::model::Vendor;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The vendor code a fault or a journal query names: Udesk's "100004", NXCloud's 1001 and Huawei's
/// 401 are all accepted as a string or a number, and compared as text.
pub fn code_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "a vendor code is a string or a number, not {other}"
        ))),
    }
}

fn opt_code_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    code_string(d).map(Some)
}

/// What a request (or a journal entry) must look like. Every field left out matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// Compared case-insensitively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path without the query; `*` matches any run of characters, `/` included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The endpoint's documented name, as the vendor's routing table gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The tenant id (Udesk AppId, NXCloud tenant, Huawei tenant space) the credentials claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Header name (any case) → value (`*` wildcards allowed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Top-level JSON body fields that must equal these values (a string equals a number with
    /// the same digits, since vendors disagree on which they send).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub body: Map<String, Value>,
    /// Journal only: the HTTP status sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Journal only: the vendor's result code.
    #[serde(
        default,
        deserialize_with = "opt_code_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    /// Journal only: the id of the rule that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<u64>,
    /// Journal only: the kind of fault that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Journal only: entries with a `seq` above this (those after one already seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// The raw request body contains this text (for bodies that are not JSON objects, or a
    /// value nested deeper than `body` reaches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
}

/// Whether `needle` occurs in `haystack` (an empty needle always does).
fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// What `decide` knows about a request: computed once, outside every lock, and only the parts
/// some rule asks about.
pub struct RequestView<'a> {
    pub vendor: Vendor,
    pub req: &'a crate::http::ApiRequest,
    pub operation: Option<&'static str>,
    pub tenant: Option<String>,
    pub body: Option<Map<String, Value>>,
}

/// Which lazily computed parts of a request the current rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub operation: bool,
    pub tenant: bool,
    pub body: bool,
}

impl Needs {
    pub fn bits(self) -> u8 {
        self.operation as u8 | (self.tenant as u8) << 1 | (self.body as u8) << 2
    }
    pub fn from_bits(b: u8) -> Needs {
        Needs {
            operation: b & 1 != 0,
            tenant: b & 2 != 0,
            body: b & 4 != 0,
        }
    }
}

/// `*` matches any run of characters (including none and including `/`).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

fn loosely_equal(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            *s == n.to_string()
        }
        _ => want == got,
    }
}

fn body_matches(want: &Map<String, Value>, got: Option<&Map<String, Value>>) -> bool {
    want.is_empty()
        || got.is_some_and(|got| {
            want.iter()
                .all(|(k, v)| got.get(k).is_some_and(|g| loosely_equal(v, g)))
        })
}

/// The top-level JSON object of a body, if it is one.
pub fn body_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

impl MatchSpec {
    pub fn needs(&self) -> Needs {
        Needs {
            operation: self.operation.is_some(),
            tenant: self.tenant.is_some(),
            body: !self.body.is_empty() || self.body_contains.is_some(),
        }
    }

    /// Refuses the journal-only fields: a rule decides before any answer exists.
    pub fn check_for_rule(&self) -> Result<(), String> {
        if self.status.is_some()
            || self.code.is_some()
            || self.rule.is_some()
            || self.fault.is_some()
            || self.since.is_some()
        {
            return Err("a rule's match cannot use status, code, rule, fault or since: those describe journal entries".into());
        }
        Ok(())
    }

    fn common(
        &self,
        vendor: Vendor,
        method: &str,
        path: &str,
        operation: Option<&str>,
        tenant: Option<&str>,
    ) -> bool {
        self.vendor.is_none_or(|v| v == vendor)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| glob(p, path))
            && self
                .operation
                .as_deref()
                .is_none_or(|o| operation == Some(o))
            && self.tenant.as_deref().is_none_or(|t| tenant == Some(t))
    }

    pub fn matches_request(&self, view: &RequestView) -> bool {
        self.common(
            view.vendor,
            view.req.method.as_str(),
            &view.req.path,
            view.operation,
            view.tenant.as_deref(),
        ) && self.headers.iter().all(|(name, want)| {
            view.req
                .headers
                .get_all(name.as_str())
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| glob(want, v)))
        }) && body_matches(&self.body, view.body.as_ref())
            && self
                .body_contains
                .as_deref()
                .is_none_or(|n| contains(&view.req.body, n))
    }

    pub fn matches_entry(&self, e: &Entry) -> bool {
        self.matches_entry_parsed(e, &std::cell::OnceCell::new())
    }

    /// `matches_entry` with the entry's body parsed at most once into `parsed`, so one entry
    /// checked against many specs (the journal's pending waits) is parsed once.
    pub fn matches_entry_parsed(
        &self,
        e: &Entry,
        parsed: &std::cell::OnceCell<Option<Map<String, Value>>>,
    ) -> bool {
        self.common(
            e.vendor,
            e.method.as_str(),
            &e.path,
            e.operation,
            e.tenant.as_deref(),
        ) && self.status.is_none_or(|s| e.status == Some(s))
            && self
                .code
                .as_deref()
                .is_none_or(|c| e.code.as_deref() == Some(c))
            && self.rule.is_none_or(|r| e.rule == Some(r))
            && self.fault.as_deref().is_none_or(|f| e.fault == Some(f))
            && self.since.is_none_or(|s| e.seq > s)
            && self.headers.iter().all(|(name, want)| {
                e.request
                    .headers()
                    .any(|(k, v)| k.eq_ignore_ascii_case(name) && glob(want, v))
            })
            && self
                .body_contains
                .as_deref()
                .is_none_or(|n| contains(e.request.body(), n))
            && (self.body.is_empty()
                || body_matches(
                    &self.body,
                    parsed
                        .get_or_init(|| body_object(e.request.body()))
                        .as_ref(),
                ))
    }
}

/// What an outbound delivery (a webhook, a CDR push) looks like to the rules.
pub struct DeliveryView<'a> {
    pub vendor: Vendor,
    pub tenant: &'a str,
    pub event: &'a str,
    pub subscription: Option<u64>,
    pub url: &'a str,
}

/// The match of a delivery rule: a rule with `"delivery": {...}` applies to outbound events and
/// never to requests. Every field left out matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMatchSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The vendor's event name (`acd_agent_state`, `general_hangup`, `cdr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<u64>,
    /// The receiver's URL; `*` wildcards allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl DeliveryMatchSpec {
    pub fn matches(&self, d: &DeliveryView) -> bool {
        self.vendor.is_none_or(|v| v == d.vendor)
            && self.tenant.as_deref().is_none_or(|t| t == d.tenant)
            && self.event.as_deref().is_none_or(|e| e == d.event)
            && self.subscription.is_none_or(|s| d.subscription == Some(s))
            && self.url.as_deref().is_none_or(|u| glob(u, d.url))
    }
}

/// A rule as written: in `POST /_ccemu/faults` or a scenario file's `rules`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(rename = "match", default)]
    pub matcher: MatchSpec,
    /// Makes this a delivery rule: it applies to outbound events matching this, not to requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryMatchSpec>,
    /// Let the first `after` matching requests through untouched.
    #[serde(default)]
    pub after: u64,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Fire on every Nth matching request (counted after `after`): the Nth, 2Nth, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire with this chance, drawn from the seeded fault RNG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Virtual-clock window (ms since the epoch; in a scenario file, ms since the scenario's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
    pub fault: Fault,
    /// Free text shown in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl RuleSpec {
    pub fn validate(&self) -> Result<(), String> {
        self.matcher.check_for_rule()?;
        match &self.delivery {
            Some(_) if self.matcher != MatchSpec::default() => {
                return Err("a delivery rule matches with `delivery`, not `match`".into())
            }
            Some(_) if !self.fault.for_delivery() => {
                return Err(format!(
                    "a delivery rule's fault is drop, duplicate, reorder or delay, not {}",
                    self.fault.kind()
                ))
            }
            None if !self.fault.for_request() => {
                return Err(format!(
                    "{} applies to deliveries only: give the rule a `delivery` match (e.g. {{\"delivery\": {{\"event\": \"acd_agent_state\"}}}})",
                    self.fault.kind()
                ))
            }
            _ => {}
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability {p} is not between 0 and 1"));
            }
        }
        if self.every == Some(0) {
            return Err("every must be at least 1".into());
        }
        if let (Some(f), Some(u)) = (self.from_ms, self.until_ms) {
            if u < f {
                return Err(format!("until_ms {u} is before from_ms {f}"));
            }
        }
        self.fault.validate()
    }
}

/// A token bucket on the virtual clock, for `rate_limit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    tokens: f64,
    last_ms: Option<i64>,
}

impl Bucket {
    fn new(burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            last_ms: None,
        }
    }

    /// Takes a token, or answers the whole seconds until one is due (at least 1).
    pub fn take(&mut self, now_ms: i64, per_second: f64, burst: f64) -> Result<(), u64> {
        if let Some(last) = self.last_ms {
            // A clock moved backwards refills nothing rather than draining the bucket.
            let elapsed = now_ms.saturating_sub(last).max(0) as f64 / 1000.0;
            self.tokens = (self.tokens + elapsed * per_second).min(burst);
        }
        self.last_ms = Some(now_ms.max(self.last_ms.unwrap_or(now_ms)));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }
}

/// A live rule: its spec, counters and bucket (serde: kept whole in a `--state-file`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub id: u64,
    pub spec: RuleSpec,
    /// The scenario that brought it, if any.
    pub scenario: Option<String>,
    /// Requests that matched (inside the window) and were counted.
    pub matched: u64,
    /// Times it fired.
    pub hits: u64,
    pub bucket: Option<Bucket>,
}

/// A rule's decision to fire, with the random draws it needed.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: u64,
    pub fault: Fault,
    pub jitter_ms: u64,
    pub retry_after_s: u64,
}

impl Rule {
    pub fn new(id: u64, spec: RuleSpec, scenario: Option<String>) -> Rule {
        let bucket = match &spec.fault {
            Fault::RateLimit { burst, .. } => Some(Bucket::new(*burst)),
            _ => None,
        };
        Rule {
            id,
            spec,
            scenario,
            matched: 0,
            hits: 0,
            bucket,
        }
    }

    pub fn listing(&self) -> Value {
        let mut v = serde_json::to_value(&self.spec).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("id".into(), self.id.into());
            m.insert("matched".into(), self.matched.into());
            m.insert("hits".into(), self.hits.into());
            if let Some(s) = &self.scenario {
                m.insert("scenario".into(), s.clone().into());
            }
        }
        v
    }

    /// Counts a request that already passed `match`, and says whether the rule fires.
    pub fn consider(&mut self, now_ms: i64, rng: &mut impl rand::Rng) -> Option<Fired> {
        let s = &self.spec;
        if s.from_ms.is_some_and(|f| now_ms < f) || s.until_ms.is_some_and(|u| now_ms >= u) {
            return None;
        }
        self.matched += 1;
        if self.matched <= s.after {
            return None;
        }
        let k = self.matched - s.after;
        if s.every.is_some_and(|e| !k.is_multiple_of(e)) {
            return None;
        }
        if s.times.is_some_and(|t| self.hits >= t) {
            return None;
        }
        if let Some(p) = s.probability {
            if p < 1.0 && rng.gen::<f64>() >= p {
                return None;
            }
        }
        let mut retry_after_s = 0;
        if let Fault::RateLimit {
            per_second, burst, ..
        } = s.fault
        {
            let bucket = self.bucket.get_or_insert_with(|| Bucket::new(burst));
            match bucket.take(now_ms, per_second, burst) {
                Ok(()) => return None,
                Err(wait) => retry_after_s = wait,
            }
        }
        let jitter_ms = match s.fault {
            Fault::Delay { jitter_ms, .. } if jitter_ms > 0 => rng.gen_range(0..=jitter_ms),
            _ => 0,
        };
        self.hits += 1;
        Some(Fired {
            rule: self.id,
            fault: s.fault.clone(),
            jitter_ms,
            retry_after_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_star_spans_segments() {
        assert!(glob("/ccapi/v2/agents*", "/ccapi/v2/agents/355"));
        assert!(glob("/ccapi/v2/agents*", "/ccapi/v2/agents"));
        assert!(glob("*/login", "/ccapi/v2/agents/1/login"));
        assert!(glob("/a/*/c", "/a/b/x/c"));
        assert!(!glob("/a/*/c", "/a/b/d"));
        assert!(glob("*", ""));
        assert!(!glob("/x", "/xy"));
    }

    #[test]
    fn bucket_refills_on_the_virtual_clock() {
        let mut b = Bucket::new(2.0);
        assert_eq!(b.take(0, 1.0, 2.0), Ok(()));
        assert_eq!(b.take(0, 1.0, 2.0), Ok(()));
        assert_eq!(b.take(0, 1.0, 2.0), Err(1));
        assert_eq!(b.take(500, 1.0, 2.0), Err(1));
        assert_eq!(b.take(1000, 1.0, 2.0), Ok(()));
        let mut slow = Bucket::new(1.0);
        assert_eq!(slow.take(0, 0.25, 1.0), Ok(()));
        assert_eq!(slow.take(0, 0.25, 1.0), Err(4));
    }

    fn rule(v: serde_json::Value) -> Rule {
        Rule::new(1, serde_json::from_value(v).unwrap(), None)
    }

    fn fires(r: &mut Rule, n: usize, now_ms: i64) -> Vec<bool> {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        (0..n)
            .map(|_| r.consider(now_ms, &mut rng).is_some())
            .collect()
    }

    #[test]
    fn after_every_times_count_matches_exactly() {
        let f = serde_json::json!({"kind": "empty"});
        let mut r = rule(serde_json::json!({"after": 1, "every": 2, "times": 2, "fault": f}));
        assert_eq!(
            fires(&mut r, 8, 0),
            [false, false, true, false, true, false, false, false]
        );
        assert_eq!((r.matched, r.hits), (8, 2));
        let mut r = rule(serde_json::json!({"from_ms": 10, "until_ms": 20, "fault": f}));
        assert_eq!(fires(&mut r, 1, 9), [false]);
        assert_eq!(fires(&mut r, 1, 10), [true]);
        assert_eq!(fires(&mut r, 1, 20), [false]);
        // Outside the window a request is not even counted.
        assert_eq!(r.matched, 1);
        let mut r = rule(serde_json::json!({"probability": 0.0, "fault": f}));
        assert!(fires(&mut r, 20, 0).iter().all(|x| !x));
    }

    #[test]
    fn codes_compare_as_text() {
        let m: MatchSpec = serde_json::from_value(serde_json::json!({"code": 1001})).unwrap();
        assert_eq!(m.code.as_deref(), Some("1001"));
        assert!(loosely_equal(
            &serde_json::json!("7"),
            &serde_json::json!(7)
        ));
    }
}
