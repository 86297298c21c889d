//! `--state-file`: the emulator's state kept across restarts, for developers working offline.
//!
//! A snapshot is one JSON document: the model (tenants with their agents, queues, extensions,
//! subscriptions and agent timelines), the issued tokens, the virtual clock, and the scenario
//! state (fault rules with their counters, pending timeline events, skews, revocations). It is
//! restored at start when the file exists, written periodically and at a clean shutdown.
//!
//! Writes are atomic: the snapshot goes to `PATH.tmp`, is fsynced, then renamed over `PATH` (and
//! the directory fsynced), so a crash or `kill -9` at any moment leaves either the previous
//! complete snapshot or the new one, never a torn file.
//!
//! Also kept: webhook and CDR-push events still waiting for delivery (with their attempts and due
//! instants) and the simulated calls with their pending steps and CDRs.
//!
//! Not kept: the request journal and delivery log (history, not state), and the random
//! sequences, which start again from `--seed`.

use crate::clock;
use crate::emulator::Ctx;
use crate::model::{tokens::Tokens, Model};
use crate::scenarios;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// What `format` says in every snapshot, so a stray JSON file is not mistaken for one.
const FORMAT: &str = "ccemu-state";

/// The snapshot layout this build reads and writes. A new part is added as a
/// `#[serde(default)]` field, which version-1 files simply lack (no bump needed); the version
/// goes up only when an existing field changes meaning, and an older build then refuses the file
/// with a clear message instead of misreading it.
pub const VERSION: u32 = 1;

#[derive(Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    pub clock: ClockState,
    /// The fixture form of the model, as `GET /_ccemu/state` shows it.
    pub model: Model,
    pub tokens: Tokens,
    pub scenarios: scenarios::Saved,
    /// Webhook and CDR-push events still waiting for delivery, with their attempts so far.
    #[serde(default)]
    pub deliveries: crate::events::Saved,
    /// Simulated calls (live and finished, so CDRs survive) and their pending steps.
    #[serde(default)]
    pub calls: crate::calls::Saved,
}

/// The virtual clock: a frozen clock is kept at its instant; a running one keeps its distance
/// from real time, so it runs on from where it would be had ccemu never stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockState {
    Frozen { now_ms: i64 },
    Running { offset_ms: i64 },
}

impl ClockState {
    pub fn of(clock: &clock::Clock) -> ClockState {
        if clock.is_frozen() {
            ClockState::Frozen {
                now_ms: clock.now_ms(),
            }
        } else {
            ClockState::Running {
                offset_ms: clock.now_ms().saturating_sub(system_ms()),
            }
        }
    }

    /// Sets `clock` to this state: frozen at the instant, or running at the kept distance.
    pub fn put(self, clock: &clock::Clock) {
        match self {
            ClockState::Frozen { now_ms } => {
                clock.set_frozen(true);
                clock.set(now_ms);
            }
            ClockState::Running { offset_ms } => {
                clock.set_frozen(false);
                clock.set(system_ms().saturating_add(offset_ms));
            }
        }
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The snapshot of `ctx` now. Each part is copied under its own lock, and serialised later
/// outside all of them.
pub fn snapshot(ctx: &Ctx) -> Snapshot {
    let clock = ClockState::of(&ctx.clock);
    let (mut model, mut tokens) = {
        let m = ctx.model();
        (m.clone(), m.tokens.clone())
    };
    // Sandboxes live as long as the process (their clocks and rules are not kept), so their
    // tenants are not kept either: restored without them they would be plain tenants.
    for id in ctx.sandboxes.tenant_ids() {
        model.tenants.remove(&id);
        tokens.forget_tenant(&id);
    }
    Snapshot {
        format: FORMAT.into(),
        version: VERSION,
        clock,
        model,
        tokens,
        scenarios: ctx.scenarios.save(),
        deliveries: ctx.events.save(),
        calls: ctx.calls.save(),
    }
}

/// Reads and checks a snapshot file: the format, the version, then the model's invariants.
pub fn load(path: &Path) -> Result<Snapshot, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("cannot read state file {}: {e}", path.display()))?;
    let bad = |e: String| format!("state file {}: {e}", path.display());
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(format!("not a JSON document: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(format!(
            "not a ccemu state file (no \"format\": \"{FORMAT}\")"
        )));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        other => {
            let found = other.map_or("no version".to_string(), |v| format!("version {v}"));
            return Err(bad(format!(
                "written with snapshot {found}; this ccemu reads version {VERSION}. Start with another --state-file, or remove this one to start from the fixture"
            )));
        }
    }
    let snapshot: Snapshot = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    snapshot.model.check_invariants().map_err(bad)?;
    if let ClockState::Frozen { now_ms } = snapshot.clock {
        if !clock::can_show(now_ms) {
            return Err(bad(format!("clock instant {now_ms} is out of range")));
        }
    }
    Ok(snapshot)
}

/// Puts a snapshot in place of the current state.
pub fn restore(ctx: &Ctx, snapshot: Snapshot) {
    let Snapshot {
        clock,
        mut model,
        tokens,
        scenarios,
        deliveries,
        calls,
        ..
    } = snapshot;
    clock.put(&ctx.clock);
    model.tokens = tokens;
    *ctx.model() = model;
    ctx.scenarios.restore(scenarios);
    ctx.events.restore(deliveries);
    ctx.calls.restore(calls);
}

/// At start: the state file's snapshot when there is one, else the `--scenario` files. A restored
/// state already holds the scenarios it had, so the files are not loaded on top of it
/// (`POST /_ccemu/reset` loads them afresh). Answers what to print: restored or loaded.
pub fn restore_or_load(ctx: &Ctx) -> Result<Start, String> {
    if let Some(path) = &ctx.config.state_file {
        if path.exists() {
            restore(ctx, load(path)?);
            return Ok(Start::Restored(path.clone()));
        }
    }
    scenarios::load_configured(ctx, &ctx.config.scenarios).map(Start::Loaded)
}

pub enum Start {
    Restored(PathBuf),
    Loaded(Vec<scenarios::Loaded>),
}

/// One writer at a time, so a periodic write and the shutdown write never share `PATH.tmp`.
static WRITING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Writes the snapshot of `ctx` to the state file, atomically. Answers whether it wrote:
/// a snapshot identical to the last one written is not written again.
pub fn save(ctx: &Ctx) -> Result<bool, String> {
    let Some(path) = &ctx.config.state_file else {
        return Ok(false);
    };
    let bytes = serde_json::to_vec(&snapshot(ctx)).map_err(|e| e.to_string())?;
    let _one = WRITING.lock();
    let unchanged = std::fs::read(path).is_ok_and(|old| old == bytes);
    if unchanged {
        return Ok(false);
    }
    write_atomically(path, &bytes)
        .map_err(|e| format!("cannot write state file {}: {e}", path.display()))?;
    Ok(true)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    // The rename itself is durable only once the directory is synced.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes the state file every `--state-interval-ms` until shutdown (never, when 0). The write
/// runs on a blocking thread: serialising and fsyncing must not stall the request workers.
pub async fn writer(ctx: Ctx) {
    let every = ctx.config.state_interval;
    if ctx.config.state_file.is_none() || every.is_zero() {
        return;
    }
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    let closed = ctx.scenarios.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let c = ctx.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || save(&c)).await {
                    eprintln!("ccemu: {e}");
                }
            }
            _ = &mut closed => break,
        }
    }
}
