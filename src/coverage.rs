//! Strict mode's switches and the contract coverage counts, per vendor operation, as requests
//! are answered. Held by `Ctx`; the report that reads them against the vendors' route tables is
//! `contract::report`, on the floor above the faces.

use crate::model::Vendor;
use crate::op::Finding;
use foldhash::HashMap;
use parking_lot::{Mutex, MutexGuard};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many distinct findings an operation keeps (each with its count and first example).
const MAX_FINDINGS_PER_OP: usize = 64;

#[derive(Default)]
pub(crate) struct OpStats {
    pub(crate) calls: u64,
    /// Answer code (the vendor's code; Huawei's HTTP status) → count.
    pub(crate) codes: BTreeMap<String, u64>,
    pub(crate) findings: Vec<(Finding, u64, Value)>,
}

/// Strict-mode switches and the per-operation counts.
#[derive(Default)]
pub struct Contract {
    strict: AtomicBool,
    refuse: AtomicBool,
    stats: Mutex<HashMap<(Vendor, &'static str), OpStats>>,
}

impl Contract {
    pub fn new(strict: bool) -> Contract {
        let c = Contract::default();
        c.strict.store(strict, Ordering::Relaxed);
        c
    }

    pub fn strict(&self) -> bool {
        self.strict.load(Ordering::Relaxed)
    }

    pub fn refuse(&self) -> bool {
        self.refuse.load(Ordering::Relaxed)
    }

    pub fn set_strict(&self, on: bool, refuse: bool) {
        self.strict.store(on, Ordering::Relaxed);
        self.refuse.store(refuse, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        self.stats.lock().clear();
    }

    /// Counts one answered request. `example` is built only when a finding is new.
    pub fn observe(
        &self,
        vendor: Vendor,
        operation: &'static str,
        code: Option<&str>,
        findings: &[Finding],
        example: impl Fn() -> Value,
    ) {
        let mut stats = self.stats.lock();
        let s = stats.entry((vendor, operation)).or_default();
        s.calls += 1;
        // Copied only the first time a code is seen: this runs on every request.
        match code.map(|c| (s.codes.get_mut(c), c)) {
            Some((Some(n), _)) => *n += 1,
            Some((None, c)) => {
                s.codes.insert(c.to_string(), 1);
            }
            None => {}
        }
        for f in findings {
            if let Some((_, n, _)) = s.findings.iter_mut().find(|(g, _, _)| g == f) {
                *n += 1;
            } else if s.findings.len() < MAX_FINDINGS_PER_OP {
                s.findings.push((f.clone(), 1, example()));
            }
        }
    }

    /// The counts, for the report (`contract::report`), which reads them against the vendors'
    /// route tables.
    pub(crate) fn stats(&self) -> MutexGuard<'_, HashMap<(Vendor, &'static str), OpStats>> {
        self.stats.lock()
    }
}
