//! Named snapshots: the whole state kept in memory under a name and put back on demand, so a test
//! suite prepares one state (10,000 agents, a scenario half-way) once and restores it between
//! tests instead of rebuilding it.
//!
//! A global snapshot is what `--state-file` writes (`persist::Snapshot`: model, tokens, clock,
//! rules and timeline, waiting deliveries, simulated calls) plus the seeded RNG and the journal's
//! position. It is kept as the values themselves, not as JSON: a restore is a clone, which for
//! 10,000 agents is milliseconds where a parse would be a large fraction of a second.
//!
//! A sandbox's snapshot holds what is the sandbox's own: its tenants, clock, rules and RNG. Each
//! sandbox has its own names, so parallel workers cannot overwrite each other's, and its
//! snapshots go when it goes.

use crate::emulator::Ctx;
use crate::model::{tokens::Tokens, Tenant};
use crate::persist::{self, ClockState};
use crate::sandbox::Sandbox;
pub use crate::snapshot_store::{Store, Summary};
use rand::rngs::StdRng;

enum Saved {
    Global {
        state: Box<persist::Snapshot>,
        rng: Box<StdRng>,
    },
    Sandbox {
        tenants: Vec<Tenant>,
        clock: ClockState,
        rules: Box<crate::scenarios::Saved>,
        rng: Box<StdRng>,
    },
}

/// Why a snapshot call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotError {
    NoSuchName(String),
    BadName(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::NoSuchName(n) => write!(f, "no snapshot named {n:?}"),
            SnapshotError::BadName(why) => f.write_str(why),
        }
    }
}

/// A name is a path segment of the restore URL: letters, digits, `-`, `_`, `.`; 1–128 of them.
pub fn check_name(name: &str) -> Result<(), SnapshotError> {
    let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > 128 || !name.chars().all(fits) {
        return Err(SnapshotError::BadName(format!(
            "a snapshot name is 1 to 128 letters, digits, '-', '_' or '.', not {name:?}"
        )));
    }
    Ok(())
}

/// Takes a snapshot of the emulator (without the sandboxes' tenants, which have their own).
pub fn save(ctx: &Ctx, name: &str) -> Result<(Summary, bool), SnapshotError> {
    check_name(name)?;
    let journal_seq = ctx.journal.last_seq();
    let rng = ctx.with_rng(|r| r.clone());
    let state = persist::snapshot(ctx);
    let summary = Summary {
        name: name.to_string(),
        sandbox: None,
        now_ms: ctx.clock.now_ms(),
        frozen: ctx.clock.is_frozen(),
        journal_seq,
        tenants: state.model.tenants.len(),
        agents: state.model.tenants.values().map(|t| t.agents.len()).sum(),
    };
    let replaced = ctx.snapshots.put(
        summary.clone(),
        Saved::Global {
            state: Box::new(state),
            rng: Box::new(rng),
        },
    );
    Ok((summary, replaced))
}

/// Takes a snapshot of one sandbox: its tenants, clock, rules and RNG.
pub fn save_sandbox(ctx: &Ctx, sb: &Sandbox, name: &str) -> Result<(Summary, bool), SnapshotError> {
    check_name(name)?;
    let journal_seq = ctx.journal.last_seq();
    let tenants: Vec<Tenant> = {
        let model = ctx.model();
        sb.tenants
            .iter()
            .filter_map(|id| model.tenants.get(id).cloned())
            .collect()
    };
    let summary = Summary {
        name: name.to_string(),
        sandbox: Some(sb.id.clone()),
        now_ms: sb.clock.now_ms(),
        frozen: sb.clock.is_frozen(),
        journal_seq,
        tenants: tenants.len(),
        agents: tenants.iter().map(|t| t.agents.len()).sum(),
    };
    let replaced = ctx.snapshots.put(
        summary.clone(),
        Saved::Sandbox {
            tenants,
            clock: ClockState::of(&sb.clock),
            rules: Box::new(sb.scenarios.save()),
            rng: Box::new(sb.rng_state()),
        },
    );
    Ok((summary, replaced))
}

/// Puts the emulator back as the named snapshot found it. The sandboxes' tenants (and their
/// tokens) are left as they are; requests hung by a global rule are let go, as a reset does.
pub fn restore(ctx: &Ctx, name: &str) -> Result<Summary, SnapshotError> {
    let named = ctx
        .snapshots
        .get(None, name)
        .ok_or_else(|| SnapshotError::NoSuchName(name.to_string()))?;
    let Some(Saved::Global { state, rng }) = named.saved.downcast_ref::<Saved>() else {
        return Err(SnapshotError::NoSuchName(name.to_string()));
    };
    for rule in ctx.scenarios.rule_ids() {
        ctx.hangs.release_rule(rule);
    }
    let state = persist::Snapshot::clone(state);
    let sandbox_tenants = ctx.sandboxes.tenant_ids();
    let persist::Snapshot {
        clock,
        mut model,
        tokens,
        scenarios,
        deliveries,
        calls,
        ..
    } = state;
    clock.put(&ctx.clock);
    model.tokens = tokens;
    let old = {
        let mut live = ctx.model();
        let mut kept: Tokens = live.tokens.of_tenants(&sandbox_tenants);
        for id in &sandbox_tenants {
            if let Some(t) = live.tenants.remove(id) {
                model.tenants.insert(id.clone(), t);
            }
        }
        model.tokens.absorb(std::mem::take(&mut kept));
        std::mem::replace(&mut *live, model)
    };
    // The replaced model (thousands of agents) is freed outside the model lock.
    drop(old);
    ctx.scenarios.restore(scenarios);
    ctx.events.restore(deliveries);
    ctx.calls.restore(calls);
    ctx.with_rng(|r| *r = StdRng::clone(rng));
    ctx.journal.forget_after(named.summary.journal_seq, |e| {
        e.tenant
            .as_deref()
            .is_none_or(|t| !sandbox_tenants.iter().any(|s| s == t))
    });
    Ok(named.summary.clone())
}

/// Puts a sandbox back as the named snapshot found it: its tenants, clock, rules and RNG, and the
/// journal without its tenants' entries recorded since.
pub fn restore_sandbox(ctx: &Ctx, sb: &Sandbox, name: &str) -> Result<Summary, SnapshotError> {
    let named = ctx
        .snapshots
        .get(Some(&sb.id), name)
        .ok_or_else(|| SnapshotError::NoSuchName(name.to_string()))?;
    let Some(Saved::Sandbox {
        tenants,
        clock,
        rules,
        rng,
    }) = named.saved.downcast_ref::<Saved>()
    else {
        return Err(SnapshotError::NoSuchName(name.to_string()));
    };
    for rule in sb.scenarios.rule_ids() {
        ctx.hangs.release_rule(rule);
    }
    clock.put(&sb.clock);
    let tenants = tenants.clone();
    let old: Vec<Tenant> = {
        let mut model = ctx.model();
        tenants
            .into_iter()
            .filter_map(|t| model.tenants.insert(t.id.clone(), t))
            .collect()
    };
    drop(old);
    sb.scenarios.restore(crate::scenarios::Saved::clone(rules));
    sb.set_rng_state(StdRng::clone(rng));
    ctx.journal.forget_after(named.summary.journal_seq, |e| {
        e.tenant
            .as_deref()
            .is_some_and(|t| sb.tenants.iter().any(|s| s == t))
    });
    Ok(named.summary.clone())
}
