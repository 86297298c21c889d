//! Answers to reads, reused until the model or the reader's clock moves.
//!
//! A page of a list is most of what a signed read costs: serialising 20 Udesk agents takes more
//! CPU than the signature, the lock, the journal and hyper together, and clients poll the same
//! page again and again. An answer is a function of the model, the virtual instant and the
//! request's own inputs, so it is kept under exactly those and reused while none of them has
//! changed. The model's version moves on every mutable access to it (`emulator::ModelGuard`),
//! so a write can never be answered around: the worst a spurious move costs is one rebuild.
//!
//! A handler opts in per route, naming the inputs its answer depends on in the key; nothing else
//! (faults, strict mode, the journal, the envelope) is cached.

use foldhash::HashMap;
use hyper::body::Bytes;
use parking_lot::Mutex;

/// Kept answers at most; past it the stale ones go, then all.
const MAX_ENTRIES: usize = 1024;

/// The largest answer kept: a bigger one is cheap to rebuild compared with its copy.
const MAX_BYTES: usize = 256 * 1024;

/// An answer as its handler made it: the serialised part, and the item count of a page when the
/// envelope writes it apart from the items (NXCloud's `total`).
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub bytes: Bytes,
    pub total: Option<u64>,
}

/// One input a kept answer depends on: text as it is, a number in decimal.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    Text(&'a str),
    Number(u64),
    Signed(i64),
}

impl<'a> From<&'a str> for Part<'a> {
    fn from(text: &'a str) -> Part<'a> {
        Part::Text(text)
    }
}

impl<'a> From<&'a String> for Part<'a> {
    fn from(text: &'a String) -> Part<'a> {
        Part::Text(text)
    }
}

impl From<bool> for Part<'_> {
    fn from(b: bool) -> Self {
        Part::Text(if b { "true" } else { "false" })
    }
}

impl From<u32> for Part<'_> {
    fn from(n: u32) -> Self {
        Part::Number(n.into())
    }
}

impl From<u64> for Part<'_> {
    fn from(n: u64) -> Self {
        Part::Number(n)
    }
}

impl From<usize> for Part<'_> {
    fn from(n: usize) -> Self {
        Part::Number(n as u64)
    }
}

impl From<i64> for Part<'_> {
    fn from(n: i64) -> Self {
        Part::Signed(n)
    }
}

/// `key` of its arguments, each made a `Part`: `cache_key!["udesk/agents", &tenant, page, size]`.
macro_rules! cache_key {
    ($($part:expr),+ $(,)?) => {
        $crate::read_cache::key(&[$($crate::read_cache::Part::from($part)),+])
    };
}
pub(crate) use cache_key;

/// A cache key: the parts joined by `/`, as one string written in place (a `format!` of four
/// parts cost more than the lookup it keys, and a `to_string` per number an allocation each).
pub fn key(parts: &[Part]) -> String {
    let mut numbers = itoa::Buffer::new();
    let mut key = String::with_capacity(parts.iter().map(|p| p.len_hint() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push('/');
        }
        key.push_str(match *part {
            Part::Text(text) => text,
            Part::Number(n) => numbers.format(n),
            Part::Signed(n) => numbers.format(n),
        });
    }
    key
}

impl Part<'_> {
    fn len_hint(&self) -> usize {
        match self {
            Part::Text(text) => text.len(),
            Part::Number(_) | Part::Signed(_) => 20,
        }
    }
}

struct Entry {
    version: u64,
    now_ms: i64,
    kept: Kept,
}

#[derive(Default)]
pub struct ReadCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl ReadCache {
    /// The answer kept under `key` if it was made at this model version and instant.
    pub fn get(&self, key: &str, version: u64, now_ms: i64) -> Option<Kept> {
        let entries = self.entries.lock();
        entries
            .get(key)
            .filter(|e| e.version == version && e.now_ms == now_ms)
            .map(|e| e.kept.clone())
    }

    /// Keeps `kept` as the answer under `key` at this version and instant.
    pub fn put(&self, key: String, version: u64, now_ms: i64, kept: Kept) {
        if kept.bytes.len() > MAX_BYTES {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, e| e.version == version && e.now_ms == now_ms);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                version,
                now_ms,
                kept,
            },
        );
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_reused_only_at_its_version_and_instant() {
        let c = ReadCache::default();
        let page = Kept {
            bytes: Bytes::from_static(b"page"),
            total: Some(3),
        };
        c.put("k".into(), 7, 1000, page.clone());
        assert_eq!(c.get("k", 7, 1000), Some(page));
        assert!(c.get("k", 8, 1000).is_none(), "the model moved");
        assert!(c.get("k", 7, 1001).is_none(), "the clock moved");
        assert!(c.get("other", 7, 1000).is_none());
    }

    #[test]
    fn a_key_writes_its_parts_as_to_string_would() {
        let tenant = String::from("demo");
        assert_eq!(
            crate::read_cache::cache_key![
                "udesk/agents",
                &tenant,
                12u32,
                0usize,
                -5i64,
                u64::MAX,
                true,
                ""
            ],
            format!("udesk/agents/demo/12/0/-5/{}/true/", u64::MAX)
        );
        assert_eq!(
            crate::read_cache::cache_key!["huawei/queryAgentInfo", "t"],
            "huawei/queryAgentInfo/t"
        );
    }

    #[test]
    fn it_stays_bounded() {
        let c = ReadCache::default();
        for i in 0..(MAX_ENTRIES * 3) {
            let x = Kept {
                bytes: Bytes::from_static(b"x"),
                total: None,
            };
            c.put(format!("k{i}"), i as u64 / 100, 0, x);
        }
        assert!(c.entries.lock().len() <= MAX_ENTRIES);
        let big = Kept {
            bytes: Bytes::from(vec![0u8; MAX_BYTES + 1]),
            total: None,
        };
        c.put("big".into(), 1, 0, big);
        assert!(c.get("big", 1, 0).is_none());
    }
}
