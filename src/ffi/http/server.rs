//! The server: `evhttp_new`/`free`/`start`, listening sockets, path callbacks, virtual hosts
//! and aliases, settings, and the replies (`evhttp_send_*`).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use libc::timeval;

use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::ffi::event::current_base_or;
use crate::ffi::util::opt_cstr;
use crate::http::api::*;
use crate::http::connection::AfterWrite;
use crate::http::server::{self, BoundSocket, Evhttp};
use crate::listener::Listener;

/// The server behind a C handle, or a warning and `$ret` for NULL.
macro_rules! http_arg {
    ($http:expr, (), $func:literal) => {{
        ensure_arg!(!$http.is_null(), (), concat!($func, ": NULL server"));
        $http
    }};
    ($http:expr, $ret:expr, $func:literal) => {{
        ensure_arg!(!$http.is_null(), $ret, concat!($func, ": NULL server"));
        $http
    }};
}

/// A non-NULL C string argument, or a warning and `$ret`.
macro_rules! str_arg {
    ($s:expr, $ret:expr, $func:literal, $what:literal) => {{
        ensure_arg!(!$s.is_null(), $ret, concat!($func, ": NULL ", $what));
        // SAFETY: a non-NULL C string argument (the C API's contract).
        unsafe { CStr::from_ptr($s) }
    }};
}

/// A request argument of a reply call, or a warning and return.
macro_rules! reply_arg {
    ($req:expr, $func:literal) => {
        ensure_arg!(!$req.is_null(), (), concat!($func, ": NULL request"));
    };
}

