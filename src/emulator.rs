//! The shared state behind every request: model, clock, RNG and configuration.
//!
//! `Ctx` is an `Arc` and cheap to clone, as in mini-redis: each connection task holds one. The model
//! sits behind one `parking_lot::Mutex`; handlers take it for a few microseconds, never across an
//! `.await`, and serialise their answers after letting it go.

use crate::calls::Calls;
use crate::clock::Clock;
use crate::events::{Events, EventsConfig, Outbound};
use crate::journal::Journal;
use crate::model::{fixture, Model, ModelEvent};
use crate::scenarios::Scenarios;
use parking_lot::{Mutex, MutexGuard};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a request waits for a catch-up of the virtual clock that someone else is running
/// before it is answered from the state reached so far (`Ctx::advance_for_request`).
pub const CATCH_UP_PATIENCE: Duration = Duration::from_millis(50);

/// How long a request or one turn of the ticker works on a backlog of due steps before it lets
/// the agenda go (`Ctx::advance_for_request`, `Ctx::advance_slice`).
pub const CATCH_UP_SLICE: Duration = Duration::from_millis(20);

/// `--max-connections` unless given: far above what a test suite opens, low enough that a flood of
/// slow clients cannot take more than a few tens of MB.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Everything the CLI can set; `Config::default()` is what `cargo run` uses.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// A fixture file; `None` loads the embedded default.
    pub fixture: Option<PathBuf>,
    pub seed: u64,
    pub body_limit: usize,
    pub header_read_timeout: Duration,
    /// Open connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Serve `/_ccemu/` to any client, not only loopback.
    pub admin_public: bool,
    /// When set, every admin request but `GET /_ccemu/health` needs `Authorization: Bearer <it>`.
    pub admin_token: Option<String>,
    /// Scenario files loaded at start (and again after `POST /_ccemu/reset`).
    pub scenarios: Vec<PathBuf>,
    /// How many requests the journal keeps; 0 disables it.
    pub journal_size: usize,
    /// Items the live stream keeps for resuming readers and readers that fell behind
    /// (`--stream-buffer`); at least one.
    pub stream_buffer: usize,
    /// Where the state is kept across restarts (`crate::persist`); `None` keeps nothing.
    pub state_file: Option<PathBuf>,
    /// How often the state file is written while running; zero writes it at shutdown only.
    pub state_interval: Duration,
    /// Outbound events: backlog, log size, attempt timeout, retry schedule, extra CA.
    pub events: EventsConfig,
    /// Strict mode from the start (`--strict`): contract findings recorded per request.
    pub strict: bool,
    /// HTTPS beside plain HTTP (`--tls`); `None` serves plain HTTP only.
    pub tls: Option<crate::tls::TlsConfig>,
    /// Live sandboxes at most (`--max-sandboxes`); one more is refused with 429.
    pub max_sandboxes: usize,
    /// A sandbox no request or admin call named for this long is deleted (`--sandbox-ttl-ms`).
    pub sandbox_ttl: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            fixture: None,
            seed: 0,
            body_limit: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            admin_public: false,
            admin_token: None,
            scenarios: Vec::new(),
            journal_size: 1000,
            stream_buffer: crate::hub::DEFAULT_CAPACITY,
            state_file: None,
            state_interval: Duration::from_secs(5),
            events: EventsConfig::default(),
            strict: false,
            tls: None,
            max_sandboxes: crate::sandbox::DEFAULT_MAX_SANDBOXES,
            sandbox_ttl: None,
        }
    }
}

impl Config {
    /// A config for tests: a free port, the default fixture, seed 0.
    pub fn ephemeral() -> Self {
        Config {
            port: 0,
            ..Config::default()
        }
    }

    /// Reads the fixture this config names, or the embedded default.
    pub fn load_fixture(&self) -> Result<Model, String> {
        match &self.fixture {
            None => fixture::parse(fixture::DEFAULT_FIXTURE),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read fixture {}: {e}", path.display()))?;
                fixture::parse(&text)
            }
        }
    }
}

