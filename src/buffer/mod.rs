//! evbuffer (`event2/buffer.h`, `event2/buffer_compat.h`): a queue of bytes kept as a list of
//! chains, optimised for appending at the end and removing from the front.
//!
//! `struct evbuffer` and `struct evbuffer_chain` keep upstream's private x86_64 layout, because
//! upstream's regression tests walk them through its evbuffer-internal.h (`first`, `last`,
//! `last_with_datap`, `total_len`; each chain's `next`, `buffer_len`, `misalign`, `off`,
//! `buffer`), and they keep their meaning:
//! - the chains hold `total_len` bytes in order; chains may be empty;
//! - `last_with_datap` points at the pointer (`first`, or some chain's `next`) that points at
//!   the last chain holding data, or at the first chain when none does, or at `first` when there
//!   are no chains; every chain after that one is empty.
//!
//! Modules: `chain` (the chain struct, allocation, freeing), `list` (every operation on the
//! chain list: the pointer work), `ops` (the buffer operations with their checks), `search`
//! (evbuffer_ptr, searches, line endings, readln), `callbacks` (change callbacks, deferred
//! through a base), `io` (readv/writev/sendfile), `file` (file segments).
//!
//! # For bufferevents (the crate-internal API)
//! A bufferevent may call the exported `evbuffer_*` functions (src/ffi/buffer.rs) directly; they
//! are thin. Inside the crate, with a `*mut Evbuffer` from [`Evbuffer::new`]:
//! - [`locked`] runs an operation with the buffer's lock held and then, if bytes came or went,
//!   its callbacks: what every exported single-buffer function does, e.g.
//!   `locked(buf, |b| b.add(bytes))`; [`ops::reading`] is the same for lookups, without
//!   callbacks. The `Evbuffer` methods expect the lock to be held and leave callbacks to
//!   `locked`: `len`, `add`, `add_printf_text`, `prepend_bytes`, `drain`, `remove`,
//!   `copyout_from`, `pullup_bytes`, `peek`, `expand`, `reserve_space` / `commit_space`,
//!   `add_reference`, `add_iovec`, `add_file_segment`, `read` (readv, up to [`io::MAX_READ`]),
//!   `write_atmost` (writev or sendfile), `readln`, `search_range`, `search_eol`, `ptr_set`,
//!   `is_frozen` / `set_frozen`, `set_flags`, `set_parent`.
//! - Two-buffer operations take raw pointers and lock both: [`ops::add_buffer`],
//!   [`ops::prepend_buffer`], [`ops::remove_buffer`] (whole chains move, nothing is copied but
//!   a partial last chain), [`ops::add_buffer_reference`].
//! - Lifetime: [`incref`], [`incref_and_lock`], [`decref_and_unlock`], [`free`]; locking:
//!   [`enable_locking`] (NULL: a recursive lock of the buffer's own), [`lock`], [`unlock`].
//! - Callbacks: [`callbacks::add_cb`] (then [`callbacks::change_flags`] with
//!   [`callbacks::CB_NODEFER`] for one that must run at once), [`callbacks::remove_cb_entry`],
//!   [`callbacks::defer_callbacks`] to run the others from a base's loop, and
//!   [`callbacks::deferred_callbacks`] (`evbuffer_get_callbacks_`) to finalize that run.
//! - [`Evbuffer::set_parent`] stores the owning bufferevent. While a deferred run is queued the
//!   buffer holds a reference on its parent (`bufferevent::core::incref`/`decref`).

pub mod callbacks;
pub mod chain;
mod chain_cache;
pub mod file;
pub mod io;
mod list;
pub mod ops;
pub mod search;

use std::ffi::{c_int, c_void};
use std::mem::size_of;

use crate::base::EventBase;
use crate::event::EventCallback;
use crate::{mm, thread};
pub use callbacks::CbEntry;
pub use chain::Chain;
pub use chain_cache::{loop_wait_limit_ms as cached_chains_wait_limit_ms, loop_woke as trim_cached_chains, release_all as release_cached_chains};

/// `EVBUFFER_FLAG_DRAINS_TO_FD`: data leave this buffer only to a file descriptor, so file
/// segments may stay in the file (sendfile).
pub const FLAG_DRAINS_TO_FD: u32 = 1;

