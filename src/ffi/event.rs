//! Entry points of `event2/event.h` (and `event2/event_compat.h`, `event2/event_struct.h`).

use std::ffi::{c_char, c_void};

use crate::{log, mm};

#[no_mangle]
pub extern "C" fn event_set_log_callback(cb: Option<log::LogCallback>) {
    log::set_log_callback(cb);
}

#[no_mangle]
pub extern "C" fn event_set_fatal_callback(cb: Option<log::FatalCallback>) {
    log::set_fatal_callback(cb);
}

#[no_mangle]
pub extern "C" fn event_enable_debug_logging(which: u32) {
    log::set_debug_mask(which);
}

#[no_mangle]
pub extern "C" fn event_set_mem_functions(
    malloc_fn: Option<mm::MallocFn>,
    realloc_fn: Option<mm::ReallocFn>,
    free_fn: Option<mm::FreeFn>,
) {
    mm::set_functions(malloc_fn, realloc_fn, free_fn);
}

// Internal allocation helpers that upstream's tests and internal headers call.

#[no_mangle]
pub extern "C" fn event_mm_malloc_(size: usize) -> *mut c_void {
    mm::malloc(size)
}

#[no_mangle]
pub extern "C" fn event_mm_calloc_(count: usize, size: usize) -> *mut c_void {
    mm::calloc(count, size)
}

#[no_mangle]
pub unsafe extern "C" fn event_mm_strdup_(s: *const c_char) -> *mut c_char {
    if s.is_null() {
        crate::warnx!("event_mm_strdup_: NULL string");
        // Upstream reports a NULL string as EINVAL (regress util/mm_strdup checks it).
        mm::set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    // SAFETY: s is a non-NULL C string (caller's contract).
    unsafe { mm::strdup(s) }
}

#[no_mangle]
pub extern "C" fn event_mm_realloc_(ptr: *mut c_void, size: usize) -> *mut c_void {
    mm::realloc(ptr, size)
}

#[no_mangle]
pub extern "C" fn event_mm_free_(ptr: *mut c_void) {
    mm::free(ptr)
}

#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    c"2.1.12-stable".as_ptr()
}

#[no_mangle]
pub extern "C" fn event_get_version_number() -> u32 {
    0x02010c00
}


// ---- the event loop API ---------------------------------------------------------------------

use std::ffi::{c_int, c_short};
use std::ptr;

use libc::timeval;

use crate::base::{DelMode, EventBase};
use crate::config::EventConfig;
use crate::event::{Event, EventCb, EventFinalizeCb, EVLIST_INIT, EVLIST_INTERNAL};
use crate::event::{EVLIST_ACTIVE, EVLIST_ACTIVE_LATER, EVLIST_INSERTED, EVLIST_TIMEOUT, EV_CLOSED, EV_ET};
use crate::event::{EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE};
use crate::{debug, thread};

/// The base the 1.x API (event_init, event_set, event_dispatch...) works on. Exported because
/// upstream exports it; read through the symbol in case a program copy-relocated it.
#[no_mangle]
pub static mut event_global_current_base_: *mut EventBase = ptr::null_mut();

pub(crate) fn current_base() -> *mut EventBase {
    // SAFETY: a plain pointer-sized read through the exported symbol.
    unsafe { ptr::read_volatile(&raw const event_global_current_base_) }
}

fn set_current_base(base: *mut EventBase) {
    // SAFETY: a plain pointer-sized write through the exported symbol.
    unsafe { ptr::write_volatile(&raw mut event_global_current_base_, base) }
}

/// Called when a base is freed: the 1.x API must not keep using it.
pub fn forget_current_base(base: *mut EventBase) {
    if current_base() == base {
        set_current_base(ptr::null_mut());
    }
}

/// The base lock held for the lifetime of the guard.
pub(crate) struct Locked(*mut EventBase);

impl Locked {
    /// # Safety
    /// `base` must be a live base.
    pub(crate) unsafe fn new(base: *mut EventBase) -> Locked {
        // SAFETY: live base (contract); locked, it is ours to update.
        unsafe {
            (*base).acquire_lock();
            // Whatever the caller does next must see the loop's ready fds as active.
            (*base).settle_ready();
        }
        Locked(base)
    }
}

impl std::ops::Deref for Locked {
    type Target = EventBase;
    fn deref(&self) -> &EventBase {
        // SAFETY: the base is live and locked while the guard exists.
        unsafe { &*self.0 }
    }
}

