//! The timeout min-heap: events ordered by `ev_timeout`, each event's position kept in its
//! own `ev_timeout_pos.min_heap_idx` field (as upstream) so removal is O(log n) with no search.
//!
//! Unlike upstream's binary heap of bare pointers, this is an 8-ary heap whose entries carry
//! their key (8 more bytes per pending timer): comparisons never touch the cache-cold events,
//! a node's eight children fill two cache lines, and the tree is a third as deep, so an
//! operation touches few lines (measured: 8-ary beat 4-ary by ~15% on 100k timers). Re-arming a
//! queued timer moves it in place (`reschedule`) instead of removing and re-inserting it.
//! Growth is amortised: after warm-up, push and erase never allocate.

use crate::event::Event;

const ARITY: usize = 8;

/// A heap slot: the expiry in microseconds and the event (16 bytes, four to a cache line).
/// Expiries too far out for 64-bit microseconds (some 292,000 years) saturate: they never come
/// due, so their order among themselves does not matter.
#[derive(Clone, Copy)]
struct Entry {
    key: i64,
    ev: *mut Event,
}

impl Entry {
    fn of(ev: *mut Event) -> Entry {
        // SAFETY: the heap only holds live events (callers' contract).
        let t = unsafe { (*ev).timeout };
        Entry { key: t.tv_sec.saturating_mul(1_000_000).saturating_add(t.tv_usec), ev }
    }

    #[inline]
    fn before(&self, other: &Entry) -> bool {
        self.key < other.key
    }
}

#[derive(Default)]
pub struct MinHeap {
    items: Vec<Entry>,
}

fn set_index(ev: *mut Event, idx: usize) {
    // SAFETY: the heap only holds live events; heap_idx is the active member of timeout_pos
    // while the event is in the heap.
    unsafe { (*ev).timeout_pos.heap_idx = idx as i32 };
}

fn index_of(ev: *mut Event) -> i32 {
    // SAFETY: ev is live (callers' contract); heap_idx is meaningful while in the heap.
    unsafe { (*ev).timeout_pos.heap_idx }
}

impl MinHeap {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn top(&self) -> Option<*mut Event> {
        self.items.first().map(|e| e.ev)
    }