pub struct Shared {
    pub config: Config,
    pub clock: Clock,
    /// Every vendor request and its answer.
    pub journal: Journal,
    /// Fault rules, scenario timelines, clock skews, token revocations.
    pub scenarios: Scenarios,
    /// Requests a `hang` fault holds, released when their rule goes.
    pub hangs: crate::scenarios::faults::Hangs,
    /// Outbound events: queues, workers, the delivery log.
    pub events: Events,
    /// The simulated calls.
    pub calls: Calls,
    /// Strict mode and the contract coverage counts (`crate::coverage`, reported by `crate::contract`).
    pub contract: crate::coverage::Contract,
    /// Isolated tenants with their own clock, rules and RNG (`crate::sandbox`).
    pub sandboxes: crate::sandbox::Sandboxes,
    /// The live feed of `/_ccemu/stream` and the dashboard.
    pub hub: crate::hub::Hub,
    /// The Prometheus families of `/_ccemu/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Named snapshots of the whole state and of each sandbox (`crate::snapshots`).
    pub snapshots: crate::snapshot_store::Store,
    model: Mutex<Model>,
    /// Moves on every mutable access to the model (and on reset): what `reads` keys on.
    model_version: std::sync::atomic::AtomicU64,
    /// Answers to reads, reused until the model or the reader's clock moves.
    pub reads: crate::read_cache::ReadCache,
    /// The tenant count health last read, answered again while the model lock is busy.
    tenants_seen: std::sync::atomic::AtomicUsize,
    /// Who hears each model event, in what body: the vendors' answer, handed in by whoever
    /// builds the `Ctx` (`Ctx::new`, in vendors/mod.rs), so that `Ctx` needs nothing of them.
    route: Router,
    /// What `POST /_ccemu/reset` restores.
    fixture: Model,
    rng: Mutex<StdRng>,
}

#[derive(Clone)]
pub struct Ctx(Arc<Shared>);

impl std::ops::Deref for Ctx {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Turns the events a model operation recorded into deliveries (`vendors::route_events`).
/// Runs under the model lock: build values, do no I/O.
pub type Router = fn(&Model, &[ModelEvent], &Events) -> Vec<Outbound>;

impl Ctx {
    /// A `Ctx` whose model events are routed by `route`. `Ctx::new` (vendors/mod.rs) hands in
    /// the vendors' router; this is the constructor that needs nothing above the engine.
    pub fn with_router(config: Config, fixture: Model, route: Router) -> Ctx {
        let rng = StdRng::seed_from_u64(config.seed);
        let hub = crate::hub::Hub::new(config.stream_buffer);
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let journal = Journal::new(config.journal_size);
        journal.attach(hub.clone());
        let events = Events::new(config.events.clone());
        events.log.attach(hub.clone(), metrics.clone());
        Ctx(Arc::new(Shared {
            clock: Clock::new(),
            journal,
            scenarios: Scenarios::new(config.seed),
            hangs: Default::default(),
            events,
            calls: Calls::new(config.seed),
            contract: crate::coverage::Contract::new(config.strict),
            sandboxes: Default::default(),
            tenants_seen: std::sync::atomic::AtomicUsize::new(fixture.tenants.len()),
            hub,
            metrics,
            snapshots: Default::default(),
            model: Mutex::new(fixture.clone()),
            model_version: std::sync::atomic::AtomicU64::new(0),
            reads: Default::default(),
            route,
            fixture,
            rng: Mutex::new(rng),
            config,
        }))
    }

    /// The model lock. Hold the guard for the model operation only: no I/O, no `.await`, no
    /// serialisation of the answer under it. Events the operation recorded are handed to the
    /// event engine when the guard is dropped.
    pub fn model(&self) -> ModelGuard<'_> {
        ModelGuard {
            guard: Some(self.0.model.lock()),
            shared: &self.0,
        }
    }

    /// Tenants in the model, for health: it waits for the model lock a few milliseconds at most
    /// (health must answer while a long admin operation holds the model) and then answers the
    /// count it last saw.
    pub fn tenant_count(&self) -> usize {
        use std::sync::atomic::Ordering;
        match self.0.model.try_lock_for(Duration::from_millis(5)) {
            Some(model) => {
                let n = model.tenants.len();
                self.0.tenants_seen.store(n, Ordering::Relaxed);
                n
            }
            None => self.0.tenants_seen.load(Ordering::Relaxed),
        }
    }