impl std::ops::DerefMut for Locked {
    fn deref_mut(&mut self) -> &mut EventBase {
        // SAFETY: as above; the lock makes this the only user.
        unsafe { &mut *self.0 }
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: the base is live; we took the lock in new().
        unsafe { (*self.0).release_lock() };
    }
}

/// The event's base, or a warning and None (upstream's "event has no event_base set").
///
/// # Safety
/// `ev` must be NULL or point to a struct event.
unsafe fn base_of(ev: *const Event, func: &str) -> Option<*mut EventBase> {
    if ev.is_null() {
        warnx!("{}: NULL event", func);
        return None;
    }
    // SAFETY: non-NULL struct event (contract).
    let base = unsafe { (*ev).base };
    if base.is_null() {
        warnx!("{}: event has no event_base set.", func);
        return None;
    }
    Some(base)
}

fn opt_tv<'a>(tv: *const timeval) -> Option<&'a timeval> {
    // SAFETY: C passes NULL or a valid timeval.
    unsafe { tv.as_ref() }
}

// ---- configuration --------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_config_new() -> *mut EventConfig {
    Box::into_raw(Box::default())
}

#[no_mangle]
pub unsafe extern "C" fn event_config_free(cfg: *mut EventConfig) {
    if !cfg.is_null() {
        // SAFETY: cfg came from event_config_new.
        drop(unsafe { Box::from_raw(cfg) });
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_config_avoid_method(cfg: *mut EventConfig, method: *const c_char) -> c_int {
    ensure_arg!(!cfg.is_null() && !method.is_null(), -1, "event_config_avoid_method: NULL argument");
    // SAFETY: checked non-NULL; method is a C string.
    unsafe { (*cfg).avoided.push(std::ffi::CStr::from_ptr(method).to_owned()) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_config_require_features(cfg: *mut EventConfig, features: c_int) -> c_int {
    ensure_arg!(!cfg.is_null(), -1, "event_config_require_features: NULL config");
    // SAFETY: checked non-NULL.
    unsafe { (*cfg).require_features = features };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_flag(cfg: *mut EventConfig, flag: c_int) -> c_int {
    ensure_arg!(!cfg.is_null(), -1, "event_config_set_flag: NULL config");
    // SAFETY: checked non-NULL.
    unsafe { (*cfg).flags |= flag };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_num_cpus_hint(cfg: *mut EventConfig, cpus: c_int) -> c_int {
    ensure_arg!(!cfg.is_null(), -1, "event_config_set_num_cpus_hint: NULL config");
    // SAFETY: checked non-NULL.
    unsafe { (*cfg).n_cpus_hint = cpus };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut EventConfig,
    max_interval: *const timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    ensure_arg!(!cfg.is_null(), -1, "event_config_set_max_dispatch_interval: NULL config");
    // SAFETY: checked non-NULL.
    unsafe { (*cfg).set_max_dispatch_interval(opt_tv(max_interval).copied(), max_callbacks, min_priority) };
    0
}

// ---- bases ----------------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_base_new() -> *mut EventBase {
    EventBase::new(None)
}

#[no_mangle]
pub unsafe extern "C" fn event_base_new_with_config(cfg: *const EventConfig) -> *mut EventBase {
    // SAFETY: NULL or a config from event_config_new.
    EventBase::new(unsafe { cfg.as_ref() })
}

#[no_mangle]
pub extern "C" fn event_init() -> *mut EventBase {
    let base = EventBase::new(None);
    if base.is_null() {
        crate::log::errx(1, format_args!("event_init: Unable to construct event_base"));
    }
    set_current_base(base);
    base
}

pub(crate) fn current_base_or(base: *mut EventBase) -> *mut EventBase {
    if base.is_null() {
        current_base()
    } else {
        base
    }
}

unsafe fn free_base(base: *mut EventBase, run_finalizers: bool) {
    let base = current_base_or(base);
    if base.is_null() {
        warnx!("event_base_free_: no base to free");
        return;
    }
    // SAFETY: a live base handed to us for freeing.
    unsafe { EventBase::free(base, run_finalizers) };
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free(base: *mut EventBase) {
    // SAFETY: forwarded.
    unsafe { free_base(base, true) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free_nofinalize(base: *mut EventBase) {
    // SAFETY: forwarded.
    unsafe { free_base(base, false) }
}

#[no_mangle]
pub unsafe extern "C" fn event_reinit(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_reinit: NULL base");
    // SAFETY: live base.
    let mut b = unsafe { Locked::new(base) };
    // SAFETY: locked live base.
    unsafe { b.reinit() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_method(base: *const EventBase) -> *const c_char {
    ensure_arg!(!base.is_null(), ptr::null(), "event_base_get_method: NULL base");
    // SAFETY: live base.
    unsafe { (*base).method_cstr().as_ptr() }
}

#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    let base = current_base();
    ensure_arg!(!base.is_null(), ptr::null(), "event_get_method: no current base");
    // SAFETY: the current base is live.
    unsafe { (*base).method_cstr().as_ptr() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_features(base: *const EventBase) -> c_int {
    ensure_arg!(!base.is_null(), 0, "event_base_get_features: NULL base");
    // SAFETY: live base.
    unsafe { (*base).features() }
}

struct MethodList([*const c_char; 4]);
// SAFETY: the array holds pointers to immutable static strings.
unsafe impl Sync for MethodList {}

static SUPPORTED_METHODS: MethodList = MethodList([
    c"epoll".as_ptr(),
    c"poll".as_ptr(),
    c"select".as_ptr(),
    ptr::null(),
]);

#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *mut *const c_char {
    // C's prototype is non-const for historical reasons; callers never write through it.
    SUPPORTED_METHODS.0.as_ptr() as *mut *const c_char
}

#[no_mangle]
pub unsafe extern "C" fn event_gettime_monotonic(base: *mut EventBase, tv: *mut timeval) -> c_int {
    ensure_arg!(!base.is_null() && !tv.is_null(), -1, "event_gettime_monotonic: NULL argument");
    // SAFETY: live base, valid out-pointer.
    unsafe {
        let mut b = Locked::new(base);
        *tv = b.gettime();
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_num_events(base: *mut EventBase, which: u32) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_get_num_events: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).num_events(which) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_max_events(base: *mut EventBase, which: u32, clear: c_int) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_get_max_events: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).max_events(which, clear != 0) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_priority_init(base: *mut EventBase, npriorities: c_int) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_priority_init: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).priority_init(npriorities) }
}

#[no_mangle]
pub extern "C" fn event_priority_init(npriorities: c_int) -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_priority_init(current_base(), npriorities) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_npriorities(base: *mut EventBase) -> c_int {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null(), -1, "event_base_get_npriorities: no base");
    // SAFETY: live base.
    unsafe { Locked::new(base).npriorities() }
}

// ---- the loop -------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_base_loop(base: *mut EventBase, flags: c_int) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_loop: NULL base");
    // SAFETY: live base.
    unsafe { EventBase::run(base, flags) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dispatch(base: *mut EventBase) -> c_int {
    // SAFETY: forwarded.
    unsafe { event_base_loop(base, 0) }
}

#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_loop(current_base(), 0) }
}

#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_loop(current_base(), flags) }
}

unsafe extern "C" fn loopexit_fired(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: arg is the live base that scheduled this one-shot event.
    let base = unsafe { &mut *arg.cast::<EventBase>() };
    base.acquire_lock();
    base.set_gotterm();
    base.release_lock();
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopexit(base: *mut EventBase, tv: *const timeval) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_loopexit: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).once(-1, EV_TIMEOUT, Some(loopexit_fired), base.cast(), opt_tv(tv)) }
}

#[no_mangle]
pub unsafe extern "C" fn event_loopexit(tv: *const timeval) -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_loopexit(current_base(), tv) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopbreak(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_loopbreak: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).loopbreak() };
    0
}

#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_loopbreak(current_base()) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopcontinue(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_loopcontinue: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).loopcontinue() };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_exit(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_got_exit: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).got_exit() as c_int }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_break(base: *mut EventBase) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_got_break: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).got_break() as c_int }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_once(
    base: *mut EventBase,
    fd: c_int,
    events: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
    tv: *const timeval,
) -> c_int {
    ensure_arg!(!base.is_null(), -1, "event_base_once: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).once(fd, events, cb, arg, opt_tv(tv)) }
}

#[no_mangle]
pub unsafe extern "C" fn event_once(fd: c_int, events: c_short, cb: Option<EventCb>, arg: *mut c_void, tv: *const timeval) -> c_int {
    // SAFETY: forwarded to the current base (checked inside).
    unsafe { event_base_once(current_base(), fd, events, cb, arg, tv) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_running_event(base: *mut EventBase) -> *mut Event {
    ensure_arg!(!base.is_null(), ptr::null_mut(), "event_base_get_running_event: NULL base");
    // SAFETY: live base.
    unsafe { Locked::new(base).running_callback() }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_gettimeofday_cached(base: *mut EventBase, tv: *mut timeval) -> c_int {
    ensure_arg!(!tv.is_null(), -1, "event_base_gettimeofday_cached: NULL timeval");
    let base = current_base_or(base);
    // SAFETY: tv is a valid out-pointer; base is live when non-NULL.
    unsafe {
        *tv = if base.is_null() { crate::time::wall_now() } else { Locked::new(base).gettimeofday_cached() };
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_base_update_cache_time(base: *mut EventBase) -> c_int {
    let base = current_base_or(base);
    ensure_arg!(!base.is_null(), -1, "event_base_update_cache_time: no base");
    // SAFETY: live base.
    unsafe { Locked::new(base).update_cache_time() };
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_base_init_common_timeout(base: *mut EventBase, duration: *const timeval) -> *const timeval {
    ensure_arg!(!base.is_null() && !duration.is_null(), ptr::null(), "event_base_init_common_timeout: NULL argument");
    // SAFETY: live base, valid timeval.
    unsafe { Locked::new(base).init_common_timeout(&*duration) }
}

// ---- events ---------------------------------------------------------------------------------

/// The address `event_self_cbarg` hands out: an event assigned with it gets itself as argument.
static SELF_CBARG: u8 = 0;

#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    (&raw const SELF_CBARG).cast_mut().cast()
}

#[no_mangle]
pub unsafe extern "C" fn event_assign(
    ev: *mut Event,
    base: *mut EventBase,
    fd: c_int,
    events: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> c_int {
    ensure_arg!(!ev.is_null(), -1, "event_assign: NULL event");
    let base = current_base_or(base);
    let arg = if arg == event_self_cbarg() { ev.cast() } else { arg };
    // SAFETY: base is NULL or live; its priority count is read under its lock.
    let npri = if base.is_null() { 1 } else { unsafe { Locked::new(base).npriorities() } };
    // SAFETY: ev points to caller memory for a struct event.
    unsafe { crate::base::assign_event(ev, base, npri, fd, events, cb, arg) }
}

#[no_mangle]
pub unsafe extern "C" fn event_set(ev: *mut Event, fd: c_int, events: c_short, cb: Option<EventCb>, arg: *mut c_void) {
    // SAFETY: forwarded; event_set has no way to report failure, like upstream.
    unsafe { event_assign(ev, current_base(), fd, events, cb, arg) };
}

#[no_mangle]
pub unsafe extern "C" fn event_base_set(base: *mut EventBase, ev: *mut Event) -> c_int {
    ensure_arg!(!base.is_null() && !ev.is_null(), -1, "event_base_set: NULL argument");
    // SAFETY: live event and base.
    unsafe {
        // Only an unadded event may move.
        if (*ev).cb.flags != EVLIST_INIT {
            return -1;
        }
        debug::assert_is_setup(ev, "event_base_set");
        (*ev).base = base;
        (*ev).cb.pri = (Locked::new(base).npriorities() / 2) as u8;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_new(
    base: *mut EventBase,
    fd: c_int,
    events: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> *mut Event {
    let ev = mm::malloc(std::mem::size_of::<Event>()).cast::<Event>();
    if ev.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: ev is fresh memory for a struct event.
    if unsafe { event_assign(ev, base, fd, events, cb, arg) } < 0 {
        mm::free(ev.cast());
        return ptr::null_mut();
    }
    ev
}

#[no_mangle]
pub unsafe extern "C" fn event_free(ev: *mut Event) {
    if ev.is_null() {
        return;
    }
    // No "is it set up" check here, as upstream: a finalizer may free its event after debug
    // mode has already forgotten it. A second free still aborts in debug mode (event_del notes
    // a delete of an event it does not know).
    // SAFETY: a live event from event_new.
    unsafe { event_del(ev) };
    debug::note_teardown(ev);
    mm::free(ev.cast());
}

#[no_mangle]
pub unsafe extern "C" fn event_debug_unassign(ev: *mut Event) {
    ensure_arg!(!ev.is_null(), (), "event_debug_unassign: NULL event");
    debug::assert_not_added(ev, "event_debug_unassign");
    debug::note_teardown(ev);
    // SAFETY: non-NULL event.
    unsafe { (*ev).cb.flags &= !EVLIST_INIT };
}

#[no_mangle]
pub unsafe extern "C" fn event_add(ev: *mut Event, tv: *const timeval) -> c_int {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, "event_add") }) else { return -1 };
    // SAFETY: live base; ev belongs to it.
    unsafe { Locked::new(base).add_nolock(ev, opt_tv(tv), false) }
}

unsafe fn del_with(ev: *mut Event, mode: DelMode, func: &str) -> c_int {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, func) }) else { return -1 };
    // SAFETY: live base; ev belongs to it.
    unsafe { Locked::new(base).del_nolock(ev, mode) }
}

#[no_mangle]
pub unsafe extern "C" fn event_del(ev: *mut Event) -> c_int {
    // SAFETY: forwarded.
    unsafe { del_with(ev, DelMode::AutoBlock, "event_del") }
}

#[no_mangle]
pub unsafe extern "C" fn event_del_noblock(ev: *mut Event) -> c_int {
    // SAFETY: forwarded.
    unsafe { del_with(ev, DelMode::NoBlock, "event_del_noblock") }
}

#[no_mangle]
pub unsafe extern "C" fn event_del_block(ev: *mut Event) -> c_int {
    // SAFETY: forwarded.
    unsafe { del_with(ev, DelMode::Block, "event_del_block") }
}

#[no_mangle]
pub unsafe extern "C" fn event_remove_timer(ev: *mut Event) -> c_int {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, "event_remove_timer") }) else { return -1 };
    debug::assert_is_setup(ev, "event_remove_timer");
    // SAFETY: live base; ev belongs to it.
    unsafe { Locked::new(base).remove_timer_nolock(ev) }
}

#[no_mangle]
pub unsafe extern "C" fn event_active(ev: *mut Event, res: c_int, ncalls: c_short) {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, "event_active") }) else { return };
    debug::assert_is_setup(ev, "event_active");
    // SAFETY: live base; ev belongs to it.
    unsafe { Locked::new(base).active_nolock(ev, res as c_short, ncalls) }
}

