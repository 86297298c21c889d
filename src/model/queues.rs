//! A tenant's queues (Udesk queues, NXCloud agent groups, Huawei skills) with a name index.
//!
//! Queue names are unique within a tenant, so every create and rename asks "is this name taken".
//! A tenant that has made 5,000 queues should not compare 5,000 names to answer that: the
//! (name, id) index answers it directly. Reads see the map itself (`Deref`); writes go through
//! [`Queues::insert`], [`Queues::remove`] and [`Queues::modify`], which keep the index in step.

use super::fixture::keyed_list;
use super::Queue;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queues {
    by_id: BTreeMap<String, Queue>,
    /// (name, id); a set of pairs because a fixture may still hold two queues of one name.
    by_name: BTreeSet<(String, String)>,
}

impl std::ops::Deref for Queues {
    type Target = BTreeMap<String, Queue>;
    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl Queues {
    /// Adds or replaces the queue under its id; answers the one replaced.
    pub fn insert(&mut self, q: Queue) -> Option<Queue> {
        let old = self.remove(&q.id);
        self.by_name.insert((q.name.clone(), q.id.clone()));
        self.by_id.insert(q.id.clone(), q);
        old
    }

    pub fn remove(&mut self, id: &str) -> Option<Queue> {
        let q = self.by_id.remove(id)?;
        self.by_name.remove(&(q.name.clone(), q.id.clone()));
        Some(q)
    }

    /// Changes a queue in place; the name index follows a rename.
    pub fn modify<R>(&mut self, id: &str, f: impl FnOnce(&mut Queue) -> R) -> Option<R> {
        let q = self.by_id.get_mut(id)?;
        let before = q.name.clone();
        let out = f(q);
        // The id is the key: a change to it is not kept.
        q.id = id.to_string();
        if q.name != before {
            self.by_name.remove(&(before, id.to_string()));
            self.by_name.insert((q.name.clone(), id.to_string()));
        }
        Some(out)
    }

    /// Whether a queue other than `except` is called `name`.
    pub fn name_taken(&self, name: &str, except: Option<&str>) -> bool {
        self.by_name
            .range((name.to_string(), String::new())..)
            .take_while(|(n, _)| n == name)
            .any(|(_, id)| Some(id.as_str()) != except)
    }

    /// The name index agrees with the queues.
    pub fn check(&self) -> Result<(), String> {
        let names: BTreeSet<(String, String)> = self
            .by_id
            .iter()
            .map(|(id, q)| (q.name.clone(), id.clone()))
            .collect();
        if names != self.by_name {
            return Err("the queue name index disagrees with the queues".into());
        }
        if let Some((id, q)) = self.by_id.iter().find(|(id, q)| **id != q.id) {
            return Err(format!("queue {} is filed under {id}", q.id));
        }
        Ok(())
    }
}

/// Written as the list of queues, as the fixture has it.
impl Serialize for Queues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        keyed_list::serialize(&self.by_id, s)
    }
}

impl<'de> Deserialize<'de> for Queues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let by_id: BTreeMap<String, Queue> = keyed_list::deserialize(d)?;
        let by_name = by_id
            .iter()
            .map(|(id, q)| (q.name.clone(), id.clone()))
            .collect();
        Ok(Queues { by_id, by_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(id: &str, name: &str) -> Queue {
        Queue {
            id: id.into(),
            name: name.into(),
            ..Queue::default()
        }
    }

    #[test]
    fn the_name_index_follows_inserts_renames_and_removals() {
        let mut qs = Queues::default();
        qs.insert(queue("1", "sales"));
        qs.insert(queue("2", "support"));
        assert!(qs.name_taken("sales", None));
        assert!(!qs.name_taken("sales", Some("1")));
        assert!(qs.name_taken("sales", Some("2")));
        qs.modify("1", |q| q.name = "billing".into());
        assert!(!qs.name_taken("sales", None));
        assert!(qs.name_taken("billing", None));
        qs.insert(queue("2", "sales"));
        assert!(!qs.name_taken("support", None));
        assert!(qs.name_taken("sales", None));
        qs.remove("2");
        assert!(!qs.name_taken("sales", None));
        qs.check().unwrap();
        assert_eq!(qs.len(), 1);
    }

    #[test]
    fn a_modify_cannot_move_a_queue_off_its_key() {
        let mut qs = Queues::default();
        qs.insert(queue("1", "a"));
        qs.modify("1", |q| q.id = "9".into());
        assert_eq!(qs["1"].id, "1");
        qs.check().unwrap();
    }
}
