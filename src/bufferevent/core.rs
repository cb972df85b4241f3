//! What every kind of bufferevent shares: the private state around `struct bufferevent`,
//! reference counting and the lock, running the user's callbacks (directly or deferred to the
//! loop), enable/disable with suspensions, watermarks, the generic timeouts, trigger, and
//! freeing through the base's finalizers.
//!
//! Pointer discipline: a bufferevent is shared by the program, the callbacks it runs (which may
//! call back in, even free it) and the base, so this module never keeps a Rust reference to
//! one across a call out; fields are read and written through the raw pointer, under the
//! bufferevent's lock.

use std::collections::HashSet;
use std::ffi::{c_int, c_short, c_void};
use std::ptr;
use std::sync::Mutex;

use libc::timeval;

use super::layout::*;
use super::limits::{self, RateLimit};
use crate::base::EventBase;
use crate::buffer::callbacks::{self as bcb, CbInfo, CB_ENABLED, CB_NODEFER};
use crate::buffer::CbEntry;
use crate::event::{Event, EventCallback, EV_FINALIZE, EV_READ, EV_WRITE};
use crate::ffi::buffer as evb;
use crate::ffi::event as ev;
use crate::ffi::internal as evi;
use crate::mm::{errno, set_errno};
use crate::thread::{self, RawLock};

/// Why reading or writing is suspended (`bufferevent_suspend_flags`): each reason holds the
/// direction off until it is lifted, independently of what the program enabled.
pub type SuspendFlags = u16;
pub const SUSPEND_WM: SuspendFlags = 0x01;
pub const SUSPEND_BW: SuspendFlags = 0x02;
pub const SUSPEND_BW_GROUP: SuspendFlags = 0x04;
pub const SUSPEND_LOOKUP: SuspendFlags = 0x08;
pub const SUSPEND_FILT_READ: SuspendFlags = 0x10;

/// Largest single read and write by default ("a reasonable default", as upstream's header puts
/// it for bufferevent_set_max_single_read/write). Upstream's value is 16384 for both, but its
/// evbuffer_read takes at most 4 KiB anyway, so a socket bufferevent costs an epoll_wait, a
/// FIONREAD and a readv per 4 KiB there (855 system calls per MiB of the 1 GiB evhttp download).
///
/// Reads: 1 MiB, so that a read takes what evbuffer_read takes at most (buffer::io::MAX_READ,
/// sized by what is waiting: small messages get no more memory).
///
/// Writes: 256 KiB. The download then costs 16 system calls per MiB and about the CPU time of
/// the bare loop doing the same transfer (c-tests/bench/http_bulk_floor.c); 1 MiB would bring
/// it to 4 but let a sender push a whole megabyte request in two writes before its peer runs,
/// and upstream's http tests (data_length_constraints' "Expect: 101-continue" request of
/// 1 MiB) expect the write error a refused upload gets while it is still being sent.
pub const MAX_SINGLE_READ_DEFAULT: isize = 1 << 20;
pub const MAX_SINGLE_WRITE_DEFAULT: isize = 256 << 10;

// Bits of `BevPrivate::state`.
const OWN_LOCK: u32 = 1 << 0;
const READCB_PENDING: u32 = 1 << 1;
const WRITECB_PENDING: u32 = 1 << 2;
pub(super) const CONNECTING: u32 = 1 << 3;
pub(super) const CONNECTION_REFUSED: u32 = 1 << 4;
/// The socket write callback is running the program's write callback (socket.rs).
pub(super) const IN_WRITECB: u32 = 1 << 5;
/// The socket bufferevent wrote since it last asked the kernel for prompt ACKs (socket.rs
/// `ack_bulk_promptly`).
pub(super) const WROTE_SINCE_QUICKACK: u32 = 1 << 6;
/// Its socket refused TCP_QUICKACK (not TCP): never asked again.
pub(super) const NO_QUICKACK: u32 = 1 << 7;
/// The socket bufferevent is on its thread's list of writes to make when the running callback
/// returns (write_soon.rs); the list holds a reference.
pub(super) const WRITE_SOON: u32 = 1 << 8;
/// The program freed it (`bufferevent_free`); references may still keep it.
pub(super) const FREED: u32 = 1 << 9;

/// Size of the stored peer address: a sockaddr_in6 (the largest address a TCP connect uses).
pub const CONN_ADDRESS_LEN: usize = std::mem::size_of::<libc::sockaddr_in6>();

