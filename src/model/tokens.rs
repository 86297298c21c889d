//! Bearer tokens issued by a token exchange (Huawei API Fabric `tokenByAkSk`).
//!
//! Tokens live in the model, not in a vendor face, so that `POST /_ccemu/reset` clears them with
//! everything else; they are `#[serde(skip)]` on [`super::Model`], so they never appear in a
//! fixture or in `GET /_ccemu/state`. Several tokens of one app live at once (a new one does not
//! revoke the old, as on the real gateway); expired ones are dropped whenever a new one is issued.

use foldhash::HashMap;

/// At most this many live tokens per app: a client that asks for a token on every call must not
/// grow the model without bound. The oldest is dropped first.
pub const MAX_LIVE_PER_APP: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessToken {
    /// The tenant (space) whose app asked for it.
    pub tenant: String,
    pub app_key: String,
    pub created_ms: i64,
    /// The first instant at which the token no longer works.
    pub expires_ms: i64,
}

impl AccessToken {
    pub fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.expires_ms
    }
}

/// Serialisable for a `--state-file` (the model skips it everywhere else).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// By the token string. A `HashMap` because lookups by value are the only hot operation
    /// (every Huawei request), hashed with foldhash rather than SipHash for the same reason.
    by_value: HashMap<String, AccessToken>,
}

impl Tokens {
    /// Stores a new token after dropping the expired ones. Answers `false` (and stores nothing)
    /// if the value is already taken, so the caller can draw another.
    pub fn issue(&mut self, value: String, token: AccessToken, now_ms: i64) -> bool {
        if self.by_value.contains_key(&value) {
            return false;
        }
        // Only the issuing tenant's tokens are judged expired here: `now_ms` is that tenant's
        // clock (skewed, or a sandbox's own), which says nothing about another tenant's tokens.
        self.by_value
            .retain(|_, t| t.tenant != token.tenant || t.is_live(now_ms));
        let same_app = |t: &AccessToken| t.app_key == token.app_key && t.tenant == token.tenant;
        while self.by_value.values().filter(|t| same_app(t)).count() >= MAX_LIVE_PER_APP {
            let oldest = self
                .by_value
                .iter()
                .filter(|(_, t)| same_app(t))
                .min_by_key(|(v, t)| (t.created_ms, (*v).clone()))
                .map(|(v, _)| v.clone());
            match oldest {
                Some(v) => self.by_value.remove(&v),
                None => break,
            };
        }
        self.by_value.insert(value, token);
        true
    }

    /// Drops every token of `tenant` (a sandbox reset or deleted).
    pub fn forget_tenant(&mut self, tenant: &str) {
        self.by_value.retain(|_, t| t.tenant != tenant);
    }

    /// The tokens of these tenants only (a sandbox's, kept across a global snapshot restore).
    pub fn of_tenants(&self, tenants: &[String]) -> Tokens {
        Tokens {
            by_value: self
                .by_value
                .iter()
                .filter(|(_, t)| tenants.contains(&t.tenant))
                .map(|(v, t)| (v.clone(), t.clone()))
                .collect(),
        }
    }

    /// Adds `other`'s tokens (their tenants' own, so no value can clash with one here).
    pub fn absorb(&mut self, other: Tokens) {
        self.by_value.extend(other.by_value);
    }

    /// The token stored under `value`, live or not (so an expired one can be named as such).
    pub fn get(&self, value: &str) -> Option<&AccessToken> {
        self.by_value.get(value)
    }

    pub fn len(&self) -> usize {
        self.by_value.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(app: &str, created_ms: i64, life_ms: i64) -> AccessToken {
        AccessToken {
            tenant: "t".into(),
            app_key: app.into(),
            created_ms,
            expires_ms: created_ms + life_ms,
        }
    }

    #[test]
    fn several_live_tokens_and_expired_ones_are_dropped_on_issue() {
        let mut t = Tokens::default();
        assert!(t.issue("a".into(), tok("k", 0, 1_000), 0));
        assert!(t.issue("b".into(), tok("k", 500, 1_000), 500));
        assert!(t.get("a").unwrap().is_live(999));
        assert!(!t.get("a").unwrap().is_live(1_000));
        assert!(
            !t.issue("b".into(), tok("k", 600, 1_000), 600),
            "a taken value is refused"
        );
        assert!(t.issue("c".into(), tok("k", 1_200, 1_000), 1_200));
        assert!(t.get("a").is_none());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn the_oldest_goes_when_an_app_holds_too_many() {
        let mut t = Tokens::default();
        for i in 0..MAX_LIVE_PER_APP as i64 + 5 {
            assert!(t.issue(format!("v{i}"), tok("k", i, 1_000_000), i));
        }
        assert_eq!(t.len(), MAX_LIVE_PER_APP);
        assert!(t.get("v0").is_none());
        assert!(t.get(&format!("v{}", MAX_LIVE_PER_APP + 4)).is_some());
    }
}