// Bits of upstream's bit-field word (own_lock, freeze_start, freeze_end, deferred_cbs), in the
// order gcc allocates them on x86_64.
const OWN_LOCK: u32 = 1 << 0;
const FREEZE_START: u32 = 1 << 1;
const FREEZE_END: u32 = 1 << 2;
const DEFERRED_CBS: u32 = 1 << 3;
/// Ours, after upstream's bits: the last evbuffer_read filled what it asked for, so the stream
/// is bulk and the next read is sized by FIONREAD (see io.rs).
const READ_BULK: u32 = 1 << 4;
/// Ours: in a bulk stream, the last FIONREAD reported less than a small read; a second one in a
/// row ends the bulk stream (see io.rs).
const READ_BULK_SHORT: u32 = 1 << 5;

/// `struct evbuffer` (private to upstream, read by its tests).
#[repr(C)]
pub struct Evbuffer {
    first: *mut Chain,
    last: *mut Chain,
    last_with_datap: *mut *mut Chain,
    total_len: usize,
    /// Bytes added and removed since the callbacks last ran.
    n_add_for_cb: usize,
    n_del_for_cb: usize,
    lock: thread::RawLock,
    bits: u32,
    /// EVBUFFER_FLAG_* bits.
    flags: u32,
    /// The base that runs deferred callbacks.
    cb_queue: *mut EventBase,
    refcnt: c_int,
    /// The deferred callback run queued on `cb_queue`.
    deferred: EventCallback,
    callbacks: *mut CbEntry,
    /// The bufferevent owning this buffer, or NULL.
    parent: *mut c_void,
}

const _: () = {
    use std::mem::offset_of;
    assert!(size_of::<Evbuffer>() == 136);
    assert!(offset_of!(Evbuffer, first) == 0);
    assert!(offset_of!(Evbuffer, last) == 8);
    assert!(offset_of!(Evbuffer, last_with_datap) == 16);
    assert!(offset_of!(Evbuffer, total_len) == 24);
    assert!(offset_of!(Evbuffer, n_add_for_cb) == 32);
    assert!(offset_of!(Evbuffer, n_del_for_cb) == 40);
    assert!(offset_of!(Evbuffer, lock) == 48);
    assert!(offset_of!(Evbuffer, bits) == 56);
    assert!(offset_of!(Evbuffer, flags) == 60);
    assert!(offset_of!(Evbuffer, cb_queue) == 64);
    assert!(offset_of!(Evbuffer, refcnt) == 72);
    assert!(offset_of!(Evbuffer, deferred) == 80);
    assert!(offset_of!(Evbuffer, callbacks) == 120);
    assert!(offset_of!(Evbuffer, parent) == 128);
};

impl Evbuffer {
    /// `evbuffer_new`: an empty buffer with one reference, from the user's allocator (so that a
    /// failing allocator makes it fail); NULL when out of memory. A buffer never moves: its
    /// `last_with_datap` may point at its own `first`.
    pub fn new() -> *mut Evbuffer {
        let p = mm::calloc(1, size_of::<Evbuffer>()).cast::<Evbuffer>();
        if p.is_null() {
            return p;
        }
        // SAFETY: p is a zeroed allocation of an Evbuffer, for which all zeroes is valid (null
        // pointers, no callback functions); only the two non-zero fields need setting.
        unsafe {
            (*p).refcnt = 1;
            (*p).last_with_datap = &raw mut (*p).first;
        }
        p
    }

    /// Bytes in the buffer.
    #[inline]
    pub fn len(&self) -> usize {
        self.total_len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.total_len == 0
    }

    #[inline]
    fn bit(&self, b: u32) -> bool {
        self.bits & b != 0
    }

    #[inline]
    fn set_bit(&mut self, b: u32, on: bool) {
        if on {
            self.bits |= b;
        } else {
            self.bits &= !b;
        }
    }

    /// Whether the front (drains, prepends) or the end (appends) is frozen.
    #[inline]
    pub fn is_frozen(&self, at_front: bool) -> bool {
        self.bit(if at_front { FREEZE_START } else { FREEZE_END })
    }

    /// Whether the program added change callbacks (`evbuffer_add_cb`, `evbuffer_setcb`), or
    /// changed its flags or freezing: evhttp reuses a request's buffers for the next request
    /// on its connection only when nothing of the kind is attached to them.
    pub fn is_plain(&self) -> bool {
        self.callbacks.is_null() && self.flags == 0 && self.bits & (FREEZE_START | FREEZE_END) == 0
    }

