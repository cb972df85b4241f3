//! The evdns server entry points of `event2/dns.h`: argument checks, then `crate::dns::server`.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use crate::base::EventBase;
use crate::dns::api::{EVDNS_TYPE_A, EVDNS_TYPE_AAAA, EVDNS_TYPE_CNAME, EVDNS_TYPE_PTR, EVDNS_CLASS_INET};
use crate::dns::server::{evdns_request_callback_fn_type, inaddr_arpa_name, Data, EvdnsServerPort, EvdnsServerRequest, Section, ServerRequest};
use crate::ffi::event::current_base_or;
use crate::util::socket;

/// The request behind a C handle, or a warning and `$ret` for NULL.
macro_rules! request_arg {
    ($req:expr, $ret:expr, $func:literal) => {{
        ensure_arg!(!$req.is_null(), $ret, concat!($func, ": NULL request"));
        ServerRequest::from_handle($req)
    }};
}

/// The bytes of a C string argument, or a warning and `$ret` for NULL.
macro_rules! text_arg {
    ($s:expr, $ret:expr, $func:literal, $what:literal) => {{
        ensure_arg!(!$s.is_null(), $ret, concat!($func, ": NULL ", $what));
        // SAFETY: a non-NULL C string argument (the C API's contract).
        unsafe { CStr::from_ptr($s) }.to_bytes()
    }};
}

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port_with_base(
    base: *mut EventBase,
    socket: c_int,
    flags: c_int,
    cb: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut EvdnsServerPort {
    // A NULL base is the 1.x API's current base, as event_assign takes it.
    let base = current_base_or(base);
    ensure_arg!(!base.is_null(), ptr::null_mut(), "evdns_add_server_port_with_base: NULL base");
    // 2.1 serves UDP only: flags (is_tcp) must be 0.
    ensure_arg!(flags == 0, ptr::null_mut(), "evdns_add_server_port_with_base: flags {} not supported (UDP only)", flags);
    ensure_arg!(socket::is_open(socket), ptr::null_mut(), "evdns_add_server_port_with_base: bad socket {}", socket);
    let Some(cb) = cb else {
        warnx!("evdns_add_server_port_with_base: NULL callback");
        return ptr::null_mut();
    };
    // SAFETY: base is live (non-NULL; the caller's contract for the rest), socket is open.
    unsafe { EvdnsServerPort::new(base, socket, cb, user_data) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port(
    socket: c_int,
    flags: c_int,
    cb: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut EvdnsServerPort {
    // SAFETY: forwarded arguments; NULL means the current base.
    unsafe { evdns_add_server_port_with_base(ptr::null_mut(), socket, flags, cb, user_data) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_close_server_port(port: *mut EvdnsServerPort) {
    ensure_arg!(!port.is_null(), (), "evdns_close_server_port: NULL port");
    // SAFETY: a port from evdns_add_server_port* not closed yet (the C API's contract).
    unsafe { EvdnsServerPort::close(port) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_set_flags(req: *mut EvdnsServerRequest, flags: c_int) {
    ensure_arg!(!req.is_null(), (), "evdns_server_request_set_flags: NULL request");
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::set_flags(ServerRequest::from_handle(req), flags) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_reply(
    req: *mut EvdnsServerRequest,
    section: c_int,
    name: *const c_char,
    type_: c_int,
    class: c_int,
    ttl: c_int,
    datalen: c_int,
    is_name: c_int,
    data: *const c_char,
) -> c_int {
    const F: &str = "evdns_server_request_add_reply";
    let req = request_arg!(req, -1, "evdns_server_request_add_reply");
    let Some(section) = Section::from_c(section) else {
        warnx!("{}: bad section {}", F, section);
        return -1;
    };
    let name = text_arg!(name, -1, "evdns_server_request_add_reply", "name");
    let data = if is_name != 0 {
        Data::Name(text_arg!(data, -1, "evdns_server_request_add_reply", "name data"))
    } else {
        ensure_arg!((0..=0xffff).contains(&datalen), -1, "{}: bad data length {}", F, datalen);
        ensure_arg!(!data.is_null() || datalen == 0, -1, "{}: NULL data of length {}", F, datalen);
        if data.is_null() {
            Data::Bytes(&[])
        } else {
            // SAFETY: data has datalen readable bytes (the C API's contract).
            Data::Bytes(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), datalen as usize) })
        }
    };
    // Type, class and TTL are the wire's 16- and 32-bit fields, cut to them as upstream does.
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::add_reply(req, section, name, type_ as u16, class as u16, ttl as u32, [data]) }
}

/// add_a_reply and add_aaaa_reply: `n` addresses of `size` bytes, one record each.
unsafe fn add_addresses(req: *mut EvdnsServerRequest, name: *const c_char, n: c_int, addrs: *const c_void, ttl: c_int, rtype: c_int, func: &str) -> c_int {
    ensure_arg!(!req.is_null(), -1, "{}: NULL request", func);
    ensure_arg!(!name.is_null(), -1, "{}: NULL name", func);
    ensure_arg!(!addrs.is_null(), -1, "{}: NULL addresses", func);
    ensure_arg!(n > 0, -1, "{}: bad address count {}", func, n);
    let size = if rtype == EVDNS_TYPE_A { 4 } else { 16 };
    // SAFETY: addrs holds n addresses of `size` bytes (the C API's contract); n * size fits
    // (n is an int, size 16 at most).
    let bytes = unsafe { std::slice::from_raw_parts(addrs.cast::<u8>(), n as usize * size) };
    // SAFETY: a non-NULL C string (contract).
    let name = unsafe { CStr::from_ptr(name) }.to_bytes();
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::add_reply(ServerRequest::from_handle(req), Section::Answer, name, rtype as u16, EVDNS_CLASS_INET as u16, ttl as u32, bytes.chunks_exact(size).map(Data::Bytes)) }
}

/// One answer of IPv4 addresses per address (upstream put all `n` in one record, which only
/// its own resolver could read).
#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_a_reply(req: *mut EvdnsServerRequest, name: *const c_char, n: c_int, addrs: *const c_void, ttl: c_int) -> c_int {
    // SAFETY: forwarded arguments.
    unsafe { add_addresses(req, name, n, addrs, ttl, EVDNS_TYPE_A, "evdns_server_request_add_a_reply") }
}

/// As add_a_reply, for IPv6 addresses (16 bytes each).
#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_aaaa_reply(req: *mut EvdnsServerRequest, name: *const c_char, n: c_int, addrs: *const c_void, ttl: c_int) -> c_int {
    // SAFETY: forwarded arguments.
    unsafe { add_addresses(req, name, n, addrs, ttl, EVDNS_TYPE_AAAA, "evdns_server_request_add_aaaa_reply") }
}

/// A PTR answer for either an IPv4 address (`in`) or a name (`inaddr_name`): exactly one.
#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_ptr_reply(
    req: *mut EvdnsServerRequest,
    in_: *mut libc::in_addr,
    inaddr_name: *const c_char,
    hostname: *const c_char,
    ttl: c_int,
) -> c_int {
    const F: &str = "evdns_server_request_add_ptr_reply";
    let req = request_arg!(req, -1, "evdns_server_request_add_ptr_reply");
    ensure_arg!(in_.is_null() != inaddr_name.is_null(), -1, "{}: give exactly one of an address and a name", F);
    let hostname = text_arg!(hostname, -1, "evdns_server_request_add_ptr_reply", "hostname");
    let owned;
    let name = if in_.is_null() {
        // SAFETY: a non-NULL C string (the C API's contract).
        unsafe { CStr::from_ptr(inaddr_name) }.to_bytes()
    } else {
        // SAFETY: a non-NULL in_addr (the C API's contract); s_addr is in network order.
        owned = inaddr_arpa_name(unsafe { (*in_).s_addr }.to_ne_bytes());
        owned.as_bytes()
    };
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::add_reply(req, Section::Answer, name, EVDNS_TYPE_PTR as u16, EVDNS_CLASS_INET as u16, ttl as u32, [Data::Name(hostname)]) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_cname_reply(req: *mut EvdnsServerRequest, name: *const c_char, cname: *const c_char, ttl: c_int) -> c_int {
    let req = request_arg!(req, -1, "evdns_server_request_add_cname_reply");
    let name = text_arg!(name, -1, "evdns_server_request_add_cname_reply", "name");
    let cname = text_arg!(cname, -1, "evdns_server_request_add_cname_reply", "cname");
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::add_reply(req, Section::Answer, name, EVDNS_TYPE_CNAME as u16, EVDNS_CLASS_INET as u16, ttl as u32, [Data::Name(cname)]) }
}

/// 0: sent; 1: queued until the socket is writable; -1: not sent, the request is still the
/// caller's (see `ServerRequest::respond`).
#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_respond(req: *mut EvdnsServerRequest, err: c_int) -> c_int {
    let req = request_arg!(req, -1, "evdns_server_request_respond");
    // SAFETY: a live request the caller owns (the C API's contract).
    unsafe { ServerRequest::respond(req, err) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_drop(req: *mut EvdnsServerRequest) -> c_int {
    let req = request_arg!(req, -1, "evdns_server_request_drop");
    // SAFETY: a live request the caller owns (the C API's contract); gone afterwards.
    unsafe { ServerRequest::drop_request(req) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_get_requesting_addr(req: *mut EvdnsServerRequest, sa: *mut libc::sockaddr, addr_len: c_int) -> c_int {
    let req = request_arg!(req, -1, "evdns_server_request_get_requesting_addr");
    ensure_arg!(!sa.is_null(), -1, "evdns_server_request_get_requesting_addr: NULL address");
    ensure_arg!(addr_len >= 0, -1, "evdns_server_request_get_requesting_addr: bad length {}", addr_len);
    // SAFETY: sa has addr_len writable bytes (the C API's contract); req is live.
    unsafe {
        let out = std::slice::from_raw_parts_mut(sa.cast::<u8>(), addr_len as usize);
        (*req).copy_requesting_addr(out)
    }
}
