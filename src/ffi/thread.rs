//! Entry points of `event2/thread.h` and the evthread internals upstream's tests call.
//! The exported tables themselves (`evthread_lock_fns_`, ...) are defined in `crate::thread`.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;

use crate::thread::{self, ConditionCallbacks, IdFn, LockCallbacks};

#[no_mangle]
pub unsafe extern "C" fn evthread_set_lock_callbacks(cbs: *const LockCallbacks) -> c_int {
    // SAFETY: cbs is NULL or points to a struct evthread_lock_callbacks (caller's contract).
    thread::set_lock_callbacks(unsafe { cbs.as_ref() })
}

#[no_mangle]
pub unsafe extern "C" fn evthread_set_condition_callbacks(cbs: *const ConditionCallbacks) -> c_int {
    // SAFETY: cbs is NULL or points to a struct evthread_condition_callbacks (caller's contract).
    thread::set_condition_callbacks(unsafe { cbs.as_ref() })
}

#[no_mangle]
pub extern "C" fn evthread_set_id_callback(id_fn: Option<IdFn>) {
    thread::set_id_callback(id_fn);
}

#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    thread::use_pthreads()
}

#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {
    thread::enable_lock_debugging();
}

/// The old misspelled name, kept for binary compatibility.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {
    thread::enable_lock_debugging();
}

#[no_mangle]
pub extern "C" fn evthread_get_lock_callbacks() -> *mut LockCallbacks {
    thread::user_lock_table()
}

#[no_mangle]
pub extern "C" fn evthread_get_condition_callbacks() -> *mut ConditionCallbacks {
    thread::user_cond_table()
}

#[no_mangle]
pub extern "C" fn evthreadimpl_disable_lock_debugging_() {
    thread::disable_lock_debugging();
}

#[no_mangle]
pub extern "C" fn evthread_is_debug_lock_held_(lock: *mut c_void) -> c_int {
    ensure_arg!(!lock.is_null(), 0, "evthread_is_debug_lock_held_: NULL lock");
    c_int::from(thread::debug_lock_is_held(lock))
}

#[no_mangle]
pub extern "C" fn evthread_debug_get_real_lock_(lock: *mut c_void) -> *mut c_void {
    ensure_arg!(!lock.is_null(), ptr::null_mut(), "evthread_debug_get_real_lock_: NULL lock");
    thread::debug_real_lock(lock)
}

#[no_mangle]
pub extern "C" fn evthread_setup_global_lock_(lock: *mut c_void, locktype: c_uint, enable_locks: c_int) -> *mut c_void {
    thread::setup_global_lock(lock, locktype, enable_locks != 0)
}

#[no_mangle]
pub extern "C" fn event_global_setup_locks_(enable_locks: c_int) -> c_int {
    thread::global_setup_locks(enable_locks != 0)
}
