//! The timeout min-heap: events ordered by `ev_timeout`, each event's position kept in its
//! own `ev_timeout_pos.min_heap_idx` field (as upstream) so removal is O(log n) with no search.
//! Growth is amortised: after warm-up, push and erase never allocate.

use crate::event::Event;
use crate::time;

#[derive(Default)]
pub struct MinHeap {
    items: Vec<*mut Event>,
}

/// Reads the expiry of a linked event.
fn key(ev: *mut Event) -> (libc::time_t, libc::suseconds_t) {
    // SAFETY: the heap only holds events that are linked and alive (callers' contract).
    let t = unsafe { &(*ev).timeout };
    (t.tv_sec, t.tv_usec)
}

fn set_index(ev: *mut Event, idx: i32) {
    // SAFETY: the heap only holds live events; heap_idx is the active member of timeout_pos
    // while the event is in the heap.
    unsafe { (*ev).timeout_pos.heap_idx = idx };
}

impl MinHeap {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn top(&self) -> Option<*mut Event> {
        self.items.first().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = *mut Event> + '_ {
        self.items.iter().copied()
    }

    /// Makes room for one more element ahead of time, so the push itself cannot fail.
    pub fn reserve_one(&mut self) -> bool {
        self.items.try_reserve(1).is_ok()
    }

    /// Marks an event as being in no heap.
    pub fn elem_init(ev: *mut Event) {
        set_index(ev, -1);
    }

    /// Whether `ev` is the earliest timeout.
    pub fn is_top(&self, ev: *mut Event) -> bool {
        self.items.first() == Some(&ev)
    }

    /// # Safety
    /// `ev` must be a live event not currently in any heap, staying alive until erased.
    pub unsafe fn push(&mut self, ev: *mut Event) {
        self.items.push(ev);
        self.sift_up(self.items.len() - 1);
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<*mut Event> {
        let top = *self.items.first()?;
        self.remove_at(0);
        Some(top)
    }

    /// # Safety
    /// `ev` must be a live event; if its index says it is in this heap, it must be.
    pub unsafe fn erase(&mut self, ev: *mut Event) -> bool {
        // SAFETY: ev is live (caller's contract); heap_idx is meaningful while in the heap.
        let idx = unsafe { (*ev).timeout_pos.heap_idx };
        if idx < 0 || idx as usize >= self.items.len() || self.items[idx as usize] != ev {
            return false;
        }
        self.remove_at(idx as usize);
        true
    }

    fn remove_at(&mut self, idx: usize) {
        let removed = self.items.swap_remove(idx);
        set_index(removed, -1);
        if idx < self.items.len() {
            // The former last element now sits at idx: restore order in whichever direction.
            set_index(self.items[idx], idx as i32);
            if idx > 0 && key(self.items[idx]) < key(self.items[(idx - 1) / 2]) {
                self.sift_up(idx);
            } else {
                self.sift_down(idx);
            }
        }
    }

    fn sift_up(&mut self, mut idx: usize) {
        let ev = self.items[idx];
        let k = key(ev);
        while idx > 0 {
            let parent = (idx - 1) / 2;
            if key(self.items[parent]) <= k {
                break;
            }
            self.items[idx] = self.items[parent];
            set_index(self.items[idx], idx as i32);
            idx = parent;
        }
        self.items[idx] = ev;
        set_index(ev, idx as i32);
    }

    fn sift_down(&mut self, mut idx: usize) {
        let n = self.items.len();
        let ev = self.items[idx];
        let k = key(ev);
        loop {
            let mut child = 2 * idx + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && key(self.items[child + 1]) < key(self.items[child]) {
                child += 1;
            }
            if k <= key(self.items[child]) {
                break;
            }
            self.items[idx] = self.items[child];
            set_index(self.items[idx], idx as i32);
            idx = child;
        }
        self.items[idx] = ev;
        set_index(ev, idx as i32);
    }

    /// Heap order holds and every element knows its index (event_base_assert_ok_).
    pub fn is_valid(&self) -> bool {
        self.items.iter().enumerate().all(|(i, &ev)| {
            // SAFETY: heap members are live events.
            let idx_ok = unsafe { (*ev).timeout_pos.heap_idx } == i as i32;
            idx_ok && (i == 0 || key(self.items[(i - 1) / 2]) <= key(ev))
        })
    }

    pub fn clear(&mut self) {
        for &ev in &self.items {
            set_index(ev, -1);
        }
        self.items.clear();
    }
}

/// True if `a` expires strictly before `b`.
pub fn earlier(a: &libc::timeval, b: &libc::timeval) -> bool {
    time::cmp(a, b).is_lt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_event(sec: i64, usec: i64) -> Box<Event> {
        // SAFETY: Event is plain old data; all-zero is a valid (unassigned) value.
        let mut ev: Box<Event> = Box::new(unsafe { std::mem::zeroed() });
        ev.timeout = libc::timeval { tv_sec: sec, tv_usec: usec };
        MinHeap::elem_init(&mut *ev);
        ev
    }

    #[test]
    fn pops_in_order_and_erases_from_the_middle() {
        let mut evs: Vec<Box<Event>> =
            (0..200).map(|i| new_event(((i * 7919) % 101) as i64, (i % 13) as i64)).collect();
        let mut heap = MinHeap::default();
        for ev in evs.iter_mut() {
            // SAFETY: events live in `evs` for the whole test.
            unsafe { heap.push(&mut **ev) };
        }
        for ev in evs.iter_mut().step_by(3) {
            // SAFETY: as above.
            assert!(unsafe { heap.erase(&mut **ev) });
            // SAFETY: as above.
            assert_eq!(unsafe { ev.timeout_pos.heap_idx }, -1);
        }
        let mut last = (i64::MIN, i64::MIN);
        let mut count = 0;
        while let Some(ev) = heap.pop() {
            let k = key(ev);
            assert!(k >= last);
            last = k;
            count += 1;
        }
        assert_eq!(count, 200 - 67);
        assert!(heap.top().is_none());
    }
}