/// `struct bufferevent_private`: ours to lay out (no test reads it), but `bev` comes first so
/// that a `struct bufferevent *` is also a pointer to this, and every kind's struct begins
/// with this one (so each ops table's `mem_offset` is 0).
#[repr(C)]
pub struct BevPrivate {
    pub bev: Bufferevent,
    /// The input-buffer callback that suspends reading at the high watermark.
    pub(super) read_wm_cb: *mut CbEntry,
    pub(super) state: u32,
    /// Event bits reported while callbacks are deferred, not yet delivered.
    pub(super) eventcb_pending: c_short,
    pub(crate) read_suspended: SuspendFlags,
    pub(crate) write_suspended: SuspendFlags,
    /// errno at the time of the pending event.
    pub(super) errno_pending: c_int,
    /// The getaddrinfo error of the last connect_hostname.
    pub(super) dns_error: c_int,
    /// The pending lookup of connect_hostname (upstream's `dns_request`), NULL when none.
    pub(super) dns_request: *mut c_void,
    /// The deferred run of the callbacks.
    pub(super) deferred: EventCallback,
    pub(crate) options: c_int,
    pub(super) refcnt: c_int,
    pub(super) lock: RawLock,
    pub(super) max_single_read: isize,
    pub(super) max_single_write: isize,
    pub(super) rate_limiting: *mut RateLimit,
    /// The peer's address, truncated to CONN_ADDRESS_LEN bytes.
    pub(super) conn_address: [u8; CONN_ADDRESS_LEN],
    /// The next on the thread's list of writes to make soon (write_soon.rs).
    pub(super) write_soon_next: *mut Bufferevent,
}

/// The private state of a bufferevent.
#[inline]
pub fn upcast(bev: *mut Bufferevent) -> *mut BevPrivate {
    bev.cast()
}

// ---- the debug-mode registry of live bufferevents -----------------------------------------

/// In debug mode, the bufferevents the program may still use: a second bufferevent_free is
/// reported instead of touching freed memory. A set, not a list: debug mode may run with thousands of bufferevents.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn with_live<R>(f: impl FnOnce(&mut HashSet<usize>) -> R) -> R {
    // Poisoning cannot happen (panics abort).
    let mut guard = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(HashSet::new))
}

/// Forgets `bev` in debug mode; false when it was not a live bufferevent there.
pub fn debug_forget(bev: *mut Bufferevent) -> bool {
    !crate::debug::is_on() || with_live(|l| l.remove(&(bev as usize)))
}

// ---- locking and references ----------------------------------------------------------------

/// `BEV_LOCK`.
///
/// # Safety
/// `bev` must be a live bufferevent (this holds for all the `unsafe fn`s below).
#[inline]
pub unsafe fn lock(bev: *mut Bufferevent) {
    // SAFETY: live bufferevent (contract); the lock field is set before it is shared.
    thread::lock(unsafe { (*upcast(bev)).lock }, 0)
}

/// # Safety
/// As for [`lock`], with the lock held.
#[inline]
pub unsafe fn unlock(bev: *mut Bufferevent) {
    // SAFETY: as in lock.
    thread::unlock(unsafe { (*upcast(bev)).lock }, 0)
}

/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn incref_and_lock(bev: *mut Bufferevent) {
    // SAFETY: live (contract), locked while the count changes.
    unsafe {
        lock(bev);
        (*upcast(bev)).refcnt += 1;
    }
}

/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn incref(bev: *mut Bufferevent) {
    // SAFETY: live (contract).
    unsafe {
        incref_and_lock(bev);
        unlock(bev);
    }
}

/// # Safety
/// `bev` must be a live bufferevent the caller holds a reference on.
pub unsafe fn decref(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        decref_and_unlock(bev)
    }
}

/// Drops a reference and the lock. With the last reference, everything the base might still
/// run for the bufferevent (its two events, its deferred callbacks, the refill timer) is
/// finalized together; the finalizer frees it. 1 if it is going away, 0 if not.
///
/// # Safety
/// `bev` must be a live, locked bufferevent the caller holds a reference on.
pub unsafe fn decref_and_unlock(bev: *mut Bufferevent) -> c_int {
    let p = upcast(bev);
    // SAFETY: live and locked (contract); at zero references nothing but the base's
    // finalizer uses it any more.
    unsafe {
        crate::ev_assert!((*p).refcnt > 0);
        (*p).refcnt -= 1;
        if (*p).refcnt > 0 {
            unlock(bev);
            return 0;
        }
        let mut cbs: [*mut EventCallback; 6] = [ptr::null_mut(); 6];
        cbs[0] = &raw mut (*bev).ev_read.cb;
        cbs[1] = &raw mut (*bev).ev_write.cb;
        cbs[2] = &raw mut (*p).deferred;
        let mut n = 3;
        if let Some(ev) = limits::refill_event(p) {
            cbs[n] = &raw mut (*ev).cb;
            n += 1;
        }
        for buf in [(*bev).input, (*bev).output] {
            n += evb::evbuffer_get_callbacks_(buf, cbs[n..].as_mut_ptr(), (cbs.len() - n) as c_int).max(0) as usize;
        }
        evi::event_callback_finalize_many_((*bev).ev_base, n as c_int, cbs.as_mut_ptr(), Some(finalize));
        unlock(bev);
    }
    1
}

