//! `event2/dns.h` and `dns_compat.h`: the resolver's entry points (`evdns_base_*`, the 1.x API
//! on a global base). Thin: arguments are checked here, the work is in `crate::dns::resolver`.

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use libc::{in6_addr, in_addr, sockaddr, socklen_t};

use crate::base::EventBase;
use crate::dns::api::*;
use crate::dns::resolver::{err_to_string, Base};
use crate::dns::wire::{reverse_name_v4, reverse_name_v6};
use crate::dns::wire::{TYPE_A, TYPE_AAAA, TYPE_PTR};
use crate::ffi::util::opt_cstr;
use crate::util::addr::CSockAddr;

/// The 1.x API's base (`evdns_init`, `evdns_resolve_ipv4`, ...).
static GLOBAL: AtomicPtr<Base> = AtomicPtr::new(ptr::null_mut());

/// The C handle of a base, and back.
fn handle(b: *mut Base) -> *mut evdns_base {
    b.cast()
}

/// # Safety
/// `b` must be NULL or a live base from `evdns_base_new`.
unsafe fn base<'a>(b: *mut evdns_base) -> Option<&'a Base> {
    // SAFETY: contract.
    unsafe { b.cast::<Base>().as_ref() }
}

/// `b`, or the 1.x global base when `b` is NULL (for the calls upstream lets take NULL).
///
/// # Safety
/// `b` must be NULL or a live base from `evdns_base_new`.
pub(super) unsafe fn base_or_global<'a>(b: *mut evdns_base) -> Option<&'a Base> {
    let b = if b.is_null() { GLOBAL.load(Ordering::Acquire).cast() } else { b };
    // SAFETY: contract; the global base is live while it is stored.
    unsafe { base(b) }
}

/// `Base::new`, and evdns registered with evutil's asynchronous getaddrinfo (as upstream's
/// evdns_base_new does), so that bufferevent_socket_connect_hostname can use the base.
fn new_base(event_base: *mut EventBase, flags: c_int) -> *mut Base {
    super::getaddrinfo::register_with_evutil();
    Base::new(event_base, flags)
}

/// The global base, made on first use by the 1.x calls that upstream lets create it.
fn global_or_new() -> *mut Base {
    let g = GLOBAL.load(Ordering::Acquire);
    if !g.is_null() {
        return g;
    }
    let b = new_base(ptr::null_mut(), 0);
    if !b.is_null() {
        GLOBAL.store(b, Ordering::Release);
    }
    b
}

/// The bytes of `s`, or None for NULL (`ffi::util::opt_cstr` as a byte slice).
///
/// # Safety
/// `s` must be NULL or a C string.
unsafe fn bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: contract.
    unsafe { opt_cstr(s) }.map(CStr::to_bytes)
}

// ---- bases ----------------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evdns_base_new(event_base: *mut EventBase, flags: c_int) -> *mut evdns_base {
    handle(new_base(event_base, flags))
}

