//! What the people on a simulated call do, scripted per call: the caller (keys, speech, hanging
//! up, a voicemail) and the agents and supervisors (hold, consult, transfer, listen in, take
//! over). The same action shape serves a call's script and `POST /_ccemu/calls/{id}/actions`.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Keys the caller presses, `after_ms` from the start of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Press {
    pub after_ms: u64,
    pub keys: String,
}

/// What the caller says, `after_ms` from the start of the call (speech recognition hears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Say {
    pub after_ms: u64,
    pub text: String,
}

/// The caller's part. A load profile mixes several with `weight`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerScript {
    /// Relative weight when the call spec lists several scripts (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// A name for the script, shown in the call's history (which one was drawn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub press: Vec<Press>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub say: Vec<Say>,
    /// The caller hangs up this long after the start of the call, wherever it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hangup_after_ms: Option<u64>,
    /// The caller hangs up on reaching this IVR node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hangup_at_node: Option<String>,
    /// At a voicemail node the caller speaks this long, then hangs up; without it the caller
    /// hangs up at the beep and no voicemail is left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_ms: Option<u64>,
}

const DAY_MS: u64 = 86_400_000;

impl CallerScript {
    pub fn validate(&self) -> Result<(), String> {
        if self.weight == Some(0) {
            return Err("a caller script's weight must be at least 1".into());
        }
        for p in &self.press {
            if p.keys.is_empty()
                || !p
                    .keys
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
            {
                return Err(format!(
                    "press keys {:?}: only 0-9, * and # can be pressed",
                    p.keys
                ));
            }
        }
        let times = self
            .press
            .iter()
            .map(|p| p.after_ms)
            .chain(self.say.iter().map(|s| s.after_ms))
            .chain(self.hangup_after_ms)
            .chain(self.voicemail_ms);
        for t in times {
            if t > DAY_MS {
                return Err("a caller script's times are at most a day".into());
            }
        }
        if self.press.len() + self.say.len() > 1000 {
            return Err("a caller script holds at most 1000 presses and sayings".into());
        }
        Ok(())
    }
}

/// Draws one of `scripts` by weight from the calls' seeded RNG.
pub fn draw<'a>(scripts: &'a [CallerScript], rng: &mut impl Rng) -> Option<&'a CallerScript> {
    let total: u64 = scripts
        .iter()
        .map(|s| u64::from(s.weight.unwrap_or(1)))
        .sum();
    if total == 0 {
        return None;
    }
    let mut pick = rng.gen_range(0..total);
    for s in scripts {
        let w = u64::from(s.weight.unwrap_or(1));
        if pick < w {
            return Some(s);
        }
        pick -= w;
    }
    scripts.last()
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Hold,
    Resume,
    /// Ring `agent`; when it answers, the two agents talk while the customer is held.
    Consult,
    /// The consulted agent leaves; the first agent is back with the customer.
    EndConsult,
    /// The consulted agent joins the customer and the first agent.
    ThreeWay,
    /// The first agent leaves; the consulted agent keeps the customer.
    CompleteTransfer,
    /// Blind transfer to `agent` or `queue`: the first agent leaves at once.
    Transfer,
    /// Transfer to an external `number`: the agent leaves, the customer talks on.
    TransferExternal,
    /// `supervisor` listens in.
    Eavesdrop,
    /// `supervisor` takes the call over from the agent (Udesk "substitute").
    Intercept,
}

impl ActionKind {
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Hold => "hold",
            ActionKind::Resume => "resume",
            ActionKind::Consult => "consult",
            ActionKind::EndConsult => "end_consult",
            ActionKind::ThreeWay => "three_way",
            ActionKind::CompleteTransfer => "complete_transfer",
            ActionKind::Transfer => "transfer",
            ActionKind::TransferExternal => "transfer_external",
            ActionKind::Eavesdrop => "eavesdrop",
            ActionKind::Intercept => "intercept",
        }
    }
}

/// An agent's or supervisor's action on a live call: in a call's `actions` script
/// (`after_ms` from the answer) or posted to `/_ccemu/calls/{id}/actions` (now).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AgentAction {
    pub action: ActionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<u64>,
    /// consult, transfer: the other agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// transfer: the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// transfer_external: the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// eavesdrop, intercept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
}

impl AgentAction {
    /// The fields each action needs, and none it does not.
    pub fn validate(&self) -> Result<(), String> {
        use ActionKind::*;
        let name = self.action.name();
        let need = |field: &str, v: &Option<String>| match v {
            Some(s) if !s.is_empty() => Ok(()),
            _ => Err(format!("{name} needs {field}")),
        };
        match self.action {
            Consult => need("agent", &self.agent)?,
            Transfer => match (&self.agent, &self.queue) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => return Err("transfer needs agent or queue (one of them)".into()),
            },
            TransferExternal => {
                need("number", &self.number)?;
                let n = self.number.as_deref().unwrap_or_default();
                if !(3..=20).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "transfer_external number {n:?} must be 3 to 20 digits"
                    ));
                }
            }
            Eavesdrop | Intercept => need("supervisor", &self.supervisor)?,
            Hold | Resume | EndConsult | ThreeWay | CompleteTransfer => {}
        }
        let extra = [
            (
                "agent",
                self.agent.is_some() && !matches!(self.action, Consult | Transfer),
            ),
            ("queue", self.queue.is_some() && self.action != Transfer),
            (
                "number",
                self.number.is_some() && self.action != TransferExternal,
            ),
            (
                "supervisor",
                self.supervisor.is_some() && !matches!(self.action, Eavesdrop | Intercept),
            ),
        ];
        if let Some((field, _)) = extra.iter().find(|(_, set)| *set) {
            return Err(format!("{name} takes no {field}"));
        }
        if self.after_ms.is_some_and(|ms| ms > DAY_MS) {
            return Err("after_ms is at most a day".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weights_are_honoured_by_the_draw() {
        let scripts: Vec<CallerScript> = serde_json::from_str(
            r#"[{"weight": 70, "name": "one"}, {"weight": 20, "name": "two"}, {"weight": 10, "name": "hang"}]"#,
        )
        .unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut n = [0u32; 3];
        for _ in 0..10_000 {
            let s = draw(&scripts, &mut rng).unwrap();
            let i = scripts.iter().position(|x| x == s).unwrap();
            n[i] += 1;
        }
        assert!((6700..7300).contains(&n[0]), "{n:?}");
        assert!((1700..2300).contains(&n[1]), "{n:?}");
        assert!((800..1200).contains(&n[2]), "{n:?}");
    }

    #[test]
    fn actions_need_their_fields() {
        let a: AgentAction = serde_json::from_str(r#"{"action": "consult"}"#).unwrap();
        assert_eq!(a.validate().unwrap_err(), "consult needs agent");
        let a: AgentAction = serde_json::from_str(r#"{"action": "hold", "agent": "x"}"#).unwrap();
        assert_eq!(a.validate().unwrap_err(), "hold takes no agent");
        let a: AgentAction =
            serde_json::from_str(r#"{"action": "transfer", "agent": "x", "queue": "q"}"#).unwrap();
        assert!(a.validate().is_err());
        let a: AgentAction =
            serde_json::from_str(r#"{"action": "transfer_external", "number": "13800000000"}"#)
                .unwrap();
        a.validate().unwrap();
    }
}