    /// Back to the loaded fixture and a fresh RNG from the configured seed. The clock is left
    /// alone: a test that froze it expects it frozen.
    pub fn reset(&self) {
        self.0.calls.clear();
        self.0.events.clear();
        // Sandboxes have a reset of their own: a global one leaves their tenants as they are.
        let kept = self.0.sandboxes.tenant_ids();
        let mut model = self.0.model.lock();
        let kept: Vec<_> = kept
            .iter()
            .filter_map(|id| model.tenants.remove(id))
            .collect();
        *model = self.0.fixture.clone();
        self.0
            .model_version
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for t in kept {
            model.tenants.insert(t.id.clone(), t);
        }
        drop(model);
        *self.0.rng.lock() = StdRng::seed_from_u64(self.config.seed);
        // Up to 100,000 calls and the old model were just let go: hand the pages back, or the
        // process stays at its high-water mark for good.
        crate::model::memory::release_freed_memory();
    }

    /// Runs `f` with the one seeded RNG.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        f(&mut self.0.rng.lock())
    }

    /// `n` random lowercase hex characters from the seeded RNG.
    pub fn random_hex(&self, n: usize) -> String {
        self.random_hex_for(None, n)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Applies every scenario event and call step due by now, in time order (scenario events
    /// first at the same instant), then offers waiting calls to agents free now. Called by the
    /// ticker and after every admin request (which may have moved the clock): it waits for a
    /// catch-up someone else is running, so an admin answer is sent once its instant is reached.
    pub fn advance(&self) {
        self.drive(None, None);
    }

    /// `advance` at the start of a request. When another request or the ticker is running a
    /// long catch-up (a frozen clock moved by a virtual day over a busy contact center), the
    /// request waits [`CATCH_UP_PATIENCE`] at most; and it works on a backlog for
    /// [`CATCH_UP_SLICE`] at most. Either way it is then answered from the state reached so far,
    /// instead of stalling until the whole stretch is done.
    pub fn advance_for_request(&self) {
        self.drive(Some(CATCH_UP_PATIENCE), Some(CATCH_UP_SLICE));
    }

    /// The ticker's turn: one slice of the backlog, unless someone else is at it. Answers
    /// whether steps due by now remain, so that the ticker goes on (yielding between slices)
    /// while a load profile outruns the clock, instead of holding the agenda for good.
    pub fn advance_slice(&self) -> bool {
        // When someone else holds the agenda, they are at it: the ticker waits for its next tick.
        self.drive(Some(Duration::ZERO), Some(CATCH_UP_SLICE)) == Some(false)
    }

    /// Answers whether every step due by now has been applied; `None` when the agenda was
    /// someone else's for longer than `patience`.
    fn drive(&self, patience: Option<Duration>, slice: Option<Duration>) -> Option<bool> {
        let now = self.now_ms();
        let steps_due = now >= self.scenarios.next_due() || now >= self.calls.next_due();
        if !steps_due && !self.calls.waiting() {
            return Some(true);
        }
        // Waiting for someone else's catch-up happens off the runtime's workers too: two
        // requests waiting on a worker each would leave none for health or a signal.
        let _driver = match self.calls.try_driver_for(Duration::ZERO) {
            Some(driver) => driver,
            None => match patience {
                None => crate::offload::blocking(|| self.calls.driver()),
                Some(p) if p.is_zero() => return None,
                Some(p) => crate::offload::blocking(|| self.calls.try_driver_for(p))?,
            },
        };
        let done = if steps_due {
            // A stretch of virtual time can hold millions of steps: they run where they cannot
            // starve the runtime, and give up when the emulator stops.
            crate::offload::blocking(|| self.catch_up(now, slice))
        } else {
            true
        };
        self.calls.dispatch_now(self, now);
        drop(_driver);
        self.run_webhooks();
        Some(done)
    }

    /// The steps due by `now`, in time order, under the driver lock, for `slice` at most.
    /// Answers whether none is left.
    fn catch_up(&self, now: i64, slice: Option<Duration>) -> bool {
        let started = std::time::Instant::now();
        for n in 0u64.. {
            if n % 64 == 63 {
                if self.scenarios.is_closing() {
                    return false;
                }
                if slice.is_some_and(|s| started.elapsed() >= s) {
                    return false;
                }
            }
            let (s, c) = (self.scenarios.next_due(), self.calls.next_due());
            if s.min(c) > now {
                return true;
            }
            let progressed = if s <= c {
                self.scenarios.apply_next(self, now)
            } else {
                self.calls.step(self, now)
            };
            if !progressed {
                return true;
            }
        }
        true
    }

    /// Makes the requests IVR webhook nodes asked for, on the runtime and outside every lock;
    /// each answer (or failure) goes back on the agenda, so a dead URL costs the call its
    /// node's timeout and never wedges it.
    fn run_webhooks(&self) {
        let jobs = self.calls.take_webhooks();
        if jobs.is_empty() {
            return;
        }
        let runtime = tokio::runtime::Handle::try_current();
        for job in jobs {
            let body = serde_json::to_vec(&job.body).unwrap_or_default();
            match &runtime {
                Ok(rt) => {
                    let ctx = self.clone();
                    rt.spawn(async move {
                        let timeout = std::time::Duration::from_millis(job.timeout_ms);
                        let answer = ctx.events.post_json(&job.url, body, timeout).await;
                        ctx.calls.webhook_answered(&ctx, &job.call, job.gen, answer);
                    });
                }
                Err(_) => self.calls.webhook_answered(
                    self,
                    &job.call,
                    job.gen,
                    Err("no runtime to make the request on".into()),
                ),
            }
        }
    }

    /// The loaded fixture (what a reset restores and a sandbox copies by default).
    pub fn fixture(&self) -> &Model {
        &self.0.fixture
    }

    /// The virtual clock `tenant` lives on: its sandbox's, or the global one. Handlers read
    /// durations and timelines on it.
    pub fn clock_ms_for(&self, tenant: &str) -> i64 {
        match self.sandboxes.of_tenant(tenant) {
            Some(sb) => sb.clock.now_ms(),
            None => self.clock.now_ms(),
        }
    }

    /// The answer kept for a read that a request with exactly these bytes (`seen`, its
    /// `read_cache::request_key`) asked for before, if it still stands: read at the model's
    /// version and `tenant`'s instant, as the handler's own lookup reads them.
    pub fn read_again(&self, tenant: &str, seen: &[u8]) -> Option<crate::read_cache::Kept> {
        let version = self.model().version();
        self.reads.again(seen, version, self.clock_ms_for(tenant))
    }

    /// Whether `tenant`'s clock (`clock_ms_for`) is frozen.
    pub fn clock_frozen_for(&self, tenant: &str) -> bool {
        match self.sandboxes.of_tenant(tenant) {
            Some(sb) => sb.clock.is_frozen(),
            None => self.clock.is_frozen(),
        }
    }

    /// Now as `tenant` sees it: its clock (`clock_ms_for`) plus the tenant's skew (a scenario's
    /// "this tenant's clock is off by N ms"). Vendor auth windows and token lifetimes read this.
    pub fn now_ms_for(&self, tenant: &str) -> i64 {
        self.clock_ms_for(tenant)
            .saturating_add(self.scenarios.skew_for(tenant))
    }

    /// `n` random hex characters from `tenant`'s RNG: its sandbox's own stream, so a sandbox's
    /// generated values do not depend on what runs beside it; else the global one.
    pub fn random_hex_for(&self, tenant: Option<&str>, n: usize) -> String {
        let mut digits = Vec::with_capacity(n + 1);
        self.push_random_hex_for(tenant, n, &mut digits);
        // Hex digits only: ASCII.
        String::from_utf8(digits).unwrap_or_default()
    }

    /// `random_hex_for`'s digits appended to `out`: an answer that carries them (NXCloud's reqId)
    /// writes them in place.
    pub fn push_random_hex_for(&self, tenant: Option<&str>, n: usize, out: &mut Vec<u8>) {
        match tenant.and_then(|t| self.sandboxes.of_tenant(t)) {
            Some(sb) => sb.with_rng(|r| push_hex_draws(r, n, out)),
            None => self.with_rng(|r| push_hex_draws(r, n, out)),
        }
    }

    /// The clock's standing as `tenant` sees it (frozen or running, moved, skewed; its
    /// sandbox's clock when it is in one), for the vendors' window and expiry refusals.
    pub fn clock_standing(&self, tenant: &str) -> String {
        let skew = self.scenarios.skew_for(tenant);
        match self.sandboxes.of_tenant(tenant) {
            Some(sb) => sb
                .clock
                .standing(skew)
                .replace("the emulator clock", &format!("sandbox {}'s clock", sb.id))
                .replace("/_ccemu/clock", &format!("/_ccemu/clock?sandbox={}", sb.id)),
            None => self.clock.standing(skew),
        }
    }

    /// Whether a token issued to `tenant` at `issued_ms` was revoked early by a scenario or
    /// `POST /_ccemu/revoke-tokens`; token-based vendors (Huawei) check it beside the lifetime.
    pub fn token_revoked(&self, tenant: &str, issued_ms: i64) -> bool {
        self.scenarios.token_revoked(tenant, issued_ms)
    }
}

/// The simulated calls run on the emulator's model and clock.
impl crate::calls::Host for Ctx {
    type Model<'a> = ModelGuard<'a>;
    fn model(&self) -> ModelGuard<'_> {
        Ctx::model(self)
    }
    fn now_ms(&self) -> i64 {
        Ctx::now_ms(self)
    }
}