/// The base's finalizer of a bufferevent: the kind's own cleanup, the buffers, the rate
/// limits, the lock, the memory; then the reference on the underlying bufferevent goes.
unsafe extern "C" fn finalize(_cb: *mut EventCallback, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let p = upcast(bev);
    // SAFETY: the finalizer runs once, after the last reference went; the base runs nothing
    // else of this bufferevent any more.
    unsafe {
        lock(bev);
        let underlying = get_underlying(bev);
        let ops = (*bev).be_ops;
        if let Some(destruct) = (*ops).destruct {
            destruct(bev);
        }
        limits::destroy(p);
        for buf in [(*bev).input, (*bev).output] {
            evb::evbuffer_set_parent_(buf, ptr::null_mut());
            evb::evbuffer_free(buf);
        }
        let (lock_, own) = ((*p).lock, (*p).state & OWN_LOCK != 0);
        unlock(bev);
        if own {
            thread::release_shared_lock(lock_);
        }
        crate::mm::free(bev.cast::<u8>().offset(-((*ops).mem_offset as isize)).cast());
        if !underlying.is_null() {
            decref(underlying);
        }
    }
}

/// `bufferevent_init_common_`: fills in the common part of a freshly zeroed kind struct whose
/// `bev.input`/`output` may already be set. 0, or -1 (nothing left allocated) on failure.
///
/// # Safety
/// `p` must point to zeroed memory of the kind's struct, `base` a live base, `ops` a table
/// that lives for ever.
pub unsafe fn init_common(p: *mut BevPrivate, base: *mut EventBase, ops: *const BuffereventOps, options: c_int) -> c_int {
    if options & (BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS) == BEV_OPT_UNLOCK_CALLBACKS {
        warnx!("UNLOCK_CALLBACKS requires DEFER_CALLBACKS");
        return -1;
    }
    // SAFETY: p is ours and not shared yet (contract).
    unsafe {
        let bev = &raw mut (*p).bev;
        let made_input = (*bev).input.is_null();
        if made_input {
            (*bev).input = evb::evbuffer_new();
        }
        let made_output = (*bev).output.is_null();
        if made_output {
            (*bev).output = evb::evbuffer_new();
        }
        let fail = |bev: *mut Bufferevent| {
            if made_input && !(*bev).input.is_null() {
                evb::evbuffer_free((*bev).input);
            }
            if made_output && !(*bev).output.is_null() {
                evb::evbuffer_free((*bev).output);
            }
            (*bev).input = ptr::null_mut();
            (*bev).output = ptr::null_mut();
            -1
        };
        if (*bev).input.is_null() || (*bev).output.is_null() {
            return fail(bev);
        }
        (*bev).ev_base = base;
        (*bev).be_ops = ops;
        (*bev).enabled = EV_WRITE;
        (*p).refcnt = 1;
        (*p).options = options;
        (*p).max_single_read = MAX_SINGLE_READ_DEFAULT;
        (*p).max_single_write = MAX_SINGLE_WRITE_DEFAULT;
        if options & BEV_OPT_THREADSAFE != 0 && enable_locking(bev, ptr::null_mut()) < 0 {
            return fail(bev);
        }
        let run: unsafe extern "C" fn(*mut EventCallback, *mut c_void) =
            if options & BEV_OPT_UNLOCK_CALLBACKS != 0 { run_deferred_unlocked } else { run_deferred_locked };
        let pri = (ev::event_base_get_npriorities(base) / 2) as u8;
        evi::event_deferred_cb_init_(&raw mut (*p).deferred, pri, Some(run), bev.cast());
        evb::evbuffer_set_parent_((*bev).input, bev.cast());
        evb::evbuffer_set_parent_((*bev).output, bev.cast());
        if crate::debug::is_on() {
            with_live(|l| l.insert(bev as usize));
        }
    }
    0
}

