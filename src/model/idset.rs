//! A small sorted set of ids: an agent's queues and bound extensions.
//!
//! Why not a `BTreeSet<String>`: an agent lists one to three ids, and a `BTreeSet` allocates a
//! ~280-byte node for even one of them; at 100,000 agents that node alone was a quarter of the
//! model. A sorted `Vec` holds the same ids in one small allocation and keeps the same order.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdSet(Vec<String>);

impl IdSet {
    pub fn new() -> Self {
        IdSet(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.binary_search_by(|e| e.as_str().cmp(id)).is_ok()
    }

    /// Adds `id`; false if it was there already.
    pub fn insert(&mut self, id: String) -> bool {
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, id);
                true
            }
        }
    }

    /// Removes `id`; false if it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.0.binary_search_by(|e| e.as_str().cmp(id)) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// In order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    /// The ids in `self` and not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a IdSet) -> impl Iterator<Item = &'a String> + 'a {
        self.0.iter().filter(|e| !other.contains(e))
    }

    pub fn first(&self) -> Option<&String> {
        self.0.first()
    }
}

impl Extend<String> for IdSet {
    fn extend<I: IntoIterator<Item = String>>(&mut self, iter: I) {
        for id in iter {
            self.insert(id);
        }
    }
}

impl FromIterator<String> for IdSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut v: Vec<String> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        v.shrink_to_fit();
        IdSet(v)
    }
}

impl<const N: usize> From<[String; N]> for IdSet {
    fn from(ids: [String; N]) -> Self {
        ids.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a IdSet {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A JSON list, as the `BTreeSet` it replaces was written: sorted, each id once.
impl Serialize for IdSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for IdSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<String>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_sorted_and_unique() {
        let mut s: IdSet = ["b".to_string(), "a".into(), "b".into()].into();
        assert_eq!(s.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(s.insert("c".into()) && !s.insert("a".into()));
        assert!(s.remove("b") && !s.remove("b"));
        assert!(s.contains("c") && !s.contains("b"));
        let other: IdSet = ["a".to_string()].into();
        assert_eq!(s.difference(&other).collect::<Vec<_>>(), ["c"]);
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"["a","c"]"#);
    }
}
