//! The chain list of a buffer: every operation that links, unlinks, replaces or frees chains
//! and keeps `first`, `last`, `last_with_datap` and `total_len` consistent (the invariants are
//! in mod.rs). This is where the buffer's pointer work is; the rest of the buffer code sees
//! chains through these methods and the slices of chain.rs.
//!
//! Where a choice changes how many chains a buffer has or how big they are, it is upstream's
//! documented behaviour (its glass-box tests count chains after expand/reserve/add/prepend).
//! None of these methods checks freezing or records bytes for the callbacks: ops.rs does that.

use std::ptr;

use libc::iovec;

use super::chain::{self, Chain, NewChain, DANGLING, MEM_PINNED_R};
use super::Evbuffer;

/// Chains grow by doubling up to this size when bytes are appended (upstream's
/// EVBUFFER_CHAIN_MAX_AUTO_SIZE; a larger append gets a chain of its own size).
const CHAIN_MAX_AUTO_SIZE: usize = 4096;
/// A chain holding more than this is not copied into a larger one to make room (upstream's
/// MAX_TO_COPY_IN_EXPAND).
const MAX_TO_COPY_IN_EXPAND: usize = 4096;

/// The chains of a buffer from a given one on.
#[derive(Clone, Copy)]
pub struct Chains<'a> {
    next: *const Chain,
    _buf: std::marker::PhantomData<&'a Evbuffer>,
}

impl<'a> Iterator for Chains<'a> {
    type Item = &'a Chain;

    #[inline]
    fn next(&mut self) -> Option<&'a Chain> {
        // SAFETY: chains reachable from a buffer borrowed for 'a are live and not changed
        // while it is borrowed.
        let c = unsafe { self.next.as_ref()? };
        self.next = c.next;
        Some(c)
    }
}

impl Evbuffer {
    // ---- looking -------------------------------------------------------------------------