/// `bufferevent_enable_locking_`: gives the bufferevent and its buffers `lk`, or a new shared
/// recursive lock (the underlying bufferevent's, when there is one with a lock). -1 when it
/// already has a lock or none can be made.
///
/// # Safety
/// `bev` must be a live bufferevent; `lk` NULL or a recursive lock outliving it.
pub unsafe fn enable_locking(bev: *mut Bufferevent, lk: RawLock) -> c_int {
    let p = upcast(bev);
    // SAFETY: live (contract); locking is set up before the bufferevent is shared.
    unsafe {
        if !(*p).lock.is_null() {
            return -1;
        }
        let underlying = get_underlying(bev);
        let mut lk = lk;
        if lk.is_null() && !underlying.is_null() && !(*upcast(underlying)).lock.is_null() {
            lk = (*upcast(underlying)).lock;
        }
        if lk.is_null() {
            lk = thread::alloc_shared_lock();
            if lk.is_null() {
                return -1;
            }
        } else {
            thread::retain_shared_lock(lk);
        }
        // Either way this bufferevent owns a share of a shared lock, or the lock is the
        // caller's (retaining and releasing a lock that is not shared do nothing).
        (*p).lock = lk;
        (*p).state |= OWN_LOCK;
        evb::evbuffer_enable_locking((*bev).input, lk);
        evb::evbuffer_enable_locking((*bev).output, lk);
        if !underlying.is_null() && (*upcast(underlying)).lock.is_null() {
            enable_locking(underlying, lk);
        }
    }
    0
}

// ---- running the user's callbacks ------------------------------------------------------------

/// Schedules the deferred run; the run holds a reference until it is done.
///
/// # Safety
/// `bev` must be a live, locked bufferevent.
unsafe fn schedule_deferred(bev: *mut Bufferevent) {
    let p = upcast(bev);
    // SAFETY: live (contract); the base outlives its bufferevents.
    unsafe {
        if evi::event_deferred_cb_schedule_((*bev).ev_base, &raw mut (*p).deferred) != 0 {
            (*p).refcnt += 1;
        }
    }
}

fn defers(p: *mut BevPrivate, options: c_int) -> bool {
    // SAFETY: live bufferevent (callers' contract).
    (unsafe { (*p).options } | options) & BEV_OPT_DEFER_CALLBACKS != 0
}

/// `bufferevent_run_readcb_`: the read callback, now or from the loop.
///
/// # Safety
/// `bev` must be a live, locked bufferevent on which the caller holds a reference.
pub unsafe fn run_readcb(bev: *mut Bufferevent, options: c_int) {
    let p = upcast(bev);
    // SAFETY: live, locked, referenced (contract).
    unsafe {
        let Some(cb) = (*bev).readcb else { return };
        if defers(p, options) {
            (*p).state |= READCB_PENDING;
            schedule_deferred(bev);
        } else {
            cb(bev, (*bev).cbarg);
            inbuf_wm_check(bev);
        }
    }
}

/// `bufferevent_run_writecb_`.
///
/// # Safety
/// As for [`run_readcb`].
pub unsafe fn run_writecb(bev: *mut Bufferevent, options: c_int) {
    let p = upcast(bev);
    // SAFETY: live, locked, referenced (contract).
    unsafe {
        let Some(cb) = (*bev).writecb else { return };
        if defers(p, options) {
            (*p).state |= WRITECB_PENDING;
            schedule_deferred(bev);
        } else {
            cb(bev, (*bev).cbarg);
        }
    }
}

/// `bufferevent_run_eventcb_`: deferred, the bits accumulate and errno is kept for the run.
///
/// # Safety
/// As for [`run_readcb`].
pub unsafe fn run_eventcb(bev: *mut Bufferevent, what: c_short, options: c_int) {
    let p = upcast(bev);
    // SAFETY: live, locked, referenced (contract).
    unsafe {
        let Some(cb) = (*bev).errorcb else { return };
        if defers(p, options) {
            (*p).eventcb_pending |= what;
            (*p).errno_pending = errno();
            schedule_deferred(bev);
        } else {
            cb(bev, what, (*bev).cbarg);
        }
    }
}

