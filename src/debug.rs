//! Event debug mode (`event_enable_debug_mode`): a registry of every event that has been
//! assigned, so that using an unassigned or freed event, or re-assigning an added one, is caught
//! and reported (upstream aborts in those cases, and so do we).

use std::collections::HashMap;
use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::event::Event;
use crate::log::{errx, EVENT_ERR_ABORT};

/// Exported because upstream's internal macros test it.
#[no_mangle]
pub static mut event_debug_mode_on_: c_int = 0;

/// Set once an event or base exists: from then on debug mode can no longer be switched on.
static TOO_LATE: AtomicBool = AtomicBool::new(false);

/// Assigned events, by address, with whether each is currently added.
static REGISTRY: Mutex<Option<HashMap<usize, bool>>> = Mutex::new(None);

pub fn is_on() -> bool {
    // SAFETY: a plain word read through the exported (possibly copy-relocated) symbol.
    unsafe { std::ptr::read_volatile(&raw const event_debug_mode_on_) != 0 }
}

pub fn note_too_late() {
    TOO_LATE.store(true, Ordering::Relaxed);
}

pub fn enable() {
    if is_on() {
        errx(1, format_args!("event_enable_debug_mode was called twice!"));
    }
    if TOO_LATE.load(Ordering::Relaxed) {
        errx(1, format_args!("event_enable_debug_mode must be called *before* creating any events or event_bases"));
    }
    *REGISTRY.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
    // SAFETY: a plain word write through the exported symbol.
    unsafe { std::ptr::write_volatile(&raw mut event_debug_mode_on_, 1) };
    crate::thread::set_late_setup_check(thread_setup_too_late);
}

pub fn disable() {
    *REGISTRY.lock().unwrap_or_else(|e| e.into_inner()) = None;
    // SAFETY: a plain word write through the exported symbol.
    unsafe { std::ptr::write_volatile(&raw mut event_debug_mode_on_, 0) };
}

fn with_registry<R>(f: impl FnOnce(&mut HashMap<usize, bool>) -> R) -> Option<R> {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_mut().map(f)
}

fn describe(ev: *const Event) -> String {
    // SAFETY: callers pass events the program handed us; the fields are read, not trusted.
    let (events, fd, flags) = unsafe { ((*ev).events, (*ev).fd, (*ev).cb.flags) };
    format!("{:p} (events: 0x{:x}, fd: {}, flags: 0x{:x})", ev, events, fd, flags)
}

#[inline]
pub fn note_setup(ev: *const Event) {
    note_too_late();
    if is_on() {
        with_registry(|m| m.insert(ev as usize, false));
    }
}

#[inline]
pub fn note_teardown(ev: *const Event) {
    if is_on() {
        with_registry(|m| m.remove(&(ev as usize)));
    }
}

#[inline]
fn note_added_state(ev: *const Event, added: bool, what: &str) {
    if is_on() {
        note_added_state_slow(ev, added, what);
    }
}

#[cold]
#[inline(never)]
fn note_added_state_slow(ev: *const Event, added: bool, what: &str) {
    let known = with_registry(|m| m.get_mut(&(ev as usize)).map(|a| *a = added).is_some());
    if known == Some(false) {
        errx(EVENT_ERR_ABORT, format_args!("{what}: noting an {} on a non-setup event {}", if added { "add" } else { "del" }, describe(ev)));
    }
}

#[inline]
pub fn note_add(ev: *const Event) {
    note_added_state(ev, true, "event_debug_note_add_");
}

#[inline]
pub fn note_del(ev: *const Event) {
    note_added_state(ev, false, "event_debug_note_del_");
}

/// Aborts if `ev` was never assigned (or was freed) while debug mode is on.
#[inline]
pub fn assert_is_setup(ev: *const Event, func: &str) {
    if is_on() {
        assert_is_setup_slow(ev, func);
    }
}

#[cold]
#[inline(never)]
fn assert_is_setup_slow(ev: *const Event, func: &str) {
    if with_registry(|m| m.contains_key(&(ev as usize))) == Some(false) {
        errx(EVENT_ERR_ABORT, format_args!("{func} called on a non-initialized event {}", describe(ev)));
    }
}

/// Aborts if `ev` is currently added while debug mode is on.
#[inline]
pub fn assert_not_added(ev: *const Event, func: &str) {
    if is_on() && with_registry(|m| m.get(&(ev as usize)).copied()) == Some(Some(true)) {
        errx(EVENT_ERR_ABORT, format_args!("{func} called on an already added event {}", describe(ev)));
    }
}

/// Warns about blocking sockets handed to the loop (debug mode only), as upstream does.
pub fn assert_socket_nonblocking(fd: c_int) {
    if !is_on() || fd < 0 {
        return;
    }
    // SAFETY: F_GETFL on any integer is safe; errors come back as -1.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags >= 0 && flags & libc::O_NONBLOCK == 0 {
        crate::warnx!("fd {} is not nonblocking", fd);
    }
}

pub fn clear_registry() {
    with_registry(|m| m.clear());
}

pub fn reserve_registry(n: usize) {
    with_registry(|m| m.reserve(n.saturating_sub(m.len())));
}

/// Set once a base exists that could be used from threads; with debug mode on, installing
/// thread callbacks after that point is a fatal error (upstream's rule).
#[no_mangle]
pub static mut event_debug_created_threadable_ctx_: c_int = 0;

pub fn note_base_created() {
    // SAFETY: a plain word write through the exported symbol.
    unsafe { std::ptr::write_volatile(&raw mut event_debug_created_threadable_ctx_, 1) };
}

fn thread_setup_too_late() -> bool {
    // SAFETY: a plain word read through the exported symbol.
    is_on() && unsafe { std::ptr::read_volatile(&raw const event_debug_created_threadable_ctx_) } != 0
}
