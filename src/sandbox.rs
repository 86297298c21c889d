//! Sandboxes: isolated copies of tenants on one shared emulator, for test suites that run in
//! parallel against one ccemu.
//!
//! A sandbox is a set of tenants in the shared model under fresh ids and fresh credentials,
//! plus the state that would otherwise be global: its own virtual clock, its own fault rules
//! (with their own RNG), its own RNG for generated values, and the template its reset restores.
//! A request finds its sandbox through the tenant its credentials name, so clients need no
//! header: they use the sandbox's credentials exactly like the demo ones.
//!
//! Why tenants in the shared model rather than a model per sandbox: every vendor face, the
//! journal and the event engine already work per tenant, so isolation by tenant needs no second
//! path through the server. What is per sandbox is only what was global: clock, rules, RNG.

use crate::clock::Clock;
use crate::model::{Credentials, HuaweiApp, Model, Tenant};
use crate::scenarios::Scenarios;
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// `--max-sandboxes` unless given: far more than the parallel workers of a CI job, few enough
/// that a leak (sandboxes never deleted) shows as a clear error long before memory does.
pub const DEFAULT_MAX_SANDBOXES: usize = 256;

/// A sandbox's rule ids start at `ordinal << RULE_ID_SHIFT`, apart from the global ones and
/// from each other's.
const RULE_ID_SHIFT: u32 = 32;

pub struct Sandbox {
    pub id: String,
    pub clock: Clock,
    /// Its fault rules, their counters and their RNG.
    pub scenarios: Scenarios,
    /// Its tenants' ids (model keys), in template order.
    pub tenants: Vec<String>,
    /// What a reset puts back: the tenants as they were made.
    template: Vec<Tenant>,
    seed: u64,
    rng: Mutex<StdRng>,
    /// Real milliseconds of the last request or admin call that named it (for the idle TTL).
    last_used_ms: AtomicI64,
    created_ms: i64,
}

