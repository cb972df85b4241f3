//! Threading support (`event2/thread.h`): the user-installable lock, condition and thread-id
//! callbacks, lock debugging, and the small Rust API the event loop uses to lock its bases.
//!
//! The callback tables are exported data objects (`evthread_lock_fns_`, `evthread_cond_fns_`,
//! `evthread_id_fn_`, `evthread_lock_debugging_enabled_`) because upstream's internal macros,
//! which its regression tests compile, call straight through them. Their contents therefore keep
//! upstream's meaning at all times:
//! - `evthread_lock_fns_` / `evthread_cond_fns_` hold what every lock user calls. With lock
//!   debugging on they hold the checking wrappers of [`debug`], and the callbacks the user
//!   installed live in private "real" tables the wrappers forward to.
//! - A lock is whatever pointer `evthread_lock_fns_.alloc` returned; NULL means "no locking".
//!
//! The tables are read through the exported symbols (volatile reads through the address rustc
//! takes via the GOT), so a PIE program that copy-relocated them and the library agree.
//! Installation is not synchronised, as upstream's is not: callbacks are set up before threads
//! use libevent.

// Locks and conditions are opaque pointers made by the installed callbacks; the functions taking
// them are safe to call with any pointer those callbacks returned (or null), as the event loop
// does, so they are not `unsafe fn` even though they hand the pointers to C.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod debug;
mod pthreads;

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use pthreads::use_pthreads;

/// A lock made by the installed lock callbacks; null means locking is not in use.
pub type RawLock = *mut c_void;
/// A condition variable made by the installed condition callbacks; null means none.
pub type RawCond = *mut c_void;

/// `EVTHREAD_LOCKTYPE_RECURSIVE`: the lock may be taken again by the thread holding it.
pub const LOCKTYPE_RECURSIVE: u32 = 1;
/// `EVTHREAD_LOCKTYPE_READWRITE`: a shared/exclusive lock (locked with LOCK_READ or LOCK_WRITE).
pub const LOCKTYPE_READWRITE: u32 = 2;
/// `EVTHREAD_WRITE`: exclusive mode of a read-write lock.
pub const LOCK_WRITE: u32 = 4;
/// `EVTHREAD_READ`: shared mode of a read-write lock.
pub const LOCK_READ: u32 = 8;
/// `EVTHREAD_TRY`: fail with nonzero instead of blocking when the lock is taken.
pub const LOCK_TRY: u32 = 16;
/// `EVTHREAD_LOCK_API_VERSION`.
pub const LOCK_API_VERSION: c_int = 1;
/// `EVTHREAD_CONDITION_API_VERSION`.
pub const CONDITION_API_VERSION: c_int = 1;

pub type LockAllocFn = unsafe extern "C" fn(locktype: c_uint) -> *mut c_void;
pub type LockFreeFn = unsafe extern "C" fn(lock: *mut c_void, locktype: c_uint);
pub type LockLockFn = unsafe extern "C" fn(mode: c_uint, lock: *mut c_void) -> c_int;
pub type CondAllocFn = unsafe extern "C" fn(condtype: c_uint) -> *mut c_void;
pub type CondFreeFn = unsafe extern "C" fn(cond: *mut c_void);
pub type CondSignalFn = unsafe extern "C" fn(cond: *mut c_void, broadcast: c_int) -> c_int;
pub type CondWaitFn =
    unsafe extern "C" fn(cond: *mut c_void, lock: *mut c_void, timeout: *const libc::timeval) -> c_int;
pub type IdFn = unsafe extern "C" fn() -> c_ulong;

/// `struct evthread_lock_callbacks`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LockCallbacks {
    pub lock_api_version: c_int,
    pub supported_locktypes: c_uint,
    pub alloc: Option<LockAllocFn>,
    pub free: Option<LockFreeFn>,
    pub lock: Option<LockLockFn>,
    pub unlock: Option<LockLockFn>,
}