/// Runs the pending callbacks: a connect first (it happened before any data), then read, write
/// and the other events. `unlocked`: the lock is released around each user callback.
///
/// # Safety
/// `bev` must be live and locked; the caller holds the run's reference.
unsafe fn run_pending(bev: *mut Bufferevent, unlocked: bool) {
    let p = upcast(bev);
    let call = |f: &dyn Fn()| {
        if unlocked {
            // SAFETY: locked by the caller; relocked before anything else is read.
            unsafe { unlock(bev) };
            f();
            // SAFETY: the run's reference keeps it alive.
            unsafe { lock(bev) };
        } else {
            f();
        }
    };
    // SAFETY: live and locked (contract); fields are re-read after each callback.
    unsafe {
        if (*p).eventcb_pending & BEV_EVENT_CONNECTED != 0 {
            (*p).eventcb_pending &= !BEV_EVENT_CONNECTED;
            if let Some(cb) = (*bev).errorcb {
                let arg = (*bev).cbarg;
                call(&|| cb(bev, BEV_EVENT_CONNECTED, arg));
            }
        }
        if (*p).state & READCB_PENDING != 0 {
            if let Some(cb) = (*bev).readcb {
                (*p).state &= !READCB_PENDING;
                let arg = (*bev).cbarg;
                call(&|| cb(bev, arg));
                inbuf_wm_check(bev);
            }
        }
        if (*p).state & WRITECB_PENDING != 0 {
            if let Some(cb) = (*bev).writecb {
                (*p).state &= !WRITECB_PENDING;
                let arg = (*bev).cbarg;
                call(&|| cb(bev, arg));
            }
        }
        if (*p).eventcb_pending != 0 {
            if let Some(cb) = (*bev).errorcb {
                let what = (*p).eventcb_pending;
                let err = (*p).errno_pending;
                (*p).eventcb_pending = 0;
                (*p).errno_pending = 0;
                let arg = (*bev).cbarg;
                call(&|| {
                    set_errno(err);
                    cb(bev, what, arg)
                });
            }
        }
    }
}

unsafe extern "C" fn run_deferred_locked(_cb: *mut EventCallback, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: scheduling took a reference (schedule_deferred), dropped here.
    unsafe {
        lock(bev);
        run_pending(bev, false);
        decref_and_unlock(bev);
    }
}

unsafe extern "C" fn run_deferred_unlocked(_cb: *mut EventCallback, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: as in run_deferred_locked.
    unsafe {
        lock(bev);
        run_pending(bev, true);
        decref_and_unlock(bev);
    }
}

/// `bufferevent_trigger_nolock_`: the data callbacks if the watermarks allow (or are ignored).
///
/// # Safety
/// As for [`run_readcb`].
pub unsafe fn trigger_nolock(bev: *mut Bufferevent, iotype: c_short, options: c_int) {
    // SAFETY: live, locked, referenced (contract).
    unsafe {
        let ignore = options & BEV_TRIG_IGNORE_WATERMARKS != 0;
        if iotype & EV_READ != 0 && (ignore || evb::evbuffer_get_length((*bev).input) >= (*bev).wm_read.low) {
            run_readcb(bev, options);
        }
        if iotype & EV_WRITE != 0 && (ignore || evb::evbuffer_get_length((*bev).output) <= (*bev).wm_write.low) {
            run_writecb(bev, options);
        }
    }
}

/// `bufferevent_trigger`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn trigger(bev: *mut Bufferevent, iotype: c_short, options: c_int) {
    // SAFETY: live (contract); the reference covers the callbacks.
    unsafe {
        incref_and_lock(bev);
        trigger_nolock(bev, iotype, options);
        decref_and_unlock(bev);
    }
}

/// `bufferevent_trigger_event`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn trigger_event(bev: *mut Bufferevent, what: c_short, options: c_int) {
    // SAFETY: as in trigger.
    unsafe {
        incref_and_lock(bev);
        run_eventcb(bev, what, options);
        decref_and_unlock(bev);
    }
}

// ---- enable, disable, suspend ----------------------------------------------------------------

unsafe fn ops(bev: *mut Bufferevent) -> &'static BuffereventOps {
    // SAFETY: be_ops is one of the static tables (set in init_common).
    unsafe { &*(*bev).be_ops }
}

/// `bufferevent_enable`: what is suspended is enabled but not started.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn enable(bev: *mut Bufferevent, event: c_short) -> c_int {
    let p = upcast(bev);
    // SAFETY: live (contract); the reference covers whatever the kind's enable runs.
    unsafe {
        incref_and_lock(bev);
        let mut start = event;
        if (*p).read_suspended != 0 {
            start &= !EV_READ;
        }
        if (*p).write_suspended != 0 {
            start &= !EV_WRITE;
        }
        (*bev).enabled |= event;
        let mut r = 0;
        if start != 0 {
            if let Some(f) = ops(bev).enable {
                if f(bev, start) < 0 {
                    r = -1;
                }
            }
        }
        decref_and_unlock(bev);
        r
    }
}

/// The kind's own enable, without touching `enabled` (a connect starting to wait for the
/// socket to become writable). 0 for kinds without one.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn kind_enable(bev: *mut Bufferevent, event: c_short) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        match ops(bev).enable {
            Some(f) => f(bev, event),
            None => 0,
        }
    }
}