impl Sandbox {
    /// Runs `f` with the sandbox's own RNG (generated passwords, tokens, request ids).
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        f(&mut self.rng.lock())
    }

    pub fn template(&self) -> &[Tenant] {
        &self.template
    }

    /// The RNG as it was made, for a reset.
    pub fn reseed(&self) {
        *self.rng.lock() = rng_after_credentials(self.seed, self.template.len());
        self.scenarios.reseed(self.seed ^ 0x5eed);
    }

    /// Its RNG as it stands, for a named snapshot.
    pub fn rng_state(&self) -> StdRng {
        self.rng.lock().clone()
    }

    pub fn set_rng_state(&self, rng: StdRng) {
        *self.rng.lock() = rng;
    }

    pub fn touch(&self) {
        self.last_used_ms.store(real_ms(), Ordering::Relaxed);
    }

    pub fn idle_ms(&self) -> i64 {
        real_ms().saturating_sub(self.last_used_ms.load(Ordering::Relaxed))
    }

    pub fn created_ms(&self) -> i64 {
        self.created_ms
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Every live sandbox, by id and by tenant.
#[derive(Default)]
pub struct Sandboxes {
    registry: RwLock<Registry>,
    /// The per-request check when no sandbox exists is this one load.
    live: AtomicUsize,
    next_ordinal: AtomicU64,
}

#[derive(Default)]
struct Registry {
    by_id: BTreeMap<String, Arc<Sandbox>>,
    by_tenant: HashMap<String, Arc<Sandbox>>,
}

impl Sandboxes {
    /// The sandbox `tenant` belongs to, if any. Cheap when there are none.
    pub fn of_tenant(&self, tenant: &str) -> Option<Arc<Sandbox>> {
        if self.live.load(Ordering::Acquire) == 0 {
            return None;
        }
        let found = self.registry.read().by_tenant.get(tenant).cloned();
        if let Some(sb) = &found {
            sb.touch();
        }
        found
    }

    pub fn get(&self, id: &str) -> Option<Arc<Sandbox>> {
        let found = self.registry.read().by_id.get(id).cloned();
        if let Some(sb) = &found {
            sb.touch();
        }
        found
    }

    pub fn list(&self) -> Vec<Arc<Sandbox>> {
        self.registry.read().by_id.values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every sandboxed tenant id (what a global reset keeps).
    pub fn tenant_ids(&self) -> Vec<String> {
        self.registry.read().by_tenant.keys().cloned().collect()
    }

    fn next_ordinal(&self) -> u64 {
        self.next_ordinal.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn register(&self, sb: Arc<Sandbox>) {
        let mut reg = self.registry.write();
        for t in &sb.tenants {
            reg.by_tenant.insert(t.clone(), Arc::clone(&sb));
        }
        reg.by_id.insert(sb.id.clone(), sb);
        self.live.store(reg.by_id.len(), Ordering::Release);
    }

    fn unregister(&self, id: &str) -> Option<Arc<Sandbox>> {
        let mut reg = self.registry.write();
        let sb = reg.by_id.remove(id)?;
        for t in &sb.tenants {
            reg.by_tenant.remove(t);
        }
        self.live.store(reg.by_id.len(), Ordering::Release);
        Some(sb)
    }
}

/// Why a sandbox could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    /// The `--max-sandboxes` cap is reached.
    Full(usize),
    /// The id is taken or malformed, or the template is unusable.
    Invalid(String),
}

/// What `create` is asked for.
pub struct Request {
    /// A caller-chosen id; the same id with the same `--seed` gives the same credentials and the
    /// same RNG stream, whatever else runs. `None` numbers it.
    pub id: Option<String>,
    /// The tenants to copy; `None` copies the loaded fixture's.
    pub from: Option<Model>,
}

/// Makes a sandbox: copies the template tenants under fresh ids and credentials into `model`
/// and registers the sandbox. All or nothing.
pub fn create<G: std::ops::DerefMut<Target = Model>>(
    sandboxes: &Sandboxes,
    model: impl FnOnce() -> G,
    fixture: &Model,
    global_seed: u64,
    cap: usize,
    req: Request,
) -> Result<Arc<Sandbox>, CreateError> {
    if sandboxes.len() >= cap {
        return Err(CreateError::Full(cap));
    }
    let ordinal = sandboxes.next_ordinal();
    let id = match req.id {
        Some(id) => {
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(CreateError::Invalid(format!(
                    "sandbox id {id:?} must be 1 to 64 letters, digits, '-' or '_'"
                )));
            }
            id
        }
        None => format!("sb{ordinal}"),
    };
    if sandboxes.get(&id).is_some() {
        return Err(CreateError::Invalid(format!("sandbox {id} already exists")));
    }
    let template: Vec<Tenant> = match &req.from {
        Some(m) => m.tenants.values().cloned().collect(),
        None => fixture.tenants.values().cloned().collect(),
    };
    if template.is_empty() {
        return Err(CreateError::Invalid(
            "the sandbox would have no tenants".into(),
        ));
    }
    let seed = sandbox_seed(global_seed, &id);
    let mut rng = StdRng::seed_from_u64(seed);
    // Identities are drawn and the copies made before the model lock is taken: a template of
    // tens of thousands of agents must not hold up the vendors. Under the lock a tenant whose
    // identity clashes with a live one (astronomically rare, but it must not make one tenant
    // unreachable) is drawn again until it is unused.
    let mut tenants: Vec<Tenant> = template
        .iter()
        .map(|t| refresh_identity(t, &mut rng))
        .collect();
    let tenants_len = tenants.len();
    let mut copies = tenants.clone();
    {
        let mut model = model();
        for (i, t) in template.iter().enumerate() {
            while clashes(&model, &copies[i]) {
                tenants[i] = refresh_identity(t, &mut rng);
                copies[i] = tenants[i].clone();
            }
        }
        for t in copies {
            model.tenants.insert(t.id.clone(), t);
        }
    }
    let ids: Vec<String> = tenants.iter().map(|t| t.id.clone()).collect();
    let now = real_ms();
    let sb = Arc::new(Sandbox {
        id,
        clock: Clock::new(),
        scenarios: Scenarios::with_first_rule_id(seed ^ 0x5eed, ordinal << RULE_ID_SHIFT),
        tenants: ids,
        template: tenants,
        seed,
        rng: Mutex::new(rng_after_credentials(seed, tenants_len)),
        last_used_ms: AtomicI64::new(now),
        created_ms: now,
    });
    sandboxes.register(Arc::clone(&sb));
    Ok(sb)
}

/// Puts the sandbox's tenants back as they were made and restarts its RNG; its clock and rules
/// are left alone (as a global reset leaves the clock; rules are cleared by the caller).
pub fn reset(sb: &Sandbox, model: &mut Model) {
    for t in sb.template() {
        model.tenants.insert(t.id.clone(), t.clone());
        model.tokens.forget_tenant(&t.id);
    }
    sb.reseed();
}

/// Drops the sandbox and its tenants.
pub fn delete(sandboxes: &Sandboxes, model: &mut Model, id: &str) -> Option<Arc<Sandbox>> {
    let sb = sandboxes.unregister(id)?;
    for t in &sb.tenants {
        model.tenants.remove(t);
        model.tokens.forget_tenant(t);
    }
    Some(sb)
}

/// A sandbox's seed: from `--seed` and its id, so it does not depend on creation order.
fn sandbox_seed(global: u64, id: &str) -> u64 {
    let digest = Sha256::digest(format!("{global}/{id}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// The RNG as `create` leaves it: after drawing the credentials. A reset restarts it here so the
/// values drawn after a reset repeat those drawn after creation.
fn rng_after_credentials(seed: u64, tenants: usize) -> StdRng {
    // Derived rather than replayed: the draws for credentials vary with clash retries.
    StdRng::seed_from_u64(seed.rotate_left(17) ^ tenants as u64)
}

fn clashes(model: &Model, t: &Tenant) -> bool {
    model.tenants.contains_key(&t.id)
        || model
            .tenants
            .values()
            .any(|o| match (&o.credentials, &t.credentials) {
                (Credentials::Udesk { sid: a, .. }, Credentials::Udesk { sid: b, .. }) => a == b,
                (
                    Credentials::Nxcloud { access_key: a, .. },
                    Credentials::Nxcloud { access_key: b, .. },
                ) => a == b,
                (Credentials::Huawei { apps: a, .. }, Credentials::Huawei { apps: b, .. }) => {
                    a.iter().any(|x| b.iter().any(|y| x.app_key == y.app_key))
                }
                _ => false,
            })
}

fn hex(rng: &mut StdRng, n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..n).map(|_| HEX[rng.gen_range(0..16)] as char).collect()
}

fn lower_alnum(rng: &mut StdRng, n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

fn uuid_like(rng: &mut StdRng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// The tenant under a fresh id and fresh credentials, in each vendor's own shapes: a Udesk
/// AppId (a UUID, which is also the tenant id), Sid and AuthToken; an NXCloud tenantId (a
/// number), accessKey and accessSecret; Huawei app_key (a UUID) and app_secret per app.
fn refresh_identity(t: &Tenant, rng: &mut StdRng) -> Tenant {
    let mut fresh = t.clone();
    match &t.credentials {
        Credentials::Udesk { .. } => {
            let app_id = uuid_like(rng);
            fresh.id = app_id.clone();
            fresh.credentials = Credentials::Udesk {
                app_id,
                sid: format!("sb-{}", hex(rng, 16)),
                auth_token: hex(rng, 32),
            };
        }
        Credentials::Nxcloud { regions, .. } => {
            fresh.id = rng.gen_range(100_000_000u64..10_000_000_000).to_string();
            fresh.credentials = Credentials::Nxcloud {
                access_key: lower_alnum(rng, 13),
                access_secret: hex(rng, 32),
                regions: regions.clone(),
            };
        }
        Credentials::Huawei {
            apps,
            bad_credentials_status,
        } => {
            fresh.id = format!("sb-{}", hex(rng, 16));
            fresh.credentials = Credentials::Huawei {
                apps: apps
                    .iter()
                    .map(|_| HuaweiApp {
                        app_key: uuid_like(rng),
                        app_secret: hex(rng, 32),
                    })
                    .collect(),
                bad_credentials_status: *bad_credentials_status,
            };
        }
    }
    fresh
}

fn real_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
