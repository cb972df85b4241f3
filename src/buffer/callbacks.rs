//! Change callbacks: evbuffer_add_cb / remove_cb / remove_cb_entry / cb_set_flags /
//! cb_clear_flags, the compat evbuffer_setcb, and deferral (evbuffer_defer_callbacks): a buffer
//! with deferred callbacks queues one run on its base's deferred-callback queue per batch of
//! changes, and only its EVBUFFER_CB_NODEFER callbacks run at once.
//!
//! Callbacks run with the buffer's lock held, after the operation that changed it, and are told
//! the length before the changes they report and the bytes added and removed since they last
//! ran. They may change the buffer (callbacks then run again, nested) or remove themselves.

use std::ffi::{c_int, c_void};
use std::ptr;

use super::{decref_and_unlock, incref_and_lock, lock, unlock, Evbuffer, DEFERRED_CBS};
use crate::base::EventBase;
use crate::event::EventCallback;
use crate::ffi::event::Locked;
use crate::mm;

/// `EVBUFFER_CB_ENABLED`: the callback runs.
pub const CB_ENABLED: u32 = 1;
/// `EVBUFFER_CB_NODEFER` (internal): runs at once even when the buffer defers its callbacks.
pub const CB_NODEFER: u32 = 2;
/// The entry holds an old-style `evbuffer_cb` (from evbuffer_setcb).
const CB_OBSOLETE: u32 = 0x4000_0000;
/// Flags the user may not change through cb_set_flags / cb_clear_flags.
const CB_INTERNAL_FLAGS: u32 = 0xffff_0000;

/// `struct evbuffer_cb_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CbInfo {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

/// `evbuffer_cb_func`.
pub type CbFunc = unsafe extern "C" fn(buffer: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void);
/// The compat `evbuffer_cb`.
pub type ObsoleteCb = unsafe extern "C" fn(buffer: *mut Evbuffer, old_len: usize, new_len: usize, arg: *mut c_void);

/// `struct evbuffer_cb_entry` (opaque to C): one callback on a buffer's list, newest first.
#[repr(C)]
pub struct CbEntry {
    next: *mut CbEntry,
    prev: *mut CbEntry,
    /// A CbFunc, or an ObsoleteCb when CB_OBSOLETE is set.
    func: *const c_void,
    arg: *mut c_void,
    flags: u32,
}

/// Takes or drops a reference on a buffer's parent bufferevent (if it has one), which keeps the
/// bufferevent alive while the buffer's deferred run is queued.
fn parent_ref(parent: *mut c_void, take: bool) {
    if parent.is_null() {
        return;
    }
    let bev = parent.cast::<crate::bufferevent::layout::Bufferevent>();
    // SAFETY: the parent of a live buffer is a live bufferevent (set_parent's contract); the
    // reference dropped here is the one taken when the run was queued.
    unsafe {
        if take {
            crate::bufferevent::core::incref(bev);
        } else {
            crate::bufferevent::core::decref(bev);
        }
    }
}

/// `evbuffer_add_cb`: NULL when out of memory.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn add_cb(buf: *mut Evbuffer, func: *const c_void, arg: *mut c_void) -> *mut CbEntry {
    let e = mm::calloc(1, std::mem::size_of::<CbEntry>()).cast::<CbEntry>();
    if e.is_null() {
        crate::warn_errno!("evbuffer_add_cb: out of memory");
        return e;
    }
    // SAFETY: live buffer (contract), locked while its list changes; e is a fresh entry.
    unsafe {
        lock(buf);
        let head = (*buf).callbacks;
        e.write(CbEntry { next: head, prev: ptr::null_mut(), func, arg, flags: CB_ENABLED });
        if !head.is_null() {
            (*head).prev = e;
        }
        (*buf).callbacks = e;
        unlock(buf);
    }
    e
}

/// Unlinks and frees one entry.
///
/// # Safety
/// `e` must be an entry on `b`'s list.
unsafe fn unlink(b: &mut Evbuffer, e: *mut CbEntry) {
    // SAFETY: e is on the list (contract); its neighbours are live entries.
    unsafe {
        let (next, prev) = ((*e).next, (*e).prev);
        if prev.is_null() {
            b.callbacks = next;
        } else {
            (*prev).next = next;
        }
        if !next.is_null() {
            (*next).prev = prev;
        }
    }
    mm::free(e.cast());
}

