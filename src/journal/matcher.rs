//! The journal's matcher: what a request, a journal entry or an outbound delivery must look
//! like. The journal's queries and waits use it on entries; fault rules (`scenarios`) use the
//! same spec on requests before they are answered, and on deliveries.

use super::Entry;
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
                .is_none_or(|n| contains(&e.request.body(), n))
            && (self.body.is_empty()
                || body_matches(
                    &self.body,
                    parsed
                        .get_or_init(|| body_object(&e.request.body()))
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

/// A `match` (`deserialize_with`): a JSON object only. serde would otherwise read the matcher
/// struct from an array, field by position (`[null, null]` as no filter), which the documented
/// schemas refuse.
pub fn object_only<'de, D, M>(d: D) -> Result<M, D::Error>
where
    D: serde::Deserializer<'de>,
    M: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        v @ serde_json::Value::Object(_) => serde_json::from_value(v).map_err(D::Error::custom),
        _ => Err(D::Error::custom("match must be a JSON object")),
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
    fn codes_compare_as_text() {
        let m: MatchSpec = serde_json::from_value(serde_json::json!({"code": 1001})).unwrap();
        assert_eq!(m.code.as_deref(), Some("1001"));
        assert!(loosely_equal(
            &serde_json::json!("7"),
            &serde_json::json!(7)
        ));
    }
}
