//! Misbehaving on purpose: fault rules, scenario files and their timelines, per-tenant clock skew
//! and early token revocation.
//!
//! The server asks `decide` once per vendor request, before dispatch. With no rules that is one
//! atomic load. Otherwise the parts of the request the rules look at (operation, claimed tenant,
//! body fields) are worked out first, outside every lock, and then the rules are tried in order
//! under one short lock: each rule whose match fits counts the request, and the first that fires
//! wins (later rules do not see the request). Counting under that lock is what keeps "first N"
//! and "after N" exact under any concurrency.
//!
//! Locks here are leaves or come before the model lock, never after it: `rules`, `skews` and
//! `revoked` take no other lock; `timeline` is held while events are applied to the model, so
//! events are applied strictly in order even when two requests notice them at once.

pub mod faults;
pub mod rules;
pub mod timeline;

use crate::calls::Calls;
use crate::http::ApiRequest;
use faults::Face;
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rules::{Fired, Needs, RequestView, Rule, RuleSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicUsize, Ordering};
use timeline::{Applied, Scheduled, TimedEvent};
use tokio::sync::watch;

/// A scenario file: `scenarios/*.json`, `--scenario FILE` or `POST /_ccemu/scenarios`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The file's JSON Schema, for editors (schemas/scenario.json); ccemu reads nothing from it.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
    pub name: String,
    /// What the scenario is for: the behaviour a client should survive.
    #[serde(default)]
    pub description: String,
    /// Reseeds the fault RNG, so the scenario's random faults repeat exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The virtual instant the scenario's times count from; default: the clock when it is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<i64>,
    #[serde(default, alias = "faults")]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub timeline: Vec<TimedEvent>,
}

/// A loaded scenario, for `GET /_ccemu/scenarios`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Loaded {
    pub name: String,
    pub description: String,
    pub start_ms: i64,
    pub seed: Option<u64>,
    pub rules: Vec<u64>,
    pub events: usize,
}

struct RuleSet {
    rules: Vec<Rule>,
    next_id: u64,
    /// The fault RNG: seeded from `--seed` (or a scenario's `seed`), apart from the model's RNG so
    /// that a handler drawing a password does not shift the fault sequence.
    rng: StdRng,
}

#[derive(Default)]
struct Timeline {
    /// Sorted by time; events at the same time keep file order.
    pending: VecDeque<Scheduled>,
    applied: VecDeque<Applied>,
    loaded: Vec<Loaded>,
}

/// How many applied events `GET /_ccemu/scenarios` shows.
const APPLIED_LOG: usize = 1024;

/// What a scripted timeline needs from whoever runs it: the model and the clock (as the calls
/// do), the calls to start, the scenarios whose skews and revocations its events set, and
/// `advance` (the host interleaves scenario events with call steps). `Ctx` is the host.
pub trait Host: crate::calls::Host {
    fn calls(&self) -> &Calls;
    fn scenarios(&self) -> &Scenarios;
    /// Applies every scripted event and call step due by now (`Ctx::advance`).
    fn advance(&self);
}

pub struct Scenarios {
    seed: u64,
    rules: Mutex<RuleSet>,
    rule_count: AtomicUsize,
    needs: AtomicU8,
    timeline: Mutex<Timeline>,
    /// The earliest pending event's time, `i64::MAX` when none: the per-request check is one load.
    next_due_ms: AtomicI64,
    skews: RwLock<HashMap<String, i64>>,
    any_skew: AtomicBool,
    revoked: RwLock<HashMap<String, i64>>,
    /// Flips to true at shutdown: hung requests and the timeline ticker end.
    closing: watch::Sender<bool>,
}

impl Scenarios {
    pub fn new(seed: u64) -> Scenarios {
        Scenarios::with_first_rule_id(seed, 1)
    }

    /// A rule set whose ids start at `first`: a sandbox's rules get ids of their own, so that
    /// releasing a hung request by rule id never reaches another sandbox's.
    pub fn with_first_rule_id(seed: u64, first: u64) -> Scenarios {
        Scenarios {
            seed,
            rules: Mutex::new(RuleSet {
                rules: Vec::new(),
                next_id: first,
                rng: StdRng::seed_from_u64(seed),
            }),
            rule_count: AtomicUsize::new(0),
            needs: AtomicU8::new(0),
            timeline: Mutex::new(Timeline::default()),
            next_due_ms: AtomicI64::new(i64::MAX),
            skews: RwLock::new(HashMap::new()),
            any_skew: AtomicBool::new(false),
            revoked: RwLock::new(HashMap::new()),
            closing: watch::channel(false).0,
        }
    }

