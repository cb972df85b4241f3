//! Intrusive doubly-linked lists over C-owned memory: the active queues (through
//! `event_callback.evcb_active_next`), the common-timeout queues and the per-fd / per-signal
//! event lists (through fields of `struct event`). Linking never allocates. All pointer work on
//! these links is here; callers name the link field with an accessor function. An unlinked
//! element's link fields are stale, never read: linking overwrites them.

use std::ptr;

/// The link fields embedded in an element.
#[repr(C)]
pub struct Link<T> {
    pub next: *mut T,
    pub prev: *mut T,
}

// Manual impls: a link is two pointers and copyable whatever T is (derive would demand T: Copy).
impl<T> Clone for Link<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Link<T> {}

/// A list head: first and last element. `repr(C)` so that a head embedded in a C-visible
/// struct has its first pointer first, where C's `TAILQ_FIRST` reads it (evhttp's
/// `connections`).
#[repr(C)]
pub struct List<T> {
    first: *mut T,
    last: *mut T,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { first: ptr::null_mut(), last: ptr::null_mut() }
    }
}

/// Where an element keeps its link for a given list.
pub type LinkOf<T> = unsafe fn(*mut T) -> *mut Link<T>;

impl<T> List<T> {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.first.is_null()
    }

    #[inline]
    pub fn first(&self) -> *mut T {
        self.first
    }

    /// # Safety
    /// `item` must be live, not on any list using the same link, and stay live while linked.
    #[inline]
    pub unsafe fn push_back(&mut self, item: *mut T, link: LinkOf<T>) {
        // SAFETY: item is live (caller's contract), so its link field is writable.
        unsafe {
            *link(item) = Link { next: ptr::null_mut(), prev: self.last };
            if self.last.is_null() {
                self.first = item;
            } else {
                (*link(self.last)).next = item;
            }
        }
        self.last = item;
    }

    /// # Safety
    /// As for `push_back`.
    #[inline]
    pub unsafe fn push_front(&mut self, item: *mut T, link: LinkOf<T>) {
        // SAFETY: item is live (caller's contract), so its link field is writable.
        unsafe {
            *link(item) = Link { next: self.first, prev: ptr::null_mut() };
            if self.first.is_null() {
                self.last = item;
            } else {
                (*link(self.first)).prev = item;
            }
        }
        self.first = item;
    }

    /// # Safety
    /// `item` must be on this list, linked through `link`.
    #[inline]
    pub unsafe fn remove(&mut self, item: *mut T, link: LinkOf<T>) {
        // SAFETY: item and its neighbours are live members of this list (caller's contract).
        unsafe {
            let Link { next, prev } = *link(item);
            if prev.is_null() {
                self.first = next;
            } else {
                (*link(prev)).next = next;
            }
            if next.is_null() {
                self.last = prev;
            } else {
                (*link(next)).prev = prev;
            }
        }
    }

    /// Links `item` after the last element for which `goes_after` holds, scanning back from the
    /// tail (at the front if none does): a sorted insert for lists that are appended to in
    /// order almost always, so the scan usually stops at the tail.
    ///
    /// # Safety
    /// As for `push_back`; every element must be live.
    pub unsafe fn insert_sorted_from_back(&mut self, item: *mut T, link: LinkOf<T>, goes_after: impl Fn(*mut T) -> bool) {
        let mut after = self.last;
        while !after.is_null() && !goes_after(after) {
            // SAFETY: members are live (contract).
            after = unsafe { (*link(after)).prev };
        }
        if after.is_null() {
            // SAFETY: forwarded contract.
            unsafe { self.push_front(item, link) };
            return;
        }
        // SAFETY: after is a live member; item is live and unlinked (contract).
        unsafe {
            let next = (*link(after)).next;
            *link(item) = Link { next, prev: after };
            (*link(after)).next = item;
            if next.is_null() {
                self.last = item;
            } else {
                (*link(next)).prev = item;
            }
        }
    }

    /// Unlinks and returns the first element.
    ///
    /// # Safety
    /// The list must be non-empty and linked through `link`.
    #[inline]
    pub unsafe fn pop_front(&mut self, link: LinkOf<T>) -> *mut T {
        let item = self.first;
        // SAFETY: item is the live head (contract); its successor, if any, is live.
        unsafe {
            let next = (*link(item)).next;
            self.first = next;
            if next.is_null() {
                self.last = ptr::null_mut();
            } else {
                (*link(next)).prev = ptr::null_mut();
            }
        }
        item
    }

    /// The element after `item`.
    ///
    /// # Safety
    /// `item` must be on this list, linked through `link`.
    #[inline]
    pub unsafe fn next(item: *mut T, link: LinkOf<T>) -> *mut T {
        // SAFETY: item is a live member (caller's contract).
        unsafe { (*link(item)).next }
    }

    /// Moves every element of `other` to the end of this list.
    ///
    /// # Safety
    /// Both lists must use `link`.
    pub unsafe fn append(&mut self, other: &mut List<T>, link: LinkOf<T>) {
        if other.first.is_null() {
            return;
        }
        // SAFETY: the ends of both lists are live members.
        unsafe {
            if self.last.is_null() {
                self.first = other.first;
            } else {
                (*link(self.last)).next = other.first;
                (*link(other.first)).prev = self.last;
            }
        }
        self.last = other.last;
        *other = List::default();
    }

    /// Collects the elements (for walks during which callbacks may unlink them).
    ///
    /// # Safety
    /// The list must be consistent, linked through `link`.
    pub unsafe fn to_vec(&self, link: LinkOf<T>) -> Vec<*mut T> {
        let mut out = Vec::new();
        let mut cur = self.first;
        while !cur.is_null() {
            out.push(cur);
            // SAFETY: cur is a live member.
            cur = unsafe { Self::next(cur, link) };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Node {
        key: i32,
        link: Link<Node>,
    }

    unsafe fn node_link(n: *mut Node) -> *mut Link<Node> {
        // SAFETY: test nodes are live for the whole test.
        unsafe { &raw mut (*n).link }
    }

    #[test]
    fn sorted_insert_from_back_keeps_order_and_links() {
        let keys = [5, 7, 7, 9, 1, 8, 10, 0, 7];
        let mut nodes: Vec<Box<Node>> =
            keys.iter().map(|&key| Box::new(Node { key, link: Link { next: ptr::null_mut(), prev: ptr::null_mut() } })).collect();
        let mut list = List::default();
        for n in nodes.iter_mut() {
            let key = n.key;
            // SAFETY: nodes live in `nodes` for the whole test.
            unsafe { list.insert_sorted_from_back(&mut **n, node_link, |e| key >= (*e).key) };
        }
        // SAFETY: as above.
        let order: Vec<i32> = unsafe { list.to_vec(node_link) }.iter().map(|&n| unsafe { (*n).key }).collect();
        assert_eq!(order, vec![0, 1, 5, 7, 7, 7, 8, 9, 10]);
        // Walking back from the tail gives the reverse order: prev links are right too.
        let mut back = Vec::new();
        let mut cur = list.last;
        while !cur.is_null() {
            // SAFETY: as above.
            unsafe {
                back.push((*cur).key);
                cur = (*node_link(cur)).prev;
            }
        }
        back.reverse();
        assert_eq!(back, order);
    }
}
