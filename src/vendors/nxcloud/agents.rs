//! Agents (seats): the list and the per-agent status durations. An NX agent's userName is the
//! model's agent id, its sipNumber the agent's SIP number.

use super::errors::NxError;
use super::{Call, Data};
use crate::model::state::{self, AgentState, RestReason};
use crate::model::{Agent, Tenant};
use serde::Serialize;
use std::sync::Arc;

/// A seat as the page shows it: the agent's own fields borrowed from the page's shared records,
/// its group names (the tenant's) copied under the lock.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Seat<'a> {
    allow_country: &'a [String],
    end_point_name: &'a str,
    gmt_create: String,
    gmt_modified: String,
    queue_name: Vec<String>,
    nick_name: &'a str,
    recording: u8,
    recording_storage_days: u32,
    sip_number: &'a str,
    status: u8,
    user_name: &'a str,
}

/// `yyyy-MM-dd HH:mm:ss` in UTC, the way the vendor's Java backend prints its gmt fields.
fn gmt(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
    }
    // Written digit by digit: a page of seats prints two of these per seat, and `format!` was a
    // sixth of the page's cost.
    let mut out = String::with_capacity(19);
    let digits = |out: &mut String, n: i64, width: u32| {
        for p in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10i64.pow(p) % 10) as u8));
        }
    };
    digits(&mut out, year, 4);
    out.push('-');
    digits(&mut out, month, 2);
    out.push('-');
    digits(&mut out, day, 2);
    out.push(' ');
    digits(&mut out, rem / 3600, 2);
    out.push(':');
    digits(&mut out, rem % 3600 / 60, 2);
    out.push(':');
    digits(&mut out, rem % 60, 2);
    out
}

/// Query seat list — `POST /saas/cc/openapi/agent/page`
/// `{tenantId, userName?, size (≤ 200), page (from 1)}` → a page of seats and `total`.
///
/// `userName` filters by substring; seats come in userName order. `status` is the agent's
/// account switch (1 enabled, 0 disabled), `recording` 1/0.
pub fn page(call: &Call) -> Result<Data, NxError> {
    let user = call.body.opt_string("userName")?.unwrap_or_default();
    let page = call.page()?;
    let (skip, take) = page.window();
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    if user.is_empty() {
        // Unfiltered: the page comes straight from the id order, so the lock costs the page;
        // polled again before the model or the clock moves, it is the bytes made last time.
        let (key, version, now) = (
            crate::read_cache::cache_key!["nxcloud/agent/page", call.tenant, skip, take],
            model.version(),
            call.now_ms(),
        );
        if let Some(data) = call.kept(&key, version, now) {
            return Ok(data);
        }
        let total = t.agents.len() as u64;
        let page_of = t.agents.page(skip, take);
        let names: Vec<Vec<String>> = page_of.agents().map(|a| group_names(t, a)).collect();
        drop(model);
        let seats: Vec<Seat> = page_of.agents().zip(names).map(seat).collect();
        let data = Data::paged(&seats, total)?;
        call.keep(key, version, now, &data);
        return Ok(data);
    }
    // A substring of userName: scan a snapshot with the lock released, then build the page.
    let snapshot = t.agents.snapshot();
    drop(model);
    let matching: Vec<&Arc<Agent>> = snapshot.shared().filter(|a| a.id.contains(&user)).collect();
    let (on_page, total) = page.slice(matching);
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let names: Vec<Vec<String>> = on_page.iter().map(|a| group_names(t, a)).collect();
    drop(model);
    let seats: Vec<Seat> = on_page.iter().map(|a| &***a).zip(names).map(seat).collect();
    Data::paged(&seats, total)
}

/// The names of the agent's groups (a group without one shows its number).
fn group_names(t: &Tenant, a: &Agent) -> Vec<String> {
    a.queues
        .iter()
        .map(|q| {
            t.queues
                .get(q)
                .map_or_else(|| q.clone(), |q| q.name.clone())
        })
        .collect()
}

fn seat((a, queue_name): (&Agent, Vec<String>)) -> Seat<'_> {
    Seat {
        allow_country: &a.allow_country,
        end_point_name: &a.end_point_name,
        gmt_create: gmt(a.created_ms),
        gmt_modified: gmt(a.modified_ms.max(a.created_ms)),
        queue_name,
        nick_name: &a.nick_name,
        recording: u8::from(a.recording),
        recording_storage_days: a.recording_storage_days,
        sip_number: a.sip_number.as_deref().unwrap_or_default(),
        status: u8::from(a.enable),
        user_name: &a.id,
    }
}

/// The longest window status/info answers for.
pub const MAX_WINDOW_S: i64 = 31 * 86_400;

/// Seconds since the epoch below this are plausible; 13-digit values are milliseconds.
const MAX_SECONDS: i64 = 100_000_000_000;

#[derive(Serialize, Default, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    pub sip_number: String,
    pub nick_name: String,
    pub user_name: String,
    pub busy_duration: i64,
    pub wrapup_duration: i64,
    pub idle_duration: i64,
    pub calling_duration: i64,
    pub ringing_duration: i64,
    pub meeting_duration: i64,
    pub eating_duration: i64,
    pub wc_duration: i64,
    pub sleep_duration: i64,
    pub other_duration: i64,
    pub login_time_stamp: i64,
    pub logout_time_stamp: i64,
}