    fn refresh(&self, set: &RuleSet) {
        let mut needs = Needs::default();
        for r in &set.rules {
            let n = r.spec.matcher.needs();
            needs.operation |= n.operation;
            needs.tenant |= n.tenant;
            needs.body |= n.body;
        }
        self.needs.store(needs.bits(), Ordering::Release);
        self.rule_count.store(set.rules.len(), Ordering::Release);
    }

    /// Adds a rule (validated) and answers its id.
    pub fn add_rule(&self, spec: RuleSpec, scenario: Option<String>) -> Result<u64, String> {
        spec.validate()?;
        let mut set = self.rules.lock();
        let id = set.next_id;
        set.next_id += 1;
        set.rules.push(Rule::new(id, spec, scenario));
        self.refresh(&set);
        Ok(id)
    }

    pub fn remove_rule(&self, id: u64) -> bool {
        let mut set = self.rules.lock();
        let before = set.rules.len();
        set.rules.retain(|r| r.id != id);
        self.refresh(&set);
        set.rules.len() != before
    }

    /// Removes every rule; ids keep counting up so a stale id never names a new rule.
    pub fn clear_rules(&self) {
        let mut set = self.rules.lock();
        set.rules.clear();
        self.refresh(&set);
    }

    /// One rule's listing, if it exists.
    pub fn rule(&self, id: u64) -> Option<Value> {
        self.rules
            .lock()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(Rule::listing)
    }

    pub fn rule_ids(&self) -> Vec<u64> {
        self.rules.lock().rules.iter().map(|r| r.id).collect()
    }

    pub fn list_rules(&self) -> Vec<Value> {
        self.rules.lock().rules.iter().map(Rule::listing).collect()
    }

    pub fn reseed(&self, seed: u64) {
        self.rules.lock().rng = StdRng::seed_from_u64(seed);
    }

    /// Whether a fault fires for this request, and which. Called before dispatch, with the clock
    /// the rules' windows are read on (the emulator's, or a sandbox's own).
    pub fn decide(
        &self,
        vendor: &dyn Face,
        req: &ApiRequest,
        now: impl FnOnce() -> i64,
    ) -> Option<Fired> {
        if self.rule_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let needs = Needs::from_bits(self.needs.load(Ordering::Acquire));
        // Worked out before the rules lock: the tenant hint may take the model lock.
        let view = RequestView {
            vendor: vendor.vendor(),
            req,
            operation: if needs.operation {
                vendor.operation(req)
            } else {
                None
            },
            tenant: if needs.tenant {
                vendor.tenant_hint(req)
            } else {
                None
            },
            body: if needs.body {
                rules::body_object(&req.body)
            } else {
                None
            },
        };
        let now = now();
        let mut set = self.rules.lock();
        let RuleSet { rules, rng, .. } = &mut *set;
        for rule in rules.iter_mut() {
            if rule.spec.delivery.is_some() || !rule.spec.matcher.matches_request(&view) {
                continue;
            }
            if let Some(fired) = rule.consider(now, rng) {
                return Some(fired);
            }
        }
        None
    }

    /// Whether a fault fires for an outbound delivery, and which: the same rules, counters and
    /// fault RNG as requests, restricted to the rules with a `delivery` match.
    pub fn decide_delivery(&self, now_ms: i64, view: &rules::DeliveryView) -> Option<Fired> {
        if self.rule_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut set = self.rules.lock();
        let RuleSet { rules, rng, .. } = &mut *set;
        for rule in rules.iter_mut() {
            if !rule.spec.delivery.as_ref().is_some_and(|m| m.matches(view)) {
                continue;
            }
            if let Some(fired) = rule.consider(now_ms, rng) {
                return Some(fired);
            }
        }
        None
    }