/// `struct evthread_condition_callbacks`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConditionCallbacks {
    pub condition_api_version: c_int,
    pub alloc_condition: Option<CondAllocFn>,
    pub free_condition: Option<CondFreeFn>,
    pub signal_condition: Option<CondSignalFn>,
    pub wait_condition: Option<CondWaitFn>,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<LockCallbacks>() == 40 && align_of::<LockCallbacks>() == 8);
    assert!(offset_of!(LockCallbacks, supported_locktypes) == 4);
    assert!(offset_of!(LockCallbacks, alloc) == 8);
    assert!(offset_of!(LockCallbacks, free) == 16);
    assert!(offset_of!(LockCallbacks, lock) == 24);
    assert!(offset_of!(LockCallbacks, unlock) == 32);
    assert!(size_of::<ConditionCallbacks>() == 40 && align_of::<ConditionCallbacks>() == 8);
    assert!(offset_of!(ConditionCallbacks, alloc_condition) == 8);
    assert!(offset_of!(ConditionCallbacks, free_condition) == 16);
    assert!(offset_of!(ConditionCallbacks, signal_condition) == 24);
    assert!(offset_of!(ConditionCallbacks, wait_condition) == 32);
    assert!(size_of::<Option<IdFn>>() == size_of::<*const c_void>());
};

/// Function pointers compared by address: "the same callback" in upstream's sense.
fn same_fn<F: Copy>(a: Option<F>, b: Option<F>, addr: fn(F) -> usize) -> bool {
    a.map(addr) == b.map(addr)
}

impl LockCallbacks {
    pub const NONE: LockCallbacks = LockCallbacks {
        lock_api_version: 0,
        supported_locktypes: 0,
        alloc: None,
        free: None,
        lock: None,
        unlock: None,
    };

    fn is_complete(&self) -> bool {
        self.alloc.is_some() && self.free.is_some() && self.lock.is_some() && self.unlock.is_some()
    }

    fn same_as(&self, other: &LockCallbacks) -> bool {
        self.lock_api_version == other.lock_api_version
            && self.supported_locktypes == other.supported_locktypes
            && same_fn(self.alloc, other.alloc, |f| f as usize)
            && same_fn(self.free, other.free, |f| f as usize)
            && same_fn(self.lock, other.lock, |f| f as usize)
            && same_fn(self.unlock, other.unlock, |f| f as usize)
    }
}

impl ConditionCallbacks {
    pub const NONE: ConditionCallbacks = ConditionCallbacks {
        condition_api_version: 0,
        alloc_condition: None,
        free_condition: None,
        signal_condition: None,
        wait_condition: None,
    };

    fn is_complete(&self) -> bool {
        self.alloc_condition.is_some()
            && self.free_condition.is_some()
            && self.signal_condition.is_some()
            && self.wait_condition.is_some()
    }

    fn same_as(&self, other: &ConditionCallbacks) -> bool {
        self.condition_api_version == other.condition_api_version
            && same_fn(self.alloc_condition, other.alloc_condition, |f| f as usize)
            && same_fn(self.free_condition, other.free_condition, |f| f as usize)
            && same_fn(self.signal_condition, other.signal_condition, |f| f as usize)
            && same_fn(self.wait_condition, other.wait_condition, |f| f as usize)
    }
}

// ---- The exported tables -------------------------------------------------------------------

/// The lock callbacks every lock user calls (the debug wrappers while lock debugging is on).
#[no_mangle]
pub static mut evthread_lock_fns_: LockCallbacks = LockCallbacks::NONE;

/// The condition callbacks every condition user calls (with the debug wait while debugging).
#[no_mangle]
pub static mut evthread_cond_fns_: ConditionCallbacks = ConditionCallbacks::NONE;

/// Returns the calling thread's id; NULL when no id callback is installed.
#[no_mangle]
pub static mut evthread_id_fn_: Option<IdFn> = None;

/// Nonzero while lock debugging is on.
#[no_mangle]
pub static mut evthread_lock_debugging_enabled_: c_int = 0;

// The callbacks the user installed, while the debug wrappers stand in front of them. Private:
// only `evthread_get_*_callbacks` hands out their addresses.
static mut REAL_LOCK_FNS: LockCallbacks = LockCallbacks::NONE;
static mut REAL_COND_FNS: ConditionCallbacks = ConditionCallbacks::NONE;

fn lock_fns() -> LockCallbacks {
    // SAFETY: a plain read of the exported table through its symbol; writers are the setup
    // functions, which the API requires to run before other threads use locks.
    unsafe { ptr::read_volatile(&raw const evthread_lock_fns_) }
}

