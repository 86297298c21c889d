//! Where named snapshots (`crate::snapshots`) are kept. It sits below the emulator (which owns one) and knows nothing
//! of what a snapshot holds: the payload is opaque here and typed in `snapshots`, so the emulator
//! does not depend on the code that takes and restores them.

use parking_lot::Mutex;
use serde::Serialize;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a listing shows of one snapshot.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// The virtual clock when it was taken.
    pub now_ms: i64,
    pub frozen: bool,
    /// The journal's newest seq then; entries after it are dropped by a restore.
    pub journal_seq: u64,
    pub tenants: usize,
    pub agents: usize,
}

/// A kept snapshot: its summary and what `snapshots` saved.
pub struct Named {
    pub summary: Summary,
    pub saved: Box<dyn Any + Send + Sync>,
}

/// A snapshot's key: its sandbox (`None` for the emulator's own) and its name.
type Key = (Option<String>, String);

/// The snapshots of the emulator (sandbox `None`) and of each sandbox, by name.
#[derive(Default)]
pub struct Store {
    named: Mutex<BTreeMap<Key, Arc<Named>>>,
}

impl Store {
    pub fn list(&self, sandbox: Option<&str>) -> Vec<Summary> {
        self.named
            .lock()
            .iter()
            .filter(|((sb, _), _)| sb.as_deref() == sandbox)
            .map(|(_, n)| n.summary.clone())
            .collect()
    }

    pub fn get(&self, sandbox: Option<&str>, name: &str) -> Option<Arc<Named>> {
        self.named
            .lock()
            .get(&(sandbox.map(str::to_string), name.to_string()))
            .cloned()
    }

    /// Keeps `saved` under the summary's sandbox and name; answers whether it replaced one.
    pub fn put(&self, summary: Summary, saved: impl Any + Send + Sync) -> bool {
        let key = (summary.sandbox.clone(), summary.name.clone());
        let named = Arc::new(Named {
            summary,
            saved: Box::new(saved),
        });
        // The replaced snapshot is freed after the lock is let go.
        let old = self.named.lock().insert(key, named);
        old.is_some()
    }

    /// Answers whether there was one to forget.
    pub fn delete(&self, sandbox: Option<&str>, name: &str) -> bool {
        let key = (sandbox.map(str::to_string), name.to_string());
        let old = self.named.lock().remove(&key);
        old.is_some()
    }

    /// Drops a deleted sandbox's snapshots.
    pub fn forget_sandbox(&self, sandbox: &str) {
        let gone: Vec<_> = {
            let mut named = self.named.lock();
            let keys: Vec<_> = named
                .keys()
                .filter(|(sb, _)| sb.as_deref() == Some(sandbox))
                .cloned()
                .collect();
            keys.into_iter().filter_map(|k| named.remove(&k)).collect()
        };
        drop(gone);
    }
}