/// # Safety
/// `b` must be a live base (not used afterwards).
#[no_mangle]
pub unsafe extern "C" fn evdns_base_free(b: *mut evdns_base, fail_requests: c_int) {
    ensure_arg!(!b.is_null(), (), "evdns_base_free: NULL base");
    let _ = GLOBAL.compare_exchange(b.cast(), ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    // SAFETY: live base (contract).
    unsafe { Base::free(b.cast(), fail_requests != 0) };
}

#[no_mangle]
pub extern "C" fn evdns_get_global_base() -> *mut evdns_base {
    handle(GLOBAL.load(Ordering::Acquire))
}

#[no_mangle]
pub extern "C" fn evdns_init() -> c_int {
    let b = new_base(ptr::null_mut(), EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if b.is_null() {
        return -1;
    }
    let old = GLOBAL.swap(b, Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: the old global base, no longer reachable through GLOBAL.
        unsafe { Base::free(old, false) };
    }
    0
}

#[no_mangle]
pub extern "C" fn evdns_shutdown(fail_requests: c_int) {
    let old = GLOBAL.swap(ptr::null_mut(), Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: the global base, no longer reachable through GLOBAL.
        unsafe { Base::free(old, fail_requests != 0) };
    }
    // As upstream: shutting down also forgets the log hook.
    crate::dns::log::set_log_fn(None);
}

#[no_mangle]
pub extern "C" fn evdns_err_to_string(err: c_int) -> *const c_char {
    err_to_string(err).as_ptr()
}

/// Documented to have no effect since 2.0.4-alpha: ids come from the secure generator.
#[no_mangle]
pub extern "C" fn evdns_set_transaction_id_fn(_f: Option<unsafe extern "C" fn() -> u16>) {
    crate::evdns_debug!("evdns_set_transaction_id_fn has no effect (as in libevent 2.1)");
}

/// Documented to have no effect since 2.0.4-alpha.
#[no_mangle]
pub extern "C" fn evdns_set_random_bytes_fn(_f: Option<unsafe extern "C" fn(*mut c_char, usize)>) {
    crate::evdns_debug!("evdns_set_random_bytes_fn has no effect (as in libevent 2.1)");
}

// ---- nameservers ----------------------------------------------------------------------------

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_add(b: *mut evdns_base, address: c_ulong) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_nameserver_add: NULL base");
        return -1;
    };
    let ip = std::net::Ipv4Addr::from((address as u32).to_ne_bytes());
    b.add_nameserver(std::net::SocketAddr::new(ip.into(), 53))
}

/// # Safety
/// `b` must be NULL or a live base; `ip` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_ip_add(b: *mut evdns_base, ip: *const c_char) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_nameserver_ip_add: NULL base");
        return -1;
    };
    // SAFETY: contract.
    let Some(text) = (unsafe { bytes(ip) }) else {
        crate::warnx!("evdns_base_nameserver_ip_add: NULL address");
        return 4;
    };
    b.add_nameserver_text(text)
}

/// # Safety
/// `b` must be NULL or a live base; `sa` NULL or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_sockaddr_add(b: *mut evdns_base, sa: *const sockaddr, len: socklen_t, _flags: c_uint) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_nameserver_sockaddr_add: NULL base");
        return -1;
    };
    ensure_arg!(!sa.is_null(), -1, "evdns_base_nameserver_sockaddr_add: NULL address");
    let need = |family: c_int| match family {
        libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
        _ => usize::MAX,
    };
    ensure_arg!((len as usize) >= std::mem::size_of::<libc::sa_family_t>(), 2, "evdns_base_nameserver_sockaddr_add: address too short");
    // SAFETY: at least the family is readable (checked above).
    let family = c_int::from(unsafe { (*sa).sa_family });
    ensure_arg!((len as usize) >= need(family), 2, "evdns_base_nameserver_sockaddr_add: not a whole IPv4 or IPv6 address");
    // SAFETY: a whole sockaddr_in / sockaddr_in6 (checked above).
    match unsafe { crate::util::addr::sockaddr_from_c(sa) } {
        Ok(addr) => b.add_nameserver(addr),
        Err(_) => 2,
    }
}

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_count_nameservers(b: *mut evdns_base) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_count_nameservers: NULL base");
        return -1;
    };
    b.count_nameservers()
}

/// The address length of nameserver `idx` (-1 if there is none); the address is copied only
/// when `len` has room for it.
///
/// # Safety
/// `b` must be NULL or a live base; `sa` NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_get_nameserver_addr(b: *mut evdns_base, idx: c_int, sa: *mut sockaddr, len: socklen_t) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_get_nameserver_addr: NULL base");
        return -1;
    };
    let Some(addr) = b.nameserver_addr(idx) else { return -1 };
    let c = CSockAddr::new(&addr);
    if c.socklen() <= len && !sa.is_null() {
        // SAFETY: sa is writable for len >= socklen bytes (contract); c holds socklen bytes.
        unsafe { ptr::copy_nonoverlapping(c.as_ptr().cast::<u8>(), sa.cast::<u8>(), c.socklen() as usize) };
    }
    c.socklen() as c_int
}

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_nameservers_and_suspend(b: *mut evdns_base) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_clear_nameservers_and_suspend: NULL base");
        return -1;
    };
    b.clear_nameservers_and_suspend()
}

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resume(b: *mut evdns_base) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_resume: NULL base");
        return -1;
    };
    b.resume()
}