fn cond_fns() -> ConditionCallbacks {
    // SAFETY: as in lock_fns.
    unsafe { ptr::read_volatile(&raw const evthread_cond_fns_) }
}

fn id_fn() -> Option<IdFn> {
    // SAFETY: a plain pointer-sized read of the exported symbol.
    unsafe { ptr::read_volatile(&raw const evthread_id_fn_) }
}

/// True while lock debugging is on.
pub fn lock_debugging_enabled() -> bool {
    // SAFETY: a plain int read of the exported symbol.
    unsafe { ptr::read_volatile(&raw const evthread_lock_debugging_enabled_) != 0 }
}

fn real_lock_fns() -> LockCallbacks {
    // SAFETY: a plain read of a private static, written only by the setup functions.
    unsafe { ptr::read_volatile(&raw const REAL_LOCK_FNS) }
}

fn real_cond_fns() -> ConditionCallbacks {
    // SAFETY: as in real_lock_fns.
    unsafe { ptr::read_volatile(&raw const REAL_COND_FNS) }
}

/// The lock table the user's callbacks live in: the real table behind the debug wrappers while
/// debugging is on, the exported table otherwise. What `evthread_get_lock_callbacks` returns.
pub fn user_lock_table() -> *mut LockCallbacks {
    if lock_debugging_enabled() {
        &raw mut REAL_LOCK_FNS
    } else {
        &raw mut evthread_lock_fns_
    }
}

/// The condition table the user's callbacks live in (see [`user_lock_table`]).
pub fn user_cond_table() -> *mut ConditionCallbacks {
    if lock_debugging_enabled() {
        &raw mut REAL_COND_FNS
    } else {
        &raw mut evthread_cond_fns_
    }
}

// ---- Installing callbacks ------------------------------------------------------------------

// The event core's "is it too late to install thread callbacks?" test (event debug mode on and a
// base already created), stored as a `fn() -> bool` address; 0 = never too late.
static LATE_SETUP_CHECK: AtomicUsize = AtomicUsize::new(0);

/// Registers the event core's check that thread callbacks are installed before anything else:
/// once it returns true, installing lock or condition callbacks is a fatal error, as upstream's
/// event debug mode makes it. The event core registers it when debug mode is switched on.
pub fn set_late_setup_check(check: fn() -> bool) {
    LATE_SETUP_CHECK.store(check as usize, Ordering::Release);
}

fn refuse_late_setup() {
    let check = LATE_SETUP_CHECK.load(Ordering::Acquire);
    if check == 0 {
        return;
    }
    // SAFETY: only `fn() -> bool` addresses are stored in LATE_SETUP_CHECK.
    let check = unsafe { std::mem::transmute::<usize, fn() -> bool>(check) };
    if check() {
        crate::log::errx(1, format_args!("evthread: thread callbacks must be set up before any event_base exists"));
    }
}

/// What a callback table must answer to be installed by [`install`].
trait CallbackTable: Copy {
    const NONE: Self;
    /// Lock or condition: for messages.
    const KIND: &'static str;
    fn is_installed(&self) -> bool;
    fn is_complete(&self) -> bool;
    fn same_as(&self, other: &Self) -> bool;
}

impl CallbackTable for LockCallbacks {
    const NONE: Self = LockCallbacks::NONE;
    const KIND: &'static str = "lock";
    fn is_installed(&self) -> bool {
        self.alloc.is_some()
    }
    fn is_complete(&self) -> bool {
        LockCallbacks::is_complete(self)
    }
    fn same_as(&self, other: &Self) -> bool {
        LockCallbacks::same_as(self, other)
    }
}

impl CallbackTable for ConditionCallbacks {
    const NONE: Self = ConditionCallbacks::NONE;
    const KIND: &'static str = "condition";
    fn is_installed(&self) -> bool {
        self.alloc_condition.is_some()
    }
    fn is_complete(&self) -> bool {
        ConditionCallbacks::is_complete(self)
    }
    fn same_as(&self, other: &Self) -> bool {
        ConditionCallbacks::same_as(self, other)
    }
}

