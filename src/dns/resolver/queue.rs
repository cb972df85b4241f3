//! The two request tables of a base, both O(1) per operation: in-flight requests by
//! transaction id, and the waiting queue (FIFO, with room at the front for suspended requests,
//! and removal from the middle when a waiting request is cancelled).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a transaction id as itself: ids are already uniformly random (from the secure
/// generator), so SipHash's work buys nothing here.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u16(&mut self, n: u16) {
        // Spread over the high bits too: hashbrown takes its control bits from the top.
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(crate) type IdMap<V> = HashMap<u16, V, BuildHasherDefault<IdHasher>>;

/// Waiting entries in order; each has a key (unique for the base's life) so that one can be
/// removed without a search: the order deque keeps keys, the map the live entries, and keys
/// whose entry is gone are skipped when they reach the front.
pub(crate) struct WaitQueue<T: Copy> {
    order: VecDeque<u64>,
    live: HashMap<u64, T, BuildHasherDefault<IdHasher>>,
    next_key: u64,
}

impl<T: Copy> WaitQueue<T> {
    pub fn new() -> WaitQueue<T> {
        WaitQueue { order: VecDeque::new(), live: HashMap::default(), next_key: 0 }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live.len()
    }

    fn key(&mut self, v: T) -> u64 {
        let k = self.next_key;
        self.next_key += 1;
        self.live.insert(k, v);
        k
    }

    /// Appends; returns the key to remove it by.
    pub fn push_back(&mut self, v: T) -> u64 {
        let k = self.key(v);
        self.order.push_back(k);
        k
    }

    /// Puts in front of everything waiting.
    pub fn push_front(&mut self, v: T) -> u64 {
        let k = self.key(v);
        self.order.push_front(k);
        k
    }

    /// The first live entry, without removing it.
    pub fn front(&mut self) -> Option<T> {
        while let Some(&k) = self.order.front() {
            if let Some(&v) = self.live.get(&k) {
                return Some(v);
            }
            self.order.pop_front();
        }
        None
    }

    /// Removes and returns the first live entry.
    pub fn pop_front(&mut self) -> Option<T> {
        while let Some(k) = self.order.pop_front() {
            if let Some(v) = self.live.remove(&k) {
                return Some(v);
            }
        }
        None
    }

    pub fn remove(&mut self, key: u64) {
        self.live.remove(&key);
        if self.live.is_empty() {
            self.order.clear();
        }
    }

    /// Empties the queue, returning the live entries in order.
    pub fn drain(&mut self) -> Vec<T> {
        let out = self.order.iter().filter_map(|k| self.live.get(k).copied()).collect();
        self.order.clear();
        self.live.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_front_insertion_and_removal() {
        let mut q = WaitQueue::new();
        let a = q.push_back('a');
        q.push_back('b');
        q.push_back('c');
        q.push_front('z');
        q.remove(a);
        assert_eq!(q.len(), 3);
        assert_eq!(q.front(), Some('z'));
        assert_eq!(q.pop_front(), Some('z'));
        assert_eq!(q.drain(), ['b', 'c']);
        assert_eq!(q.pop_front(), None);
    }

    #[test]
    fn id_map_spreads_ids() {
        let mut m: IdMap<u32> = IdMap::default();
        for i in 0..=u16::MAX {
            m.insert(i, u32::from(i));
        }
        assert_eq!(m.get(&0xbeef), Some(&0xbeef));
    }
}