// ---- lookups --------------------------------------------------------------------------------

/// Checks a resolve call's arguments and starts it.
///
/// # Safety
/// `b` must be NULL or a live base; `name` NULL or a C string.
unsafe fn resolve(func: &str, b: *mut evdns_base, qtype: u16, name: Option<&[u8]>, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> *mut evdns_request {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("{}: NULL base", func);
        return ptr::null_mut();
    };
    let Some(name) = name else {
        crate::warnx!("{}: NULL name", func);
        return ptr::null_mut();
    };
    let Some(cb) = cb else {
        crate::warnx!("{}: NULL callback", func);
        return ptr::null_mut();
    };
    b.resolve(qtype, name, flags, cb, arg)
}

/// # Safety
/// `b` must be NULL or a live base; `name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv4(b: *mut evdns_base, name: *const c_char, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> *mut evdns_request {
    // SAFETY: contract.
    unsafe { resolve("evdns_base_resolve_ipv4", b, TYPE_A, bytes(name), flags, cb, arg) }
}

/// # Safety
/// `b` must be NULL or a live base; `name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv6(b: *mut evdns_base, name: *const c_char, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> *mut evdns_request {
    // SAFETY: contract.
    unsafe { resolve("evdns_base_resolve_ipv6", b, TYPE_AAAA, bytes(name), flags, cb, arg) }
}

/// # Safety
/// `b` must be NULL or a live base; `addr` NULL or an in_addr.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse(b: *mut evdns_base, addr: *const in_addr, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> *mut evdns_request {
    ensure_arg!(!addr.is_null(), ptr::null_mut(), "evdns_base_resolve_reverse: NULL address");
    // SAFETY: a readable in_addr (contract).
    let name = reverse_name_v4(unsafe { (*addr).s_addr }.to_ne_bytes());
    // SAFETY: contract.
    unsafe { resolve("evdns_base_resolve_reverse", b, TYPE_PTR, Some(name.as_bytes()), flags, cb, arg) }
}

/// # Safety
/// `b` must be NULL or a live base; `addr` NULL or an in6_addr.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse_ipv6(b: *mut evdns_base, addr: *const in6_addr, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> *mut evdns_request {
    ensure_arg!(!addr.is_null(), ptr::null_mut(), "evdns_base_resolve_reverse_ipv6: NULL address");
    // SAFETY: a readable in6_addr (contract).
    let name = reverse_name_v6(unsafe { (*addr).s6_addr });
    // SAFETY: contract.
    unsafe { resolve("evdns_base_resolve_reverse_ipv6", b, TYPE_PTR, Some(name.as_bytes()), flags, cb, arg) }
}

/// # Safety
/// `b` must be NULL or the request's live base; `req` NULL or a request whose callback has
/// not run.
#[no_mangle]
pub unsafe extern "C" fn evdns_cancel_request(b: *mut evdns_base, req: *mut evdns_request) {
    ensure_arg!(!req.is_null(), (), "evdns_cancel_request: NULL request");
    let owner = if b.is_null() {
        // SAFETY: a live request (contract).
        unsafe { Base::of_request(req) }
    } else {
        b.cast_const().cast()
    };
    // SAFETY: the request's live base, and the request (contract).
    unsafe { (*owner).cancel(req) };
}

// ---- search list and options ----------------------------------------------------------------

/// # Safety
/// `b` must be NULL or a live base; `domain` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_add(b: *mut evdns_base, domain: *const c_char) {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_search_add: NULL base");
        return;
    };
    // SAFETY: contract.
    let Some(d) = (unsafe { bytes(domain) }) else {
        crate::warnx!("evdns_base_search_add: NULL domain");
        return;
    };
    b.search_add(d);
}

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_clear(b: *mut evdns_base) {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_search_clear: NULL base");
        return;
    };
    b.search_clear();
}

