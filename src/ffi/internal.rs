//! Upstream's internal entry points with a trailing `_` (event-internal.h, defer-internal.h,
//! evmap-internal.h, evsignal-internal.h, changelist-internal.h). Upstream's tests and its other
//! libraries call them; they map onto the same core operations as the public API. Functions
//! that take one of upstream's private map or changelist structs take ours instead.

use std::ffi::{c_int, c_short, c_uint, c_void};

use libc::timeval;

use crate::base::{DelMode, EventBase};
use crate::event::{Event, EventCallback, SelfCb, EV_CLOSURE_CB_SELF};
use crate::ffi::event::{current_base_or, ForeachFn, Locked};
use crate::{debug, evmap, signal};

fn del_mode(blocking: c_int) -> DelMode {
    match blocking {
        0 => DelMode::NoBlock,
        1 => DelMode::Block,
        3 => DelMode::EvenIfFinalizing,
        _ => DelMode::AutoBlock,
    }
}

/// The base of a call made with its lock held. Like every locked entry, it first settles the
/// loop's ready fds (base/ready.rs), so the caller sees and changes what upstream would.
///
/// # Safety
/// `base` must be a live base whose lock the caller holds.
unsafe fn held<'a>(base: *mut EventBase) -> &'a mut EventBase {
    // SAFETY: live and locked (contract).
    let b = unsafe { &mut *base };
    b.settle_ready();
    b
}

// ---- events with the lock held by the caller ------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_add_nolock_(ev: *mut Event, tv: *const timeval, tv_is_absolute: c_int) -> c_int {
    ensure_arg!(!ev.is_null(), -1, "event_add_nolock_: NULL event");
    // SAFETY: caller holds the lock of the event's live base (internal contract).
    unsafe { held((*ev).base).add_nolock(ev, tv.as_ref(), tv_is_absolute != 0) }
}

#[no_mangle]
pub unsafe extern "C" fn event_del_nolock_(ev: *mut Event, blocking: c_int) -> c_int {
    ensure_arg!(!ev.is_null(), -1, "event_del_nolock_: NULL event");
    // SAFETY: as above.
    unsafe { held((*ev).base).del_nolock(ev, del_mode(blocking)) }
}

#[no_mangle]
pub unsafe extern "C" fn event_remove_timer_nolock_(ev: *mut Event) -> c_int {
    ensure_arg!(!ev.is_null(), -1, "event_remove_timer_nolock_: NULL event");
    // SAFETY: as above.
    unsafe { held((*ev).base).remove_timer_nolock(ev) }
}

#[no_mangle]
pub unsafe extern "C" fn event_active_nolock_(ev: *mut Event, res: c_int, ncalls: c_short) {
    ensure_arg!(!ev.is_null(), (), "event_active_nolock_: NULL event");
    // SAFETY: as above.
    unsafe { held((*ev).base).active_nolock(ev, res as c_short, ncalls) }
}

#[no_mangle]
pub unsafe extern "C" fn event_active_later_nolock_(ev: *mut Event, res: c_int) {
    ensure_arg!(!ev.is_null(), (), "event_active_later_nolock_: NULL event");
    // SAFETY: as above.
    unsafe { held((*ev).base).active_later_nolock(ev, res as c_short) }
}

#[no_mangle]
pub unsafe extern "C" fn event_active_later_(ev: *mut Event, res: c_int) {
    ensure_arg!(!ev.is_null(), (), "event_active_later_: NULL event");
    // SAFETY: non-NULL event.
    let base = unsafe { (*ev).base };
    ensure_arg!(!base.is_null(), (), "event_active_later_: event has no event_base set.");
    // SAFETY: the event's live base, locked; ev belongs to it.
    unsafe { Locked::new(base).active_later_nolock(ev, res as c_short) }
}

