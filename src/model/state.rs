//! Agent states and the per-agent timeline every vendor reads from.
//!
//! One timeline, three faces: Udesk login/logout and `GET /agents` state, NXLink status durations and
//! Huawei `agentStatus` are all views of the same list of changes, so a change made through any
//! vendor (or the admin API, or a scenario) is seen by all of them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why an agent is resting. The five reasons are NXLink's; other vendors fold them into "resting".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestReason {
    Meeting,
    Eating,
    Wc,
    Sleep,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgentState {
    Offline,
    Idle,
    Busy,
    Calling,
    Ringing,
    Wrapup,
    Rest(RestReason),
}

impl AgentState {
    pub const ALL: [AgentState; 11] = [
        AgentState::Offline,
        AgentState::Idle,
        AgentState::Busy,
        AgentState::Calling,
        AgentState::Ringing,
        AgentState::Wrapup,
        AgentState::Rest(RestReason::Meeting),
        AgentState::Rest(RestReason::Eating),
        AgentState::Rest(RestReason::Wc),
        AgentState::Rest(RestReason::Sleep),
        AgentState::Rest(RestReason::Other),
    ];

    pub fn name(self) -> &'static str {
        match self {
            AgentState::Offline => "offline",
            AgentState::Idle => "idle",
            AgentState::Busy => "busy",
            AgentState::Calling => "calling",
            AgentState::Ringing => "ringing",
            AgentState::Wrapup => "wrapup",
            AgentState::Rest(RestReason::Meeting) => "rest:meeting",
            AgentState::Rest(RestReason::Eating) => "rest:eating",
            AgentState::Rest(RestReason::Wc) => "rest:wc",
            AgentState::Rest(RestReason::Sleep) => "rest:sleep",
            AgentState::Rest(RestReason::Other) => "rest:other",
        }
    }

    pub fn is_online(self) -> bool {
        self != AgentState::Offline
    }
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AgentState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // "talking" and "neaten" are Udesk's words for calling and wrap-up; scenario files may use either.
        let s = match s {
            "talking" => "calling",
            "neaten" | "wrap-up" | "wrap_up" => "wrapup",
            "rest" | "resting" => "rest:other",
            other => other,
        };
        AgentState::ALL
            .iter()
            .copied()
            .find(|st| st.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown agent state {s:?}; expected one of {}",
                    AgentState::ALL.map(|s| s.name()).join(", ")
                )
            })
    }
}

impl Serialize for AgentState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for AgentState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One entry of an agent's timeline: from `at_ms` on, the agent is in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    pub at_ms: i64,
    pub state: AgentState,
}

/// Time spent in each state inside a window, and the sessions that touch it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// Milliseconds per state, indexed like `AgentState::ALL`.
    pub ms: [i64; 11],
    /// Login/logout instants (ms) of each session overlapping the window; `None` while still logged in.
    pub sessions: Vec<(i64, Option<i64>)>,
}

impl Durations {
    pub fn of(&self, state: AgentState) -> i64 {
        let i = AgentState::ALL
            .iter()
            .position(|s| *s == state)
            .unwrap_or_default();
        self.ms[i]
    }

    pub fn online_total(&self) -> i64 {
        self.ms[1..].iter().sum()
    }
}

/// The state in force at `at_ms` (offline before the first change).
pub fn state_at(timeline: &[StateChange], at_ms: i64) -> AgentState {
    let idx = timeline.partition_point(|c| c.at_ms <= at_ms);
    if idx == 0 {
        AgentState::Offline
    } else {
        timeline[idx - 1].state
    }
}

/// Clips the timeline to `[start_ms, end_ms)`; the last state lasts until `now_ms`. Only what
/// has happened by `now_ms` is history: time after it counts for nothing, entries dated after it
/// (a fixture or scenario may hold some) are ignored, and a session still open touches the window
/// only once now has reached it.
pub fn durations(timeline: &[StateChange], start_ms: i64, end_ms: i64, now_ms: i64) -> Durations {
    let timeline = &timeline[..timeline.partition_point(|c| c.at_ms <= now_ms)];
    let mut out = Durations::default();
    let end = end_ms.min(now_ms);
    let mut session_start: Option<i64> = None;
    for (i, change) in timeline.iter().enumerate() {
        let until = timeline.get(i + 1).map_or(now_ms, |n| n.at_ms);
        let (from, to) = (change.at_ms.max(start_ms), until.min(end));
        if to > from {
            let idx = AgentState::ALL
                .iter()
                .position(|s| *s == change.state)
                .unwrap_or_default();
            out.ms[idx] += to - from;
        }
        let prev_online = i > 0 && timeline[i - 1].state.is_online();
        if change.state.is_online() && !prev_online {
            session_start = Some(change.at_ms);
        } else if !change.state.is_online() && prev_online {
            if let Some(login) = session_start.take() {
                if login < end_ms && change.at_ms > start_ms {
                    out.sessions.push((login, Some(change.at_ms)));
                }
            }
        }
    }
    if let Some(login) = session_start {
        if login < end_ms && now_ms > start_ms {
            out.sessions.push((login, None));
        }
    }
    out
}

/// A timeline from `(at_ms, state)` pairs, for tests.
#[cfg(test)]
pub(crate) fn tl(v: &[(i64, AgentState)]) -> Vec<StateChange> {
    v.iter()
        .map(|&(at_ms, state)| StateChange { at_ms, state })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentState::*;

    #[test]
    fn names_round_trip() {
        for s in AgentState::ALL {
            assert_eq!(s.name().parse::<AgentState>().unwrap(), s);
        }
        assert!("dancing".parse::<AgentState>().is_err());
    }

    #[test]
    fn scripted_session() {
        let t = tl(&[
            (0, Idle),
            (200_000, Calling),
            (250_000, Wrapup),
            (260_000, Offline),
        ]);
        let d = durations(&t, -1_000_000, 1_000_000, 2_000_000);
        assert_eq!(d.of(Idle), 200_000);
        assert_eq!(d.of(Calling), 50_000);
        assert_eq!(d.of(Wrapup), 10_000);
        assert_eq!(d.sessions, vec![(0, Some(260_000))]);
    }

    #[test]
    fn window_cuts_a_state_in_the_middle() {
        let t = tl(&[(0, Idle), (100, Busy), (300, Offline)]);
        let d = durations(&t, 50, 200, 1_000);
        assert_eq!(d.of(Idle), 50);
        assert_eq!(d.of(Busy), 100);
        assert_eq!(d.sessions, vec![(0, Some(300))]);
    }

    #[test]
    fn the_future_is_not_history() {
        let t = tl(&[(0, Idle), (5_000, Offline)]);
        // At now = 1000 the logout at 5000 has not happened: idle so far, session open.
        let d = durations(&t, 0, 10_000, 1_000);
        assert_eq!(d.of(Idle), 1_000);
        assert_eq!(d.sessions, vec![(0, None)]);
        // A window after now sees nothing, not even the open session.
        let d = durations(&t, 2_000, 3_000, 1_000);
        assert_eq!(d, Durations::default());
    }

    #[test]
    fn open_state_runs_until_now() {
        let t = tl(&[(0, Idle)]);
        let d = durations(&t, 0, 10_000, 4_000);
        assert_eq!(d.of(Idle), 4_000);
        assert_eq!(d.sessions, vec![(0, None)]);
        assert_eq!(state_at(&t, -1), Offline);
        assert_eq!(state_at(&t, 0), Idle);
    }
}