    /// `evbuffer_freeze` / `evbuffer_unfreeze`.
    pub fn set_frozen(&mut self, at_front: bool, frozen: bool) {
        self.set_bit(if at_front { FREEZE_START } else { FREEZE_END }, frozen);
    }

    pub fn set_flags(&mut self, flags: u32) {
        self.flags |= flags;
    }

    pub fn clear_flags(&mut self, flags: u32) {
        self.flags &= !flags;
    }

    pub fn drains_to_fd(&self) -> bool {
        self.flags & FLAG_DRAINS_TO_FD != 0
    }

    /// `evbuffer_set_parent_`.
    pub fn set_parent(&mut self, parent: *mut c_void) {
        self.parent = parent;
    }

    /// The first chain's data length: `evbuffer_get_contiguous_space`.
    pub fn contiguous_space(&self) -> usize {
        self.first_chain().map_or(0, |c| c.off)
    }

    /// The bytes added and removed that the callbacks have not been told about.
    #[inline]
    pub(super) fn pending_changes(&self) -> (usize, usize) {
        (self.n_add_for_cb, self.n_del_for_cb)
    }

    /// Records bytes added or removed, for the callbacks to report.
    #[inline]
    fn note_added(&mut self, n: usize) {
        self.n_add_for_cb += n;
    }

    #[inline]
    fn note_removed(&mut self, n: usize) {
        self.n_del_for_cb += n;
    }
}

// ---- locking and lifetime -------------------------------------------------------------------
// These take raw pointers: a buffer is shared between the C caller, the callbacks it runs (which
// may call back in) and chains of other buffers that reference it, so no Rust reference to it
// may live across those calls.

/// Takes the buffer's lock (nothing when locking is not enabled on it).
///
/// # Safety
/// `buf` must be a live buffer.
#[inline]
pub unsafe fn lock(buf: *const Evbuffer) {
    // SAFETY: live buffer (contract); the lock field is set once by enable_locking.
    thread::lock(unsafe { (*buf).lock }, 0)
}

/// # Safety
/// `buf` must be a live buffer whose lock the caller holds.
#[inline]
pub unsafe fn unlock(buf: *const Evbuffer) {
    // SAFETY: as in lock.
    thread::unlock(unsafe { (*buf).lock }, 0)
}

/// Takes the locks of two buffers in address order (once when they share one), as upstream's
/// EVLOCK_LOCK2, so that two threads locking the same pair cannot deadlock.
///
/// # Safety
/// Both must be live buffers.
unsafe fn lock2(a: *const Evbuffer, b: *const Evbuffer) {
    // SAFETY: live buffers (contract).
    let (la, lb) = unsafe { ((*a).lock, (*b).lock) };
    let (lo, hi) = if (la as usize) <= (lb as usize) { (la, lb) } else { (lb, la) };
    thread::lock(lo, 0);
    if hi != lo {
        thread::lock(hi, 0);
    }
}

/// # Safety
/// Both must be live buffers whose locks the caller took with lock2.
unsafe fn unlock2(a: *const Evbuffer, b: *const Evbuffer) {
    // SAFETY: live buffers (contract).
    let (la, lb) = unsafe { ((*a).lock, (*b).lock) };
    thread::unlock(la, 0);
    if lb != la {
        thread::unlock(lb, 0);
    }
}

/// Runs `op` with the buffer's lock held, then, if it added or removed bytes, the callbacks
/// (still under the lock, as upstream runs them), and returns `op`'s result.
///
/// # Safety
/// `buf` must be a live buffer.
#[inline(always)]
pub unsafe fn locked<R>(buf: *mut Evbuffer, op: impl FnOnce(&mut Evbuffer) -> R) -> R {
    // SAFETY: live buffer (contract); without a lock the caller's thread is the only user.
    unsafe {
        if (*buf).lock.is_null() && (*buf).callbacks.is_null() {
            // The usual buffer: nothing to lock and nobody to tell, so the counts need no
            // before/after comparison (without callbacks they are always zero). A reference
            // cleanup run by `op` may have added a callback: `invoke` then reports to it.
            let r = op(&mut *buf);
            callbacks::invoke(buf);
            return r;
        }
        locked_slow(buf, op)
    }
}