/// `evbuffer_remove_cb_entry`.
///
/// # Safety
/// `buf` must be a live buffer and `e` one of its entries.
pub unsafe fn remove_cb_entry(buf: *mut Evbuffer, e: *mut CbEntry) -> c_int {
    // SAFETY: live buffer and its entry (contract), under the lock.
    unsafe {
        lock(buf);
        unlink(&mut *buf, e);
        unlock(buf);
    }
    0
}

/// `evbuffer_remove_cb`: removes the first entry with this function and argument; -1 if none.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn remove_cb(buf: *mut Evbuffer, func: *const c_void, arg: *mut c_void) -> c_int {
    // SAFETY: live buffer (contract), under the lock.
    unsafe {
        lock(buf);
        let b = &mut *buf;
        let mut e = b.callbacks;
        let mut result = -1;
        while let Some(entry) = e.as_ref() {
            if entry.func == func && entry.arg == arg {
                unlink(b, e);
                result = 0;
                break;
            }
            e = entry.next;
        }
        unlock(buf);
        result
    }
}

/// Frees every entry (evbuffer_setcb and the buffer's end).
pub(super) fn remove_all(b: &mut Evbuffer) {
    let mut e = b.callbacks;
    while !e.is_null() {
        // SAFETY: entries on the list are live; next is read before freeing.
        let next = unsafe { (*e).next };
        mm::free(e.cast());
        e = next;
    }
    b.callbacks = ptr::null_mut();
}

/// `evbuffer_setcb` (compat): replaces every callback by `cb` (none when NULL); -1 when out of
/// memory.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn setcb(buf: *mut Evbuffer, cb: Option<ObsoleteCb>, arg: *mut c_void) -> c_int {
    // SAFETY: live buffer (contract), under the (recursive) lock.
    unsafe {
        lock(buf);
        remove_all(&mut *buf);
        let mut result = 0;
        if let Some(cb) = cb {
            let e = add_cb(buf, cb as *const c_void, arg);
            if e.is_null() {
                result = -1;
            } else {
                (*e).flags |= CB_OBSOLETE;
            }
        }
        unlock(buf);
        result
    }
}

/// `evbuffer_cb_set_flags` / `evbuffer_cb_clear_flags` (the internal flags stay as they are).
///
/// # Safety
/// `buf` must be a live buffer and `e` one of its entries.
pub unsafe fn change_flags(buf: *mut Evbuffer, e: *mut CbEntry, flags: u32, set: bool) -> c_int {
    let flags = flags & !CB_INTERNAL_FLAGS;
    // SAFETY: as the contract says, under the lock.
    unsafe {
        lock(buf);
        if set {
            (*e).flags |= flags;
        } else {
            (*e).flags &= !flags;
        }
        unlock(buf);
    }
    0
}

/// Whether there are changes the callbacks have not been told about, and callbacks to tell
/// (without callbacks the counts are dropped).
fn anything_to_report(b: &mut Evbuffer) -> bool {
    if b.callbacks.is_null() {
        b.n_add_for_cb = 0;
        b.n_del_for_cb = 0;
        return false;
    }
    b.n_add_for_cb != 0 || b.n_del_for_cb != 0
}

/// Runs the callbacks that `running_deferred` selects, if anything changed since they last ran.
///
/// # Safety
/// `buf` must be a live buffer whose lock the caller holds.
unsafe fn run(buf: *mut Evbuffer, running_deferred: bool) {
    // SAFETY: live and locked (contract). No reference to the buffer is held while a callback
    // runs: callbacks use the buffer themselves and may remove entries, so the next entry is
    // read before each call, as upstream does.
    unsafe {
        let b = &mut *buf;
        let deferring = b.bit(DEFERRED_CBS);
        let (mask, want) = if running_deferred {
            (CB_NODEFER | CB_ENABLED, CB_ENABLED)
        } else if deferring {
            (CB_NODEFER | CB_ENABLED, CB_NODEFER | CB_ENABLED)
        } else {
            (CB_ENABLED, CB_ENABLED)
        };
        if !anything_to_report(b) {
            return;
        }
        let new_size = b.total_len;
        let info = CbInfo {
            orig_size: new_size + b.n_del_for_cb - b.n_add_for_cb,
            n_added: b.n_add_for_cb,
            n_deleted: b.n_del_for_cb,
        };
        // With deferral, the immediate callbacks leave the counts for the deferred run.
        if running_deferred || !deferring {
            b.n_add_for_cb = 0;
            b.n_del_for_cb = 0;
        }
        let mut e = b.callbacks;
        while !e.is_null() {
            let CbEntry { next, func, arg, flags, .. } = *e;
            if flags & mask == want {
                if flags & CB_OBSOLETE != 0 {
                    let f: ObsoleteCb = std::mem::transmute::<*const c_void, ObsoleteCb>(func);
                    f(buf, info.orig_size, new_size, arg);
                } else if !func.is_null() {
                    let f: CbFunc = std::mem::transmute::<*const c_void, CbFunc>(func);
                    f(buf, &info, arg);
                }
            }
            e = next;
        }
    }
}

