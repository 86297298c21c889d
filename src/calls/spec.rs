//! How a simulated call is asked for: `POST /_ccemu/calls`, a scenario's `call` event, or each
//! arrival of a `load` profile. Durations are fixed, uniform ranges or exponential means, drawn
//! from the calls' own seeded RNG and rounded to whole seconds, as the vendors report them.

use super::script::{AgentAction, CallerScript};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A duration in milliseconds: `5000`, `{"min": 1000, "max": 9000}` (uniform) or
/// `{"mean": 180000}` (exponential, as call-center planning models handle time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Duration {
    Fixed(u64),
    Range { min: u64, max: u64 },
    Exponential { mean: u64 },
}

/// The longest duration a draw may give: a day. An exponential draw is cut there.
const MAX_MS: u64 = 86_400_000;

impl Duration {
    pub fn validate(&self, name: &str) -> Result<(), String> {
        match *self {
            Duration::Fixed(ms) if ms > MAX_MS => Err(format!("{name} is over a day")),
            Duration::Range { min, max } if min > max => {
                Err(format!("{name}: min {min} is above max {max}"))
            }
            Duration::Range { max, .. } if max > MAX_MS => Err(format!("{name} is over a day")),
            Duration::Exponential { mean } if mean == 0 || mean > MAX_MS => {
                Err(format!("{name}: mean must be from 1 ms to a day"))
            }
            _ => Ok(()),
        }
    }

    /// Draws a value in whole seconds (as ms).
    pub fn draw(&self, rng: &mut impl Rng) -> i64 {
        let ms = match *self {
            Duration::Fixed(ms) => ms as f64,
            Duration::Range { min, max } => rng.gen_range(min..=max) as f64,
            Duration::Exponential { mean } => {
                let u: f64 = rng.gen_range(f64::EPSILON..1.0);
                (-u.ln() * mean as f64).min(MAX_MS as f64)
            }
        };
        ((ms / 1000.0).round() as i64) * 1000
    }
}

/// Who ends an answered call.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum HangupBy {
    #[default]
    Customer,
    Agent,
    /// The IVR ended the call (a hangup or end node, a failed webhook).
    System,
}

/// A call as asked for. Outbound when `agent` is given; otherwise inbound: into `queue`, through
/// the IVR `flow`, or to the relay number `callee` (its flow if it has one, else the tenant's
/// default queue).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    pub tenant: String,
    /// Inbound: the queue (Udesk queue, NXCloud agent group, Huawei skill) the call enters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Outbound: the agent who dials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The customer's number (inbound: who calls; outbound: who is called, also `callee`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Inbound: the number called (a relay number); outbound: the customer's number.
    #[serde(default, alias = "called", skip_serializing_if = "Option::is_none")]
    pub callee: Option<String>,
    /// How long a phone rings before it is answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_ms: Option<Duration>,
    /// How long a phone rings before the agent (or the customer) counts as not answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<Duration>,
    /// Default: the agent's wrap-up time (Udesk WrapUpTime / OutWrapUpTime, seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_ms: Option<Duration>,
    /// How long an inbound caller waits in the queue before giving up. Default: the queue's
    /// `timeout` (seconds) when set, else 60 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_limit_ms: Option<u64>,
    /// Whether anyone answers (default true): the offered agent for inbound, the customer for
    /// outbound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
    /// Agents who let this call ring (they are skipped after `ring_timeout_ms`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_answer: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hangup_by: Option<HangupBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// When the call starts (virtual ms); default now. A scenario sets it from its timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
    /// Inbound: the IVR flow the call runs (default: the flow bound to `callee`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The call's variables (callback2ivr `variables`): IVR conditions and webhooks see them,
    /// and so do the call's events.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// What the caller does (keys, speech, hanging up, a voicemail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_script: Option<CallerScript>,
    /// Several caller scripts with weights: each call draws one from the seeded RNG, so a load
    /// profile mixes them (70 % press 1, 20 % press 2, 10 % hang up in the menu).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caller_scripts: Vec<CallerScript>,
    /// What the agents and supervisors do, each `after_ms` from the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<AgentAction>,
    /// `false`: the caller waits in the queue as long as it takes (no wait limit, whatever the
    /// queue says). Default: the queue's `abandon` switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandon: Option<bool>,
}

