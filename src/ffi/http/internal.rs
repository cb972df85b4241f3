//! Upstream's internal evhttp entry points (http-internal.h) that its regression suite calls:
//! parsing a head from a buffer into a request, failing, resetting, connecting and starting to
//! read or write a connection, setting a response code, sending a page; and the two
//! Transfer-Encoding helpers Debian's patched 2.1.12 exports.

use std::ffi::{c_char, c_int, CStr};

use crate::buffer::Evbuffer;
use crate::http::api::*;
use crate::http::connection::{self, Busy, Connection};
use crate::http::parse::{self, HeadKind, HeadReader, Limits, ParseError};
use crate::http::{client, headers, request, server};

// `enum message_read_status`.
const ALL_DATA_READ: c_int = 1;
const MORE_DATA_EXPECTED: c_int = 0;
const DATA_CORRUPTED: c_int = -1;
const DATA_TOO_LONG: c_int = -3;

/// The limits and server of a request's connection (none for a request on none).
///
/// # Safety
/// `req` is a live request.
unsafe fn context(req: *mut Request) -> (Limits, *mut server::Evhttp) {
    // SAFETY: caller's contract; evcon is NULL or live.
    unsafe {
        match (*req).evcon.as_ref() {
            Some(c) => (Limits { max_headers: c.max_headers_size, max_body: c.max_body_size, ..Limits::default() }, c.http_server),
            None => (Limits::default(), std::ptr::null_mut()),
        }
    }
}

fn read_status(result: Result<bool, ParseError>) -> c_int {
    match result {
        Ok(true) => ALL_DATA_READ,
        Ok(false) => MORE_DATA_EXPECTED,
        Err(ParseError::HeadersTooLarge) => DATA_TOO_LONG,
        Err(_) => DATA_CORRUPTED,
    }
}

fn head_kind(req: &Request) -> HeadKind {
    if req.kind == EVHTTP_REQUEST {
        HeadKind::Request
    } else {
        HeadKind::Response
    }
}

/// Reads the request or status line (by the request's kind) from the start of `buffer`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_firstline_(req: *mut Request, buffer: *mut Evbuffer) -> c_int {
    ensure_arg!(!req.is_null() && !buffer.is_null(), DATA_CORRUPTED, "evhttp_parse_firstline_: NULL argument");
    // SAFETY: live request and buffer (C contract).
    unsafe {
        let (limits, server) = context(req);
        let mut reader = HeadReader::new(head_kind(&*req), &limits);
        read_status(connection::read_head_lines(req, buffer, &mut reader, server, true))
    }
}

/// Reads header lines into the request's input headers up to the empty line.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_headers_(req: *mut Request, buffer: *mut Evbuffer) -> c_int {
    ensure_arg!(!req.is_null() && !buffer.is_null(), DATA_CORRUPTED, "evhttp_parse_headers_: NULL argument");
    // SAFETY: live request and buffer (C contract).
    unsafe {
        let (limits, server) = context(req);
        let r = &*req;
        let mut reader = HeadReader::resume(head_kind(r), &limits, r.headers_size, headers::last_name(r.input_headers));
        read_status(connection::read_head_lines(req, buffer, &mut reader, server, false))
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_fail_(c: *mut Connection, error: c_int) {
    ensure_arg!(!c.is_null(), (), "evhttp_connection_fail_: NULL connection");
    let Some(error) = RequestError::from_c(error) else {
        warnx!("evhttp_connection_fail_: bad error {}", error);
        return;
    };
    // SAFETY: live connection (C contract).
    unsafe {
        let _busy = Busy::new(c);
        connection::fail(c, error);
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_start_read_(c: *mut Connection) {
    ensure_arg!(!c.is_null(), (), "evhttp_start_read_: NULL connection");
    // SAFETY: live connection.
    unsafe { connection::start_read(c) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_start_write_(c: *mut Connection) {
    ensure_arg!(!c.is_null(), (), "evhttp_start_write_: NULL connection");
    // SAFETY: live connection.
    unsafe { connection::start_write(c) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_connect_(c: *mut Connection) -> c_int {
    ensure_arg!(!c.is_null(), -1, "evhttp_connection_connect_: NULL connection");
    // SAFETY: live connection.
    unsafe {
        let _busy = Busy::new(c);
        client::connect(c)
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_reset_(c: *mut Connection) {
    ensure_arg!(!c.is_null(), (), "evhttp_connection_reset_: NULL connection");
    // SAFETY: live connection.
    unsafe {
        let _busy = Busy::new(c);
        connection::reset(c);
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_response_code_(req: *mut Request, code: c_int, reason: *const c_char) {
    ensure_arg!(!req.is_null(), (), "evhttp_response_code_: NULL request");
    // SAFETY: live request; reason NULL or a C string.
    unsafe { request::set_response_code(req, code, crate::ffi::util::opt_cstr(reason).map(CStr::to_bytes)) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_page_(req: *mut Request, page: *mut Evbuffer) {
    ensure_arg!(!req.is_null() && !page.is_null(), (), "evhttp_send_page_: NULL argument");
    // SAFETY: live request and buffer.
    unsafe { server::send_page(req, page) }
}

/// Where `chunked` stands in a Transfer-Encoding value: 0 before the end (refused), 1 last,
/// 2 nowhere.
#[no_mangle]
pub unsafe extern "C" fn evhttp_check_transfer_encoding_(te: *const c_char) -> c_int {
    ensure_arg!(!te.is_null(), 0, "evhttp_check_transfer_encoding_: NULL value");
    // SAFETY: a C string.
    c_int::from(parse::chunked_position(unsafe { CStr::from_ptr(te) }.to_bytes()))
}

/// Whether `[s, end)` (to the NUL when `end` is NULL) is the `chunked` coding.
#[no_mangle]
pub unsafe extern "C" fn evhttp_str_is_chunked_(s: *const c_char, end: *const c_char) -> c_int {
    ensure_arg!(!s.is_null(), 0, "evhttp_str_is_chunked_: NULL string");
    // SAFETY: s is a C string, or [s, end) a readable range inside one.
    let bytes = unsafe {
        if end.is_null() {
            CStr::from_ptr(s).to_bytes()
        } else {
            ensure_arg!(end >= s, 0, "evhttp_str_is_chunked_: end before start");
            std::slice::from_raw_parts(s.cast::<u8>(), end.offset_from(s) as usize)
        }
    };
    c_int::from(parse::is_chunked_element(bytes))
}