/// How [`install`] treated a table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Install {
    Cleared,
    /// The same callbacks were already installed.
    Unchanged,
    /// Different callbacks were already installed; they stay.
    Refused,
    /// Some callback was missing; nothing changed.
    Incomplete,
    Installed,
}

/// Upstream's rules for installing callbacks into `target` (the user table): `None` clears it;
/// over installed callbacks only the identical table is accepted; a table needs every callback.
fn install<T: CallbackTable>(target: *mut T, cbs: Option<&T>) -> Install {
    refuse_late_setup();
    // SAFETY: target is one of our statics; setup runs before threads use the tables.
    let current = unsafe { ptr::read_volatile(target) };
    let Some(cbs) = cbs else {
        if current.is_installed() {
            warnx!("evthread: clearing {} callbacks that are already in use will likely break things", T::KIND);
        }
        // SAFETY: as above.
        unsafe { ptr::write_volatile(target, T::NONE) };
        return Install::Cleared;
    };
    if current.is_installed() {
        if current.same_as(cbs) {
            return Install::Unchanged;
        }
        warnx!("evthread: {} callbacks are already installed and cannot be replaced", T::KIND);
        return Install::Refused;
    }
    if !cbs.is_complete() {
        return Install::Incomplete;
    }
    // SAFETY: as above.
    unsafe { ptr::write_volatile(target, *cbs) };
    Install::Installed
}

/// `evthread_set_lock_callbacks`: installs `cbs`, or clears the callbacks when `None`.
/// Installing different callbacks over existing ones is refused (-1); the same ones again is 0.
pub fn set_lock_callbacks(cbs: Option<&LockCallbacks>) -> c_int {
    match install(user_lock_table(), cbs) {
        Install::Cleared | Install::Unchanged => 0,
        Install::Refused | Install::Incomplete => -1,
        Install::Installed => global_setup_locks(true),
    }
}

/// `evthread_set_condition_callbacks`: installs `cbs`, or clears them when `None`. Incomplete
/// tables are ignored (with result 0, as upstream); replacing installed ones is refused (-1).
pub fn set_condition_callbacks(cbs: Option<&ConditionCallbacks>) -> c_int {
    let outcome = install(user_cond_table(), cbs);
    if let (Install::Installed, Some(cbs), true) = (outcome, cbs, lock_debugging_enabled()) {
        // Behind the debug layer only waiting is wrapped; the rest is called directly.
        let exported = ConditionCallbacks { wait_condition: cond_fns().wait_condition, ..*cbs };
        // SAFETY: a write of the exported table during setup.
        unsafe { ptr::write_volatile(&raw mut evthread_cond_fns_, exported) };
    }
    if outcome == Install::Refused {
        -1
    } else {
        0
    }
}

/// `evthread_set_id_callback`.
pub fn set_id_callback(id: Option<IdFn>) {
    // SAFETY: a pointer-sized write of the exported symbol during setup.
    unsafe { ptr::write_volatile(&raw mut evthread_id_fn_, id) };
}

/// `evthread_enable_lock_debugging`: puts the checking wrappers in front of the installed lock
/// callbacks (or in place of none) and wraps condition waits. Works before or after callbacks
/// are installed: ones installed later go behind the wrappers. A second call does nothing.
pub fn enable_lock_debugging() {
    if lock_debugging_enabled() {
        return;
    }
    // After evthreadimpl_disable_lock_debugging_ the wrappers may still be installed; the real
    // callbacks behind them must then stay, or the wrappers would end up calling themselves.
    let exported_locks = lock_fns();
    if !debug::is_debug_lock_table(&exported_locks) {
        // SAFETY: a write of a private static during setup.
        unsafe { ptr::write_volatile(&raw mut REAL_LOCK_FNS, exported_locks) };
    }
    let mut exported_conds = cond_fns();
    if debug::is_debug_cond_wait(exported_conds.wait_condition) {
        exported_conds.wait_condition = real_cond_fns().wait_condition;
    }
    // SAFETY: writes of a private static and the exported tables during setup.
    unsafe {
        ptr::write_volatile(&raw mut REAL_COND_FNS, exported_conds);
        ptr::write_volatile(&raw mut evthread_lock_fns_, debug::LOCK_CALLBACKS);
        ptr::write_volatile(&raw mut evthread_cond_fns_.wait_condition, Some(debug::cond_wait as CondWaitFn));
        ptr::write_volatile(&raw mut evthread_lock_debugging_enabled_, 1);
    }
    global_setup_locks(false);
}