/// # Safety
/// `b` must be NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_ndots_set(b: *mut evdns_base, ndots: c_int) {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_search_ndots_set: NULL base");
        return;
    };
    b.search_ndots_set(ndots);
}

/// # Safety
/// `b` must be NULL or a live base; `option` and `val` NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_set_option(b: *mut evdns_base, option: *const c_char, val: *const c_char) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_set_option: NULL base");
        return -1;
    };
    // SAFETY: contract.
    let (Some(option), Some(val)) = (unsafe { bytes(option) }, unsafe { bytes(val) }) else {
        crate::warnx!("evdns_base_set_option: NULL option or value");
        return -1;
    };
    b.set_option(option, val)
}

/// # Safety
/// `b` must be NULL or a live base; `filename` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolv_conf_parse(b: *mut evdns_base, flags: c_int, filename: *const c_char) -> c_int {
    // SAFETY: contract.
    let Some(b) = (unsafe { base(b) }) else {
        crate::warnx!("evdns_base_resolv_conf_parse: NULL base");
        return -1;
    };
    // SAFETY: contract.
    let filename = unsafe { opt_cstr(filename) };
    b.resolv_conf_parse(flags, filename)
}

// ---- the 1.x API on the global base ---------------------------------------------------------

#[no_mangle]
pub extern "C" fn evdns_count_nameservers() -> c_int {
    // SAFETY: the global base is NULL or live.
    unsafe { evdns_base_count_nameservers(evdns_get_global_base()) }
}

#[no_mangle]
pub extern "C" fn evdns_clear_nameservers_and_suspend() -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_clear_nameservers_and_suspend(evdns_get_global_base()) }
}

#[no_mangle]
pub extern "C" fn evdns_resume() -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_resume(evdns_get_global_base()) }
}

#[no_mangle]
pub extern "C" fn evdns_nameserver_add(address: c_ulong) -> c_int {
    // SAFETY: NULL or the live global base.
    unsafe { evdns_base_nameserver_add(handle(global_or_new()), address) }
}

/// # Safety
/// `ip` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_nameserver_ip_add(ip: *const c_char) -> c_int {
    // SAFETY: as above; ip per contract.
    unsafe { evdns_base_nameserver_ip_add(handle(global_or_new()), ip) }
}

/// # Safety
/// `option` and `val` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn evdns_set_option(option: *const c_char, val: *const c_char, _flags: c_int) -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_set_option(handle(global_or_new()), option, val) }
}

/// # Safety
/// `filename` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_resolv_conf_parse(flags: c_int, filename: *const c_char) -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_resolv_conf_parse(handle(global_or_new()), flags, filename) }
}

/// # Safety
/// `domain` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_search_add(domain: *const c_char) {
    // SAFETY: the global base is NULL or live.
    unsafe { evdns_base_search_add(evdns_get_global_base(), domain) }
}

#[no_mangle]
pub extern "C" fn evdns_search_clear() {
    // SAFETY: as above.
    unsafe { evdns_base_search_clear(evdns_get_global_base()) }
}

#[no_mangle]
pub extern "C" fn evdns_search_ndots_set(ndots: c_int) {
    // SAFETY: as above.
    unsafe { evdns_base_search_ndots_set(evdns_get_global_base(), ndots) }
}

/// 0 when the lookup started, -1 otherwise.
fn started(req: *mut evdns_request) -> c_int {
    if req.is_null() { -1 } else { 0 }
}

/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv4(name: *const c_char, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_ipv4(evdns_get_global_base(), name, flags, cb, arg) })
}

/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv6(name: *const c_char, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_ipv6(evdns_get_global_base(), name, flags, cb, arg) })
}

/// # Safety
/// `addr` must be NULL or an in_addr.
#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse(addr: *const in_addr, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_reverse(evdns_get_global_base(), addr, flags, cb, arg) })
}