/// `bufferevent_disable`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn disable(bev: *mut Bufferevent, event: c_short) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        (*bev).enabled &= !event;
        let r = match ops(bev).disable {
            Some(f) if f(bev, event) < 0 => -1,
            _ => 0,
        };
        unlock(bev);
        r
    }
}

/// `bufferevent_disable_hard_`: also gives up a connect in progress.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn disable_hard(bev: *mut Bufferevent, event: c_short) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        (*upcast(bev)).state &= !CONNECTING;
        let r = disable(bev, event);
        unlock(bev);
        r
    }
}

/// Adds (`on`) or lifts one reason for suspending direction `dir`: the kind stops that
/// direction at the first reason and restarts it, if enabled, when the last one goes.
///
/// # Safety
/// `bev` must be a live bufferevent.
unsafe fn change_suspension(bev: *mut Bufferevent, dir: c_short, what: SuspendFlags, on: bool) {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        let flags = if dir == EV_READ { &raw mut (*p).read_suspended } else { &raw mut (*p).write_suspended };
        if on {
            if *flags == 0 {
                if let Some(f) = ops(bev).disable {
                    f(bev, dir);
                }
            }
            *flags |= what;
        } else {
            *flags &= !what;
            if *flags == 0 && (*bev).enabled & dir != 0 {
                if let Some(f) = ops(bev).enable {
                    f(bev, dir);
                }
            }
        }
        unlock(bev);
    }
}

/// `bufferevent_suspend_read_`.
///
/// # Safety
/// `bev` must be a live bufferevent (also for the three below).
pub unsafe fn suspend_read(bev: *mut Bufferevent, what: SuspendFlags) {
    // SAFETY: forwarded contract.
    unsafe { change_suspension(bev, EV_READ, what, true) }
}

/// `bufferevent_unsuspend_read_`.
pub unsafe fn unsuspend_read(bev: *mut Bufferevent, what: SuspendFlags) {
    // SAFETY: forwarded contract.
    unsafe { change_suspension(bev, EV_READ, what, false) }
}

/// `bufferevent_suspend_write_`.
pub unsafe fn suspend_write(bev: *mut Bufferevent, what: SuspendFlags) {
    // SAFETY: forwarded contract.
    unsafe { change_suspension(bev, EV_WRITE, what, true) }
}

/// `bufferevent_unsuspend_write_`.
pub unsafe fn unsuspend_write(bev: *mut Bufferevent, what: SuspendFlags) {
    // SAFETY: forwarded contract.
    unsafe { change_suspension(bev, EV_WRITE, what, false) }
}

// ---- watermarks --------------------------------------------------------------------------------

/// Suspends reading while the input holds at least the high watermark, resumes below it.
///
/// # Safety
/// `bev` must be a live bufferevent.
unsafe fn inbuf_wm_check(bev: *mut Bufferevent) {
    // SAFETY: live (contract).
    unsafe {
        let high = (*bev).wm_read.high;
        if high == 0 {
            return;
        }
        if evb::evbuffer_get_length((*bev).input) >= high {
            suspend_read(bev, SUSPEND_WM);
        } else {
            unsuspend_read(bev, SUSPEND_WM);
        }
    }
}

/// The input buffer's callback while a high read watermark is set.
unsafe extern "C" fn inbuf_wm_cb(_buf: *mut crate::buffer::Evbuffer, _info: *const CbInfo, arg: *mut c_void) {
    // SAFETY: installed by setwatermark with its bufferevent, removed when the input goes.
    unsafe { inbuf_wm_check(arg.cast()) }
}

/// `bufferevent_setwatermark`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn setwatermark(bev: *mut Bufferevent, events: c_short, low: usize, high: usize) {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        if events & EV_WRITE != 0 {
            (*bev).wm_write = EventWatermark { low, high };
        }
        if events & EV_READ != 0 {
            (*bev).wm_read = EventWatermark { low, high };
            if high != 0 {
                if (*p).read_wm_cb.is_null() {
                    let cb: bcb::CbFunc = inbuf_wm_cb;
                    (*p).read_wm_cb = evb::evbuffer_add_cb((*bev).input, Some(cb), bev.cast());
                    evb::evbuffer_cb_set_flags((*bev).input, (*p).read_wm_cb, CB_ENABLED | CB_NODEFER);
                } else {
                    evb::evbuffer_cb_set_flags((*bev).input, (*p).read_wm_cb, CB_ENABLED);
                }
                inbuf_wm_check(bev);
            } else {
                if !(*p).read_wm_cb.is_null() {
                    evb::evbuffer_cb_clear_flags((*bev).input, (*p).read_wm_cb, CB_ENABLED);
                }
                unsuspend_read(bev, SUSPEND_WM);
            }
        }
        unlock(bev);
    }
}