/// `evbuffer_invoke_callbacks_`: after a change, queues the deferred run (taking references on
/// the buffer and its parent until it runs) and runs the callbacks due now.
///
/// # Safety
/// `buf` must be a live buffer whose lock the caller holds.
#[inline]
pub unsafe fn invoke(buf: *mut Evbuffer) {
    // SAFETY: live and locked (contract).
    unsafe {
        let b = &mut *buf;
        if b.callbacks.is_null() {
            // Nobody to tell: the usual case, kept inline.
            b.n_add_for_cb = 0;
            b.n_del_for_cb = 0;
            return;
        }
        invoke_with_callbacks(buf);
    }
}

/// `invoke` for a buffer that has callbacks.
///
/// # Safety
/// As for `invoke`.
#[inline(never)]
unsafe fn invoke_with_callbacks(buf: *mut Evbuffer) {
    // SAFETY: live and locked (contract).
    unsafe {
        let b = &mut *buf;
        if !anything_to_report(b) {
            return;
        }
        if b.bit(DEFERRED_CBS) && schedule(b.cb_queue, &raw mut b.deferred) {
            incref_and_lock(buf);
            parent_ref((*buf).parent, true);
            unlock(buf);
        }
        run(buf, false);
    }
}

/// Queues a deferred callback on a base; true when it was not queued already.
///
/// # Safety
/// `base` must be a live base and `cb` a deferred callback initialised for it.
unsafe fn schedule(base: *mut EventBase, cb: *mut EventCallback) -> bool {
    // SAFETY: live base (contract).
    unsafe { Locked::new(base).deferred_schedule(cb) != 0 }
}

/// The deferred run, from the base's loop.
unsafe extern "C" fn deferred_run(_cb: *mut EventCallback, arg: *mut c_void) {
    let buf = arg.cast::<Evbuffer>();
    // SAFETY: the buffer is alive: scheduling took a reference on it, dropped here.
    unsafe {
        lock(buf);
        let parent = (*buf).parent;
        run(buf, true);
        decref_and_unlock(buf);
        parent_ref(parent, false);
    }
}

/// `evbuffer_defer_callbacks`: from now on the callbacks run from `base`'s loop (at its middle
/// priority), but for the NODEFER ones.
///
/// # Safety
/// `buf` must be a live buffer and `base` a live base outliving it.
pub unsafe fn defer_callbacks(buf: *mut Evbuffer, base: *mut EventBase) -> c_int {
    // SAFETY: live buffer and base (contract); the buffer is locked while it changes.
    unsafe {
        let pri = (Locked::new(base).npriorities() / 2) as u8;
        lock(buf);
        let b = &mut *buf;
        b.cb_queue = base;
        b.set_bit(DEFERRED_CBS, true);
        crate::ffi::internal::event_deferred_cb_init_(&raw mut b.deferred, pri, Some(deferred_run), buf.cast());
        unlock(buf);
    }
    0
}

/// Takes a queued deferred run off the base (the buffer is going away).
pub(super) fn cancel_deferred(b: &mut Evbuffer) {
    if !b.bit(DEFERRED_CBS) || b.cb_queue.is_null() {
        return;
    }
    // SAFETY: the base given to defer_callbacks outlives the buffer (its contract).
    unsafe { Locked::new(b.cb_queue).callback_cancel_nolock(&raw mut b.deferred, false) };
}

/// `evbuffer_get_callbacks_`: the buffer's deferred callback, if it defers (for bufferevents
/// that finalize it): 1, or 0 when it does not defer, -1 when `out` has no room.
pub fn deferred_callbacks(b: &mut Evbuffer, out: &mut [*mut EventCallback]) -> c_int {
    if !b.bit(DEFERRED_CBS) {
        return 0;
    }
    match out.first_mut() {
        Some(slot) => {
            *slot = &raw mut b.deferred;
            1
        }
        None => -1,
    }
}