/// # Safety
/// `addr` must be NULL or an in6_addr.
#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse_ipv6(addr: *const in6_addr, flags: c_int, cb: Option<evdns_callback_type>, arg: *mut c_void) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_reverse_ipv6(evdns_get_global_base(), addr, flags, cb, arg) })
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn never(_: c_int, _: c_char, _: c_int, _: c_int, _: *mut c_void, _: *mut c_void) {
        panic!("no lookup may complete in this test");
    }

    /// NULL bases, names and callbacks, malformed nameserver strings, unknown options: the
    /// error results, and nothing sent (no lookup starts).
    #[test]
    fn bad_input_gives_error_results() {
        let n = ptr::null_mut();
        // SAFETY: every call below gets NULL or valid arguments, as the exports allow.
        unsafe {
            assert_eq!(evdns_base_nameserver_ip_add(n, c"127.0.0.1".as_ptr()), -1);
            assert_eq!(evdns_base_count_nameservers(n), -1);
            assert_eq!(evdns_base_set_option(n, c"ndots".as_ptr(), c"1".as_ptr()), -1);
            assert_eq!(evdns_base_resolv_conf_parse(n, DNS_OPTIONS_ALL, c"/nonexistent".as_ptr()), -1);
            assert!(evdns_base_resolve_ipv4(n, c"example.com".as_ptr(), 0, Some(never), n.cast()).is_null());
            assert_eq!(evdns_base_get_nameserver_addr(n, 0, ptr::null_mut(), 0), -1);
            evdns_base_free(n, 0);
            evdns_base_search_add(n, c"x".as_ptr());
            evdns_cancel_request(n, ptr::null_mut());
            assert_eq!(evdns_resolve_ipv4(c"example.com".as_ptr(), 0, Some(never), n.cast()), -1, "no global base");

            let eb = EventBase::new(None);
            let b = evdns_base_new(eb, 0);
            assert!(!b.is_null());
            for bad in [c"1.2.3.4:99999", c"[::1", c"", c"::1]:53", c"1.2.3.4:"] {
                assert_eq!(evdns_base_nameserver_ip_add(b, bad.as_ptr()), 4, "{bad:?}");
            }
            assert_eq!(evdns_base_nameserver_ip_add(b, ptr::null()), 4);
            assert_eq!(evdns_base_count_nameservers(b), 0);
            assert!(evdns_base_resolve_ipv4(b, ptr::null(), 0, Some(never), n.cast()).is_null());
            assert!(evdns_base_resolve_ipv4(b, c"example.com".as_ptr(), 0, None, n.cast()).is_null());
            assert!(evdns_base_resolve_reverse(b, ptr::null(), 0, Some(never), n.cast()).is_null());
            let long = std::ffi::CString::new("a.".repeat(200)).unwrap();
            assert!(evdns_base_resolve_ipv4(b, long.as_ptr(), DNS_QUERY_NO_SEARCH, Some(never), n.cast()).is_null(), "over 253 bytes");
            assert!(evdns_base_resolve_ipv4(b, c"a..b".as_ptr(), DNS_QUERY_NO_SEARCH, Some(never), n.cast()).is_null(), "empty label");
            assert_eq!(evdns_base_set_option(b, c"bogus".as_ptr(), c"1".as_ptr()), 0, "unknown: ignored, as upstream");
            assert_eq!(evdns_base_set_option(b, c"ndots:".as_ptr(), c"x".as_ptr()), -1, "bad value");
            assert_eq!(evdns_base_set_option(b, c"ndots".as_ptr(), ptr::null()), -1);
            assert_eq!(evdns_base_nameserver_sockaddr_add(b, ptr::null(), 0, 0), -1);
            let short = [0u8; 4];
            assert_eq!(evdns_base_nameserver_sockaddr_add(b, short.as_ptr().cast(), 4, 0), 2);
            assert_eq!(evdns_base_get_nameserver_addr(b, -1, ptr::null_mut(), 0), -1);
            assert_eq!(CStr::from_ptr(evdns_err_to_string(DNS_ERR_TIMEOUT)), c"request timed out");
            assert_eq!(CStr::from_ptr(evdns_err_to_string(12345)), c"[Unknown error code]");
            evdns_base_free(b, 1);
            EventBase::free(eb, false);
        }
    }
}
