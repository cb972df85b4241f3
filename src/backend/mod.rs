//! The I/O multiplexing backends behind one table of operations (`struct eventop`, exported as
//! `epollops`, `pollops`, `selectops` like upstream). Each backend is a Rust type implementing
//! [`Backend`]; [`ops_for`] turns it into the C-layout table the base dispatches through.
//!
//! Contract between the event map and a backend for `add`/`del` on an fd:
//! `old` is the set of EV_READ/EV_WRITE/EV_CLOSED (plus EV_ET) currently registered for the fd,
//! `events` the bits being added or removed. A backend never sees EV_SIGNAL: signals arrive
//! through the base's signal socketpair, which is an ordinary read event.

pub mod epoll;
pub mod poll;
pub mod select;

use std::ffi::{c_char, c_int, c_short, c_void, CStr};

use libc::timeval;

use crate::base::EventBase;

// Features a backend can offer (EV_FEATURE_*).
pub const EV_FEATURE_ET: c_int = 0x01;
pub const EV_FEATURE_O1: c_int = 0x02;
pub const EV_FEATURE_FDS: c_int = 0x04;
pub const EV_FEATURE_EARLY_CLOSE: c_int = 0x08;

/// add/del: (base, fd, old events, events changed, per-fd backend info).
pub type FdChangeFn = unsafe extern "C" fn(*mut EventBase, c_int, c_short, c_short, *mut c_void) -> c_int;

/// `struct eventop`, field for field.
#[repr(C)]
pub struct EventOp {
    pub name: *const c_char,
    pub init: Option<unsafe extern "C" fn(*mut EventBase) -> *mut c_void>,
    pub add: Option<FdChangeFn>,
    pub del: Option<FdChangeFn>,
    pub dispatch: Option<unsafe extern "C" fn(*mut EventBase, *mut timeval) -> c_int>,
    pub dealloc: Option<unsafe extern "C" fn(*mut EventBase)>,
    pub need_reinit: c_int,
    pub features: c_int,
    pub fdinfo_len: usize,
}

// SAFETY: the tables are immutable after construction; the name points to a static string.
unsafe impl Sync for EventOp {}

// Upstream's struct eventop on x86_64: name, five functions, two ints, size_t.
const _: () = {
    assert!(std::mem::size_of::<EventOp>() == 64);
    assert!(std::mem::offset_of!(EventOp, need_reinit) == 48);
    assert!(std::mem::offset_of!(EventOp, features) == 52);
    assert!(std::mem::offset_of!(EventOp, fdinfo_len) == 56);
};

impl EventOp {
    pub fn name(&self) -> &'static CStr {
        // SAFETY: every table's name is a 'static C string literal.
        unsafe { CStr::from_ptr(self.name) }
    }
}

/// A backend's state and operations. The state lives behind the base's `evbase` pointer.
pub trait Backend: Sized {
    const NAME: &'static CStr;
    const FEATURES: c_int;
    /// Must the backend be rebuilt in a forked child (`event_reinit`)?
    const NEED_REINIT: bool;