/// Scripted timelines run on the emulator's model, clock and calls.
impl crate::scenarios::Host for Ctx {
    fn calls(&self) -> &Calls {
        &self.calls
    }
    fn scenarios(&self) -> &Scenarios {
        &self.scenarios
    }
    fn advance(&self) {
        Ctx::advance(self)
    }
}

/// Deliveries run on the emulator's clocks and fault rules: a sandboxed tenant's on its
/// sandbox's only.
impl crate::events::Host for Ctx {
    fn events(&self) -> &Events {
        &self.events
    }
    fn clock_ms_for(&self, tenant: &str) -> i64 {
        Ctx::clock_ms_for(self, tenant)
    }
    fn clock_frozen_for(&self, tenant: &str) -> bool {
        Ctx::clock_frozen_for(self, tenant)
    }
    fn decide_delivery(
        &self,
        tenant: &str,
        now_ms: i64,
        view: &crate::scenarios::rules::DeliveryView,
    ) -> Option<crate::scenarios::rules::Fired> {
        match self.sandboxes.of_tenant(tenant) {
            Some(sb) => sb.scenarios.decide_delivery(now_ms, view),
            None => self.scenarios.decide_delivery(now_ms, view),
        }
    }
    fn closed(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.scenarios.closed()
    }
}

