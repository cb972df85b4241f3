//! Client connections: `evhttp_connection_*`, `evhttp_make_request`, `evhttp_cancel_request`.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use libc::{sockaddr, timeval};

use crate::base::EventBase;
use crate::bufferevent::layout::{Bufferevent, EvdnsBase};
use crate::ffi::bufferevent::{bufferevent_base_set, bufferevent_socket_get_conn_address_};
use crate::ffi::util::opt_cstr;
use crate::http::api::*;
use crate::http::connection::{self, Connection, State};
use crate::http::server::Evhttp;
use crate::http::client;

/// The connection behind a C handle, or a warning and `$ret` for NULL.
macro_rules! conn_arg {
    ($c:expr, (), $func:literal) => {{
        ensure_arg!(!$c.is_null(), (), concat!($func, ": NULL connection"));
        $c
    }};
    ($c:expr, $ret:expr, $func:literal) => {{
        ensure_arg!(!$c.is_null(), $ret, concat!($func, ": NULL connection"));
        $c
    }};
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_bufferevent_new(
    base: *mut EventBase,
    dns_base: *mut EvdnsBase,
    bev: *mut Bufferevent,
    address: *const c_char,
    port: u16,
) -> *mut Connection {
    ensure_arg!(!address.is_null(), ptr::null_mut(), "evhttp_connection_base_bufferevent_new: NULL address");
    // SAFETY: address is a C string; base, dns_base and bev NULL or live (C contract).
    unsafe { Connection::new(base, dns_base, bev, CStr::from_ptr(address).to_bytes(), port) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_new(base: *mut EventBase, dns_base: *mut EvdnsBase, address: *const c_char, port: u16) -> *mut Connection {
    // SAFETY: forwarded arguments.
    unsafe { evhttp_connection_base_bufferevent_new(base, dns_base, ptr::null_mut(), address, port) }
}

/// `evhttp_connection_new` (1.x): on the current base, names resolved by the system.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_new(address: *const c_char, port: u16) -> *mut Connection {
    // SAFETY: forwarded arguments.
    unsafe { evhttp_connection_base_new(ptr::null_mut(), ptr::null_mut(), address, port) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_free(c: *mut Connection) {
    let c = conn_arg!(c, (), "evhttp_connection_free");
    // SAFETY: a live connection handle (C contract).
    unsafe { connection::free(c) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_free_on_completion(c: *mut Connection) {
    let c = conn_arg!(c, (), "evhttp_connection_free_on_completion");
    // SAFETY: live connection.
    unsafe { (*c).flags |= connection::FLAG_AUTOFREE };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_base(c: *mut Connection, base: *mut EventBase) {
    let c = conn_arg!(c, (), "evhttp_connection_set_base");
    ensure_arg!(!base.is_null(), (), "evhttp_connection_set_base: NULL base");
    // SAFETY: live connection and base.
    unsafe {
        ensure_arg!((*c).base.is_null() && (*c).state == State::Disconnected, (), "evhttp_connection_set_base: connection has a base or is in use");
        (*c).base = base;
        bufferevent_base_set(base, (*c).bufev);
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_local_address(c: *mut Connection, address: *const c_char) {
    let c = conn_arg!(c, (), "evhttp_connection_set_local_address");
    // SAFETY: live connection; address NULL or a C string.
    unsafe {
        ensure_arg!((*c).state == State::Disconnected, (), "evhttp_connection_set_local_address: connection in use");
        (*c).bind_address = opt_cstr(address).map(CStr::to_owned);
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_local_port(c: *mut Connection, port: u16) {
    let c = conn_arg!(c, (), "evhttp_connection_set_local_port");
    // SAFETY: live connection.
    unsafe {
        ensure_arg!((*c).state == State::Disconnected, (), "evhttp_connection_set_local_port: connection in use");
        (*c).bind_port = port;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_timeout(c: *mut Connection, secs: c_int) {
    let tv = timeval { tv_sec: libc::time_t::from(secs), tv_usec: 0 };
    // SAFETY: forwarded; -1 means the defaults.
    unsafe { evhttp_connection_set_timeout_tv(c, if secs == -1 { ptr::null() } else { &tv }) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_timeout_tv(c: *mut Connection, tv: *const timeval) {
    let c = conn_arg!(c, (), "evhttp_connection_set_timeout_tv");
    // SAFETY: live connection; tv NULL or readable.
    unsafe { client::set_timeout(c, tv.as_ref()) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_initial_retry_tv(c: *mut Connection, tv: *const timeval) {
    let c = conn_arg!(c, (), "evhttp_connection_set_initial_retry_tv");
    // SAFETY: live connection; tv NULL (2 s) or readable.
    unsafe { (*c).initial_retry_timeout = tv.as_ref().copied().unwrap_or(timeval { tv_sec: 2, tv_usec: 0 }) };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_retries(c: *mut Connection, retry_max: c_int) {
    let c = conn_arg!(c, (), "evhttp_connection_set_retries");
    // SAFETY: live connection. Negative: retry for ever.
    unsafe { (*c).retry_max = retry_max };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_closecb(c: *mut Connection, cb: Option<ConnectionCb>, arg: *mut c_void) {
    let c = conn_arg!(c, (), "evhttp_connection_set_closecb");
    // SAFETY: live connection.
    unsafe {
        (*c).closecb = cb;
        (*c).closecb_arg = arg;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_family(c: *mut Connection, family: c_int) {
    let c = conn_arg!(c, (), "evhttp_connection_set_family");
    // SAFETY: live connection.
    unsafe { (*c).ai_family = family };
}

/// 1 (not -1, as upstream) for flags it does not take.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_flags(c: *mut Connection, flags: c_int) -> c_int {
    let c = conn_arg!(c, -1, "evhttp_connection_set_flags");
    let available = EVHTTP_CON_REUSE_CONNECTED_ADDR | EVHTTP_CON_READ_ON_WRITE_ERROR | EVHTTP_CON_LINGERING_CLOSE;
    if flags & !available != 0 {
        return 1;
    }
    // SAFETY: live connection.
    unsafe { (*c).flags = ((*c).flags & !available) | flags };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_max_headers_size(c: *mut Connection, max: isize) {
    let c = conn_arg!(c, (), "evhttp_connection_set_max_headers_size");
    // SAFETY: live connection.
    unsafe { (*c).max_headers_size = headers_limit(max) };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_max_body_size(c: *mut Connection, max: isize) {
    let c = conn_arg!(c, (), "evhttp_connection_set_max_body_size");
    // SAFETY: live connection.
    unsafe { (*c).max_body_size = body_limit(max) };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_peer(c: *mut Connection, address: *mut *mut c_char, port: *mut u16) {
    let c = conn_arg!(c, (), "evhttp_connection_get_peer");
    ensure_arg!(!address.is_null() && !port.is_null(), (), "evhttp_connection_get_peer: NULL result pointer");
    // SAFETY: live connection; the result pointers are writable (C contract). The address
    // stays the connection's: the program must not free it.
    unsafe {
        *address = (*c).address.as_ptr().cast_mut();
        *port = (*c).port;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_addr(c: *mut Connection) -> *const sockaddr {
    let c = conn_arg!(c, ptr::null(), "evhttp_connection_get_addr");
    // SAFETY: live connection with its bufferevent.
    unsafe { bufferevent_socket_get_conn_address_((*c).bufev) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_base(c: *mut Connection) -> *mut EventBase {
    let c = conn_arg!(c, ptr::null_mut(), "evhttp_connection_get_base");
    // SAFETY: live connection.
    unsafe { (*c).base }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_bufferevent(c: *mut Connection) -> *mut Bufferevent {
    let c = conn_arg!(c, ptr::null_mut(), "evhttp_connection_get_bufferevent");
    // SAFETY: live connection.
    unsafe { (*c).bufev }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_server(c: *mut Connection) -> *mut Evhttp {
    let c = conn_arg!(c, ptr::null_mut(), "evhttp_connection_get_server");
    // SAFETY: live connection.
    unsafe { (*c).http_server }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_make_request(c: *mut Connection, req: *mut Request, kind: u32, uri: *const c_char) -> c_int {
    let c = conn_arg!(c, -1, "evhttp_make_request");
    ensure_arg!(!req.is_null(), -1, "evhttp_make_request: NULL request");
    ensure_arg!(!uri.is_null(), -1, "evhttp_make_request: NULL uri");
    // SAFETY: live connection and request (C contract).
    unsafe {
        ensure_arg!((*req).evcon.is_null(), -1, "evhttp_make_request: request is already on a connection");
        ensure_arg!((*c).flags & connection::FLAG_INCOMING == 0, -1, "evhttp_make_request: server connection");
        client::make_request(c, req, kind, CStr::from_ptr(uri).to_bytes())
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_cancel_request(req: *mut Request) {
    ensure_arg!(!req.is_null(), (), "evhttp_cancel_request: NULL request");
    // SAFETY: live request.
    unsafe { client::cancel(req) }
}