unsafe fn finalize(ev: *mut Event, free_after: bool, cb: Option<EventFinalizeCb>, func: &str) -> c_int {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, func) }) else { return -1 };
    ensure_arg!(cb.is_some(), -1, "{}: NULL callback", func);
    debug::assert_is_setup(ev, func);
    // SAFETY: live base; ev belongs to it.
    unsafe { Locked::new(base).finalize_nolock(ev, free_after, cb.expect("checked")) }
}

#[no_mangle]
pub unsafe extern "C" fn event_finalize(_flags: u32, ev: *mut Event, cb: Option<EventFinalizeCb>) -> c_int {
    // SAFETY: forwarded.
    unsafe { finalize(ev, false, cb, "event_finalize") }
}

#[no_mangle]
pub unsafe extern "C" fn event_free_finalize(_flags: u32, ev: *mut Event, cb: Option<EventFinalizeCb>) -> c_int {
    // SAFETY: forwarded.
    unsafe { finalize(ev, true, cb, "event_free_finalize") }
}

#[no_mangle]
pub unsafe extern "C" fn event_pending(ev: *const Event, events: c_short, tv: *mut timeval) -> c_int {
    ensure_arg!(!ev.is_null(), 0, "event_pending: NULL event");
    // SAFETY: non-NULL event.
    let base = unsafe { (*ev).base };
    if base.is_null() {
        warnx!("event_pending: event has no event_base set.");
        return 0;
    }
    debug::assert_is_setup(ev, "event_pending");
    // SAFETY: live base; tv NULL or a valid out-pointer.
    unsafe { Locked::new(base).pending(ev, events, tv.as_mut()) }
}