/// The model lock's guard. On release it turns the events the operation recorded into
/// deliveries: the tenant's vendor picks the receivers while the lock is still held (so a
/// subscription changed by the next call cannot be half-seen), and the queues are filled after
/// the lock is let go.
pub struct ModelGuard<'a> {
    guard: Option<MutexGuard<'a, Model>>,
    shared: &'a Shared,
}

impl std::ops::Deref for ModelGuard<'_> {
    type Target = Model;
    fn deref(&self) -> &Model {
        self.guard.as_deref().expect("guard held until drop")
    }
}

impl std::ops::DerefMut for ModelGuard<'_> {
    fn deref_mut(&mut self) -> &mut Model {
        // Any access that could change the model moves the version, so a kept answer
        // (`read_cache`) is never served across a change. Under the lock: readers of the
        // version hold it too.
        self.shared
            .model_version
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.guard.as_deref_mut().expect("guard held until drop")
    }
}

impl ModelGuard<'_> {
    /// The model's version: it moves on every mutable access, so two reads at the same version
    /// (under the lock) saw the same model.
    pub fn version(&self) -> u64 {
        self.shared
            .model_version
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for ModelGuard<'_> {
    fn drop(&mut self) {
        let Some(mut model) = self.guard.take() else {
            return;
        };
        if model.outbox.is_empty() {
            return;
        }
        let events = std::mem::take(&mut model.outbox);
        let outs = (self.shared.route)(&model, &events, &self.shared.events);
        drop(model);
        self.shared.events.enqueue(outs);
        observe(self.shared, &events);
    }
}

