//! Entry points of `event2/bufferevent_ssl.h` (upstream's libevent_openssl). Each checks its
//! arguments and calls `crate::ssl`. The calls that take any bufferevent answer "not a TLS one"
//! for other kinds quietly, as upstream's do: programs ask them to find out.

use std::ffi::{c_int, c_ulong};
use std::ptr;

use crate::base::EventBase;
use crate::bufferevent::layout::Bufferevent;
use crate::ssl::bufferevent as tls;
use crate::ssl::openssl::SslSt;

/// `enum bufferevent_ssl_state` as C passes it (an unsigned int: no value is negative).
pub type BuffereventSslState = u32;

#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_filter_new(
    base: *mut EventBase,
    underlying: *mut Bufferevent,
    ssl: *mut SslSt,
    state: BuffereventSslState,
    options: c_int,
) -> *mut Bufferevent {
    ensure_arg!(!ssl.is_null(), ptr::null_mut(), "bufferevent_openssl_filter_new: NULL SSL");
    ensure_arg!(!base.is_null(), ptr::null_mut(), "bufferevent_openssl_filter_new: NULL base");
    // SAFETY: live base and SSL, underlying NULL or a live bufferevent (caller's contract);
    // filter_new checks the underlying itself, since a refusal there frees the SSL.
    unsafe { tls::filter_new(base, underlying, ssl, state, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_socket_new(
    base: *mut EventBase,
    fd: c_int,
    ssl: *mut SslSt,
    state: BuffereventSslState,
    options: c_int,
) -> *mut Bufferevent {
    ensure_arg!(!ssl.is_null(), ptr::null_mut(), "bufferevent_openssl_socket_new: NULL SSL");
    ensure_arg!(!base.is_null(), ptr::null_mut(), "bufferevent_openssl_socket_new: NULL base");
    // SAFETY: live base and SSL (caller's contract).
    unsafe { tls::socket_new(base, fd, ssl, state, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_get_allow_dirty_shutdown(bev: *mut Bufferevent) -> c_int {
    ensure_arg!(!bev.is_null(), -1, "bufferevent_openssl_get_allow_dirty_shutdown: NULL bufferevent");
    // SAFETY: live bufferevent (caller's contract).
    unsafe { tls::get_allow_dirty_shutdown(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_set_allow_dirty_shutdown(bev: *mut Bufferevent, allow_dirty_shutdown: c_int) {
    ensure_arg!(!bev.is_null(), (), "bufferevent_openssl_set_allow_dirty_shutdown: NULL bufferevent");
    // SAFETY: live bufferevent (caller's contract).
    unsafe { tls::set_allow_dirty_shutdown(bev, allow_dirty_shutdown != 0) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_get_ssl(bufev: *mut Bufferevent) -> *mut SslSt {
    ensure_arg!(!bufev.is_null(), ptr::null_mut(), "bufferevent_openssl_get_ssl: NULL bufferevent");
    // SAFETY: live bufferevent (caller's contract).
    unsafe { tls::get_ssl(bufev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_ssl_renegotiate(bev: *mut Bufferevent) -> c_int {
    ensure_arg!(!bev.is_null(), -1, "bufferevent_ssl_renegotiate: NULL bufferevent");
    // SAFETY: live bufferevent (caller's contract).
    unsafe { tls::renegotiate(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_openssl_error(bev: *mut Bufferevent) -> c_ulong {
    ensure_arg!(!bev.is_null(), 0, "bufferevent_get_openssl_error: NULL bufferevent");
    // SAFETY: live bufferevent (caller's contract).
    unsafe { tls::take_error(bev) }
}