    /// Loads a scenario: its rules (windows moved to its start), its timeline, its seed.
    pub fn load<H: Host>(&self, ctx: &H, file: ScenarioFile) -> Result<Loaded, String> {
        for (i, r) in file.rules.iter().enumerate() {
            r.validate().map_err(|e| format!("rule {}: {e}", i + 1))?;
        }
        for (i, e) in file.timeline.iter().enumerate() {
            e.validate()
                .map_err(|why| format!("timeline[{i}] ({}): {why}", e.event.name()))?;
        }
        // IVR flows are checked when the scenario loads, against the tenant as it is now, so a
        // broken flow is refused with its code and node instead of failing at its instant.
        for (i, e) in file.timeline.iter().enumerate() {
            if let timeline::Event::IvrFlows {
                tenant,
                flows,
                voices,
            } = &e.event
            {
                let mut t = ctx
                    .model()
                    .tenant(tenant)
                    .map_err(|e| format!("timeline[{i}]: {e}"))?
                    .clone();
                t.replace_ivr_flows(flows.clone(), voices.clone())
                    .map_err(|e| match e {
                        crate::model::ModelError::Ivr(e) => {
                            format!("timeline[{i}]: {} {}", e.code, e.message)
                        }
                        e => format!("timeline[{i}]: {e}"),
                    })?;
            }
        }
        let start = file.start_ms.unwrap_or_else(|| ctx.now_ms());
        if !(0..=timeline::MAX_START_MS).contains(&start) {
            return Err(format!(
                "start_ms {start} is not a virtual instant from 1970 to 9999 in ms"
            ));
        }
        if let Some(seed) = file.seed {
            self.reseed(seed);
        }
        let mut ids = Vec::with_capacity(file.rules.len());
        for mut spec in file.rules {
            spec.from_ms = spec.from_ms.map(|f| start.saturating_add(f));
            spec.until_ms = spec.until_ms.map(|u| start.saturating_add(u));
            ids.push(self.add_rule(spec, Some(file.name.clone()))?);
        }
        let loaded = Loaded {
            name: file.name.clone(),
            description: file.description,
            start_ms: start,
            seed: file.seed,
            rules: ids,
            events: file.timeline.len(),
        };
        {
            let mut tl = self.timeline.lock();
            let mut all: Vec<Scheduled> = tl.pending.drain(..).collect();
            all.extend(file.timeline.into_iter().map(|e| Scheduled {
                at_ms: start.saturating_add(e.at_ms),
                scenario: file.name.clone(),
                event: e.event,
            }));
            // Stable: same-time events keep their order.
            all.sort_by_key(|s| s.at_ms);
            tl.pending = all.into();
            tl.loaded.push(loaded.clone());
            self.next_due_ms.store(
                tl.pending.front().map_or(i64::MAX, |s| s.at_ms),
                Ordering::Release,
            );
        }
        self.apply_due(ctx);
        Ok(loaded)
    }

    /// Reads and loads a scenario file from disk.
    pub fn load_path<H: Host>(&self, ctx: &H, path: &Path) -> Result<Loaded, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
        let file: ScenarioFile =
            serde_json::from_str(&text).map_err(|e| format!("scenario {}: {e}", path.display()))?;
        self.load(ctx, file)
            .map_err(|e| format!("scenario {}: {e}", path.display()))
    }

    /// Applies every event whose time has come, in time order, each dated at its own time, and
    /// the simulated calls' steps between them (`Ctx::advance`). Called at the start of every
    /// request and by a ticker, so a frozen clock moved by the admin API is seen by the very next
    /// request.
    pub fn apply_due<H: Host>(&self, ctx: &H) {
        ctx.advance();
    }

    /// The earliest pending event's instant (`i64::MAX` when none).
    pub fn next_due(&self) -> i64 {
        self.next_due_ms.load(Ordering::Acquire)
    }

    /// Applies the earliest pending event if it is due by `now`; answers whether one was.
    pub fn apply_next<H: Host>(&self, ctx: &H, now: i64) -> bool {
        let mut tl = self.timeline.lock();
        let due = tl.pending.front().is_some_and(|s| s.at_ms <= now);
        let next = if due { tl.pending.pop_front() } else { None };
        let applied = match next {
            Some(s) => {
                let error = timeline::apply_event(ctx, s.at_ms, &s.event).err();
                if tl.applied.len() == APPLIED_LOG {
                    tl.applied.pop_front();
                }
                tl.applied.push_back(Applied {
                    scheduled: s,
                    error,
                });
                true
            }
            None => false,
        };
        self.next_due_ms.store(
            tl.pending.front().map_or(i64::MAX, |s| s.at_ms),
            Ordering::Release,
        );
        applied
    }

    pub fn describe(&self) -> Value {
        let tl = self.timeline.lock();
        serde_json::json!({
            "loaded": tl.loaded,
            "pending": tl.pending,
            "applied": tl.applied,
        })
    }

    /// Forgets loaded scenarios and their pending events (rules stay; see `clear`).
    pub fn clear_timeline(&self) {
        let mut tl = self.timeline.lock();
        *tl = Timeline::default();
        self.next_due_ms.store(i64::MAX, Ordering::Release);
    }

    /// Everything back to nothing: rules, timeline, skews, revocations, the fault RNG.
    pub fn clear(&self) {
        {
            let mut set = self.rules.lock();
            set.rules.clear();
            set.rng = StdRng::seed_from_u64(self.seed);
            self.refresh(&set);
        }
        self.clear_timeline();
        self.skews.write().clear();
        self.any_skew.store(false, Ordering::Release);
        self.revoked.write().clear();
    }

    /// Sets a tenant's clock skew; 0 removes it.
    pub fn set_skew(&self, tenant: &str, offset_ms: i64) {
        let mut skews = self.skews.write();
        if offset_ms == 0 {
            skews.remove(tenant);
        } else {
            skews.insert(tenant.to_string(), offset_ms);
        }
        self.any_skew.store(!skews.is_empty(), Ordering::Release);
    }

    pub fn skews(&self) -> HashMap<String, i64> {
        self.skews.read().clone()
    }

    /// The tenant's clock skew in ms (0 for most tenants, checked with one atomic load).
    pub fn skew_for(&self, tenant: &str) -> i64 {
        if !self.any_skew.load(Ordering::Acquire) {
            return 0;
        }
        self.skews.read().get(tenant).copied().unwrap_or(0)
    }

    /// Revokes the tenant's tokens issued at or before `at_ms`.
    pub fn revoke_tokens(&self, tenant: &str, at_ms: i64) {
        let mut r = self.revoked.write();
        let e = r.entry(tenant.to_string()).or_insert(at_ms);
        *e = (*e).max(at_ms);
    }

    pub fn revocations(&self) -> HashMap<String, i64> {
        self.revoked.read().clone()
    }

    /// The hook for token-based vendors (Huawei): whether a token the tenant was issued at
    /// `issued_ms` has been revoked early.
    pub fn token_revoked(&self, tenant: &str, issued_ms: i64) -> bool {
        self.revoked
            .read()
            .get(tenant)
            .is_some_and(|&at| issued_ms <= at)
    }

    /// Resolves when ccemu shuts down; a hung request awaits this and nothing else.
    pub async fn closed(&self) {
        let mut rx = self.closing.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Whether the emulator is stopping (`close` was called): long loops give up.
    pub fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }

    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// What a `--state-file` keeps of the scenarios: rules with their counters, the pending
