//! Lock debugging (`evthread_enable_lock_debugging`): wrappers installed in the exported lock
//! table that record, for every lock, how many times it is held and by which thread, and abort
//! (through the fatal-error path, like any broken invariant) when a lock is misused: released by
//! a thread that does not hold it, released more often than taken, taken again while held when it
//! is not recursive, freed while held, or locked in a mode that does not fit its type.
//!
//! A debug lock owns the real lock made by the user's callbacks, if any (always a recursive one,
//! so the wrapper rather than a deadlock reports a non-recursive lock taken twice).

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use super::{
    LockAllocFn,
    lock_debugging_enabled, thread_id, real_cond_fns, real_lock_fns, CondWaitFn, LockCallbacks,
    LOCKTYPE_READWRITE, LOCKTYPE_RECURSIVE, LOCK_API_VERSION, LOCK_READ, LOCK_WRITE,
};
use crate::mm;

/// First word of a live debug lock; lets us tell debug locks from other locks.
const LIVE_SIGNATURE: u32 = 0x7e57_10c5;
/// First word of a freed debug lock, so use after free trips the signature check.
const FREED_SIGNATURE: u32 = 0xdead_10c5;

#[repr(C)]
struct DebugLock {
    /// LIVE_SIGNATURE while allocated. First field: see `is_held_if_debug_lock`.
    signature: u32,
    locktype: u32,
    /// Id of the holding thread (when an id callback is installed), 0 when free. (A c_ulong:
    /// u64 on the 64-bit Linux targets we build for.)
    held_by: AtomicU64,
    /// How many times the lock is currently held (recursion included).
    count: AtomicI32,
    /// The lock made by the user's callbacks; null when only debugging is on.
    real: *mut c_void,
}

/// The wrappers as a lock table, installed in `evthread_lock_fns_` while debugging.
pub const LOCK_CALLBACKS: LockCallbacks = LockCallbacks {
    lock_api_version: LOCK_API_VERSION,
    supported_locktypes: LOCKTYPE_RECURSIVE,
    alloc: Some(alloc),
    free: Some(free),
    lock: Some(lock),
    unlock: Some(unlock),
};

/// Whether `table` is the debug wrappers' own table.
pub fn is_debug_lock_table(table: &LockCallbacks) -> bool {
    table.alloc.map(|f| f as usize) == Some(alloc as LockAllocFn as usize)
}

/// Whether `wait` is the debug wrapper of condition waits.
pub fn is_debug_cond_wait(wait: Option<CondWaitFn>) -> bool {
    wait.map(|f| f as usize) == Some(cond_wait as CondWaitFn as usize)
}

/// A new debug lock around `real` (which may be null), or null when out of memory.
fn new_debug_lock(locktype: u32, real: *mut c_void) -> *mut DebugLock {
    let d = mm::malloc(std::mem::size_of::<DebugLock>()).cast::<DebugLock>();
    if !d.is_null() {
        let init = DebugLock {
            signature: LIVE_SIGNATURE,
            locktype,
            held_by: AtomicU64::new(0),
            count: AtomicI32::new(0),
            real,
        };
        // SAFETY: d is a fresh allocation of DebugLock's size, suitably aligned by malloc.
        unsafe { d.write(init) };
    }
    d
}

/// The debug lock behind `lock`, aborting when it is null or not a live debug lock.
fn checked<'a>(lock: *mut c_void) -> &'a DebugLock {
    ev_assert!(!lock.is_null());
    // SAFETY: the lock tables only ever hand debug locks to these wrappers (caller's contract);
    // the signature check below catches freed or foreign ones that are still readable.
    let d = unsafe { &*lock.cast::<DebugLock>() };
    ev_assert!(d.signature == LIVE_SIGNATURE);
    d
}

/// Releases a debug lock's memory after poisoning it.
fn destroy(d: *mut DebugLock) {
    // SAFETY: d is a debug lock that nobody may use any more (caller's contract).
    unsafe { ptr::addr_of_mut!((*d).signature).write(FREED_SIGNATURE) };
    mm::free(d.cast());
}