pub const DEFAULT_RING_MS: u64 = 3_000;
/// How far from now a call may be scheduled (`at_ms`), either way: a year. Further is a typo or a
/// unit slip (seconds for ms, `i64::MAX`), and would sit in the agenda for ever.
pub const MAX_AT_DISTANCE_MS: i64 = 366 * 86_400_000;
/// Agents a call may name in `no_answer`: far above any queue a test rings through one by one;
/// `"answered": false` covers "nobody answers".
pub const MAX_NO_ANSWER: usize = 1_000;
pub const DEFAULT_RING_TIMEOUT_MS: u64 = 20_000;
pub const DEFAULT_TALK_MS: u64 = 60_000;
pub const DEFAULT_WAIT_LIMIT_MS: u64 = 60_000;

impl CallSpec {
    /// `validate`, and `at_ms` no further than [`MAX_AT_DISTANCE_MS`] from `now`.
    pub fn validate_at(&self, now: i64) -> Result<(), String> {
        self.validate()?;
        match self.at_ms {
            Some(at) if at.abs_diff(now) > MAX_AT_DISTANCE_MS as u64 => Err(format!(
                "at_ms {at} is more than a year from now ({now}); give a virtual instant in ms"
            )),
            _ => Ok(()),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.tenant.is_empty() {
            return Err("tenant is required".into());
        }
        let inbound = self.queue.is_some() || self.flow.is_some();
        match (inbound, &self.agent) {
            (true, Some(_)) => {
                return Err(
                    "give queue or flow (an inbound call) or agent (an outbound call), not both"
                        .into(),
                )
            }
            (false, None) if self.callee.as_deref().unwrap_or_default().is_empty() => {
                return Err("give queue or flow (an inbound call), callee (an inbound call to a relay number) or agent (an outbound call)".into())
            }
            _ => {}
        }
        if self.queue.is_some() && self.flow.is_some() {
            return Err("give queue or flow, not both: a flow's queue node picks the queue".into());
        }
        if self.caller_script.is_some() && !self.caller_scripts.is_empty() {
            return Err("give caller_script or caller_scripts (weighted), not both".into());
        }
        for s in self.caller_script.iter().chain(&self.caller_scripts) {
            s.validate()?;
        }
        if self.caller_scripts.len() > 100 {
            return Err("caller_scripts holds at most 100 scripts".into());
        }
        if self.actions.len() > 100 {
            return Err("actions holds at most 100 actions".into());
        }
        for (i, a) in self.actions.iter().enumerate() {
            a.validate().map_err(|e| format!("actions[{i}]: {e}"))?;
            if a.after_ms.is_none() {
                return Err(format!(
                    "actions[{i}]: after_ms (from the answer) is required"
                ));
            }
        }
        if self.variables.len() > 100 {
            return Err("variables holds at most 100 entries".into());
        }
        for (name, d) in [
            ("ring_ms", &self.ring_ms),
            ("talk_ms", &self.talk_ms),
            ("wrapup_ms", &self.wrapup_ms),
        ] {
            if let Some(d) = d {
                d.validate(name)?;
            }
        }
        if self.no_answer.len() > MAX_NO_ANSWER {
            return Err(format!(
                "no_answer names {} agents; at most {MAX_NO_ANSWER} (use \"answered\": false for nobody)",
                self.no_answer.len()
            ));
        }
        for (name, v) in [
            ("ring_timeout_ms", self.ring_timeout_ms),
            ("wait_limit_ms", self.wait_limit_ms),
        ] {
            if v.is_some_and(|v| v > MAX_MS) {
                return Err(format!("{name} is over a day"));
            }
        }
        Ok(())
    }
}