#[no_mangle]
pub extern "C" fn evhttp_new(base: *mut EventBase) -> *mut Evhttp {
    Evhttp::new(base)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_free(http: *mut Evhttp) {
    let http = http_arg!(http, (), "evhttp_free");
    // SAFETY: a live server handle (C contract).
    unsafe { server::free(http) }
}

/// `evhttp_start` (1.x): a server on the current base listening on `address:port`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_start(address: *const c_char, port: u16) -> *mut Evhttp {
    let http = Evhttp::new(current_base_or(ptr::null_mut()));
    if http.is_null() {
        return http;
    }
    // SAFETY: address NULL or a C string; http is ours.
    unsafe {
        if server::bind(http, opt_cstr(address), port).is_null() {
            server::free(http);
            return ptr::null_mut();
        }
    }
    http
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket_with_handle(http: *mut Evhttp, address: *const c_char, port: u16) -> *mut BoundSocket {
    let http = http_arg!(http, ptr::null_mut(), "evhttp_bind_socket_with_handle");
    // SAFETY: live server; address NULL (any) or a C string.
    unsafe { server::bind(http, opt_cstr(address), port) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket(http: *mut Evhttp, address: *const c_char, port: u16) -> c_int {
    // SAFETY: forwarded arguments.
    if unsafe { evhttp_bind_socket_with_handle(http, address, port) }.is_null() {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket_with_handle(http: *mut Evhttp, fd: c_int) -> *mut BoundSocket {
    let http = http_arg!(http, ptr::null_mut(), "evhttp_accept_socket_with_handle");
    ensure_arg!(crate::util::socket::is_open(fd), ptr::null_mut(), "evhttp_accept_socket_with_handle: bad socket {}", fd);
    // SAFETY: live server, open socket.
    unsafe { server::accept(http, fd) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket(http: *mut Evhttp, fd: c_int) -> c_int {
    // SAFETY: forwarded arguments.
    if unsafe { evhttp_accept_socket_with_handle(http, fd) }.is_null() {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_listener(http: *mut Evhttp, listener: *mut Listener) -> *mut BoundSocket {
    let http = http_arg!(http, ptr::null_mut(), "evhttp_bind_listener");
    ensure_arg!(!listener.is_null(), ptr::null_mut(), "evhttp_bind_listener: NULL listener");
    // SAFETY: live server and listener.
    unsafe { server::bind_listener(http, listener) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_fd(bound: *mut BoundSocket) -> c_int {
    ensure_arg!(!bound.is_null(), -1, "evhttp_bound_socket_get_fd: NULL socket");
    // SAFETY: a live bound socket and its listener.
    unsafe { crate::ffi::listener::evconnlistener_get_fd((*bound).listener) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_listener(bound: *mut BoundSocket) -> *mut Listener {
    ensure_arg!(!bound.is_null(), ptr::null_mut(), "evhttp_bound_socket_get_listener: NULL socket");
    // SAFETY: a live bound socket.
    unsafe { (*bound).listener }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_accept_socket(http: *mut Evhttp, bound: *mut BoundSocket) {
    let http = http_arg!(http, (), "evhttp_del_accept_socket");
    ensure_arg!(!bound.is_null(), (), "evhttp_del_accept_socket: NULL socket");
    // SAFETY: live server.
    if !unsafe { server::del_accept_socket(http, bound) } {
        warnx!("evhttp_del_accept_socket: not a socket of this server");
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_foreach_bound_socket(http: *mut Evhttp, function: Option<BoundSocketFn>, arg: *mut c_void) {
    let http = http_arg!(http, (), "evhttp_foreach_bound_socket");
    let Some(function) = function else {
        warnx!("evhttp_foreach_bound_socket: NULL function");
        return;
    };
    // SAFETY: live server; the list is copied, so the function may change it.
    for bound in unsafe { server::bound_sockets(http) } {
        // SAFETY: the program's function on a live bound socket.
        unsafe { function(bound, arg) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_cb(http: *mut Evhttp, path: *const c_char, cb: Option<RequestCb>, arg: *mut c_void) -> c_int {
    let http = http_arg!(http, -1, "evhttp_set_cb");
    let path = str_arg!(path, -1, "evhttp_set_cb", "path");
    let Some(cb) = cb else {
        warnx!("evhttp_set_cb: NULL callback");
        return -1;
    };
    // SAFETY: live server.
    if unsafe { server::set_cb(http, path, cb, arg) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_cb(http: *mut Evhttp, path: *const c_char) -> c_int {
    let http = http_arg!(http, -1, "evhttp_del_cb");
    let path = str_arg!(path, -1, "evhttp_del_cb", "path");
    // SAFETY: live server.
    if unsafe { server::del_cb(http, path) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_gencb(http: *mut Evhttp, cb: Option<RequestCb>, arg: *mut c_void) {
    let http = http_arg!(http, (), "evhttp_set_gencb");
    // SAFETY: live server.
    unsafe {
        (*http).gencb = cb;
        (*http).gencbarg = arg;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_bevcb(http: *mut Evhttp, cb: Option<BevCb>, arg: *mut c_void) {
    let http = http_arg!(http, (), "evhttp_set_bevcb");
    // SAFETY: live server.
    unsafe {
        (*http).bevcb = cb;
        (*http).bevcbarg = arg;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_virtual_host(http: *mut Evhttp, pattern: *const c_char, vhost: *mut Evhttp) -> c_int {
    let http = http_arg!(http, -1, "evhttp_add_virtual_host");
    let pattern = str_arg!(pattern, -1, "evhttp_add_virtual_host", "pattern");
    ensure_arg!(!vhost.is_null() && vhost != http, -1, "evhttp_add_virtual_host: bad virtual host");
    // SAFETY: live servers.
    if unsafe { server::add_virtual_host(http, pattern, vhost) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_virtual_host(http: *mut Evhttp, vhost: *mut Evhttp) -> c_int {
    let http = http_arg!(http, -1, "evhttp_remove_virtual_host");
    ensure_arg!(!vhost.is_null(), -1, "evhttp_remove_virtual_host: NULL virtual host");
    // SAFETY: live servers.
    if unsafe { server::remove_virtual_host(http, vhost) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_server_alias(http: *mut Evhttp, alias: *const c_char) -> c_int {
    let http = http_arg!(http, -1, "evhttp_add_server_alias");
    let alias = str_arg!(alias, -1, "evhttp_add_server_alias", "alias");
    // SAFETY: live server.
    unsafe { server::add_alias(http, alias) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_server_alias(http: *mut Evhttp, alias: *const c_char) -> c_int {
    let http = http_arg!(http, -1, "evhttp_remove_server_alias");
    let alias = str_arg!(alias, -1, "evhttp_remove_server_alias", "alias");
    // SAFETY: live server.
    if unsafe { server::remove_alias(http, alias.to_bytes()) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_allowed_methods(http: *mut Evhttp, methods: u16) {
    let http = http_arg!(http, (), "evhttp_set_allowed_methods");
    // SAFETY: live server.
    unsafe { (*http).allowed_methods = methods };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_max_headers_size(http: *mut Evhttp, max: isize) {
    let http = http_arg!(http, (), "evhttp_set_max_headers_size");
    // SAFETY: live server.
    unsafe { (*http).default_max_headers_size = headers_limit(max) };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_max_body_size(http: *mut Evhttp, max: isize) {
    let http = http_arg!(http, (), "evhttp_set_max_body_size");
    // SAFETY: live server.
    unsafe { (*http).default_max_body_size = body_limit(max) };
}

/// The program's string is kept, not copied (NULL: no default Content-Type).
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_default_content_type(http: *mut Evhttp, content_type: *const c_char) {
    let http = http_arg!(http, (), "evhttp_set_default_content_type");
    // SAFETY: live server.
    unsafe { (*http).default_content_type = content_type };
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_timeout(http: *mut Evhttp, secs: c_int) {
    let tv = timeval { tv_sec: libc::time_t::from(secs), tv_usec: 0 };
    // SAFETY: forwarded; -1 means no timeout.
    unsafe { evhttp_set_timeout_tv(http, if secs == -1 { ptr::null() } else { &tv }) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_timeout_tv(http: *mut Evhttp, tv: *const timeval) {
    let http = http_arg!(http, (), "evhttp_set_timeout_tv");
    // SAFETY: live server; tv NULL or readable.
    unsafe { (*http).timeout = tv.as_ref().copied().unwrap_or(timeval { tv_sec: 0, tv_usec: 0 }) };
}

/// 1 (not -1, as upstream) for flags it does not know.
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_flags(http: *mut Evhttp, flags: c_int) -> c_int {
    let http = http_arg!(http, -1, "evhttp_set_flags");
    if flags & !EVHTTP_SERVER_LINGERING_CLOSE != 0 {
        return 1;
    }
    // SAFETY: live server.
    unsafe { (*http).flags = ((*http).flags & !EVHTTP_SERVER_LINGERING_CLOSE) | flags };
    0
}

/// An optional reason argument as bytes.
///
/// # Safety
/// `reason` is NULL or a valid C string outliving the result.
unsafe fn reason_arg<'a>(reason: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: caller's contract.
    unsafe { opt_cstr(reason) }.map(CStr::to_bytes)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply(req: *mut Request, code: c_int, reason: *const c_char, body: *mut Evbuffer) {
    reply_arg!(req, "evhttp_send_reply");
    // SAFETY: live request; reason NULL or a C string; body NULL or a live buffer.
    unsafe { server::send_reply(req, code, reason_arg(reason), body) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_error(req: *mut Request, code: c_int, reason: *const c_char) {
    reply_arg!(req, "evhttp_send_error");
    // SAFETY: as above.
    unsafe { server::send_error(req, code, reason_arg(reason)) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_start(req: *mut Request, code: c_int, reason: *const c_char) {
    reply_arg!(req, "evhttp_send_reply_start");
    // SAFETY: as above.
    unsafe { server::reply_start(req, code, reason_arg(reason)) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk(req: *mut Request, data: *mut Evbuffer) {
    reply_arg!(req, "evhttp_send_reply_chunk");
    ensure_arg!(!data.is_null(), (), "evhttp_send_reply_chunk: NULL buffer");
    // SAFETY: as above.
    unsafe { server::reply_chunk(req, data, AfterWrite::Nothing) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk_with_cb(req: *mut Request, data: *mut Evbuffer, cb: Option<ConnectionCb>, arg: *mut c_void) {
    reply_arg!(req, "evhttp_send_reply_chunk_with_cb");
    ensure_arg!(!data.is_null(), (), "evhttp_send_reply_chunk_with_cb: NULL buffer");
    let after = cb.map_or(AfterWrite::Nothing, |cb| AfterWrite::User(cb, arg));
    // SAFETY: as above.
    unsafe { server::reply_chunk(req, data, after) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_end(req: *mut Request) {
    reply_arg!(req, "evhttp_send_reply_end");
    // SAFETY: live request.
    unsafe { server::reply_end(req) }
}