    #[inline]
    pub fn chains(&self) -> Chains<'_> {
        Chains { next: self.first, _buf: std::marker::PhantomData }
    }

    /// The chains from `start` on.
    ///
    /// # Safety
    /// `start` must be NULL or a chain of this buffer (what an evbuffer_ptr of it holds).
    #[inline]
    pub unsafe fn chains_from(&self, start: *const Chain) -> Chains<'_> {
        Chains { next: start, _buf: std::marker::PhantomData }
    }

    #[inline]
    pub fn first_chain(&self) -> Option<&Chain> {
        // SAFETY: `first` is NULL or a live chain of this buffer.
        unsafe { self.first.as_ref() }
    }

    #[inline]
    pub(super) fn first_ptr(&self) -> *mut Chain {
        self.first
    }

    /// Free space of the last chain: what can be appended without allocating.
    #[inline]
    pub(super) fn last_space(&self) -> usize {
        // SAFETY: `last` is NULL or a live chain of this buffer.
        unsafe { self.last.as_ref() }.map_or(0, Chain::space_len)
    }

    /// The last chain holding data (the first chain when none does).
    #[inline]
    fn last_with_data(&self) -> *mut Chain {
        // SAFETY: last_with_datap always points at `first` or at a live chain's `next`.
        unsafe { *self.last_with_datap }
    }

    #[inline]
    fn first_slot(&mut self) -> *mut *mut Chain {
        &raw mut self.first
    }

    // ---- resetting -----------------------------------------------------------------------

    /// Forgets the chains without freeing them (they now belong elsewhere).
    pub(super) fn forget_chains(&mut self) {
        self.first = ptr::null_mut();
        self.last = ptr::null_mut();
        self.last_with_datap = self.first_slot();
        self.total_len = 0;
    }

    /// Frees every chain and empties the buffer.
    pub(super) fn free_chains(&mut self) {
        // SAFETY: the chains are this buffer's; the list is reset right after.
        unsafe { free_from(self.first) };
        self.forget_chains();
    }

    /// Frees the empty chains after the last one with data (pinned ones stay), and returns the
    /// slot where a new last chain goes. `last` may be stale afterwards: the caller sets it.
    fn free_trailing_empty(&mut self) -> *mut *mut Chain {
        let mut slot = self.last_with_datap;
        // SAFETY: slot walks the `next` fields of this buffer's live chains.
        unsafe {
            while let Some(c) = (*slot).as_mut() {
                if c.off == 0 && !c.is_pinned() {
                    break;
                }
                slot = &raw mut c.next;
            }
            if !(*slot).is_null() {
                free_from(*slot);
                *slot = ptr::null_mut();
            }
        }
        slot
    }

    /// Appends a chain at the end (upstream's evbuffer_chain_insert), freeing the empty chains
    /// it replaces, and returns it.
    pub(super) fn insert(&mut self, chain: NewChain) -> &mut Chain {
        let c = chain.into_raw();
        // SAFETY: c is a live chain now owned by this list; slots are this buffer's.
        unsafe {
            if self.last_with_data().is_null() {
                crate::ev_assert!(self.first.is_null());
                self.first = c;
            } else {
                let slot = self.free_trailing_empty();
                *slot = c;
                if (*c).off > 0 {
                    self.last_with_datap = slot;
                }
            }
            self.last = c;
            self.total_len += (*c).off;
            &mut *c
        }
    }

    /// Moves `last_with_datap` on past chains that received data at the end.
    fn advance_last_with_data(&mut self) {
        let mut slot = self.last_with_datap;
        // SAFETY: slot walks this buffer's live chains.
        unsafe {
            let Some(mut c) = (*slot).as_mut() else { return };
            while let Some(next) = c.next.as_mut() {
                let next_slot = &raw mut c.next;
                if next.off > 0 {
                    slot = next_slot;
                }
                c = next;
            }
        }
        self.last_with_datap = slot;
    }

    // ---- appending and prepending --------------------------------------------------------

    /// Appends bytes (upstream's evbuffer_add, without the checks): into the free space of the
    /// last chain with data when they fit (moving its data to the front when cheap), else
    /// partly there and the rest in a new chain twice as big (up to 4 KiB, or as big as needed).
    /// False when out of memory, with nothing added.
    #[inline]
    pub(super) fn append(&mut self, data: &[u8]) -> bool {
        // The common case first, kept small enough to inline: the bytes fit after the data of
        // the last chain with data.
        // SAFETY: last_with_data is NULL or a live chain of this buffer; a mutable chain owns
        // buffer_len bytes at buffer, and the room checked is after its data.
        unsafe {
            if let Some(c) = self.last_with_data().as_mut() {
                let end = c.misalign as usize + c.off;
                if c.flags & chain::IMMUTABLE == 0 && c.buffer_len - end >= data.len() {
                    ptr::copy_nonoverlapping(data.as_ptr(), c.buffer.add(end), data.len());
                    c.off += data.len();
                    self.total_len += data.len();
                    return true;
                }
            }
        }
        self.append_slow(data)
    }

    /// `append` when the bytes do not fit as they are.
    #[inline(never)]
    fn append_slow(&mut self, data: &[u8]) -> bool {
        let datlen = data.len();
        if self.last_with_data().is_null() {
            let Some(c) = NewChain::data(datlen) else { return false };
            self.insert(c);
        }
        // SAFETY: non-null after the insert above; a live chain of this buffer.
        let chain = unsafe { &mut *self.last_with_data() };
        let mut remain = 0;
        if !chain.has(chain::IMMUTABLE) {
            remain = chain.space_len();
            if remain >= datlen {
                // (a chain inserted just above for an empty buffer)
                chain.append(data);
                self.total_len += datlen;
                return true;
            }
            if !chain.is_pinned() && chain.should_realign(datlen) {
                chain.align();
                chain.append(data);
                self.total_len += datlen;
                return true;
            }
        }
        let mut to_alloc = chain.buffer_len;
        if to_alloc <= CHAIN_MAX_AUTO_SIZE / 2 {
            to_alloc <<= 1;
        }
        let Some(mut tmp) = NewChain::data(to_alloc.max(datlen)) else { return false };
        let (head, tail) = data.split_at(remain);
        chain.append(head);
        self.total_len += remain;
        tmp.append(tail);
        self.insert(tmp);
        true
    }

    /// Appends formatted text in one chain, followed by a NUL byte that is not data: what
    /// upstream's evbuffer_add_printf leaves, formatting straight into the chain, and what
    /// programs (and upstream's tests) rely on when they treat evbuffer_pullup's result as a
    /// string.
    pub(super) fn append_text(&mut self, text: &[u8]) -> bool {
        let Some(c) = self.expand_single(text.len() + 1) else { return false };
        c.append(text);
        c.space_mut()[0] = 0;
        self.total_len += text.len();
        self.advance_last_with_data();
        true
    }

    /// Prepends bytes (upstream's evbuffer_prepend, without the checks): into the room before
    /// the first chain's data when it is mutable (an empty first chain counts as all room),
    /// the rest into a new first chain filled from its end.
    pub(super) fn prepend(&mut self, data: &[u8]) -> bool {
        let mut datlen = data.len();
        if self.first.is_null() {
            let Some(c) = NewChain::data(datlen) else { return false };
            self.insert(c);
        }
        // SAFETY: first is a live chain of this buffer (inserted above if there was none).
        let chain = unsafe { &mut *self.first };
        if !chain.has(chain::IMMUTABLE) {
            if chain.off == 0 {
                chain.misalign = chain.buffer_len as i64;
            }
            let room = chain.misalign as usize;
            if room >= datlen {
                // SAFETY: the `room` bytes before the data are the chain's own memory.
                unsafe { ptr::copy_nonoverlapping(data.as_ptr(), chain.buffer.add(room - datlen), datlen) };
                chain.misalign -= datlen as i64;
                chain.off += datlen;
                self.total_len += datlen;
                return true;
            }
            if room > 0 {
                // SAFETY: as above, the whole room.
                unsafe { ptr::copy_nonoverlapping(data.as_ptr().add(datlen - room), chain.buffer, room) };
                chain.misalign = 0;
                chain.off += room;
                self.total_len += room;
                datlen -= room;
            }
        }
        let Some(tmp) = NewChain::data(datlen) else { return false };
        let tmp = tmp.into_raw();
        // SAFETY: tmp is a fresh chain of at least datlen bytes, linked in front of `chain`.
        unsafe {
            let t = &mut *tmp;
            t.off = datlen;
            t.misalign = (t.buffer_len - datlen) as i64;
            ptr::copy_nonoverlapping(data.as_ptr(), t.data_ptr(), datlen);
            t.next = self.first;
            if self.last_with_datap == self.first_slot() && chain.off > 0 {
                self.last_with_datap = &raw mut t.next;
            }
            self.first = tmp;
        }
        self.total_len += datlen;
        true
    }

    // ---- removing from the front ---------------------------------------------------------

    /// Removes the first `len` bytes when the first chain holds more than that (true); false,
    /// with nothing done, otherwise. No chain is freed, so the list's pointers stay right.
    #[inline]
    pub(super) fn drain_within_first(&mut self, len: usize) -> bool {
        // SAFETY: `first` is NULL or a live chain of this buffer.
        match unsafe { self.first.as_mut() } {
            Some(c) if len < c.off => {
                c.misalign += len as i64;
                c.off -= len;
                self.total_len -= len;
                true
            }
            _ => false,
        }
    }

    /// Removes the first `len` bytes (at most the length): whole chains are freed, the rest
    /// of the last one skipped over.
    pub(super) fn drain_front(&mut self, len: usize) {
        let last_pinned = !self.last.is_null() && {
            // SAFETY: last is a live chain of this buffer.
            unsafe { (*self.last).has(MEM_PINNED_R) }
        };
        if len >= self.total_len && !last_pinned {
            self.free_chains();
            return;
        }
        let len = len.min(self.total_len);
        self.total_len -= len;
        let mut remaining = len;
        let mut chain = self.first;
        // SAFETY: walks this buffer's live chains; more data than `remaining` lies ahead, so
        // the walk stops at a chain before the end.
        unsafe {
            while remaining >= (*chain).off {
                let next = (*chain).next;
                remaining -= (*chain).off;
                if chain == self.last_with_data() || &raw mut (*chain).next == self.last_with_datap {
                    self.last_with_datap = self.first_slot();
                }
                if (*chain).has(MEM_PINNED_R) {
                    crate::ev_assert!(remaining == 0);
                    (*chain).misalign += (*chain).off as i64;
                    (*chain).off = 0;
                    break;
                }
                chain::release(chain);
                chain = next;
            }
            self.first = chain;
            crate::ev_assert!(remaining <= (*chain).off);
            (*chain).misalign += remaining as i64;
            (*chain).off -= remaining;
        }
    }

    /// Makes the first `size` bytes contiguous (1 <= size <= length) and returns where they
    /// are: in place when the first chain holds them or has room for them, else in a new first
    /// chain; the chains copied from entirely are freed. None when a chain involved is pinned
    /// or memory runs out.
    pub(super) fn pullup(&mut self, size: usize) -> Option<*mut u8> {
        debug_assert!(size > 0 && size <= self.total_len);
        // SAFETY: first is live (size <= total_len > 0).
        let first = unsafe { &mut *self.first };
        if first.off >= size {
            return Some(first.data_ptr());
        }
        let mut remaining = size - first.off;
        for c in self.chains().skip(1) {
            if c.is_pinned() {
                return None;
            }
            if c.off >= remaining {
                break;
            }
            remaining -= c.off;
        }
        // `dest` collects the bytes; `chain` is the first chain still to copy from.
        let (target, mut dest, mut need, mut chain): (*mut Chain, *mut u8, usize, *mut Chain);
        if first.is_mutable() && first.buffer_len - first.misalign as usize >= size {
            target = first;
            dest = first.space_ptr();
            need = size - first.off;
            first.off = size;
            chain = first.next;
        } else if first.is_pinned() {
            return None;
        } else {
            let mut tmp = NewChain::data(size)?;
            tmp.off = size;
            dest = tmp.buffer;
            need = size;
            target = tmp.into_raw();
            chain = self.first;
        }
        let old_lwd = self.last_with_data();
        let (mut freed_lwd, mut freed_lwd_slot) = (false, false);
        // SAFETY: walks and frees this buffer's live chains; `dest` has room for `need` bytes
        // (checked above), copied without overlap from other chains.
        unsafe {
            while let Some(c) = chain.as_mut() {
                if need < c.off {
                    break;
                }
                let next = c.next;
                c.copy_out(0, std::slice::from_raw_parts_mut(dest, c.off));
                dest = dest.add(c.off);
                need -= c.off;
                freed_lwd |= chain == old_lwd;
                freed_lwd_slot |= &raw mut c.next == self.last_with_datap;
                chain::release(chain);
                chain = next;
            }
            if let Some(c) = chain.as_mut() {
                c.copy_out(0, std::slice::from_raw_parts_mut(dest, need));
                c.misalign += need as i64;
                c.off -= need;
            } else {
                self.last = target;
            }
            (*target).next = chain;
            self.first = target;
            if freed_lwd {
                self.last_with_datap = self.first_slot();
            } else if freed_lwd_slot {
                let second = (*target).next;
                self.last_with_datap =
                    if !second.is_null() && (*second).off > 0 { &raw mut (*target).next } else { self.first_slot() };
            }
            Some((*target).data_ptr())
        }
    }

    // ---- making room at the end ----------------------------------------------------------

    /// Makes `datlen` bytes of free space available in one chain at the end (upstream's
    /// evbuffer_expand_singlechain) and returns it: the last chain with data if it has the
    /// room (after moving its data to the front when cheap), a small such chain copied into a
    /// bigger one, the empty chain after it if big enough, or a new chain.
    pub(super) fn expand_single(&mut self, datlen: usize) -> Option<&mut Chain> {
        let mut slot = self.last_with_datap;
        // SAFETY: slot is this buffer's first slot or a live chain's next field.
        unsafe {
            if let Some(c) = (*slot).as_mut() {
                if c.space_len() == 0 {
                    slot = &raw mut c.next;
                }
            }
            let chain_ptr = *slot;
            let Some(chain) = chain_ptr.as_mut() else { return self.insert_new(datlen) };
            if !chain.is_mutable() {
                return self.insert_new(datlen);
            }
            if chain.space_len() >= datlen {
                return Some(chain);
            }
            if chain.off == 0 {
                return self.insert_new(datlen);
            }
            if chain.should_realign(datlen) {
                chain.align();
                return Some(chain);
            }
            let wasteful = chain.space_len() < chain.buffer_len / 8
                || chain.off > MAX_TO_COPY_IN_EXPAND
                || datlen >= chain::CHAIN_MAX - chain.off;
            if wasteful {
                if let Some(next) = chain.next.as_mut() {
                    if next.space_len() >= datlen {
                        return Some(next);
                    }
                }
                return self.insert_new(datlen);
            }
            // Copy the data into a chain with room for them and datlen more.
            let mut tmp = NewChain::data(chain.off + datlen)?;
            tmp.append(chain.data());
            tmp.next = chain.next;
            let tmp = tmp.into_raw();
            *slot = tmp;
            if self.last == chain_ptr {
                self.last = tmp;
            }
            chain::release(chain_ptr);
            Some(&mut *tmp)
        }
    }

    fn insert_new(&mut self, datlen: usize) -> Option<&mut Chain> {
        let c = NewChain::data(datlen)?;
        Some(self.insert(c))
    }

    /// Makes `datlen` bytes of free space available in at most `n` (>= 2) chains at the end,
    /// never moving data (upstream's evbuffer_expand_fast_): counts the room of the last chain
    /// with data and the empty chains after it; when short, adds a chain for the difference
    /// if fewer than `n` were counted, else replaces the empty ones by one big enough.
    pub fn expand_fast(&mut self, datlen: usize, n: usize) -> bool {
        debug_assert!(n >= 2);
        // SAFETY: last is NULL or a live chain of this buffer.
        let last_usable = unsafe { self.last.as_ref() }.is_some_and(|c| !c.has(chain::IMMUTABLE));
        if !last_usable {
            return self.insert_new(datlen).is_some();
        }
        let (mut used, mut avail) = (0, 0usize);
        let mut chain = self.last_with_data();
        // SAFETY: walks this buffer's live chains from the last with data.
        unsafe {
            while let Some(c) = chain.as_mut() {
                if c.off > 0 {
                    let space = c.space_len();
                    if space > 0 {
                        avail += space;
                        used += 1;
                    }
                } else {
                    c.misalign = 0;
                    avail += c.space_len();
                    used += 1;
                }
                if avail >= datlen {
                    return true;
                }
                if used == n {
                    break;
                }
                chain = c.next;
            }
            if used < n {
                let Some(tmp) = NewChain::data(datlen - avail) else { return false };
                let tmp = tmp.into_raw();
                (*self.last).next = tmp;
                self.last = tmp;
                return true;
            }
            // Replace every empty chain at the end by one chain big enough.
            let lwd = self.last_with_data();
            let remove_all = (*lwd).off == 0;
            let (keep_space, victims) =
                if remove_all { (0, lwd) } else { ((*lwd).space_len(), (*lwd).next) };
            crate::ev_assert!(!remove_all || lwd == self.first);
            free_from(victims);
            let tmp = NewChain::data(datlen - keep_space).map(NewChain::into_raw);
            match (tmp, remove_all) {
                (Some(t), true) => {
                    self.first = t;
                    self.last = t;
                    self.last_with_datap = self.first_slot();
                }
                (Some(t), false) => {
                    (*lwd).next = t;
                    self.last = t;
                }
                (None, true) => self.forget_chains(),
                (None, false) => {
                    (*lwd).next = ptr::null_mut();
                    self.last = lwd;
                }
            }
            tmp.is_some()
        }
    }

    /// Describes in `out` the free space of up to `out.len()` chains from the first chain with
    /// room, for `howmuch` bytes (exactly, or whole chains unless `exact`): upstream's
    /// evbuffer_read_setup_vecs_. Returns the vectors used and the slot of the first chain,
    /// for commit_read.
    pub fn read_vecs(&mut self, howmuch: usize, out: &mut [iovec], exact: bool) -> (usize, *mut *mut Chain) {
        let mut slot = self.last_with_datap;
        // SAFETY: slots and chains are this buffer's.
        unsafe {
            if let Some(c) = (*slot).as_mut() {
                if c.space_len() == 0 {
                    slot = &raw mut c.next;
                }
            }
            let mut chain = *slot;
            let (mut i, mut so_far) = (0, 0);
            while i < out.len() && so_far < howmuch {
                let Some(c) = chain.as_mut() else { break };
                let mut avail = c.space_len();
                if exact && avail > howmuch - so_far {
                    avail = howmuch - so_far;
                }
                out[i] = iovec { iov_base: c.space_ptr().cast(), iov_len: avail };
                so_far += avail;
                chain = c.next;
                i += 1;
            }
            (i, slot)
        }
    }

    /// Accounts `n` bytes written into the space handed out by read_vecs from `slot` on
    /// (evbuffer_read's commit): chains fill in order.
    pub(super) fn commit_read(&mut self, mut slot: *mut *mut Chain, n: usize) {
        let mut remaining = n;
        // SAFETY: slot came from space_vecs on this unchanged list; the space covers n bytes.
        unsafe {
            while remaining > 0 {
                let c = &mut **slot;
                let space = c.space_len().min(chain::CHAIN_MAX);
                if space < remaining {
                    c.off += space;
                    remaining -= space;
                } else {
                    c.off += remaining;
                    self.last_with_datap = slot;
                    break;
                }
                slot = &raw mut c.next;
            }
        }
        self.total_len += n;
    }

    /// evbuffer_commit_space's check and commit: the vectors must be the free space of
    /// consecutive chains from the first with room (or the last chain's, for one vector), each
    /// at most that long. Returns the bytes added, or None when they do not match.
    pub(super) fn commit(&mut self, vecs: &[iovec]) -> Option<usize> {
        if vecs.is_empty() {
            return Some(0);
        }
        // SAFETY: last is NULL or a live chain of this buffer.
        if let (true, Some(last)) = (vecs.len() == 1, unsafe { self.last.as_mut() }) {
            let v = &vecs[0];
            if v.iov_base == last.space_ptr().cast() {
                if v.iov_len > last.space_len() {
                    return None;
                }
                last.off += v.iov_len;
                self.total_len += v.iov_len;
                if v.iov_len > 0 {
                    self.advance_last_with_data();
                }
                return Some(v.iov_len);
            }
        }
        let mut first = self.last_with_datap;
        // SAFETY: slots and chains are this buffer's.
        unsafe {
            let c = (*first).as_mut()?;
            if c.space_len() == 0 {
                first = &raw mut c.next;
            }
            let mut chain = *first;
            for v in vecs {
                let c = chain.as_ref()?;
                if v.iov_base != c.space_ptr().cast() || v.iov_len > c.space_len() {
                    return None;
                }
                chain = c.next;
            }
            let mut slot = first;
            let mut added = 0;
            for v in vecs {
                let c = &mut **slot;
                c.off += v.iov_len;
                added += v.iov_len;
                if v.iov_len > 0 {
                    self.last_with_datap = slot;
                }
                slot = &raw mut c.next;
            }
            self.total_len += added;
            Some(added)
        }
    }

    // ---- moving chains between buffers ---------------------------------------------------

    /// Moves every chain of `src` to the end of this buffer without copying (add_buffer).
    pub(super) fn append_all_from(&mut self, src: &mut Evbuffer) {
        let src_lwd_is_first = src.last_with_datap == src.first_slot();
        if self.total_len == 0 {
            self.free_chains();
            self.first = src.first;
            self.last_with_datap = if src_lwd_is_first { self.first_slot() } else { src.last_with_datap };
        } else {
            let slot = self.free_trailing_empty();
            // SAFETY: slot is this buffer's end slot, now NULL.
            unsafe { *slot = src.first };
            self.last_with_datap = if src_lwd_is_first { slot } else { src.last_with_datap };
        }
        self.last = src.last;
        self.total_len += src.total_len;
        src.forget_chains();
    }

    /// Moves every chain of `src` (which has data) in front of this buffer's (prepend_buffer).
    pub(super) fn prepend_all_from(&mut self, src: &mut Evbuffer) {
        if self.total_len == 0 {
            // Nothing to keep in front of: this is appending to an empty buffer.
            self.append_all_from(src);
            return;
        }
        // SAFETY: src has data, so its last chain is live.
        unsafe { (*src.last).next = self.first };
        if self.last_with_datap == self.first_slot() {
            // SAFETY: as above.
            self.last_with_datap = unsafe { &raw mut (*src.last).next };
        }
        self.first = src.first;
        self.total_len += src.total_len;
        src.forget_chains();
    }

    /// Moves the first `datlen` bytes (less than its length) of `src` to the end of this
    /// buffer: whole chains move, the bytes of the last, partly moved one are copied. Returns
    /// the bytes moved (short of `datlen` only when memory for that copy runs out).
    pub(super) fn take_front_from(&mut self, src: &mut Evbuffer, datlen: usize) -> usize {
        debug_assert!(datlen < src.total_len);
        let (mut moved, mut left) = (0, datlen);
        let mut chain = src.first;
        let mut previous = ptr::null_mut::<Chain>();
        // The `next` field pointing at the last whole chain with data (null: none has data;
        // src's `first` slot: the first one), to be this buffer's last_with_datap: found on
        // the way instead of walking the moved chains again.
        let mut data_slot = ptr::null_mut::<*mut Chain>();
        let mut slot = src.first_slot();
        // SAFETY: walks src's live chains; more data than `left` lie ahead, so the walk ends
        // at or before src's last chain with data.
        unsafe {
            while (*chain).off <= left {
                let off = (*chain).off;
                if off > 0 {
                    data_slot = slot;
                }
                moved += off;
                left -= off;
                previous = chain;
                slot = &raw mut (*chain).next;
                chain = *slot;
            }
            if !previous.is_null() {
                // Only the last moved chain's `next` can have pointed at src's last chain with
                // data (which stays): src's first chain now.
                if src.last_with_datap == slot {
                    src.last_with_datap = src.first_slot();
                }
                let end = self.free_trailing_empty();
                *end = src.first;
                self.last = previous;
                (*previous).next = ptr::null_mut();
                src.first = chain;
                if data_slot == src.first_slot() {
                    self.last_with_datap = end;
                } else if !data_slot.is_null() {
                    self.last_with_datap = data_slot;
                }
                self.total_len += moved;
                src.total_len -= moved;
            }
            let c = &mut *chain;
            let mut copy = Vec::new();
            let bytes: &[u8] = if c.has(chain::SENDFILE) {
                copy.resize(left, 0);
                c.copy_out(0, &mut copy);
                &copy
            } else {
                &c.data()[..left]
            };
            if !self.append(bytes) {
                return moved;
            }
            c.misalign += left as i64;
            c.off -= left;
            src.total_len -= left;
        }
        datlen
    }

    /// Appends a read-only copy of every chain with data of `src` (add_buffer_reference),
    /// sharing the memory. False when memory runs out part way.
    ///
    /// # Safety
    /// `src` must be a live buffer other than this one, locked by the caller.
    pub(super) unsafe fn append_references_to(&mut self, src: *mut Evbuffer) -> bool {
        // SAFETY: src is live and locked (contract); its chains stay put while we copy them.
        let mut chain = unsafe { (*src).first };
        // SAFETY: as above.
        while let Some(c) = unsafe { chain.as_ref() } {
            let next = c.next;
            if c.off > 0 && !c.has(DANGLING) {
                // SAFETY: chain is a live chain of the live, locked src.
                let Some(copy) = (unsafe { NewChain::multicast(src, chain) }) else {
                    crate::warn_errno!("evbuffer_add_buffer_reference: out of memory");
                    return false;
                };
                self.insert(copy);
            }
            chain = next;
        }
        true
    }
}

/// Frees a run of chains.
///
/// # Safety
/// `chain` must be NULL or the first of a run of live chains that no list uses afterwards.
unsafe fn free_from(mut chain: *mut Chain) {
    while !chain.is_null() {
        // SAFETY: live chain (contract); its next is read before it is freed.
        unsafe {
            let next = (*chain).next;
            chain::release(chain);
            chain = next;
        }
    }
}