/// timeline, skews and revocations. The fault RNG and the applied-event log are not kept: the
/// RNG starts again from the seed, and the log is history, not state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Saved {
    pub rules: Vec<Rule>,
    pub next_rule_id: u64,
    pub loaded: Vec<Loaded>,
    pub pending: Vec<Scheduled>,
    pub skews: HashMap<String, i64>,
    pub revoked: HashMap<String, i64>,
}

impl Scenarios {
    /// A copy of everything `Saved` holds, each part under its own lock.
    pub fn save(&self) -> Saved {
        let (rules, next_rule_id) = {
            let set = self.rules.lock();
            (set.rules.clone(), set.next_id)
        };
        let (loaded, pending) = {
            let tl = self.timeline.lock();
            (tl.loaded.clone(), tl.pending.iter().cloned().collect())
        };
        Saved {
            rules,
            next_rule_id,
            loaded,
            pending,
            skews: self.skews(),
            revoked: self.revocations(),
        }
    }

    /// Replaces every part `Saved` holds (a restored state file).
    pub fn restore(&self, saved: Saved) {
        {
            let mut set = self.rules.lock();
            set.rules = saved.rules;
            set.next_id = saved.next_rule_id.max(1);
            self.refresh(&set);
        }
        {
            let mut tl = self.timeline.lock();
            let mut pending: Vec<Scheduled> = saved.pending;
            pending.sort_by_key(|s| s.at_ms);
            tl.pending = pending.into();
            tl.loaded = saved.loaded;
            tl.applied.clear();
            self.next_due_ms.store(
                tl.pending.front().map_or(i64::MAX, |s| s.at_ms),
                Ordering::Release,
            );
        }
        self.any_skew
            .store(!saved.skews.is_empty(), Ordering::Release);
        *self.skews.write() = saved.skews;
        *self.revoked.write() = saved.revoked;
    }
}

/// Loads the `--scenario` files the config names, in order.
pub fn load_configured<H: Host>(
    ctx: &H,
    paths: &[std::path::PathBuf],
) -> Result<Vec<Loaded>, String> {
    paths
        .iter()
        .map(|p| ctx.scenarios().load_path(ctx, p))
        .collect()
}

#[cfg(test)]
mod tests;