#[no_mangle]
pub unsafe extern "C" fn event_initialized(ev: *const Event) -> c_int {
    ensure_arg!(!ev.is_null(), 0, "event_initialized: NULL event");
    // SAFETY: non-NULL event.
    (unsafe { (*ev).cb.flags } & EVLIST_INIT != 0) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn event_priority_set(ev: *mut Event, pri: c_int) -> c_int {
    // SAFETY: ev is NULL or a struct event.
    let Some(base) = (unsafe { base_of(ev, "event_priority_set") }) else { return -1 };
    debug::assert_is_setup(ev, "event_priority_set");
    // SAFETY: live event and base; locked first, so that an fd the loop has seen ready
    // counts as active (base/ready.rs).
    unsafe {
        let base = Locked::new(base);
        if (*ev).cb.flags & EVLIST_ACTIVE != 0 || pri < 0 || pri >= base.npriorities() {
            return -1;
        }
        (*ev).cb.pri = pri as u8;
    }
    0
}

macro_rules! event_getter {
    ($name:ident -> $ty:ty, $default:expr, |$ev:ident| $body:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name($ev: *const Event) -> $ty {
            ensure_arg!(!$ev.is_null(), $default, concat!(stringify!($name), ": NULL event"));
            debug::assert_is_setup($ev, stringify!($name));
            // SAFETY: non-NULL event.
            unsafe { $body }
        }
    };
}

event_getter!(event_get_fd -> c_int, -1, |ev| (*ev).fd);
event_getter!(event_get_base -> *mut EventBase, ptr::null_mut(), |ev| (*ev).base);
event_getter!(event_get_events -> c_short, 0, |ev| (*ev).events);
event_getter!(event_get_callback -> Option<EventCb>, None, |ev| std::mem::transmute::<*const c_void, Option<EventCb>>((*ev).cb.cb));
event_getter!(event_get_callback_arg -> *mut c_void, ptr::null_mut(), |ev| (*ev).cb.arg);
event_getter!(event_get_priority -> c_int, -1, |ev| (*ev).cb.pri as c_int);

#[no_mangle]
pub unsafe extern "C" fn event_get_assignment(
    ev: *const Event,
    base_out: *mut *mut EventBase,
    fd_out: *mut c_int,
    events_out: *mut c_short,
    callback_out: *mut Option<EventCb>,
    arg_out: *mut *mut c_void,
) {
    ensure_arg!(!ev.is_null(), (), "event_get_assignment: NULL event");
    debug::assert_is_setup(ev, "event_get_assignment");
    // SAFETY: non-NULL event; each out-pointer is NULL or writable.
    unsafe {
        if let Some(p) = base_out.as_mut() {
            *p = (*ev).base;
        }
        if let Some(p) = fd_out.as_mut() {
            *p = (*ev).fd;
        }
        if let Some(p) = events_out.as_mut() {
            *p = (*ev).events;
        }
        if let Some(p) = callback_out.as_mut() {
            *p = std::mem::transmute::<*const c_void, Option<EventCb>>((*ev).cb.cb);
        }
        if let Some(p) = arg_out.as_mut() {
            *p = (*ev).cb.arg;
        }
    }
}

#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    std::mem::size_of::<Event>()
}