/// `evthreadimpl_disable_lock_debugging_` (libevent_global_shutdown calls it): clears the flag
/// only; the wrappers stay installed so locks made under them keep working.
pub fn disable_lock_debugging() {
    // SAFETY: an int write of the exported symbol.
    unsafe { ptr::write_volatile(&raw mut evthread_lock_debugging_enabled_, 0) };
}

/// `event_global_setup_locks_`: upstream makes or wraps the locks of its C globals here whenever
/// locking or lock debugging is switched on. Our globals are guarded by Rust's own
/// synchronisation, which needs no callbacks, so there is nothing to set up.
pub fn global_setup_locks(_enable_locks: bool) -> c_int {
    0
}

pub use debug::{is_held as debug_lock_is_held, real_lock as debug_real_lock, setup_global_lock};

// ---- The API the event loop uses -----------------------------------------------------------

/// True when lock callbacks (or the lock debugging wrappers) are installed.
pub fn locking_enabled() -> bool {
    // SAFETY: a pointer-sized read of a field of the exported table.
    unsafe { ptr::read_volatile(&raw const evthread_lock_fns_.lock) }.is_some()
}

/// Makes a lock of `locktype` (LOCKTYPE_*); null when locking is not enabled or allocation fails.
pub fn alloc_lock(locktype: u32) -> RawLock {
    match lock_fns().alloc {
        // SAFETY: calling the installed allocation callback with a lock type.
        Some(alloc) => unsafe { alloc(locktype) },
        None => ptr::null_mut(),
    }
}

/// Frees a lock made by [`alloc_lock`] with the same `locktype`; nothing for null.
pub fn free_lock(lock: RawLock, locktype: u32) {
    if lock.is_null() {
        return;
    }
    if let Some(free) = lock_fns().free {
        // SAFETY: lock came from the installed alloc callback (caller's contract).
        unsafe { free(lock, locktype) };
    }
}

/// Takes `lock` in `mode` (0, or LOCK_READ/LOCK_WRITE for read-write locks); nothing for null.
#[inline]
pub fn lock(lock: RawLock, mode: u32) {
    if lock.is_null() {
        return;
    }
    lock_slow(lock, mode);
}

fn lock_slow(lock: RawLock, mode: u32) {
    // SAFETY: a pointer-sized read of a field of the exported table.
    if let Some(f) = unsafe { ptr::read_volatile(&raw const evthread_lock_fns_.lock) } {
        // SAFETY: lock came from the installed alloc callback (caller's contract).
        unsafe { f(mode, lock) };
    }
}

/// Releases `lock` taken with [`lock`] in the same `mode`; nothing for null.
#[inline]
pub fn unlock(lock: RawLock, mode: u32) {
    if lock.is_null() {
        return;
    }
    unlock_slow(lock, mode);
}

fn unlock_slow(lock: RawLock, mode: u32) {
    // SAFETY: a pointer-sized read of a field of the exported table.
    if let Some(f) = unsafe { ptr::read_volatile(&raw const evthread_lock_fns_.unlock) } {
        // SAFETY: lock came from the installed alloc callback and is held (caller's contract).
        unsafe { f(mode, lock) };
    }
}

/// Tries to take `lock` without blocking: true when taken (always for null, like upstream).
pub fn try_lock(lock: RawLock) -> bool {
    if lock.is_null() {
        return true;
    }
    match lock_fns().lock {
        // SAFETY: lock came from the installed alloc callback (caller's contract).
        Some(f) => (unsafe { f(LOCK_TRY, lock) }) == 0,
        None => true,
    }
}

/// Makes a condition variable; null when condition callbacks are not installed.
pub fn alloc_cond() -> RawCond {
    match cond_fns().alloc_condition {
        // SAFETY: calling the installed condition allocator with condition type 0.
        Some(alloc) => unsafe { alloc(0) },
        None => ptr::null_mut(),
    }
}

/// Frees a condition variable from [`alloc_cond`]; nothing for null.
pub fn free_cond(c: RawCond) {
    if c.is_null() {
        return;
    }
    if let Some(free) = cond_fns().free_condition {
        // SAFETY: c came from the installed condition allocator (caller's contract).
        unsafe { free(c) };
    }
}