// ---- timeouts ----------------------------------------------------------------------------------

pub fn timer_is_set(tv: &timeval) -> bool {
    tv.tv_sec != 0 || tv.tv_usec != 0
}

/// `bufferevent_add_event_`: a zero timeout means none.
///
/// # Safety
/// `e` must be an assigned event.
pub unsafe fn add_event(e: *mut Event, tv: *const timeval) -> c_int {
    // SAFETY: assigned event (contract); tv NULL or a timeval.
    unsafe {
        match tv.as_ref() {
            Some(t) if timer_is_set(t) => ev::event_add(e, tv),
            _ => ev::event_add(e, ptr::null()),
        }
    }
}

/// `bufferevent_set_timeouts`: NULL or zero is no timeout.
///
/// # Safety
/// `bev` must be a live bufferevent; the timevals NULL or valid.
pub unsafe fn set_timeouts(bev: *mut Bufferevent, tv_read: *const timeval, tv_write: *const timeval) -> c_int {
    let zero = timeval { tv_sec: 0, tv_usec: 0 };
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        (*bev).timeout_read = tv_read.as_ref().copied().unwrap_or(zero);
        (*bev).timeout_write = tv_write.as_ref().copied().unwrap_or(zero);
        let r = match ops(bev).adj_timeouts {
            Some(f) => f(bev),
            None => 0,
        };
        unlock(bev);
        r
    }
}

/// Timer callbacks of pair and filter bufferevents, whose events are plain timers.
unsafe extern "C" fn generic_timeout(bev: *mut Bufferevent, dir: c_short, what: c_short) {
    // SAFETY: the timer belongs to a live bufferevent (finalized with it).
    unsafe {
        incref_and_lock(bev);
        disable(bev, dir);
        run_eventcb(bev, what, 0);
        decref_and_unlock(bev);
    }
}

unsafe extern "C" fn generic_read_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: arg is the bufferevent (init_generic_timeout_cbs).
    unsafe { generic_timeout(arg.cast(), EV_READ, BEV_EVENT_TIMEOUT | BEV_EVENT_READING) }
}

unsafe extern "C" fn generic_write_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: as above.
    unsafe { generic_timeout(arg.cast(), EV_WRITE, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING) }
}

/// `bufferevent_init_generic_timeout_cbs_`: `ev_read`/`ev_write` as timers.
///
/// # Safety
/// `bev` must be a bufferevent being set up on its base.
pub unsafe fn init_generic_timeout_cbs(bev: *mut Bufferevent) {
    // SAFETY: bev is being set up (contract).
    unsafe {
        ev::event_assign(&raw mut (*bev).ev_read, (*bev).ev_base, -1, EV_FINALIZE, Some(generic_read_timeout), bev.cast());
        ev::event_assign(&raw mut (*bev).ev_write, (*bev).ev_base, -1, EV_FINALIZE, Some(generic_write_timeout), bev.cast());
    }
}

/// The timer event of one direction (EV_READ or EV_WRITE) of a bufferevent whose `ev_read` and
/// `ev_write` are generic timeout events (pairs, filters), and that direction's timeout.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn generic_timer(bev: *mut Bufferevent, dir: c_short) -> (*mut Event, *const timeval) {
    // SAFETY: live (contract); only field addresses are taken.
    unsafe {
        if dir == EV_READ {
            (&raw mut (*bev).ev_read, &raw const (*bev).timeout_read)
        } else {
            (&raw mut (*bev).ev_write, &raw const (*bev).timeout_write)
        }
    }
}

/// One direction of the generic timeouts: the timer runs while the direction is enabled, not
/// suspended and has a timeout. `only_pending`: adjust a running timer, start none.
unsafe fn generic_adj(bev: *mut Bufferevent, dir: c_short, suspended: bool, only_pending: bool) -> c_int {
    // SAFETY: live bufferevent and its event (callers' contract).
    unsafe {
        let (e, tv) = generic_timer(bev, dir);
        let running = ev::event_pending(e, crate::event::EV_TIMEOUT, ptr::null_mut()) != 0;
        if only_pending && !running {
            return 0;
        }
        // A write timer runs only while there is something to write.
        let has_work = dir == EV_READ || evb::evbuffer_get_length((*bev).output) != 0;
        if (*bev).enabled & dir != 0 && !suspended && has_work && timer_is_set(&*tv) {
            ev::event_add(e, tv)
        } else {
            ev::event_del(e)
        }
    }
}