// ---- debug mode -----------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_enable_debug_mode() {
    debug::enable();
}

#[no_mangle]
pub extern "C" fn event_disable_debug_mode() {
    debug::disable();
}

// ---- introspection --------------------------------------------------------------------------

pub type ForeachFn = unsafe extern "C" fn(*const EventBase, *const Event, *mut c_void) -> c_int;

/// Calls `f` on every added or active non-internal event until it returns non-zero.
///
/// # Safety
/// `base` must be live and locked.
unsafe fn foreach_nolock(base: *mut EventBase, f: ForeachFn, arg: *mut c_void) -> c_int {
    // SAFETY: live locked base (contract).
    for ev in unsafe { (*base).visible_events() } {
        // SAFETY: the user's callback with live arguments.
        let r = unsafe { f(base, ev, arg) };
        if r != 0 {
            return r;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event(base: *mut EventBase, f: Option<ForeachFn>, arg: *mut c_void) -> c_int {
    ensure_arg!(!base.is_null() && f.is_some(), -1, "event_base_foreach_event: NULL argument");
    // SAFETY: live base, held locked for the walk.
    unsafe {
        let guard = Locked::new(base);
        let r = foreach_nolock(guard.0, f.expect("checked"), arg);
        drop(guard);
        r
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event_nolock_(base: *mut EventBase, f: Option<ForeachFn>, arg: *mut c_void) -> c_int {
    ensure_arg!(!base.is_null() && f.is_some(), -1, "event_base_foreach_event_nolock_: NULL argument");
    // SAFETY: the caller holds the lock (internal API).
    unsafe { foreach_nolock(base, f.expect("checked"), arg) }
}

fn dump_line(e: &Event, wall: Option<timeval>, active: bool) -> String {
    let gloss = if e.events & EV_SIGNAL != 0 { "sig" } else { "fd " };
    let bit = |set: c_short, b: c_short, s: &'static str| if set & b != 0 { s } else { "" };
    if !active {
        let mut s = format!(
            "  {:p} [{} {}]{}{}{}{}{}{}{}",
            e as *const Event,
            gloss,
            e.fd,
            bit(e.events, EV_READ, " Read"),
            bit(e.events, EV_WRITE, " Write"),
            bit(e.events, EV_CLOSED, " EOF"),
            bit(e.events, EV_SIGNAL, " Signal"),
            bit(e.events, EV_PERSIST, " Persist"),
            bit(e.events, EV_ET, " ET"),
            bit(e.cb.flags, EVLIST_INTERNAL, " Internal"),
        );
        if let Some(tv) = wall {
            s.push_str(&format!(" Timeout={}.{:06}", tv.tv_sec, tv.tv_usec));
        }
        s.push('\n');
        s
    } else {
        format!(
            "  {:p} [{} {}, priority={}]{}{}{}{}{} active{}{}\n",
            e as *const Event,
            gloss,
            e.fd,
            e.cb.pri,
            bit(e.res, EV_READ, " Read"),
            bit(e.res, EV_WRITE, " Write"),
            bit(e.res, EV_CLOSED, " EOF"),
            bit(e.res, EV_SIGNAL, " Signal"),
            bit(e.res, EV_TIMEOUT, " Timeout"),
            bit(e.cb.flags, EVLIST_INTERNAL, " [Internal]"),
            bit(e.cb.flags, EVLIST_ACTIVE_LATER, " [NextTime]"),
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dump_events(base: *mut EventBase, output: *mut libc::FILE) {
    ensure_arg!(!base.is_null() && !output.is_null(), (), "event_base_dump_events: NULL argument");
    let mut text = String::from("Inserted events:\n");
    // SAFETY: live base, locked while we read its events.
    unsafe {
        let guard = Locked::new(base);
        let events = guard.visible_events();
        for &ev in &events {
            let e = &*ev;
            if e.cb.flags & (EVLIST_INSERTED | EVLIST_TIMEOUT) != 0 {
                let mut tv = timeval { tv_sec: 0, tv_usec: 0 };
                let wall = (e.cb.flags & EVLIST_TIMEOUT != 0 && guard.pending(ev, EV_TIMEOUT, Some(&mut tv)) != 0).then_some(tv);
                text.push_str(&dump_line(e, wall, false));
            }
        }
        text.push_str("Active events:\n");
        for &ev in &events {
            let e = &*ev;
            if e.cb.flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 {
                text.push_str(&dump_line(e, None, true));
            }
        }
    }
    // SAFETY: output is a valid FILE*; text has no interior NUL (built from formatted numbers).
    unsafe { libc::fwrite(text.as_ptr().cast(), 1, text.len(), output) };
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_fd(base: *mut EventBase, fd: c_int, events: c_short) {
    ensure_arg!(!base.is_null(), (), "event_base_active_by_fd: NULL base");
    // SAFETY: live base.
    let mut b = unsafe { Locked::new(base) };
    if events & EV_TIMEOUT == 0 {
        b.activate_fd(fd, events & (EV_READ | EV_WRITE | EV_CLOSED));
    } else {
        for ev in b.timeout_events() {
            // SAFETY: events on the timeout queues are live.
            unsafe {
                if (*ev).fd == fd {
                    b.active_nolock(ev, EV_TIMEOUT, 1);
                }
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_signal(base: *mut EventBase, sig: c_int) {
    ensure_arg!(!base.is_null(), (), "event_base_active_by_signal: NULL base");
    // SAFETY: live base.
    let mut b = unsafe { Locked::new(base) };
    crate::evmap::signal_active(&mut b, sig, 1);
}

// ---- shutdown -------------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn libevent_global_shutdown() {
    // Global state of ours needing teardown: debug registry and lock debugging.
    debug::disable();
    thread::disable_lock_debugging();
}
