//! The ACD: who is offered a call (the queue's distribution strategy over its free agents), and
//! offering the calls waiting in a queue to them.
//!
//! Udesk (and Huawei skills, which have no strategy of their own) follow the document's
//! "Modify Queue" table:
//! - `Strategy` 0: rotate through the agents in the order of their login (the start of their
//!   current session); after the last agent offered a call comes the next one in that order.
//! - 1: the agent who answered the fewest calls that (virtual, UTC) day first; ties by login.
//! - 2: the agent idle the longest (since their last change to idle) first; ties by agent id.
//!
//! NXCloud follows the group's `ringPolicy`: 1 rings every free agent at once (the longest idle
//! answers), 2 rings one at a time in agent order, always from the first.
//!
//! A free agent: in the queue, enabled, idle at the instant (and with no later timeline entry),
//! and not already skipped by this call.

use super::effects::{set_state, vendor_of};
use super::sim::Action;
use super::sim::{next_offer, schedule, sync_queued, Sim, WaitKey};
use super::{CallState, Host, Step};
use crate::model::{Agent, AgentState, Tenant, Vendor};
use std::collections::HashMap;

/// When the agent's current session began (its last change from offline to online).
fn login_ms(a: &Agent, at: i64) -> i64 {
    session_start(
        &a.timeline[..a.timeline.partition_point(|c| c.at_ms <= at)],
        None,
    )
}

/// The session start after `tl`, walking only the entries past `from` (a start already known
/// for the first `from.0` entries).
fn session_start(tl: &[crate::model::StateChange], from: Option<(usize, i64)>) -> i64 {
    let (seen, mut login) = from.unwrap_or((0, i64::MIN));
    for i in seen..tl.len() {
        let was_online = i > 0 && tl[i - 1].state.is_online();
        if tl[i].state.is_online() && !was_online {
            login = tl[i].at_ms;
        }
    }
    login
}

/// Each agent's login as of the length of its timeline then, so that the rotation and
/// fewest-answered strategies read it without walking the whole timeline at every offer: an
/// agent who took 20,000 calls has 60,000 entries. Timelines only grow at the end; one that
/// no longer starts with the entries seen (a fixture replaced it) is walked again.
#[derive(Default)]
pub(super) struct Logins(HashMap<(String, String), Seen>);

/// A login known after the first `entries` of a timeline, the last of them at `last_ms`.
#[derive(Clone, Copy)]
pub(super) struct Seen {
    entries: usize,
    last_ms: i64,
    login: i64,
}

impl Logins {
    fn of(&mut self, tenant: &str, a: &Agent, at: i64) -> i64 {
        // Only an offer at or after the last change reads the whole timeline; an earlier
        // instant (rare) walks it.
        if a.last_change_ms().is_some_and(|l| l > at) {
            return login_ms(a, at);
        }
        let key = (tenant.to_string(), a.id.clone());
        let tl = &a.timeline;
        let known = self
            .0
            .get(&key)
            .filter(|s| s.entries > 0 && tl.get(s.entries - 1).map(|c| c.at_ms) == Some(s.last_ms))
            .map(|s| (s.entries, s.login));
        let login = session_start(tl, known);
        let last_ms = tl.last().map_or(i64::MIN, |c| c.at_ms);
        self.0.insert(
            key,
            Seen {
                entries: tl.len(),
                last_ms,
                login,
            },
        );
        login
    }
}

fn idle_since(a: &Agent, at: i64) -> i64 {
    let tl = &a.timeline[..a.timeline.partition_point(|c| c.at_ms <= at)];
    tl.last().map_or(i64::MIN, |c| c.at_ms)
}

fn free(a: &Agent, at: i64, skipped: &[String]) -> bool {
    a.enable
        && a.state_at(at) == AgentState::Idle
        && a.last_change_ms().is_none_or(|l| l <= at)
        && !skipped.contains(&a.id)
}