/// `bufferevent_generic_adj_timeouts_`.
///
/// # Safety
/// `bev` must be a live bufferevent with generic timeout events.
pub unsafe fn generic_adj_timeouts(bev: *mut Bufferevent, only_pending: bool) -> c_int {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        let r1 = generic_adj(bev, EV_READ, (*p).read_suspended != 0, only_pending);
        let r2 = generic_adj(bev, EV_WRITE, (*p).write_suspended != 0, only_pending);
        if r1 < 0 || r2 < 0 {
            -1
        } else {
            0
        }
    }
}

// ---- the rest of the common calls ------------------------------------------------------------

/// The kind's ctrl operation; -1 when it has none or it fails.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn ctrl(bev: *mut Bufferevent, op: CtrlOp, data: &mut CtrlData) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        match ops(bev).ctrl {
            Some(f) => f(bev, op, data),
            None => -1,
        }
    }
}

/// `bufferevent_get_underlying`: NULL for kinds without one.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_underlying(bev: *mut Bufferevent) -> *mut Bufferevent {
    let mut d = CtrlData { ptr: ptr::null_mut() };
    // SAFETY: live (contract); a successful GET_UNDERLYING stores a pointer.
    unsafe {
        if ctrl(bev, CtrlOp::GetUnderlying, &mut d) < 0 {
            return ptr::null_mut();
        }
        d.ptr.cast()
    }
}

/// `bufferevent_getfd`: -1 for kinds without one.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn getfd(bev: *mut Bufferevent) -> c_int {
    let mut d = CtrlData { fd: -1 };
    // SAFETY: live (contract); a successful GET_FD stores an fd.
    unsafe {
        if ctrl(bev, CtrlOp::GetFd, &mut d) < 0 {
            return -1;
        }
        d.fd
    }
}

/// `bufferevent_flush`: -1 for kinds that cannot flush.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn flush(bev: *mut Bufferevent, iotype: c_short, mode: FlushMode) -> c_int {
    // SAFETY: live (contract); the reference covers the callbacks a flush runs.
    unsafe {
        incref_and_lock(bev);
        let r = match ops(bev).flush {
            Some(f) => f(bev, iotype, mode),
            None => -1,
        };
        decref_and_unlock(bev);
        r
    }
}

/// `bufferevent_setcb`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn setcb(bev: *mut Bufferevent, readcb: Option<BuffereventDataCb>, writecb: Option<BuffereventDataCb>, eventcb: Option<BuffereventEventCb>, arg: *mut c_void) {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        (*bev).readcb = readcb;
        (*bev).writecb = writecb;
        (*bev).errorcb = eventcb;
        (*bev).cbarg = arg;
        unlock(bev);
    }
}

/// `bufferevent_free`: no callback of the program runs any more; the bufferevent goes when
/// the last reference does.
///
/// # Safety
/// `bev` must be a live bufferevent; the program's reference is gone afterwards.
pub unsafe fn free(bev: *mut Bufferevent) {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        (*upcast(bev)).state |= FREED;
        setcb(bev, None, None, None, ptr::null_mut());
        // A deferred run still queued has nothing left to deliver, but holds a reference: if
        // the base were freed before running it, this bufferevent (and what it holds, e.g. a
        // filter's underlying) would never be finalized.
        let p = upcast(bev);
        if crate::ffi::event::Locked::new((*bev).ev_base).deferred_unschedule(&raw mut (*p).deferred) {
            (*p).refcnt -= 1;
            (*p).eventcb_pending = 0;
        }
        let mut d = CtrlData { ptr: ptr::null_mut() };
        ctrl(bev, CtrlOp::CancelAll, &mut d);
        if let Some(unlink) = ops(bev).unlink {
            unlink(bev);
        }
        decref_and_unlock(bev);
    }
}

/// `bufferevent_get_options_`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn options(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        let o = (*upcast(bev)).options;
        unlock(bev);
        o
    }
}

/// `bufferevent_socket_get_dns_error`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn dns_error(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        let e = (*upcast(bev)).dns_error;
        unlock(bev);
        e
    }
}

/// `bufferevent_priority_set` for events the kind owns.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn priority_set(bev: *mut Bufferevent, pri: c_int) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        lock(bev);
        let r = if ev::event_priority_set(&raw mut (*bev).ev_read, pri) == -1 || ev::event_priority_set(&raw mut (*bev).ev_write, pri) == -1 {
            -1
        } else {
            0
        };
        unlock(bev);
        r
    }
}