    fn init(base: &EventBase) -> Option<Self>;
    fn add(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int;
    fn del(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int;
    /// Waits at most `timeout` (forever on None) and reports ready fds with `base.fd_ready`.
    /// Releases the base lock while blocked.
    fn dispatch(&mut self, base: &mut EventBase, timeout: Option<&timeval>) -> c_int;
    /// The base's fd table shrank to `len` slots: every fd with events was below `len / 2`,
    /// so what the backend sized by the highest fd or by the number of fds can shrink too. It
    /// does so at its next dispatch, from its own state: this is called with the base lock
    /// held, possibly while the loop's thread waits in `dispatch`, and before the backend's
    /// `del` for the fd whose removal shrank the table; fds may also be added again meanwhile.
    fn fds_shrunk(&mut self, len: usize);
    /// The library closed `fd` while `registered` was registered for it: the kernel dropped
    /// the registration with the file (an epoll one, when no other descriptor refers to the
    /// file; when one does, a later EPOLL_CTL_DEL on the closed number fails with EBADF
    /// anyway), so the backend forgets it without a system call, and takes `del` and `add`
    /// for the fd as starting from nothing. Backends whose registrations are their own arrays
    /// drop the fd from them, so that no wait watches a closed fd.
    fn fd_closed(&mut self, fd: c_int, registered: c_short) {
        self.del(fd, registered, registered);
    }
}

/// The C-layout operations table of a backend type.
pub const fn ops_for<B: Backend>() -> EventOp {
    EventOp {
        name: B::NAME.as_ptr(),
        init: Some(init_shim::<B>),
        add: Some(change_shim::<B, true>),
        del: Some(change_shim::<B, false>),
        dispatch: Some(dispatch_shim::<B>),
        dealloc: Some(dealloc_shim::<B>),
        need_reinit: B::NEED_REINIT as c_int,
        features: B::FEATURES,
        fdinfo_len: 0,
    }
}

unsafe extern "C" fn init_shim<B: Backend>(base: *mut EventBase) -> *mut c_void {
    // SAFETY: the base calls its table with itself.
    let base = unsafe { &*base };
    match B::init(base) {
        Some(state) => Box::into_raw(Box::new(state)).cast(),
        None => std::ptr::null_mut(),
    }
}

/// The state a base holds for backend `B`.
///
/// # Safety
/// `base.evbase` must have been produced by `init_shim::<B>` and not yet deallocated.
unsafe fn state<'a, B: Backend>(base: *mut EventBase) -> &'a mut B {
    // SAFETY: per the function contract, evbase is a live Box<B>; the base never reaches the
    // state through any other path while a backend operation runs.
    unsafe { &mut *(*base).backend_state().cast::<B>() }
}

/// `add` (ADD = true) or `del` of backend `B`, with the table's C signature.
unsafe extern "C" fn change_shim<B: Backend, const ADD: bool>(
    base: *mut EventBase,
    fd: c_int,
    old: c_short,
    events: c_short,
    _fdinfo: *mut c_void,
) -> c_int {
    // SAFETY: the base calls the table it initialised.
    let st = unsafe { state::<B>(base) };
    if ADD {
        st.add(fd, old, events)
    } else {
        st.del(fd, old, events)
    }
}

#[inline]
unsafe extern "C" fn dispatch_shim<B: Backend>(base: *mut EventBase, tv: *mut timeval) -> c_int {
    // SAFETY: the base calls the table it initialised; tv is NULL or points to a timeval.
    let timeout = unsafe { tv.as_ref() };
    // SAFETY: as above; the state is a separate allocation from the base.
    let st = unsafe { state::<B>(base) };
    // SAFETY: the base is live for the duration of dispatch.
    st.dispatch(unsafe { &mut *base }, timeout)
}

/// Runs the base's backend once (the loop's call every iteration): through its table, except
/// that our own epoll tables are called directly, so that this call inlines into the loop.
///
/// # Safety
/// `base` must be live, its backend initialised; `tv` null or a valid timeval.
#[inline(always)]
pub unsafe fn dispatch(base: *mut EventBase, tv: *mut timeval) -> c_int {
    // SAFETY: live base (contract).
    let ops: &'static EventOp = unsafe { (*base).evsel() };
    if std::ptr::eq(ops, &epollops) || std::ptr::eq(ops, &epoll::EPOLL_CHANGELIST_OPS) {
        // SAFETY: the base's state was made by this table's init, the epoll one (contract).
        return unsafe { dispatch_shim::<epoll::Epoll>(base, tv) };
    }
    let table_dispatch = ops.dispatch.expect("real backends dispatch");
    // SAFETY: the backend's own table and state (contract).
    unsafe { table_dispatch(base, tv) }
}

/// Runs `$call` with `$st` bound to the base's backend state when its table is one of ours.
/// What the trait has beyond `struct eventop` (whose layout is upstream's) is reached this way:
/// our tables are recognised by address; any other (the stand-in during `event_reinit`) has
/// none of it.
macro_rules! on_our_backend {
    ($base:expr, $st:ident => $call:expr) => {{
        let ops: &'static EventOp = $base.evsel();
        let me: *mut EventBase = $base;
        // SAFETY: each of our tables' state was made by its own init (the base calls the
        // table it initialised).
        unsafe {
            if std::ptr::eq(ops, &epollops) || std::ptr::eq(ops, &epoll::EPOLL_CHANGELIST_OPS) {
                let $st = state::<epoll::Epoll>(me);
                $call;
            } else if std::ptr::eq(ops, &pollops) {
                let $st = state::<poll::Poll>(me);
                $call;
            } else if std::ptr::eq(ops, &selectops) {
                let $st = state::<select::Select>(me);
                $call;
            }
        }
    }};
}

/// Passes `Backend::fds_shrunk` to the base's backend.
pub fn fds_shrunk(base: &mut EventBase, len: usize) {
    on_our_backend!(base, st => st.fds_shrunk(len));
}

/// Passes `Backend::fd_closed` to the base's backend.
pub fn fd_closed(base: &mut EventBase, fd: c_int, registered: c_short) {
    on_our_backend!(base, st => st.fd_closed(fd, registered));
}

unsafe extern "C" fn dealloc_shim<B: Backend>(base: *mut EventBase) {
    // SAFETY: the base calls dealloc once, with the state init produced.
    let p = unsafe { (*base).backend_state() };
    if !p.is_null() {
        // SAFETY: p came from Box::into_raw in init_shim::<B>.
        drop(unsafe { Box::from_raw(p.cast::<B>()) });
    }
}

/// Runs a backend's blocking wait with the base lock released, so other threads can add events
/// meanwhile. Returns the number of ready fds; an interrupted wait counts as none ready, any
/// other failure is logged and gives None.
#[inline(always)]
pub fn wait_unlocked(base: &EventBase, what: &'static str, wait: impl FnOnce() -> c_int) -> Option<usize> {
    base.release_lock();
    let n = wait();
    let err = if n < 0 { crate::mm::errno() } else { 0 };
    base.acquire_lock();
    if n >= 0 {
        return Some(n as usize);
    }
    wait_failed(what, err)
}

/// The failure half of `wait_unlocked`, out of the loop's way.
#[cold]
fn wait_failed(what: &str, err: c_int) -> Option<usize> {
    if err == libc::EINTR {
        return Some(0);
    }
    crate::mm::set_errno(err);
    warn_errno!("{}", what);
    None
}

/// Milliseconds for a poll-style timeout, rounded up so we never wake early.
pub fn timeout_ms(timeout: Option<&timeval>, cap_ms: i64) -> c_int {
    match timeout {
        None => -1,
        // The non-blocking poll of every loop iteration with work pending.
        Some(&timeval { tv_sec: 0, tv_usec: 0 }) => 0,
        Some(tv) => {
            let ms = tv.tv_sec.saturating_mul(1000).saturating_add((tv.tv_usec + 999) / 1000);
            ms.clamp(0, cap_ms) as c_int
        }
    }
}

#[no_mangle]
pub static epollops: EventOp = ops_for::<epoll::Epoll>();
#[no_mangle]
pub static pollops: EventOp = ops_for::<poll::Poll>();
#[no_mangle]
pub static selectops: EventOp = ops_for::<select::Select>();

/// Stands in for the real backend while `event_reinit` unlinks the notification events of a
/// backend shared with the parent process: deleting must not touch the parent's kernel state.
#[no_mangle]
pub static nil_eventop: EventOp = EventOp {
    name: c"nil".as_ptr(),
    init: None,
    add: None,
    del: Some(nil_del),
    dispatch: None,
    dealloc: None,
    need_reinit: 0,
    features: 0,
    fdinfo_len: 0,
};

unsafe extern "C" fn nil_del(_: *mut EventBase, _: c_int, _: c_short, _: c_short, _: *mut c_void) -> c_int {
    0
}

/// The backends in upstream's order of preference on Linux.
pub fn all() -> [&'static EventOp; 3] {
    [&epollops, &pollops, &selectops]
}
