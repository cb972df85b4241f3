//! Header lists: `evhttp_add_header`, `evhttp_find_header`, `evhttp_remove_header`,
//! `evhttp_clear_headers`.

use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use crate::http::headers::{self, KeyValQ};

/// The bytes of a non-NULL C string argument.
///
/// # Safety
/// `s` is a valid NUL-terminated string that outlives the result.
pub(crate) unsafe fn arg_bytes<'a>(s: *const c_char) -> &'a [u8] {
    // SAFETY: caller's contract.
    unsafe { CStr::from_ptr(s) }.to_bytes()
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_header(headers: *mut KeyValQ, key: *const c_char, value: *const c_char) -> c_int {
    ensure_arg!(!headers.is_null() && !key.is_null() && !value.is_null(), -1, "evhttp_add_header: NULL argument");
    // SAFETY: non-NULL arguments; the list is a program's TAILQ (initialised: the C contract).
    match unsafe { headers::add(headers, arg_bytes(key), arg_bytes(value)) } {
        Ok(()) => 0,
        Err(headers::AddError::LineBreak) => {
            debugx!("evhttp_add_header: dropping a header with CR or LF");
            -1
        }
        Err(headers::AddError::OutOfMemory) => {
            warnx!("evhttp_add_header: out of memory");
            -1
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_find_header(headers: *const KeyValQ, key: *const c_char) -> *const c_char {
    ensure_arg!(!headers.is_null() && !key.is_null(), ptr::null(), "evhttp_find_header: NULL argument");
    // SAFETY: non-NULL arguments, consistent list (C contract).
    unsafe { headers::find(headers, arg_bytes(key)) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_header(headers: *mut KeyValQ, key: *const c_char) -> c_int {
    ensure_arg!(!headers.is_null() && !key.is_null(), -1, "evhttp_remove_header: NULL argument");
    // SAFETY: as above.
    if unsafe { headers::remove(headers, arg_bytes(key)) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_clear_headers(headers: *mut KeyValQ) {
    ensure_arg!(!headers.is_null(), (), "evhttp_clear_headers: NULL list");
    // SAFETY: non-NULL, consistent list (C contract).
    unsafe { headers::clear(headers) }
}
