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