fn check_mode(d: &DebugLock, mode: u32) {
    let rw_mode = mode & (LOCK_READ | LOCK_WRITE) != 0;
    if d.locktype & LOCKTYPE_READWRITE != 0 {
        ev_assert!(rw_mode);
    } else {
        ev_assert!(!rw_mode);
    }
}

fn mark_locked(d: &DebugLock) {
    let count = d.count.fetch_add(1, Ordering::Relaxed) + 1;
    if d.locktype & LOCKTYPE_RECURSIVE == 0 {
        ev_assert!(count == 1);
    }
    if let Some(me) = thread_id() {
        if count > 1 {
            ev_assert!(d.held_by.load(Ordering::Relaxed) == me);
        }
        d.held_by.store(me, Ordering::Relaxed);
    }
}

fn mark_unlocked(d: &DebugLock, mode: u32) {
    check_mode(d, mode);
    if let Some(me) = thread_id() {
        ev_assert!(d.held_by.load(Ordering::Relaxed) == me);
        if d.count.load(Ordering::Relaxed) == 1 {
            d.held_by.store(0, Ordering::Relaxed);
        }
    }
    let count = d.count.fetch_sub(1, Ordering::Relaxed) - 1;
    ev_assert!(count >= 0);
}

unsafe extern "C" fn alloc(locktype: c_uint) -> *mut c_void {
    let d = new_debug_lock(locktype, ptr::null_mut());
    if d.is_null() {
        return ptr::null_mut();
    }
    if let Some(real_alloc) = real_lock_fns().alloc {
        // SAFETY: calling the user's lock allocator with a lock type.
        let real = unsafe { real_alloc(locktype | LOCKTYPE_RECURSIVE) };
        if real.is_null() {
            destroy(d);
            return ptr::null_mut();
        }
        // SAFETY: d is the fresh debug lock made above.
        unsafe { (*d).real = real };
    }
    d.cast()
}

unsafe extern "C" fn free(lock: *mut c_void, locktype: c_uint) {
    let d = checked(lock);
    ev_assert!(d.count.load(Ordering::Relaxed) == 0);
    ev_assert!(locktype == d.locktype);
    if let (Some(real_free), false) = (real_lock_fns().free, d.real.is_null()) {
        // SAFETY: d.real came from the user's allocator with this lock type.
        unsafe { real_free(d.real, d.locktype | LOCKTYPE_RECURSIVE) };
    }
    destroy(lock.cast());
}

unsafe extern "C" fn lock(mode: c_uint, lock: *mut c_void) -> c_int {
    let d = checked(lock);
    check_mode(d, mode);
    let res = match (real_lock_fns().lock, d.real.is_null()) {
        // SAFETY: d.real came from the user's allocator.
        (Some(real_lock), false) => unsafe { real_lock(mode, d.real) },
        _ => 0,
    };
    if res == 0 {
        mark_locked(d);
    }
    res
}

unsafe extern "C" fn unlock(mode: c_uint, lock: *mut c_void) -> c_int {
    let d = checked(lock);
    mark_unlocked(d, mode);
    match (real_lock_fns().unlock, d.real.is_null()) {
        // SAFETY: d.real came from the user's allocator and is held by this thread.
        (Some(real_unlock), false) => unsafe { real_unlock(mode, d.real) },
        _ => 0,
    }
}

/// The debug wrapper of condition waits: checks that the caller holds the (debug) lock, and
/// keeps the records right while the real wait releases and retakes the real lock.
pub unsafe extern "C" fn cond_wait(cond: *mut c_void, lock: *mut c_void, timeout: *const libc::timeval) -> c_int {
    let d = checked(lock);
    if lock_debugging_enabled() {
        ev_assert!(is_held_record(d));
    }
    mark_unlocked(d, 0);
    let r = match real_cond_fns().wait_condition {
        // SAFETY: cond came from the user's condition allocator, d.real is the held real lock,
        // timeout is the caller's (valid or null).
        Some(real_wait) => unsafe { real_wait(cond, d.real, timeout) },
        None => -1,
    };
    mark_locked(d);
    r
}