/// Wakes one waiter of `c`, or all of them with `broadcast`; nothing for null.
pub fn cond_signal(c: RawCond, broadcast: bool) {
    if c.is_null() {
        return;
    }
    if let Some(signal) = cond_fns().signal_condition {
        // SAFETY: c came from the installed condition allocator (caller's contract).
        unsafe { signal(c, c_int::from(broadcast)) };
    }
}

/// Waits on `c`, releasing `lock` (held by the caller) meanwhile and holding it again on return.
/// Returns 0 when woken, 1 when `timeout` passed first, -1 on error; 0 at once for a null `c`.
pub fn cond_wait(c: RawCond, lock: RawLock, timeout: Option<&libc::timeval>) -> c_int {
    if c.is_null() {
        return 0;
    }
    match cond_fns().wait_condition {
        // SAFETY: c and lock came from the installed allocators and lock is held (caller's
        // contract); the timeout pointer is valid for the call or null.
        Some(wait) => unsafe { wait(c, lock, timeout.map_or(ptr::null(), |t| t as *const libc::timeval)) },
        None => 0,
    }
}

/// The calling thread's id from the installed id callback; 0 when there is none (upstream's
/// internal EVTHREAD_GET_ID says 1 in that case; no real thread id is 0 either way).
pub fn current_thread_id() -> c_ulong {
    thread_id().unwrap_or(0)
}

/// The calling thread's id, or None when no id callback is installed.
fn thread_id() -> Option<c_ulong> {
    // SAFETY: calling the installed id callback, which takes no arguments.
    id_fn().map(|id| unsafe { id() })
}

/// Recursive locks with several owners (a bufferevent and its two buffers, the two ends of a
/// pair), each lock with its count of owners: the last owner to let go frees it. A buffer may
/// outlive its bufferevent (another buffer references its chains, or the program holds a
/// reference), and must not then lock a freed lock (upstream issue 1842).
///
/// By lock address: how many owners it has. A map, not a list: a program may hold thousands of
/// thread-safe bufferevents, each creating and releasing its lock through here.
static SHARED_LOCKS: std::sync::Mutex<Option<std::collections::HashMap<usize, usize>>> = std::sync::Mutex::new(None);

fn with_shared_locks<R>(f: impl FnOnce(&mut std::collections::HashMap<usize, usize>) -> R) -> R {
    // A poisoned guard cannot happen (panics abort); take the data either way.
    let mut guard = SHARED_LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Default::default))
}

/// A new recursive lock with one owner, the caller (null when locking is not enabled).
pub fn alloc_shared_lock() -> RawLock {
    let lock = alloc_lock(LOCKTYPE_RECURSIVE);
    if !lock.is_null() {
        with_shared_locks(|m| m.insert(lock as usize, 1));
    }
    lock
}

/// One more owner of `lock` if it is a shared lock; nothing for other locks.
pub fn retain_shared_lock(lock: RawLock) {
    if lock.is_null() {
        return;
    }
    with_shared_locks(|m| {
        if let Some(owners) = m.get_mut(&(lock as usize)) {
            *owners += 1;
        }
    });
}

/// One owner fewer of `lock` if it is a shared lock, freeing it with the last; nothing for
/// other locks. The caller must not hold it.
pub fn release_shared_lock(lock: RawLock) {
    if lock.is_null() {
        return;
    }
    let last = with_shared_locks(|m| match m.get_mut(&(lock as usize)) {
        Some(owners) if *owners <= 1 => {
            m.remove(&(lock as usize));
            true
        }
        Some(owners) => {
            *owners -= 1;
            false
        }
        None => false,
    });
    if last {
        free_lock(lock, LOCKTYPE_RECURSIVE);
    }
}

/// Whether the calling thread holds `lock`: true unless lock debugging is on and its records
/// show otherwise (null locks and locks that are not debug locks count as held).
pub fn is_lock_held(lock: RawLock) -> bool {
    if lock.is_null() || !lock_debugging_enabled() {
        return true;
    }
    debug::is_held_if_debug_lock(lock)
}

#[cfg(test)]
mod tests;
