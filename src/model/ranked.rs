//! A sorted set in `Arc`-shared chunks, the structure under a tenant's agents (`agents.rs`) and
//! queue members: a page at any rank costs the page, and a clone (a reset) copies chunk
//! pointers, not elements.

use std::borrow::Borrow;
use std::sync::Arc;

/// Elements per chunk after a split; a chunk splits when it doubles. Small enough that an insert
/// moves little and a first write after reset copies little, large enough that skipping to a
/// rank at 100k elements walks a few hundred chunk lengths.
const CHUNK: usize = 256;

/// A sorted set split into `Arc`-shared chunks: lookups by binary search, the element at a rank
/// in O(n / CHUNK), and a clone that copies chunk pointers only (a write copies one chunk).
#[derive(Clone)]
pub struct RankedSet<T> {
    /// Reached into by `agents::AgentMut`, which copies one record on write in place.
    pub(super) chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for RankedSet<T> {
    fn default() -> Self {
        RankedSet {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Ord + Clone> RankedSet<T> {
    /// A set of elements already in strictly increasing order, cut into full chunks.
    pub(super) fn from_sorted(items: Vec<T>) -> Self {
        let len = items.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut it = items.into_iter().peekable();
        while it.peek().is_some() {
            chunks.push(Arc::new(it.by_ref().take(CHUNK).collect::<Vec<T>>()));
        }
        RankedSet { chunks, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first chunk whose last element is not below `x` (`chunks.len()` when none is).
    fn chunk_of<Q: Ord + ?Sized>(&self, x: &Q) -> usize
    where
        T: Borrow<Q>,
    {
        self.chunks
            .partition_point(|c| c.last().is_some_and(|l| l.borrow() < x))
    }

    pub(super) fn position<Q: Ord + ?Sized>(&self, x: &Q) -> Option<(usize, usize)>
    where
        T: Borrow<Q>,
    {
        let ci = self.chunk_of(x);
        let i = self
            .chunks
            .get(ci)?
            .binary_search_by(|e| e.borrow().cmp(x))
            .ok()?;
        Some((ci, i))
    }

    pub fn get<Q: Ord + ?Sized>(&self, x: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
    {
        let (ci, i) = self.position(x)?;
        self.chunks.get(ci)?.get(i)
    }

    pub fn contains<Q: Ord + ?Sized>(&self, x: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.position(x).is_some()
    }

    /// Inserts `x`, replacing an equal element, which is answered.
    pub fn insert(&mut self, x: T) -> Option<T> {
        if self.chunks.is_empty() {
            self.chunks.push(Arc::new(vec![x]));
            self.len = 1;
            return None;
        }
        let ci = self.chunk_of(&x).min(self.chunks.len() - 1);
        let chunk = Arc::make_mut(&mut self.chunks[ci]);
        match chunk.binary_search(&x) {
            Ok(i) => Some(std::mem::replace(&mut chunk[i], x)),
            Err(i) => {
                chunk.insert(i, x);
                self.len += 1;
                if chunk.len() >= 2 * CHUNK {
                    let tail = chunk.split_off(CHUNK);
                    self.chunks.insert(ci + 1, Arc::new(tail));
                }
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, x: &Q) -> Option<T>
    where
        T: Borrow<Q>,
    {
        let (ci, i) = self.position(x)?;
        let chunk = Arc::make_mut(&mut self.chunks[ci]);
        let v = chunk.remove(i);
        if chunk.is_empty() {
            self.chunks.remove(ci);
        }
        self.len -= 1;
        Some(v)
    }

    /// The elements from the `rank`-th (0-based) on, in order; getting there walks chunk lengths.
    pub fn iter_from(&self, rank: usize) -> impl Iterator<Item = &T> + '_ {
        let mut skip = rank;
        let mut start = self.chunks.len();
        for (n, c) in self.chunks.iter().enumerate() {
            if skip < c.len() {
                start = n;
                break;
            }
            skip -= c.len();
        }
        self.chunks[start..]
            .iter()
            .flat_map(|c| c.iter())
            .skip(if start < self.chunks.len() { skip } else { 0 })
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The elements from the `rank`-th on, at most `n` of them, as a view that outlives the
    /// borrow: it shares the chunks that hold them (one reference count per chunk, not one per
    /// element), so a page is taken under the model lock and read after it is released.
    pub fn page(&self, rank: usize, n: usize) -> Page<T> {
        let mut skip = rank;
        let mut chunks = Vec::new();
        let mut want = n;
        for c in &self.chunks {
            if want == 0 {
                break;
            }
            if skip >= c.len() {
                skip -= c.len();
                continue;
            }
            let here = (c.len() - skip).min(want);
            chunks.push((Arc::clone(c), skip, here));
            want -= here;
            skip = 0;
        }
        Page { chunks }
    }

    /// How many elements are below `x`.
    pub fn rank<Q: Ord + ?Sized>(&self, x: &Q) -> usize
    where
        T: Borrow<Q>,
    {
        let ci = self.chunk_of(x);
        let before: usize = self.chunks[..ci].iter().map(|c| c.len()).sum();
        before
            + self
                .chunks
                .get(ci)
                .map_or(0, |c| c.partition_point(|e| e.borrow() < x))
    }

    /// Strictly increasing, no empty chunk, `len` right.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.chunks.iter().any(|c| c.is_empty()) {
            return Err("an empty chunk".into());
        }
        let mut it = self.iter();
        let mut prev = it.next();
        let mut n = usize::from(prev.is_some());
        for e in it {
            if prev.is_some_and(|p| p >= e) {
                return Err("elements out of order".into());
            }
            prev = Some(e);
            n += 1;
        }
        if n != self.len {
            return Err(format!("length {} but {n} elements", self.len));
        }
        Ok(())
    }
}

/// Some consecutive elements of a [`RankedSet`], holding the chunks they sit in.
pub struct Page<T> {
    /// (chunk, first index in it, how many from there).
    chunks: Vec<(Arc<Vec<T>>, usize, usize)>,
}

impl<T> Page<T> {
    /// No elements.
    pub fn empty() -> Page<T> {
        Page { chunks: Vec::new() }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks
            .iter()
            .flat_map(|(c, from, n)| c[*from..*from + *n].iter())
    }
}
