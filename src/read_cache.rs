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
    maps: Mutex<Maps>,
}

#[derive(Default)]
struct Maps {
    entries: HashMap<String, Entry>,
    /// A request's own bytes (`request_key`) → the key its handler kept its answer under.
    seen: HashMap<Box<[u8]>, String>,
}

/// The largest request remembered in `seen`: a read's body is a few dozen bytes.
const MAX_SEEN_REQUEST: usize = 4096;

/// What a request to a kept read is, beyond its route: the tenant it was authenticated as, its
/// path, query and body, each behind its length so that no two requests run into one key.
///
/// Why: a JSON body has to be read and checked against the route's contract before the handler
/// can even name its key, and on a small read that is a sixth of the request (NXCloud
/// `agent/status/info`: 4,500 of 32,000 instructions). Everything a handler does before its
/// key's lookup is a function of these bytes and the tenant (the contract walk, the field
/// checks, NXCloud's tenantId against the key's team) or is decided again by the lookup itself
/// (a skill that must exist exists at a version where its page was kept). So the same bytes ask
/// for the same key, and [`ReadCache::again`] can answer them without reading the body at all.
pub fn request_key(tenant: &str, path: &str, query: &str, body: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(12 + tenant.len() + path.len() + query.len() + body.len());
    for part in [tenant, path, query] {
        key.extend_from_slice(&(part.len() as u32).to_le_bytes());
        key.extend_from_slice(part.as_bytes());
    }
    key.extend_from_slice(body);
    key
}

impl ReadCache {
    /// The answer kept under `key` if it was made at this model version and instant.
    pub fn get(&self, key: &str, version: u64, now_ms: i64) -> Option<Kept> {
        self.get_for(None, key, version, now_ms)
    }

    /// `get`, noting, when it is found, that the request `seen` (its `request_key`) asks for
    /// `key`.
    pub fn get_for(
        &self,
        seen: Option<&[u8]>,
        key: &str,
        version: u64,
        now_ms: i64,
    ) -> Option<Kept> {
        let mut maps = self.maps.lock();
        let kept = maps.entries.get(key).and_then(|e| e.at(version, now_ms))?;
        if let Some(seen) = seen {
            maps.note(seen, key);
        }
        Some(kept)
    }

    /// The answer kept for a request with exactly these bytes (`request_key`), if one asked
    /// before and its answer was made at this model version and instant.
    pub fn again(&self, seen: &[u8], version: u64, now_ms: i64) -> Option<Kept> {
        let maps = self.maps.lock();
        let key = maps.seen.get(seen)?;
        maps.entries
            .get(key.as_str())
            .and_then(|e| e.at(version, now_ms))
    }

    /// Keeps `kept` as the answer under `key` at this version and instant.
    pub fn put(&self, key: String, version: u64, now_ms: i64, kept: Kept) {
        self.put_for(None, key, version, now_ms, kept);
    }

    /// `put`, noting that the request `seen` (its `request_key`) asks for `key`.
    pub fn put_for(&self, seen: Option<&[u8]>, key: String, version: u64, now_ms: i64, kept: Kept) {
        if kept.bytes.len() > MAX_BYTES {
            return;
        }
        let mut maps = self.maps.lock();
        if let Some(seen) = seen {
            maps.note(seen, &key);
        }
        let entries = &mut maps.entries;
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
        let mut maps = self.maps.lock();
        maps.entries.clear();
        maps.seen.clear();
    }
}

impl Entry {
    fn at(&self, version: u64, now_ms: i64) -> Option<Kept> {
        (self.version == version && self.now_ms == now_ms).then(|| self.kept.clone())
    }
}

impl Maps {
    fn note(&mut self, seen: &[u8], key: &str) {
        if seen.len() > MAX_SEEN_REQUEST || self.seen.get(seen).is_some_and(|k| k == key) {
            return;
        }
        // Forgetting costs a request its shortcut once, nothing more.
        if self.seen.len() >= MAX_ENTRIES {
            self.seen.clear();
        }
        self.seen.insert(seen.into(), key.to_owned());
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
    fn the_same_bytes_find_the_read_they_asked_for_only_at_its_version_and_instant() {
        let c = ReadCache::default();
        let page = Kept {
            bytes: Bytes::from_static(b"page"),
            total: Some(3),
        };
        let seen = request_key("t", "/p", "", b"{\"page\":1}");
        assert!(c.again(&seen, 7, 1000).is_none(), "never asked");
        c.put_for(Some(&seen), "p/t/1".into(), 7, 1000, page.clone());
        assert_eq!(c.again(&seen, 7, 1000), Some(page.clone()));
        assert!(c.again(&seen, 8, 1000).is_none(), "the model moved");
        assert!(c.again(&seen, 7, 1001).is_none(), "the clock moved");
        // Another tenant, path, query or body is another request.
        for other in [
            request_key("u", "/p", "", b"{\"page\":1}"),
            request_key("t", "/q", "", b"{\"page\":1}"),
            request_key("t", "/p", "a=1", b"{\"page\":1}"),
            request_key("t", "/p", "", b"{\"page\":2}"),
        ] {
            assert!(c.again(&other, 7, 1000).is_none());
        }
        // A request that found the answer by its key is noted too.
        let spaced = request_key("t", "/p", "", b"{ \"page\": 1 }");
        assert_eq!(
            c.get_for(Some(&spaced), "p/t/1", 7, 1000),
            Some(page.clone())
        );
        assert_eq!(c.again(&spaced, 7, 1000), Some(page));
        c.clear();
        assert!(c.again(&seen, 7, 1000).is_none(), "a reset forgets");
    }

    #[test]
    fn a_request_key_keeps_its_parts_apart() {
        // Lengths first: moving a byte from one part to the next makes another key.
        assert_ne!(
            request_key("ab", "/c", "", b""),
            request_key("a", "b/c", "", b"")
        );
        assert_ne!(
            request_key("t", "/p", "x", b"y"),
            request_key("t", "/p", "", b"xy")
        );
    }

    fn small() -> Kept {
        Kept {
            bytes: Bytes::from_static(b"x"),
            total: None,
        }
    }

    #[test]
    fn it_stays_bounded() {
        let c = ReadCache::default();
        for i in 0..(MAX_ENTRIES * 3) {
            c.put(format!("k{i}"), i as u64 / 100, 0, small());
        }
        assert!(c.maps.lock().entries.len() <= MAX_ENTRIES);
        for i in 0..(MAX_ENTRIES * 3) {
            let seen = format!("request {i}");
            c.put_for(Some(seen.as_bytes()), format!("k{i}"), 1, 0, small());
        }
        assert!(c.maps.lock().seen.len() <= MAX_ENTRIES);
        let huge = vec![b'x'; MAX_SEEN_REQUEST + 1];
        c.put_for(Some(&huge), "huge".into(), 1, 0, small());
        assert!(
            c.again(&huge, 1, 0).is_none(),
            "a large request is not remembered"
        );
        let big = Kept {
            bytes: Bytes::from(vec![0u8; MAX_BYTES + 1]),
            total: None,
        };
        c.put("big".into(), 1, 0, big);
        assert!(c.get("big", 1, 0).is_none());
    }
}
