//! Requests: `evhttp_request_new`/`free`/`own`/`is_owned`, the `set_*_cb` setters and every
//! `evhttp_request_get_*` accessor.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use crate::buffer::Evbuffer;
use crate::http::api::*;
use crate::http::connection::{self, Connection};
use crate::http::headers::KeyValQ;
use crate::http::request;
use crate::http::uri::Uri;

/// The request behind a C handle, or a warning and `$ret` for NULL.
macro_rules! req_arg {
    ($req:expr, (), $func:literal) => {{
        ensure_arg!(!$req.is_null(), (), concat!($func, ": NULL request"));
        // SAFETY: a non-NULL request handle the program has not freed (the C API's contract).
        unsafe { &mut *$req }
    }};
    ($req:expr, $ret:expr, $func:literal) => {{
        ensure_arg!(!$req.is_null(), $ret, concat!($func, ": NULL request"));
        // SAFETY: a non-NULL request handle the program has not freed (the C API's contract).
        unsafe { &mut *$req }
    }};
}

#[no_mangle]
pub extern "C" fn evhttp_request_new(cb: Option<RequestCb>, arg: *mut c_void) -> *mut Request {
    let req = request::new(cb, arg);
    if req.is_null() {
        warnx!("evhttp_request_new: out of memory");
    }
    req
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_free(req: *mut Request) {
    let r = req_arg!(req, (), "evhttp_request_free");
    // A request freed while still on its connection leaves it first, so that the connection
    // never reaches a freed request. (During a chunk callback the free is deferred, and the
    // reader does this itself.)
    if !r.evcon.is_null() && r.flags & EVHTTP_REQ_DEFER_FREE == 0 {
        // SAFETY: evcon is cleared whenever a connection drops a request it does not free.
        unsafe { connection::forget_request(r.evcon, req) };
    }
    // SAFETY: a live request.
    unsafe { request::free(req) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_own(req: *mut Request) {
    req_arg!(req, (), "evhttp_request_own").flags |= EVHTTP_USER_OWNED;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_is_owned(req: *mut Request) -> c_int {
    c_int::from(req_arg!(req, 0, "evhttp_request_is_owned").flags & EVHTTP_USER_OWNED != 0)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_chunked_cb(req: *mut Request, cb: Option<RequestCb>) {
    req_arg!(req, (), "evhttp_request_set_chunked_cb").chunk_cb = cb;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_header_cb(req: *mut Request, cb: Option<HeaderCb>) {
    req_arg!(req, (), "evhttp_request_set_header_cb").header_cb = cb;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_error_cb(req: *mut Request, cb: Option<ErrorCb>) {
    req_arg!(req, (), "evhttp_request_set_error_cb").error_cb = cb;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_on_complete_cb(req: *mut Request, cb: Option<RequestCb>, arg: *mut c_void) {
    let r = req_arg!(req, (), "evhttp_request_set_on_complete_cb");
    r.on_complete_cb = cb;
    r.on_complete_cb_arg = arg;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_connection(req: *mut Request) -> *mut Connection {
    req_arg!(req, ptr::null_mut(), "evhttp_request_get_connection").evcon
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_uri(req: *const Request) -> *const c_char {
    req_arg!(req.cast_mut(), ptr::null(), "evhttp_request_get_uri").uri
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_evhttp_uri(req: *const Request) -> *const Uri {
    req_arg!(req.cast_mut(), ptr::null(), "evhttp_request_get_evhttp_uri").uri_elems
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_host(req: *mut Request) -> *const c_char {
    ensure_arg!(!req.is_null(), ptr::null(), "evhttp_request_get_host: NULL request");
    // SAFETY: a live request.
    unsafe { request::host(req) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_command(req: *const Request) -> u32 {
    req_arg!(req.cast_mut(), 0, "evhttp_request_get_command").type_
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_response_code(req: *const Request) -> c_int {
    req_arg!(req.cast_mut(), -1, "evhttp_request_get_response_code").response_code
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_response_code_line(req: *const Request) -> *const c_char {
    req_arg!(req.cast_mut(), ptr::null(), "evhttp_request_get_response_code_line").response_code_line
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_input_headers(req: *mut Request) -> *mut KeyValQ {
    req_arg!(req, ptr::null_mut(), "evhttp_request_get_input_headers").input_headers
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_output_headers(req: *mut Request) -> *mut KeyValQ {
    req_arg!(req, ptr::null_mut(), "evhttp_request_get_output_headers").output_headers
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_input_buffer(req: *mut Request) -> *mut Evbuffer {
    req_arg!(req, ptr::null_mut(), "evhttp_request_get_input_buffer").input_buffer
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_output_buffer(req: *mut Request) -> *mut Evbuffer {
    req_arg!(req, ptr::null_mut(), "evhttp_request_get_output_buffer").output_buffer
}