fn is_held_record(d: &DebugLock) -> bool {
    if d.count.load(Ordering::Relaxed) == 0 {
        return false;
    }
    thread_id().is_none_or(|me| d.held_by.load(Ordering::Relaxed) == me)
}

/// `evthread_is_debug_lock_held_`: whether the calling thread holds debug lock `lock` (without
/// an id callback: whether anyone holds it).
pub fn is_held(lock: *mut c_void) -> bool {
    is_held_record(checked(lock))
}

/// Like [`is_held`], but true for a lock that is not a debug lock (one made before debugging
/// was switched on), about which the records say nothing.
pub fn is_held_if_debug_lock(lock: *mut c_void) -> bool {
    // SAFETY: every lock is an allocation of at least a word (a debug lock, a pthread mutex,
    // or the user's lock object), so its first u32 is readable.
    let first_word = unsafe { lock.cast::<u32>().read_unaligned() };
    if first_word != LIVE_SIGNATURE {
        return true;
    }
    is_held(lock)
}

/// `evthread_debug_get_real_lock_`: the user's lock inside debug lock `lock` (null if none).
pub fn real_lock(lock: *mut c_void) -> *mut c_void {
    checked(lock).real
}

/// `evthread_setup_global_lock_`: makes or converts a lock of a global when locking
/// (`enable_locks`) or lock debugging (not `enable_locks`) has just been switched on, and
/// returns the lock to use from now on (null on failure).
pub fn setup_global_lock(lock: *mut c_void, locktype: u32, enable_locks: bool) -> *mut c_void {
    let real_fns = real_lock_fns();
    if !enable_locks {
        let Some(real_free) = real_fns.free.filter(|_| real_fns.alloc.is_some()) else {
            // Debugging without locking: a debug lock with no real lock inside.
            ev_assert!(lock.is_null());
            // SAFETY: the debug allocator takes any lock type.
            return unsafe { alloc(locktype) };
        };
        // Debugging on top of locking: wrap the global's existing real lock.
        ev_assert!(!lock.is_null());
        if locktype & LOCKTYPE_RECURSIVE == 0 {
            // The wrapper needs a recursive real lock; swap in a fresh debug lock with one.
            // SAFETY: lock came from the user's allocator with this lock type.
            unsafe { real_free(lock, locktype) };
            // SAFETY: as above.
            return unsafe { alloc(locktype) };
        }
        let d = new_debug_lock(locktype, lock);
        if d.is_null() {
            // SAFETY: as above.
            unsafe { real_free(lock, locktype) };
        }
        return d.cast();
    }
    if !lock_debugging_enabled() {
        // Locking without debugging: a plain lock from the newly installed callbacks.
        ev_assert!(lock.is_null());
        return super::alloc_lock(locktype);
    }
    // Locking under debugging: give the global's debug lock a real lock if it has none.
    let d = if lock.is_null() {
        // SAFETY: the debug allocator takes any lock type.
        unsafe { alloc(locktype) }.cast::<DebugLock>()
    } else {
        lock.cast::<DebugLock>()
    };
    if d.is_null() {
        return ptr::null_mut();
    }
    ev_assert!(checked(d.cast()).locktype == locktype);
    // SAFETY: d is a live debug lock (checked above); globals are set up before threads run.
    if unsafe { (*d).real }.is_null() {
        let real = match real_fns.alloc {
            // SAFETY: calling the user's lock allocator with a lock type.
            Some(real_alloc) => unsafe { real_alloc(locktype | LOCKTYPE_RECURSIVE) },
            None => ptr::null_mut(),
        };
        if real.is_null() {
            destroy(d);
            return ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { (*d).real = real };
    }
    d.cast()
}

/// The recorded holder (0 when none or untracked) and hold count of debug lock `lock`.
#[cfg(test)]
pub fn holder_and_count(lock: *mut c_void) -> (std::ffi::c_ulong, i32) {
    let d = checked(lock);
    (d.held_by.load(Ordering::Relaxed), d.count.load(Ordering::Relaxed))
}