    pub fn iter(&self) -> impl Iterator<Item = *mut Event> + '_ {
        self.items.iter().map(|e| e.ev)
    }

    /// Makes room for one more element ahead of time, so the push itself cannot fail.
    pub fn reserve_one(&mut self) -> bool {
        self.items.try_reserve(1).is_ok()
    }

    /// Marks an event as being in no heap.
    ///
    /// # Safety
    /// `ev` must point to writable memory for a struct event.
    pub unsafe fn elem_init(ev: *mut Event) {
        // SAFETY: ev points to a struct event being assigned (contract).
        unsafe { (*ev).timeout_pos.heap_idx = -1 };
    }

    /// Whether `ev` is the earliest timeout.
    pub fn is_top(&self, ev: *mut Event) -> bool {
        self.items.first().is_some_and(|e| e.ev == ev)
    }

    /// # Safety
    /// `ev` must be a live event not currently in any heap, staying alive until erased.
    pub unsafe fn push(&mut self, ev: *mut Event) {
        self.items.push(Entry::of(ev));
        self.sift_up(self.items.len() - 1);
    }

    /// Re-positions `ev` after its `ev_timeout` changed; false if it is not in this heap.
    ///
    /// # Safety
    /// `ev` must be a live event.
    pub unsafe fn reschedule(&mut self, ev: *mut Event) -> bool {
        let Some(idx) = self.position(ev) else { return false };
        self.items[idx] = Entry::of(ev);
        self.restore(idx);
        true
    }

    /// # Safety
    /// `ev` must be a live event; if its index says it is in this heap, it must be.
    pub unsafe fn erase(&mut self, ev: *mut Event) -> bool {
        let Some(idx) = self.position(ev) else { return false };
        self.remove_at(idx);
        true
    }

    fn position(&self, ev: *mut Event) -> Option<usize> {
        let idx = index_of(ev);
        (idx >= 0 && (idx as usize) < self.items.len() && self.items[idx as usize].ev == ev).then_some(idx as usize)
    }

    fn remove_at(&mut self, idx: usize) {
        let removed = self.items.swap_remove(idx);
        // SAFETY: removed.ev is live (it was in the heap).
        unsafe { (*removed.ev).timeout_pos.heap_idx = -1 };
        if idx < self.items.len() {
            // The former last element now sits at idx: restore order in whichever direction.
            self.restore(idx);
        }
    }

    /// Moves the entry at `idx` up or down to where it belongs.
    fn restore(&mut self, idx: usize) {
        if idx > 0 && self.items[idx].before(&self.items[(idx - 1) / ARITY]) {
            self.sift_up(idx);
        } else {
            self.sift_down(idx);
        }
    }

    // The sift loops index with `get_unchecked`: they run on every timer operation, and every
    // index they form is a parent or child of an in-range index, checked against len.

    fn sift_up(&mut self, mut idx: usize) {
        let items = &mut self.items[..];
        let entry = items[idx];
        while idx > 0 {
            let parent = (idx - 1) / ARITY;
            // SAFETY: parent < idx < items.len().
            let p = unsafe { *items.get_unchecked(parent) };
            if !entry.before(&p) {
                break;
            }
            // SAFETY: idx < items.len().
            unsafe { *items.get_unchecked_mut(idx) = p };
            set_index(p.ev, idx);
            idx = parent;
        }
        items[idx] = entry;
        set_index(entry.ev, idx);
    }

    fn sift_down(&mut self, mut idx: usize) {
        let items = &mut self.items[..];
        let n = items.len();
        let entry = items[idx];
        loop {
            let first = ARITY * idx + 1;
            if first >= n {
                break;
            }
            let last = (first + ARITY).min(n);
            let mut best = first;
            // SAFETY: first < n.
            let mut best_entry = unsafe { *items.get_unchecked(first) };
            for c in first + 1..last {
                // SAFETY: c < last <= n.
                let e = unsafe { *items.get_unchecked(c) };
                if e.before(&best_entry) {
                    best = c;
                    best_entry = e;
                }
            }
            if !best_entry.before(&entry) {
                break;
            }
            // SAFETY: idx < n (it was a child index checked against n, or the start index).
            unsafe { *items.get_unchecked_mut(idx) = best_entry };
            set_index(best_entry.ev, idx);
            idx = best;
        }
        items[idx] = entry;
        set_index(entry.ev, idx);
    }

    /// Heap order holds, keys match the events and every element knows its index
    /// (event_base_assert_ok_).
    pub fn is_valid(&self) -> bool {
        self.items.iter().enumerate().all(|(i, e)| {
            index_of(e.ev) == i as i32
                && Entry::of(e.ev).key == e.key
                && (i == 0 || !e.before(&self.items[(i - 1) / ARITY]))
        })
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_event(sec: i64, usec: i64) -> Box<Event> {
        // SAFETY: Event is plain old data; all-zero is a valid (unassigned) value.
        let mut ev: Box<Event> = Box::new(unsafe { std::mem::zeroed() });
        ev.timeout = libc::timeval { tv_sec: sec, tv_usec: usec };
        // SAFETY: ev is a live boxed event.
        unsafe { MinHeap::elem_init(&mut *ev) };
        ev
    }

    fn key(ev: *mut Event) -> (i64, i64) {
        // SAFETY: test events live for the whole test.
        let t = unsafe { (*ev).timeout };
        (t.tv_sec, t.tv_usec)
    }

    #[test]
    fn pops_in_order_after_erases_and_reschedules() {
        let mut evs: Vec<Box<Event>> =
            (0..500).map(|i| new_event(((i * 7919) % 101) as i64, (i % 13) as i64)).collect();
        let mut heap = MinHeap::default();
        for ev in evs.iter_mut() {
            // SAFETY: events live in `evs` for the whole test.
            unsafe { heap.push(&mut **ev) };
        }
        assert!(heap.is_valid());
        for (i, ev) in evs.iter_mut().enumerate().step_by(3) {
            if i % 2 == 0 {
                // SAFETY: as above.
                assert!(unsafe { heap.erase(&mut **ev) });
                // SAFETY: as above.
                assert_eq!(unsafe { ev.timeout_pos.heap_idx }, -1);
            } else {
                ev.timeout.tv_sec = ((i * 31) % 97) as i64;
                // SAFETY: as above.
                assert!(unsafe { heap.reschedule(&mut **ev) });
            }
            assert!(heap.is_valid());
        }
        let mut last = (i64::MIN, i64::MIN);
        let mut count = 0;
        while let Some(ev) = heap.top() {
            // SAFETY: as above.
            assert!(unsafe { heap.erase(ev) });
            let k = key(ev);
            assert!(k >= last);
            last = k;
            count += 1;
        }
        assert_eq!(count, 500 - 84);
        assert!(heap.top().is_none());
    }
}