// ---- bare callbacks (deferred work) ---------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_callback_init_(base: *mut EventBase, cb: *mut EventCallback) {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null() && !cb.is_null(), (), "event_callback_init_: NULL argument");
    // SAFETY: cb points to caller memory for a struct event_callback; base is live.
    unsafe {
        std::ptr::write_bytes(cb, 0, 1);
        (*cb).pri = (Locked::new(base).npriorities() - 1) as u8;
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_activate_(base: *mut EventBase, cb: *mut EventCallback) -> c_int {
    ensure_arg!(!base.is_null() && !cb.is_null(), 0, "event_callback_activate_: NULL argument");
    // SAFETY: live base; cb a callback of it.
    unsafe { Locked::new(base).callback_activate_nolock(cb) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_activate_nolock_(base: *mut EventBase, cb: *mut EventCallback) -> c_int {
    ensure_arg!(!base.is_null() && !cb.is_null(), 0, "event_callback_activate_nolock_: NULL argument");
    // SAFETY: caller holds the lock of the live base.
    unsafe { held(base).callback_activate_nolock(cb) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_activate_later_nolock_(base: *mut EventBase, cb: *mut EventCallback) -> c_int {
    ensure_arg!(!base.is_null() && !cb.is_null(), 0, "event_callback_activate_later_nolock_: NULL argument");
    // SAFETY: as above.
    unsafe { held(base).callback_activate_later_nolock(cb) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_cancel_(base: *mut EventBase, cb: *mut EventCallback) -> c_int {
    ensure_arg!(!base.is_null() && !cb.is_null(), -1, "event_callback_cancel_: NULL argument");
    // SAFETY: live base; cb a callback of it.
    unsafe { Locked::new(base).callback_cancel_nolock(cb, false) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_cancel_nolock_(base: *mut EventBase, cb: *mut EventCallback, even_if_finalizing: c_int) -> c_int {
    ensure_arg!(!base.is_null() && !cb.is_null(), -1, "event_callback_cancel_nolock_: NULL argument");
    // SAFETY: caller holds the lock of the live base.
    unsafe { held(base).callback_cancel_nolock(cb, even_if_finalizing != 0) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_finalize_nolock_(base: *mut EventBase, _flags: c_uint, cb: *mut EventCallback, f: Option<SelfCb>) {
    ensure_arg!(!base.is_null() && !cb.is_null() && f.is_some(), (), "event_callback_finalize_nolock_: NULL argument");
    // SAFETY: caller holds the lock of the live base.
    unsafe { held(base).callback_finalize_nolock(cb, f.expect("checked")) }
}

#[no_mangle]
pub unsafe extern "C" fn event_callback_finalize_(base: *mut EventBase, _flags: c_uint, cb: *mut EventCallback, f: Option<SelfCb>) {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null() && !cb.is_null() && f.is_some(), (), "event_callback_finalize_: NULL argument");
    // SAFETY: live base.
    unsafe { Locked::new(base).callback_finalize_nolock(cb, f.expect("checked")) }
}

/// Finalizes a group of callbacks with one finalizer: at most one of them can be running, so
/// that one (or else the first) carries the finalizer and the rest are just cancelled.
#[no_mangle]
pub unsafe extern "C" fn event_callback_finalize_many_(base: *mut EventBase, n: c_int, cbs: *mut *mut EventCallback, f: Option<SelfCb>) -> c_int {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null() && !cbs.is_null() && n > 0 && f.is_some(), -1, "event_callback_finalize_many_: bad argument");
    let f = f.expect("checked");
    // SAFETY: cbs holds n callbacks of the live base.
    unsafe {
        let mut b = Locked::new(base);
        let cbs = std::slice::from_raw_parts(cbs, n as usize);
        let mut pending = 0;
        for &cb in cbs {
            if b.is_current(cb) {
                b.callback_finalize_nolock(cb, f);
                pending += 1;
            } else {
                b.callback_cancel_nolock(cb, false);
            }
        }
        if pending == 0 {
            b.callback_finalize_nolock(cbs[0], f);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_deferred_cb_init_(cb: *mut EventCallback, priority: u8, f: Option<SelfCb>, arg: *mut c_void) {
    ensure_arg!(!cb.is_null(), (), "event_deferred_cb_init_: NULL callback");
    // SAFETY: cb points to caller memory for a struct event_callback.
    unsafe {
        std::ptr::write_bytes(cb, 0, 1);
        (*cb).cb = f.map_or(std::ptr::null(), |f| f as *const c_void);
        (*cb).arg = arg;
        (*cb).pri = priority;
        (*cb).closure = EV_CLOSURE_CB_SELF;
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_deferred_cb_set_priority_(cb: *mut EventCallback, priority: u8) {
    ensure_arg!(!cb.is_null(), (), "event_deferred_cb_set_priority_: NULL callback");
    // SAFETY: non-NULL callback.
    unsafe { (*cb).pri = priority };
}

#[no_mangle]
pub unsafe extern "C" fn event_deferred_cb_cancel_(base: *mut EventBase, cb: *mut EventCallback) {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null() && !cb.is_null(), (), "event_deferred_cb_cancel_: NULL argument");
    // SAFETY: live base.
    unsafe { Locked::new(base).callback_cancel_nolock(cb, false) };
}

#[no_mangle]
pub unsafe extern "C" fn event_deferred_cb_schedule_(base: *mut EventBase, cb: *mut EventCallback) -> c_int {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null() && !cb.is_null(), 0, "event_deferred_cb_schedule_: NULL argument");
    // SAFETY: live base.
    unsafe { Locked::new(base).deferred_schedule(cb) }
}

// ---- base internals -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_base_add_virtual_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "event_base_add_virtual_: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).add_virtual() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_del_virtual_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "event_base_del_virtual_: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).del_virtual() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_assert_ok_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "event_base_assert_ok_: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).assert_ok() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_assert_ok_nolock_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "event_base_assert_ok_nolock_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    unsafe { held(base).assert_ok() }
}

/// IOCP exists only on Windows: starting it fails here, as in upstream's non-Windows builds.
#[no_mangle]
pub extern "C" fn event_base_start_iocp_(_base: *mut EventBase, _n_cpus: c_int) -> c_int {
    -1
}

#[no_mangle]
pub extern "C" fn event_base_stop_iocp_(_base: *mut EventBase) {}

#[no_mangle]
pub unsafe extern "C" fn evthread_make_base_notifiable(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "evthread_make_base_notifiable: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).make_notifiable() }
}

// ---- event maps -----------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evmap_io_add_(base: *mut EventBase, _fd: c_int, ev: *mut Event) -> c_int {
    ensure_arg!(!base.is_null() && !ev.is_null(), -1, "evmap_io_add_: NULL argument");
    // SAFETY: caller holds the lock of the live base; ev is its io event.
    unsafe { evmap::io_add(held(base), ev) }
}

#[no_mangle]
pub unsafe extern "C" fn evmap_io_del_(base: *mut EventBase, _fd: c_int, ev: *mut Event) -> c_int {
    ensure_arg!(!base.is_null() && !ev.is_null(), -1, "evmap_io_del_: NULL argument");
    // SAFETY: as above.
    unsafe { evmap::io_del(held(base), ev) }
}

#[no_mangle]
pub unsafe extern "C" fn evmap_io_active_(base: *mut EventBase, fd: c_int, events: c_short) {
    ensure_arg!(!base.is_null(), (), "evmap_io_active_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    evmap::io_active::<false>(unsafe { held(base) }, fd, events)
}

#[no_mangle]
pub unsafe extern "C" fn evmap_signal_add_(base: *mut EventBase, _sig: c_int, ev: *mut Event) -> c_int {
    ensure_arg!(!base.is_null() && !ev.is_null(), -1, "evmap_signal_add_: NULL argument");
    // SAFETY: caller holds the lock of the live base; ev is its signal event.
    unsafe { evmap::signal_add(held(base), ev) }
}

#[no_mangle]
pub unsafe extern "C" fn evmap_signal_del_(base: *mut EventBase, _sig: c_int, ev: *mut Event) -> c_int {
    ensure_arg!(!base.is_null() && !ev.is_null(), -1, "evmap_signal_del_: NULL argument");
    // SAFETY: as above.
    unsafe { evmap::signal_del(held(base), ev) }
}

#[no_mangle]
pub unsafe extern "C" fn evmap_signal_active_(base: *mut EventBase, sig: c_int, ncalls: c_int) {
    ensure_arg!(!base.is_null(), (), "evmap_signal_active_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    evmap::signal_active(unsafe { held(base) }, sig, ncalls.clamp(0, c_short::MAX as c_int) as c_short)
}

#[no_mangle]
pub unsafe extern "C" fn evmap_io_initmap_(map: *mut evmap::IoMap) {
    ensure_arg!(!map.is_null(), (), "evmap_io_initmap_: NULL map");
    // SAFETY: map points to storage for our IoMap.
    unsafe { map.write(evmap::IoMap::default()) };
}

#[no_mangle]
pub unsafe extern "C" fn evmap_io_clear_(map: *mut evmap::IoMap) {
    ensure_arg!(!map.is_null(), (), "evmap_io_clear_: NULL map");
    // SAFETY: map is a live IoMap.
    unsafe { *map = evmap::IoMap::default() };
}

#[no_mangle]
pub unsafe extern "C" fn evmap_signal_initmap_(map: *mut evmap::SignalMap) {
    ensure_arg!(!map.is_null(), (), "evmap_signal_initmap_: NULL map");
    // SAFETY: map points to storage for our SignalMap.
    unsafe { map.write(evmap::SignalMap::default()) };
}

#[no_mangle]
pub unsafe extern "C" fn evmap_signal_clear_(map: *mut evmap::SignalMap) {
    ensure_arg!(!map.is_null(), (), "evmap_signal_clear_: NULL map");
    // SAFETY: map is a live SignalMap.
    unsafe { (*map).slots = Vec::new() };
}

/// Backends keep their per-fd state themselves; there is no per-fd block to hand out.
#[no_mangle]
pub extern "C" fn evmap_io_get_fdinfo_(_map: *mut evmap::IoMap, _fd: c_int) -> *mut c_void {
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn evmap_reinit_(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "evmap_reinit_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    evmap::reinit(unsafe { held(base) })
}

#[no_mangle]
pub unsafe extern "C" fn evmap_delete_all_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "evmap_delete_all_: NULL base");
    // SAFETY: caller holds the lock of the live base; map members are live.
    unsafe {
        let b = &mut *base;
        for ev in evmap::all_events(b) {
            b.del_nolock(ev, DelMode::EvenIfFinalizing);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn evmap_foreach_event_(base: *mut EventBase, f: Option<ForeachFn>, arg: *mut c_void) -> c_int {
    ensure_arg!(!base.is_null() && f.is_some(), -1, "evmap_foreach_event_: NULL argument");
    let f = f.expect("checked");
    // SAFETY: caller holds the lock of the live base; map members are live.
    for ev in evmap::all_events(unsafe { &*base }) {
        // SAFETY: the caller's callback with live arguments.
        let r = unsafe { f(base, ev, arg) };
        if r != 0 {
            return r;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn evmap_check_integrity_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "evmap_check_integrity_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    crate::ev_assert!(evmap::check_integrity(unsafe { &*base }));
}

// ---- changelist -----------------------------------------------------------------------------
// Our epoll backend keeps its changelist itself (see backend/epoll.rs); these route a change
// through the base's backend, which batches it when the base runs with the changelist.

#[no_mangle]
pub unsafe extern "C" fn event_changelist_add_(base: *mut EventBase, fd: c_int, old: c_short, events: c_short, _fdinfo: *mut c_void) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_changelist_add_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    unsafe { (*base).backend_add(fd, old, events) }
}

#[no_mangle]
pub unsafe extern "C" fn event_changelist_del_(base: *mut EventBase, fd: c_int, old: c_short, events: c_short, _fdinfo: *mut c_void) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_changelist_del_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    unsafe { (*base).backend_del(fd, old, events) }
}

/// The changelist has no storage outside the backend, so there is nothing to set up or free.
#[no_mangle]
pub extern "C" fn event_changelist_init_(_changelist: *mut c_void) {}

#[no_mangle]
pub extern "C" fn event_changelist_freemem_(_changelist: *mut c_void) {}

#[no_mangle]
pub extern "C" fn event_changelist_remove_all_(_changelist: *mut c_void, _base: *mut EventBase) {}

// ---- signals --------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evsig_init_(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "evsig_init_: NULL base");
    // SAFETY: caller holds the lock of the live base.
    signal::init(unsafe { &mut *base })
}

#[no_mangle]
pub unsafe extern "C" fn evsig_dealloc_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "evsig_dealloc_: NULL base");
    // SAFETY: as above.
    signal::dealloc(unsafe { &mut *base })
}

#[no_mangle]
pub unsafe extern "C" fn evsig_set_base_(base: *mut EventBase) {
    ensure_arg!(!base.is_null(), (), "evsig_set_base_: NULL base");
    // SAFETY: as above.
    signal::set_base(unsafe { &mut *base })
}

#[no_mangle]
pub unsafe extern "C" fn evsig_set_handler_(base: *mut EventBase, sig: c_int, handler: Option<extern "C" fn(c_int)>) -> c_int {
    ensure_arg!(!base.is_null() && handler.is_some(), -1, "evsig_set_handler_: NULL argument");
    // SAFETY: as above.
    signal::install_handler(unsafe { &mut *base }, sig, handler.expect("checked"))
}

#[no_mangle]
pub unsafe extern "C" fn evsig_restore_handler_(base: *mut EventBase, sig: c_int) -> c_int {
    ensure_arg!(!base.is_null(), -1, "evsig_restore_handler_: NULL base");
    // SAFETY: as above.
    signal::restore_handler(unsafe { &mut *base }, sig)
}

/// Signal globals are statics with Rust synchronisation: nothing to allocate or free.
#[no_mangle]
pub extern "C" fn evsig_free_globals_() {}

#[no_mangle]
pub extern "C" fn evsig_global_setup_locks_(_enable_locks: c_int) -> c_int {
    0
}

// ---- debug map ------------------------------------------------------------------------------
// Upstream exports its hash-table helpers for the debug map; ours is a Rust map. These act on
// it: CLEAR empties it, GROW reserves room, REP_IS_BAD reports inconsistency (never).

#[no_mangle]
pub extern "C" fn event_debug_map_HT_CLEAR(_map: *mut c_void) {
    debug::clear_registry();
}

#[no_mangle]
pub extern "C" fn event_debug_map_HT_GROW(_map: *mut c_void, size: c_uint) -> c_int {
    debug::reserve_registry(size as usize);
    0
}

#[no_mangle]
pub extern "C" fn event_debug_map_HT_REP_IS_BAD_(_map: *const c_void) -> c_int {
    0
}