/// Counts ended calls and announces agent and call changes on the live feed.
fn observe(shared: &Shared, events: &[ModelEvent]) {
    for e in events {
        if let ModelEvent::Call { name, fields, .. } = e {
            if name == "hangup" {
                let outcome = fields.get("outcome").and_then(|o| o.as_str());
                shared.metrics.call_ended(outcome.unwrap_or("other"));
            }
        }
        let kind = match e {
            ModelEvent::Call { .. } => "call",
            ModelEvent::Injected { .. } => "injected",
            _ => "agent",
        };
        shared.hub.publish(kind, Some(e.tenant()), || e);
    }
}

/// Applies due timeline events every 50 ms of real time until shutdown, so a running clock
/// drives the timeline even when no request arrives.
pub async fn ticker(ctx: Ctx) {
    let mut interval = tokio::time::interval(std::time::Duration::from_millis(50));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let closed = ctx.scenarios.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                // A slice at a time, yielding between: a load profile that outruns the clock
                // keeps the ticker busy, never the agenda locked.
                while ctx.advance_slice() && !ctx.scenarios.is_closing() {
                    tokio::task::yield_now().await;
                }
                // A running clock moved 50 ms: deliveries waiting for an instant look again.
                ctx.events.poke();
            }
            _ = &mut closed => break,
        }
    }
}

/// `n` lowercase hex digits from the seeded RNG appended to `out`, two from each byte, high
/// nibble first: 16 bytes for NXCloud's 32-digit reqId. (It used to take one `u64` a digit, as
/// `gen_range(0..16)` does, which meant a whole ChaCha block refill per reqId: a sixth of an
/// NXCloud answer's CPU.)
fn push_hex_draws(r: &mut impl Rng, n: usize, out: &mut Vec<u8>) {
    let start = out.len();
    let mut bytes = [0u8; 32];
    while out.len() - start < n {
        let want = (n - (out.len() - start)).div_ceil(2).min(bytes.len());
        r.fill_bytes(&mut bytes[..want]);
        crate::hex::push_lower(out, &bytes[..want]);
    }
    // An odd count wrote one digit too many, from the last byte drawn.
    out.truncate(start + n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    /// `push_hex_draws` into a buffer of its own, as `random_hex_for` makes it.
    fn hex_draws(r: &mut impl Rng, n: usize) -> String {
        let mut digits = Vec::new();
        push_hex_draws(r, n, &mut digits);
        String::from_utf8(digits).unwrap()
    }

    #[test]
    fn hex_draws_take_half_a_byte_a_digit_and_spread_evenly() {
        let mut counts = [0u32; 16];
        for seed in 0..300u64 {
            for n in [0, 1, 7, 16, 31, 32, 33, 64, 100] {
                let (mut a, mut b) = (StdRng::seed_from_u64(seed), StdRng::seed_from_u64(seed));
                let digits = hex_draws(&mut a, n);
                assert_eq!(digits.len(), n);
                // The same seed gives the same digits: what `--seed` promises.
                assert_eq!(digits, hex_draws(&mut StdRng::seed_from_u64(seed), n));
                // Appended after what a buffer holds, the same digits.
                let mut out = b"ab".to_vec();
                push_hex_draws(&mut StdRng::seed_from_u64(seed), n, &mut out);
                assert_eq!(out, [b"ab".as_slice(), digits.as_bytes()].concat());
                let mut bytes = vec![0u8; n.div_ceil(2)];
                b.fill_bytes(&mut bytes);
                let expected: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
                assert_eq!(digits, expected[..n], "seed {seed}, n {n}");
                assert_eq!(
                    a.next_u64(),
                    b.next_u64(),
                    "seed {seed}, n {n}: the next draw"
                );
                for d in digits.bytes() {
                    counts[usize::from(d - if d >= b'a' { b'a' - 10 } else { b'0' })] += 1;
                }
            }
        }
        // 300 seeds x 314 digits: each of the 16 digits near 1/16 of them.
        let total: u32 = counts.iter().sum();
        for c in counts {
            assert!(
                (c as f64 / total as f64 - 1.0 / 16.0).abs() < 0.01,
                "{counts:?}"
            );
        }
    }
}
