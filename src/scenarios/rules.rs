//! Fault rules: what a request must look like for a rule to apply (the journal's matcher,
//! `journal::matcher::MatchSpec`, re-exported here), and when a matching rule fires (first N, after N, every Nth, by
//! chance, inside a virtual-clock window, or when a token bucket runs dry).

use super::faults::Fault;
pub use super::faults::Fired;
pub use crate::journal::matcher::{
    body_object, code_string, glob, DeliveryMatchSpec, DeliveryView, MatchSpec, Needs, RequestView,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A rule as written: in `POST /_ccemu/faults` or a scenario file's `rules`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(
        rename = "match",
        default,
        deserialize_with = "crate::journal::matcher::object_only"
    )]
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
}