pub fn choose(
    t: &Tenant,
    queue: &str,
    at: i64,
    skipped: &[String],
    last_offered: &HashMap<(String, String), String>,
    answered: &HashMap<(String, String, i64), u32>,
    logins: &mut Logins,
) -> Vec<String> {
    let Some(q) = t.queues.get(queue) else {
        return Vec::new();
    };
    let mut free: Vec<&Agent> = t
        .queue_members(queue)
        .filter(|a| free(a, at, skipped))
        .collect();
    if free.is_empty() {
        return Vec::new();
    }
    if t.vendor() == Vendor::Nxcloud {
        return match q.ring_policy {
            2 => vec![free[0].id.clone()],
            _ => {
                free.sort_by_key(|a| (idle_since(a, at), a.id.clone()));
                free.into_iter().map(|a| a.id.clone()).collect()
            }
        };
    }
    let pick = match q.strategy {
        1 => {
            let day = at.div_euclid(86_400_000);
            free.into_iter().min_by_key(|a| {
                let n = answered
                    .get(&(t.id.clone(), a.id.clone(), day))
                    .copied()
                    .unwrap_or(0);
                (n, logins.of(&t.id, a, at), a.id.clone())
            })
        }
        2 => free
            .into_iter()
            .min_by_key(|a| (idle_since(a, at), a.id.clone())),
        _ => {
            let mut ranked: Vec<((i64, String), &Agent)> = free
                .into_iter()
                .map(|a| ((logins.of(&t.id, a, at), a.id.clone()), a))
                .collect();
            ranked.sort_by(|x, y| x.0.cmp(&y.0));
            let last = last_offered.get(&(t.id.clone(), queue.to_string()));
            // The next in login order after the last agent offered; wrap around.
            let after = last.and_then(|l| {
                let last_agent = t.agents.get(l)?;
                let key = (logins.of(&t.id, last_agent, at), last_agent.id.clone());
                ranked.iter().find(|(k, _)| *k > key).map(|(_, a)| *a)
            });
            after.or_else(|| ranked.first().map(|(_, a)| *a))
        }
    };
    pick.map(|a| vec![a.id.clone()]).unwrap_or_default()
}

/// Offers waiting calls to free agents, oldest call first.
pub(super) fn dispatch<H: Host>(sim: &mut Sim, host: &H, at: i64) {
    // A queue with no free agent at all offers none of its calls: it is passed over whole, so a
    // step costs the same whether ten or twenty thousand calls wait on an unstaffed queue. (No
    // offer frees an agent, so a queue full now stays full for this round.)
    let mut waiting: Vec<WaitKey> = Vec::new();
    {
        let model = host.model();
        for ((tenant, queue), calls) in &sim.queued_by_queue {
            if calls.first().is_none_or(|(enqueued, _, _)| *enqueued > at) {
                continue;
            }
            let Some(t) = model.tenants.get(tenant) else {
                continue;
            };
            if t.queue_members(queue).any(|a| free(a, at, &[])) {
                waiting.extend(calls.iter().take_while(|(e, _, _)| *e <= at).cloned());
            }
        }
    }
    // Oldest first across queues, as an agent in two queues takes the older call.
    waiting.sort_unstable();
    // Queues that run out of free agents in this round: their other calls are not offered.
    let mut full: Vec<(String, String)> = Vec::new();
    for (_, _, id) in waiting {
        {
            let c = &sim.calls[&id];
            let queue = c.queue.as_deref().unwrap_or_default();
            if full.iter().any(|(t, q)| *t == c.tenant && q == queue) {
                continue;
            }
        }
        let (tenant, queue, skipped, plan) = {
            let c = &sim.calls[&id];
            (
                c.tenant.clone(),
                c.queue.clone().unwrap_or_default(),
                c.skipped.clone(),
                c.plan.clone(),
            )
        };
        let offered = {
            let model = host.model();
            let Some(t) = model.tenants.get(&tenant) else {
                continue;
            };
            let offered = choose(
                t,
                &queue,
                at,
                &skipped,
                &sim.last_offered,
                &sim.answered,
                &mut sim.logins,
            );
            if offered.is_empty() && !t.queue_members(&queue).any(|a| free(a, at, &[])) {
                full.push((tenant.clone(), queue.clone()));
            }
            offered
        };
        if offered.is_empty() {
            continue;
        }
        if let (Some(first), Vendor::Udesk | Vendor::Huawei) =
            (offered.first(), vendor_of(host, &tenant))
        {
            sim.last_offered
                .insert((tenant.clone(), queue.clone()), first.clone());
        }
        let mut rang = Vec::new();
        for agent in &offered {
            if set_state(sim, host, &id, agent, AgentState::Ringing, at) {
                rang.push(agent.clone());
            }
        }
        if rang.is_empty() {
            continue;
        }
        {
            let c = sim.calls.get_mut(&id).expect("present");
            c.state = CallState::Ringing;
            c.ringing = rang.clone();
            c.ring_ms = Some(at);
            c.steps.push(Step {
                name: "ring".into(),
                at_ms: at,
                agent: Some(rang.join(",")),
                detail: None,
            });
        }
        sync_queued(sim, &id);
        let answerer = rang
            .iter()
            .find(|a| {
                plan.answered && plan.ring_ms <= plan.ring_timeout_ms && !plan.no_answer.contains(a)
            })
            .cloned();
        let offer = next_offer(sim, &id);
        let when = if answerer.is_some() {
            at + plan.ring_ms
        } else {
            at + plan.ring_timeout_ms
        };
        schedule(
            sim,
            when,
            &id,
            Action::RingEnd {
                offer,
                by: answerer,
            },
        );
    }
}
