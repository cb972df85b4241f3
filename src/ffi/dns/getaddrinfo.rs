//! `event2/dns.h`: the hosts file and evdns_getaddrinfo. Thin: arguments are checked here, the
//! work is in `crate::dns::hosts` (owned by the resolver's base) and `crate::dns::getaddrinfo`.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use super::resolver::base_or_global;
use crate::dns::api::evdns_base;
use crate::dns::getaddrinfo::{self, evdns_getaddrinfo_request, Request};
use crate::dns::resolver::Base;
use crate::ffi::util::opt_cstr;
use crate::util::addrinfo::{self, AddrInfo, GetaddrinfoCallback};

/// # Safety
/// `b` must be NULL (the 1.x global base) or a live base; `filename` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_load_hosts(b: *mut evdns_base, filename: *const c_char) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base_or_global(b) }) else {
        crate::warnx!("evdns_base_load_hosts: NULL base and no global base");
        return -1;
    };
    // SAFETY: NULL or a C string (contract).
    b.load_hosts(unsafe { opt_cstr(filename) })
}

/// # Safety
/// `b` must be NULL (the 1.x global base) or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_host_addresses(b: *mut evdns_base) {
    // SAFETY: contract.
    let Some(b) = (unsafe { base_or_global(b) }) else {
        crate::warnx!("evdns_base_clear_host_addresses: NULL base and no global base");
        return;
    };
    b.clear_hosts();
}

/// Answers at once (the callback runs before this returns NULL) or returns the pending request.
///
/// # Safety
/// `b` must be NULL (the 1.x global base) or a live base; the strings NULL or C strings;
/// `hints` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo(
    b: *mut evdns_base,
    nodename: *const c_char,
    servname: *const c_char,
    hints: *const AddrInfo,
    cb: Option<GetaddrinfoCallback>,
    arg: *mut c_void,
) -> *mut evdns_getaddrinfo_request {
    let Some(cb) = cb else {
        crate::warnx!("evdns_getaddrinfo: NULL callback");
        return ptr::null_mut();
    };
    // SAFETY: contract.
    let Some(b) = (unsafe { base_or_global(b) }) else {
        crate::evdns_warn!("Call to getaddrinfo_async with no evdns_base configured.");
        // SAFETY: the program's callback, told as upstream tells it.
        unsafe { cb(addrinfo::EAI_FAIL, ptr::null_mut(), arg) };
        return ptr::null_mut();
    };
    // SAFETY: NULL or C strings (contract).
    let (node, serv) = unsafe { (opt_cstr(nodename), opt_cstr(servname)) };
    // SAFETY: a live base (it stays so while the request is pending, or fails it with
    // DNS_ERR_SHUTDOWN when freed); hints NULL or valid.
    unsafe { getaddrinfo::getaddrinfo(b, node, serv, hints, cb, arg) }.cast()
}

/// # Safety
/// `req` must be NULL or a request from `evdns_getaddrinfo` whose callback has not run, or has
/// run while one of its queries is still out (the cancel is then too late and does nothing).
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo_cancel(req: *mut evdns_getaddrinfo_request) {
    ensure_arg!(!req.is_null(), (), "evdns_getaddrinfo_cancel: NULL request");
    // SAFETY: a request of a Base (contract).
    unsafe { getaddrinfo::cancel(req.cast::<Request<Base>>()) };
}

// evutil's asynchronous getaddrinfo (bufferevent_socket_connect_hostname) reaches evdns
// through these, registered when a base is made, as upstream's evdns_base_new does.

unsafe extern "C" fn evutil_getaddrinfo_hook(
    b: *mut c_void,
    nodename: *const c_char,
    servname: *const c_char,
    hints: *const AddrInfo,
    cb: Option<GetaddrinfoCallback>,
    arg: *mut c_void,
) -> *mut c_void {
    // SAFETY: evutil passes its caller's arguments, an evdns base among them.
    unsafe { evdns_getaddrinfo(b.cast(), nodename, servname, hints, cb, arg) }.cast()
}

unsafe extern "C" fn evutil_getaddrinfo_cancel_hook(req: *mut c_void) {
    // SAFETY: evutil passes a request evutil_getaddrinfo_hook returned.
    unsafe { evdns_getaddrinfo_cancel(req.cast()) }
}

/// Makes evdns evutil's asynchronous resolver (the first registration stays).
pub(super) fn register_with_evutil() {
    addrinfo::set_evdns_getaddrinfo(evutil_getaddrinfo_hook);
    addrinfo::set_evdns_getaddrinfo_cancel(evutil_getaddrinfo_cancel_hook);
}