/// Seconds from milliseconds, rounded down, so the per-state durations never add up to more
/// than the window.
fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// The durations of `timeline` inside `[start_s, end_s)` as status/info reports them. Only what
/// has happened by `now_ms` counts (see `state::durations`).
///
/// Several sessions may touch the window: loginTimeStamp is the first one's login and
/// logoutTimeStamp the last one's logout (0 while that session is still open); with no session
/// in the window both are 0.
pub fn status_durations(
    timeline: &[state::StateChange],
    start_s: i64,
    end_s: i64,
    now_ms: i64,
) -> StatusInfo {
    let d = state::durations(
        timeline,
        start_s.saturating_mul(1000),
        end_s.saturating_mul(1000),
        now_ms,
    );
    let of = |s: AgentState| secs(d.of(s));
    let touching = &d.sessions;
    StatusInfo {
        busy_duration: of(AgentState::Busy),
        wrapup_duration: of(AgentState::Wrapup),
        idle_duration: of(AgentState::Idle),
        calling_duration: of(AgentState::Calling),
        ringing_duration: of(AgentState::Ringing),
        meeting_duration: of(AgentState::Rest(RestReason::Meeting)),
        eating_duration: of(AgentState::Rest(RestReason::Eating)),
        wc_duration: of(AgentState::Rest(RestReason::Wc)),
        sleep_duration: of(AgentState::Rest(RestReason::Sleep)),
        other_duration: of(AgentState::Rest(RestReason::Other)),
        login_time_stamp: touching.first().map_or(0, |s| secs(s.0)),
        logout_time_stamp: touching.last().and_then(|s| s.1).map_or(0, secs),
        ..StatusInfo::default()
    }
}

/// A `long` timestamp in seconds; absent answers the vendor's 41000 "… date cannot be empty".
fn seconds(call: &Call, name: &str, missing: &str) -> Result<i64, NxError> {
    let v = call
        .body
        .opt_int(name)?
        .ok_or_else(|| NxError::Validation(missing.into()))?;
    if v < 0 {
        return Err(NxError::Parameter(format!(
            "{name} must be a timestamp in seconds, not {v}"
        )));
    }
    if v >= MAX_SECONDS {
        return Err(NxError::Validation(format!(
            "{name} {v} looks like milliseconds; it must be a timestamp in seconds"
        )));
    }
    Ok(v)
}

/// Query seat status information — `POST /saas/cc/openapi/agent/status/info`
/// `{tenantId, userName, startDateTime, endDateTime}` (seconds, numbers or strings of digits).
///
/// Answers a list with the agent's one entry: seconds spent in each state inside
/// `[startDateTime, endDateTime)` from the model's timeline, and its login/logout instants.
/// Refused with 41000: a missing date, an end not after the start, a window over 31 days, an
/// unknown userName.
pub fn status_info(call: &Call) -> Result<Data, NxError> {
    let user = call.body.string("userName")?;
    let start = seconds(call, "startDateTime", "Start date cannot be empty")?;
    let end = seconds(call, "endDateTime", "End date cannot be empty")?;
    if end <= start {
        return Err(NxError::Validation(format!(
            "End time must be later than start time (startDateTime {start}, endDateTime {end})"
        )));
    }
    if end - start > MAX_WINDOW_S {
        return Err(NxError::Validation(format!(
            "The time range cannot exceed 31 days (got {} s)",
            end - start
        )));
    }
    let now = call.now_ms();
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    // Asked again before the model or the clock moves (a dashboard polling a seat), the answer
    // is the bytes made last time: writing its fifteen members was most of the request.
    let (key, version) = (
        crate::read_cache::cache_key!["nxcloud/agent/status/info", call.tenant, &user, start, end],
        model.version(),
    );
    if let Some(data) = call.kept(&key, version, now) {
        return Ok(data);
    }
    let agent = t
        .agents
        .get(&user)
        .ok_or_else(|| NxError::Validation(format!("Agent {user} does not exist")))?;
    let info = StatusInfo {
        sip_number: agent.sip_number.clone().unwrap_or_default(),
        nick_name: agent.nick_name.clone(),
        user_name: agent.id.clone(),
        ..status_durations(&agent.timeline, start, end, now)
    };
    drop(model);
    let data = Data::of(&[info])?;
    call.keep(key, version, now, &data);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tl;
    use AgentState::*;

    #[test]
    fn gmt_prints_utc() {
        assert_eq!(gmt(0), "1970-01-01 00:00:00");
        assert_eq!(gmt(1_704_643_200_000), "2024-01-07 16:00:00");
        assert_eq!(gmt(951_825_600_000), "2000-02-29 12:00:00");
        assert_eq!(gmt(253_402_300_799_000), "9999-12-31 23:59:59");
        assert_eq!(gmt(253_402_300_800_000), "10000-01-01 00:00:00");
        assert_eq!(gmt(-1000), "1969-12-31 23:59:59");
    }

    #[test]
    fn an_open_session_does_not_touch_a_window_now_has_not_reached() {
        let t = tl(&[(1_000, Idle)]);
        let s = status_durations(&t, 100, 200, 50_000);
        assert_eq!(s, StatusInfo::default());
        let s = status_durations(&t, 40, 200, 50_000);
        assert_eq!(
            (s.idle_duration, s.login_time_stamp, s.logout_time_stamp),
            (10, 1, 0)
        );
    }

    #[test]
    fn future_entries_are_not_history() {
        let t = tl(&[(0, Idle), (5_000, Offline), (50_000, Idle)]);
        let s = status_durations(&t, 0, 100, 10_000);
        assert_eq!(
            (s.idle_duration, s.login_time_stamp, s.logout_time_stamp),
            (5, 0, 5)
        );
    }
}