/// [`locked`] for a buffer with a lock or callbacks; out of line, so that `op` inlines into
/// the fast path.
///
/// # Safety
/// As for `locked`.
#[inline(never)]
unsafe fn locked_slow<R>(buf: *mut Evbuffer, op: impl FnOnce(&mut Evbuffer) -> R) -> R {
    // SAFETY: live buffer (contract); the lock makes the reference the only user until op
    // returns, and it ends before the callbacks (which may use the buffer) run.
    unsafe {
        lock(buf);
        let before = (*buf).pending_changes();
        let r = op(&mut *buf);
        if (*buf).pending_changes() != before {
            callbacks::invoke(buf);
        }
        unlock(buf);
        r
    }
}

/// Like [`locked`] for two distinct buffers; the callbacks of `a` run first, then those of `b`.
///
/// # Safety
/// `a` and `b` must be distinct live buffers.
unsafe fn locked2<R>(a: *mut Evbuffer, b: *mut Evbuffer, op: impl FnOnce(&mut Evbuffer, &mut Evbuffer) -> R) -> R {
    debug_assert!(a != b);
    // SAFETY: distinct live buffers (contract), both locked: the references are exclusive and
    // end before the callbacks run.
    unsafe {
        lock2(a, b);
        let before = ((*a).pending_changes(), (*b).pending_changes());
        let r = op(&mut *a, &mut *b);
        if (*a).pending_changes() != before.0 {
            callbacks::invoke(a);
        }
        if (*b).pending_changes() != before.1 {
            callbacks::invoke(b);
        }
        unlock2(a, b);
        r
    }
}

/// `evbuffer_enable_locking`: uses `lock`, or a new recursive lock owned by the buffer when
/// NULL. Fails when the buffer already has a lock or no lock can be made.
///
/// # Safety
/// `buf` must be a live buffer; `lock` NULL or a lock from the installed lock callbacks that
/// outlives the buffer.
pub unsafe fn enable_locking(buf: *mut Evbuffer, lock: thread::RawLock) -> c_int {
    // SAFETY: live buffer (contract); setting the lock is done before the buffer is shared.
    let b = unsafe { &mut *buf };
    if !b.lock.is_null() {
        return -1;
    }
    if lock.is_null() {
        let own = thread::alloc_lock(thread::LOCKTYPE_RECURSIVE);
        if own.is_null() {
            return -1;
        }
        b.lock = own;
        b.set_bit(OWN_LOCK, true);
    } else {
        // A bufferevent's lock is shared by it and its buffers: this buffer becomes an owner,
        // so the lock lives as long as the buffer does (see thread::alloc_shared_lock).
        thread::retain_shared_lock(lock);
        b.lock = lock;
        b.set_bit(OWN_LOCK, false);
    }
    0
}

/// `evbuffer_incref_`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn incref(buf: *mut Evbuffer) {
    // SAFETY: live buffer (contract), locked around the update.
    unsafe {
        lock(buf);
        (*buf).refcnt += 1;
        unlock(buf);
    }
}

/// `evbuffer_incref_and_lock_`: the lock stays held.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn incref_and_lock(buf: *mut Evbuffer) {
    // SAFETY: live buffer (contract).
    unsafe {
        lock(buf);
        (*buf).refcnt += 1;
    }
}

/// `evbuffer_decref_and_unlock_`: drops a reference and the lock; the last reference frees the
/// chains, the callbacks, a queued deferred run, the owned lock and the buffer.
///
/// # Safety
/// `buf` must be a live buffer whose lock the caller holds; with the last reference gone it is
/// freed and must not be used again.
pub unsafe fn decref_and_unlock(buf: *mut Evbuffer) {
    // SAFETY: live and locked (contract); the reference ends before the buffer is freed.
    unsafe {
        let b = &mut *buf;
        crate::ev_assert!(b.refcnt > 0);
        b.refcnt -= 1;
        if b.refcnt > 0 {
            unlock(buf);
            return;
        }
        b.free_chains();
        callbacks::remove_all(b);
        callbacks::cancel_deferred(b);
        let (lock, own) = (b.lock, b.bit(OWN_LOCK));
        unlock(buf);
        if own {
            thread::free_lock(lock, thread::LOCKTYPE_RECURSIVE);
        } else {
            thread::release_shared_lock(lock);
        }
        mm::free(buf.cast());
    }
}

/// `evbuffer_free`: drops the caller's reference.
///
/// # Safety
/// `buf` must be a live buffer the caller holds a reference on, not used by it afterwards.
pub unsafe fn free(buf: *mut Evbuffer) {
    // SAFETY: live buffer (contract).
    unsafe {
        lock(buf);
        decref_and_unlock(buf);
    }
}

#[cfg(test)]
mod tests;
