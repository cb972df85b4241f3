//! Entry points of `event2/util.h` and of upstream's internal `evutil_*_` / `EVUTIL_*_` helpers
//! (util-internal.h, time-internal.h, strlcpy-internal.h) that its tests and other modules call.
//! Each checks its pointers, converts C types and calls `crate::util` or `crate::time`.
//! (`evutil_snprintf` and `evutil_vsnprintf` are C-variadic: capi/log.c, ffi/variadic.rs.)

#![allow(non_snake_case)]

use std::ffi::{c_char, c_int, c_long, c_uint, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::time::MonotonicTimer;
use crate::util::addrinfo::{self, AddrInfo, GetaddrinfoCallback};
use crate::util::rand::WeakRand;
use crate::util::string::CharClass;
use crate::util::{addr, file, rand, socket, string, time as util_time};
use crate::mm;

/// The bytes of a C string, without its NUL.
///
/// # Safety
/// `s` is a valid NUL-terminated string that outlives the returned slice.
unsafe fn c_bytes<'a>(s: *const c_char) -> &'a [u8] {
    // SAFETY: caller's contract.
    unsafe { CStr::from_ptr(s) }.to_bytes()
}

/// A C string argument that may be NULL.
///
/// # Safety
/// `s` is NULL or a valid NUL-terminated string that outlives the result.
pub(crate) unsafe fn opt_cstr<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: caller's contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

/// Copies `text` into the C buffer `dst` of `len` bytes the way snprintf would (truncated,
/// NUL-terminated when `len > 0`) and returns the untruncated length.
///
/// # Safety
/// `dst` is writable for `len` bytes (or `len` is 0).
unsafe fn write_c_buffer(dst: *mut c_char, len: usize, text: &[u8]) -> usize {
    if len == 0 {
        return text.len();
    }
    // SAFETY: dst has len writable bytes (caller's contract).
    let out = unsafe { std::slice::from_raw_parts_mut(dst.cast::<u8>(), len) };
    string::strlcpy(out, text)
}

// ---- ASCII character classes and strings ----------------------------------------------------

macro_rules! char_class_fns {
    ($($name:ident => $class:ident),* $(,)?) => {
        $(
            #[no_mangle]
            pub extern "C" fn $name(c: c_char) -> c_int {
                c_int::from(CharClass::$class.contains(c as u8))
            }
        )*
    };
}

char_class_fns! {
    EVUTIL_ISALPHA_ => Alpha,
    EVUTIL_ISALNUM_ => Alnum,
    EVUTIL_ISSPACE_ => Space,
    EVUTIL_ISDIGIT_ => Digit,
    EVUTIL_ISXDIGIT_ => XDigit,
    EVUTIL_ISPRINT_ => Print,
    EVUTIL_ISLOWER_ => Lower,
    EVUTIL_ISUPPER_ => Upper,
}

#[no_mangle]
pub extern "C" fn EVUTIL_TOLOWER_(c: c_char) -> c_char {
    (c as u8).to_ascii_lowercase() as c_char
}

#[no_mangle]
pub extern "C" fn EVUTIL_TOUPPER_(c: c_char) -> c_char {
    (c as u8).to_ascii_uppercase() as c_char
}

/// Case-insensitive comparison; a NULL string compares as "".
unsafe fn casecmp(s1: *const c_char, s2: *const c_char, limit: usize) -> c_int {
    // SAFETY: non-NULL arguments are C strings (caller's contract).
    let (a, b) = unsafe { (opt_cstr(s1).map_or(&b""[..], CStr::to_bytes), opt_cstr(s2).map_or(&b""[..], CStr::to_bytes)) };
    string::ascii_casecmp(a, b, limit) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strcasecmp(s1: *const c_char, s2: *const c_char) -> c_int {
    // SAFETY: forwarded caller's contract.
    unsafe { casecmp(s1, s2, usize::MAX) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strncasecmp(s1: *const c_char, s2: *const c_char, n: usize) -> c_int {
    // SAFETY: forwarded caller's contract.
    unsafe { casecmp(s1, s2, n) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_rtrim_lws_(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: s is a writable C string (caller's contract).
    let bytes = unsafe { c_bytes(s) };
    let keep = string::rtrim_lws_len(bytes);
    if keep < bytes.len() {
        // SAFETY: keep is inside the string.
        unsafe { *s.add(keep) = 0 };
    }
}

#[no_mangle]
pub extern "C" fn evutil_hex_char_to_int_(c: c_char) -> c_int {
    string::hex_digit_value(c as u8).map_or(-1, c_int::from)
}

#[no_mangle]
pub unsafe extern "C" fn event_strlcpy_(dst: *mut c_char, src: *const c_char, size: usize) -> usize {
    ensure_arg!(!src.is_null(), 0, "event_strlcpy_: NULL source");
    ensure_arg!(!dst.is_null() || size == 0, 0, "event_strlcpy_: NULL destination");
    // SAFETY: src is a C string; dst has `size` writable bytes (caller's contract).
    unsafe { write_c_buffer(dst, size, c_bytes(src)) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_strtoll(s: *const c_char, endptr: *mut *mut c_char, base: c_int) -> i64 {
    ensure_arg!(!s.is_null(), 0, "evutil_strtoll: NULL string");
    // SAFETY: s is a C string; endptr is NULL or writable (caller's contract).
    unsafe { libc::strtoll(s, endptr, base) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_date_rfc1123(date: *mut c_char, datelen: usize, tm: *const libc::tm) -> c_int {
    if datelen == 0 {
        return 0; // as evutil_snprintf: nothing written, nothing counted
    }
    ensure_arg!(!date.is_null(), -1, "evutil_date_rfc1123: NULL buffer");
    let now;
    let tm = if tm.is_null() {
        now = util_time::utc_now();
        &now
    } else {
        // SAFETY: tm points to a broken-down time (caller's contract).
        unsafe { &*tm }
    };
    let Some(text) = util_time::date_rfc1123(tm) else {
        crate::warnx!("evutil_date_rfc1123: weekday or month out of range");
        return -1;
    };
    // SAFETY: date has datelen writable bytes (caller's contract).
    unsafe { write_c_buffer(date, datelen, text.as_bytes()) as c_int }
}

// ---- Addresses ------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_inet_ntop(af: c_int, src: *const c_void, dst: *mut c_char, len: usize) -> *const c_char {
    ensure_arg!(!src.is_null() && !dst.is_null(), std::ptr::null(), "evutil_inet_ntop: NULL argument");
    let text = match af {
        // SAFETY: src points to an in_addr / in6_addr for these families (caller's contract).
        libc::AF_INET => addr::format_ipv4(Ipv4Addr::from(unsafe { std::ptr::read_unaligned(src.cast::<[u8; 4]>()) })),
        // SAFETY: as above.
        libc::AF_INET6 => addr::format_ipv6(Ipv6Addr::from(unsafe { std::ptr::read_unaligned(src.cast::<[u8; 16]>()) })),
        _ => return std::ptr::null(),
    };
    if text.len() >= len {
        return std::ptr::null();
    }
    // SAFETY: dst has len > text.len() writable bytes (caller's contract).
    unsafe { write_c_buffer(dst, len, text.as_bytes()) };
    dst
}

/// Stores a parsed address into `dst` (an in_addr or in6_addr): 1, or 0 when unparseable.
unsafe fn store_parsed<const N: usize>(parsed: Option<[u8; N]>, dst: *mut c_void) -> c_int {
    match parsed {
        Some(bytes) => {
            // SAFETY: dst has room for the address of the family (caller's contract).
            unsafe { std::ptr::write_unaligned(dst.cast::<[u8; N]>(), bytes) };
            1
        }
        None => 0,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int {
    ensure_arg!(!src.is_null() && !dst.is_null(), -1, "evutil_inet_pton: NULL argument");
    // SAFETY: src is a C string (caller's contract).
    let text = unsafe { c_bytes(src) };
    // SAFETY: dst has room for the family's address (caller's contract).
    unsafe {
        match af {
            libc::AF_INET => store_parsed(addr::parse_ipv4(text).map(|a| a.octets()), dst),
            libc::AF_INET6 => store_parsed(addr::parse_ipv6(text).map(|a| a.octets()), dst),
            _ => -1,
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton_scope(af: c_int, src: *const c_char, dst: *mut c_void, indexp: *mut c_uint) -> c_int {
    ensure_arg!(!indexp.is_null(), -1, "evutil_inet_pton_scope: NULL index pointer");
    // SAFETY: indexp is writable (caller's contract).
    unsafe { *indexp = 0 };
    if af != libc::AF_INET6 {
        // SAFETY: forwarded caller's contract.
        return unsafe { evutil_inet_pton(af, src, dst) };
    }
    ensure_arg!(!src.is_null() && !dst.is_null(), -1, "evutil_inet_pton_scope: NULL argument");
    // SAFETY: src is a C string (caller's contract).
    match addr::parse_ipv6_scoped(unsafe { c_bytes(src) }) {
        // SAFETY: dst holds an in6_addr and indexp is writable (caller's contract).
        Some((ip, scope)) => unsafe {
            *indexp = scope;
            store_parsed(Some(ip.octets()), dst)
        },
        None => 0,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_parse_sockaddr_port(text: *const c_char, out: *mut libc::sockaddr, outlen: *mut c_int) -> c_int {
    ensure_arg!(!text.is_null() && !out.is_null() && !outlen.is_null(), -1, "evutil_parse_sockaddr_port: NULL argument");
    // SAFETY: text is a C string (caller's contract).
    let Some(parsed) = addr::parse_sockaddr_port(unsafe { c_bytes(text) }) else {
        return -1;
    };
    let c = addr::CSockAddr::new(&parsed);
    // SAFETY: outlen is readable and writable (caller's contract).
    let room = unsafe { *outlen };
    let needed = c.socklen() as c_int;
    if needed > room {
        return -1;
    }
    // SAFETY: out has `room` writable bytes (caller's contract) and room >= needed.
    unsafe {
        std::ptr::write_bytes(out.cast::<u8>(), 0, room as usize);
        std::ptr::copy_nonoverlapping(c.as_ptr().cast::<u8>(), out.cast::<u8>(), needed as usize);
        *outlen = needed;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn evutil_format_sockaddr_port_(sa: *const libc::sockaddr, out: *mut c_char, outlen: usize) -> *const c_char {
    ensure_arg!(!out.is_null() || outlen == 0, std::ptr::null(), "evutil_format_sockaddr_port_: NULL buffer");
    let text = if sa.is_null() {
        crate::warnx!("evutil_format_sockaddr_port_: NULL address");
        String::new()
    } else {
        // SAFETY: sa is a socket address complete for its family (caller's contract).
        addr::format_sockaddr_port(unsafe { addr::sockaddr_from_c(sa) })
    };
    // SAFETY: out has outlen writable bytes (caller's contract).
    unsafe { write_c_buffer(out, outlen, text.as_bytes()) };
    out
}

#[no_mangle]
pub unsafe extern "C" fn evutil_sockaddr_cmp(sa1: *const libc::sockaddr, sa2: *const libc::sockaddr, include_port: c_int) -> c_int {
    ensure_arg!(!sa1.is_null() && !sa2.is_null(), 1, "evutil_sockaddr_cmp: NULL address");
    // SAFETY: both are socket addresses complete for their family (caller's contract).
    let (a, b) = unsafe { (addr::sockaddr_from_c(sa1), addr::sockaddr_from_c(sa2)) };
    addr::sockaddr_cmp(a, b, include_port != 0)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_sockaddr_is_loopback_(sa: *const libc::sockaddr) -> c_int {
    ensure_arg!(!sa.is_null(), 0, "evutil_sockaddr_is_loopback_: NULL address");
    // SAFETY: sa is a socket address complete for its family (caller's contract).
    let parsed = unsafe { addr::sockaddr_from_c(sa) };
    c_int::from(parsed.is_ok_and(|a| addr::is_loopback(&a)))
}

#[no_mangle]
pub unsafe extern "C" fn evutil_v4addr_is_local_(ina: *const libc::in_addr) -> c_int {
    ensure_arg!(!ina.is_null(), 0, "evutil_v4addr_is_local_: NULL address");
    // SAFETY: ina points to an in_addr (caller's contract).
    let bytes = unsafe { std::ptr::read_unaligned(ina.cast::<[u8; 4]>()) };
    c_int::from(addr::ipv4_is_local(Ipv4Addr::from(bytes)))
}

#[no_mangle]
pub unsafe extern "C" fn evutil_v6addr_is_local_(in6: *const libc::in6_addr) -> c_int {
    ensure_arg!(!in6.is_null(), 0, "evutil_v6addr_is_local_: NULL address");
    // SAFETY: in6 points to an in6_addr (caller's contract).
    let bytes = unsafe { std::ptr::read_unaligned(in6.cast::<[u8; 16]>()) };
    c_int::from(addr::ipv6_is_local(Ipv6Addr::from(bytes)))
}

// ---- getaddrinfo ----------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo(node: *const c_char, serv: *const c_char, hints: *const AddrInfo, res: *mut *mut AddrInfo) -> c_int {
    ensure_arg!(!res.is_null(), addrinfo::EAI_FAIL, "evutil_getaddrinfo: NULL result pointer");
    // SAFETY: strings are NULL or C strings; hints NULL or valid; res writable (checked).
    unsafe { addrinfo::getaddrinfo(node, serv, hints, res) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_freeaddrinfo(ai: *mut AddrInfo) {
    // SAFETY: ai is NULL or a list from evutil_getaddrinfo / evdns (caller's contract).
    unsafe { addrinfo::freeaddrinfo(ai) }
}

#[no_mangle]
pub extern "C" fn evutil_gai_strerror(err: c_int) -> *const c_char {
    addrinfo::gai_strerror(err).as_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn evutil_new_addrinfo_(sa: *mut libc::sockaddr, socklen: libc::socklen_t, hints: *const AddrInfo) -> *mut AddrInfo {
    ensure_arg!(!sa.is_null() && !hints.is_null(), std::ptr::null_mut(), "evutil_new_addrinfo_: NULL argument");
    // SAFETY: sa has socklen bytes and hints is valid (caller's contract).
    unsafe { addrinfo::new_addrinfo(sa, socklen, &*hints) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_addrinfo_append_(first: *mut AddrInfo, append: *mut AddrInfo) -> *mut AddrInfo {
    // SAFETY: both are NULL or valid lists (caller's contract).
    unsafe { addrinfo::addrinfo_append(first, append) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_adjust_hints_for_addrconfig_(hints: *mut AddrInfo) {
    if hints.is_null() {
        crate::warnx!("evutil_adjust_hints_for_addrconfig_: NULL hints");
        return;
    }
    // SAFETY: hints is valid and writable (caller's contract).
    addrinfo::adjust_hints_for_addrconfig(unsafe { &mut *hints });
}

#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo_common_(
    node: *const c_char,
    serv: *const c_char,
    hints: *mut AddrInfo,
    res: *mut *mut AddrInfo,
    portnum: *mut c_int,
) -> c_int {
    ensure_arg!(
        !hints.is_null() && !res.is_null() && !portnum.is_null(),
        addrinfo::EAI_FAIL,
        "evutil_getaddrinfo_common_: NULL argument"
    );
    // SAFETY: strings are NULL or C strings; the other pointers are valid (checked, caller's
    // contract).
    unsafe { addrinfo::getaddrinfo_common(opt_cstr(node), opt_cstr(serv), &mut *hints, &mut *res, &mut *portnum) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo_async_(
    dns_base: *mut c_void,
    node: *const c_char,
    serv: *const c_char,
    hints: *const AddrInfo,
    cb: Option<GetaddrinfoCallback>,
    arg: *mut c_void,
) -> *mut c_void {
    let Some(cb) = cb else {
        crate::warnx!("evutil_getaddrinfo_async_: NULL callback");
        return std::ptr::null_mut();
    };
    // SAFETY: forwarded caller's contract.
    unsafe { addrinfo::getaddrinfo_async(dns_base, node, serv, hints, cb, arg) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo_cancel_async_(request: *mut c_void) {
    // SAFETY: request is NULL or pending (caller's contract).
    unsafe { addrinfo::getaddrinfo_cancel_async(request) }
}

#[no_mangle]
pub extern "C" fn evutil_set_evdns_getaddrinfo_fn_(f: Option<addrinfo::EvdnsGetaddrinfoFn>) {
    if let Some(f) = f {
        addrinfo::set_evdns_getaddrinfo(f);
    }
}

#[no_mangle]
pub extern "C" fn evutil_set_evdns_getaddrinfo_cancel_fn_(f: Option<addrinfo::EvdnsGetaddrinfoCancelFn>) {
    if let Some(f) = f {
        addrinfo::set_evdns_getaddrinfo_cancel(f);
    }
}

// ---- Random numbers -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_get_bytes(buf: *mut c_void, n: usize) {
    if n == 0 {
        return;
    }
    if buf.is_null() {
        crate::warnx!("evutil_secure_rng_get_bytes: NULL buffer");
        return;
    }
    // SAFETY: buf has n writable bytes (caller's contract).
    let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n) };
    if let Err(e) = rand::fill_secure(out) {
        // Handing back predictable bytes would be worse than stopping.
        crate::log::errx(1, format_args!("evutil_secure_rng_get_bytes: no kernel randomness: {e}"));
    }
}

#[no_mangle]
pub extern "C" fn evutil_secure_rng_init() -> c_int {
    let mut probe = [0u8; 1];
    if rand::fill_secure(&mut probe).is_ok() {
        0
    } else {
        -1
    }
}

/// The device is read only on kernels without getrandom(2); NULL restores /dev/urandom.
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_set_urandom_device_file(fname: *mut c_char) -> c_int {
    // SAFETY: fname is NULL or a C string (caller's contract).
    rand::set_fallback_device(unsafe { opt_cstr(fname) }.map(CStr::to_owned));
    0
}

/// The generator reads the kernel's pool on every call and keeps no state of its own, so there
/// is nothing to mix extra bytes into (Debian's libevent, built on glibc's arc4random, likewise
/// ignores them).
#[no_mangle]
pub extern "C" fn evutil_secure_rng_add_bytes(_dat: *const c_char, _datlen: usize) {}

/// Our globals are guarded by Rust synchronisation (atomics, Mutex, OnceLock), not by
/// evthread locks, so there is nothing to set up.
#[no_mangle]
pub extern "C" fn evutil_secure_rng_global_setup_locks_(_enable_locks: c_int) -> c_int {
    0
}

/// Same reason as `evutil_secure_rng_global_setup_locks_`.
#[no_mangle]
pub extern "C" fn evutil_global_setup_locks_(_enable_locks: c_int) -> c_int {
    0
}

/// The secure generator holds no allocated state.
#[no_mangle]
pub extern "C" fn evutil_free_secure_rng_globals_() {}

/// evutil holds no allocated global state (the interface scan for AI_ADDRCONFIG is a pair of
/// booleans, kept for the life of the process as upstream keeps it).
#[no_mangle]
pub extern "C" fn evutil_free_globals_() {
    evutil_free_secure_rng_globals_();
}

#[no_mangle]
pub unsafe extern "C" fn evutil_weakrand_seed_(state: *mut WeakRand, seed: u32) -> u32 {
    ensure_arg!(!state.is_null(), 0, "evutil_weakrand_seed_: NULL state");
    // SAFETY: state is valid and writable (caller's contract).
    unsafe { (*state).seed(seed) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_weakrand_(state: *mut WeakRand) -> i32 {
    ensure_arg!(!state.is_null(), 0, "evutil_weakrand_: NULL state");
    // SAFETY: state is valid and writable (caller's contract).
    unsafe { (*state).draw() }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_weakrand_range_(state: *mut WeakRand, top: i32) -> i32 {
    ensure_arg!(!state.is_null(), 0, "evutil_weakrand_range_: NULL state");
    ensure_arg!(top > 0, 0, "evutil_weakrand_range_: top {top} is not positive");
    // SAFETY: state is valid and writable (caller's contract).
    unsafe { (*state).below(top) }
}

pub type MemsetFn = unsafe extern "C" fn(*mut c_void, c_int, usize) -> *mut c_void;

/// `memset` behind a pointer the compiler must reload, so clearing secrets before freeing them
/// cannot be optimised away. Exported as data: programs may read or replace it.
#[no_mangle]
pub static mut evutil_memset_volatile_: MemsetFn = libc::memset;

#[no_mangle]
pub unsafe extern "C" fn evutil_memclear_(mem: *mut c_void, len: usize) {
    if len == 0 {
        return;
    }
    if mem.is_null() {
        crate::warnx!("evutil_memclear_: NULL buffer");
        return;
    }
    // SAFETY: a pointer-sized read of the exported variable through its symbol.
    let memset = unsafe { std::ptr::read_volatile(&raw const evutil_memset_volatile_) };
    // SAFETY: mem has len writable bytes (caller's contract).
    unsafe { memset(mem, 0, len) };
}

// ---- Sockets and descriptors ----------------------------------------------------------------

/// Views a C `evutil_socket_t[2]` argument.
///
/// # Safety
/// `fds` is NULL or points to two writable ints.
unsafe fn fd_pair<'a>(fds: *mut c_int) -> Option<&'a mut [c_int; 2]> {
    // SAFETY: caller's contract.
    (!fds.is_null()).then(|| unsafe { &mut *fds.cast::<[c_int; 2]>() })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_socketpair(family: c_int, ty: c_int, protocol: c_int, fds: *mut c_int) -> c_int {
    // SAFETY: fds is NULL or two writable ints (caller's contract).
    let Some(fds) = (unsafe { fd_pair(fds) }) else {
        mm::set_errno(libc::EINVAL);
        return -1;
    };
    socket::socketpair(family, ty, protocol, fds)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_ersatz_socketpair_(family: c_int, ty: c_int, protocol: c_int, fds: *mut c_int) -> c_int {
    // SAFETY: fds is NULL or two writable ints (caller's contract).
    let Some(fds) = (unsafe { fd_pair(fds) }) else {
        mm::set_errno(libc::EINVAL);
        return -1;
    };
    socket::ersatz_socketpair(family, ty, protocol, fds)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_make_internal_pipe_(fds: *mut c_int) -> c_int {
    // SAFETY: fds is NULL or two writable ints (caller's contract).
    let Some(fds) = (unsafe { fd_pair(fds) }) else {
        crate::warnx!("evutil_make_internal_pipe_: NULL descriptor array");
        return -1;
    };
    socket::make_internal_pipe(fds)
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(fd: c_int) -> c_int {
    socket::make_nonblocking(fd)
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(fd: c_int) -> c_int {
    socket::make_closeonexec(fd)
}

/// SO_REUSEADDR: the address can be bound again right after this listener closes.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(fd: c_int) -> c_int {
    socket::enable_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR)
}

/// SO_REUSEPORT: several sockets that all set it may listen on the same port.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable_port(fd: c_int) -> c_int {
    socket::enable_option(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT)
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_ipv6only(fd: c_int) -> c_int {
    socket::enable_option(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
}

/// TCP_DEFER_ACCEPT: accept() only once the client has sent data.
#[no_mangle]
pub extern "C" fn evutil_make_tcp_listen_socket_deferred(fd: c_int) -> c_int {
    socket::enable_option(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT)
}

#[no_mangle]
pub extern "C" fn evutil_closesocket(fd: c_int) -> c_int {
    // SAFETY: closing a descriptor the caller owns.
    unsafe { libc::close(fd) }
}

#[no_mangle]
pub extern "C" fn evutil_socket_(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    socket::socket(domain, ty, protocol)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_accept4_(fd: c_int, addr: *mut libc::sockaddr, addrlen: *mut libc::socklen_t, flags: c_int) -> c_int {
    // SAFETY: addr/addrlen are NULL or valid as for accept(2) (caller's contract).
    unsafe { socket::accept4(fd, addr, addrlen, flags) }
}

#[no_mangle]
pub extern "C" fn evutil_eventfd_(initval: c_uint, flags: c_int) -> c_int {
    socket::eventfd(initval, flags)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_socket_connect_(fd_ptr: *mut c_int, sa: *const libc::sockaddr, socklen: c_int) -> c_int {
    ensure_arg!(!fd_ptr.is_null() && !sa.is_null() && socklen > 0, -1, "evutil_socket_connect_: bad argument");
    // SAFETY: fd_ptr is writable and sa has socklen bytes (caller's contract).
    unsafe { socket::socket_connect(&mut *fd_ptr, sa, socklen as libc::socklen_t) }
}

#[no_mangle]
pub extern "C" fn evutil_socket_finished_connecting_(fd: c_int) -> c_int {
    socket::socket_finished_connecting(fd)
}

// ---- Files and environment ------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_open_closeonexec_(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    ensure_arg!(!path.is_null(), -1, "evutil_open_closeonexec_: NULL path");
    // SAFETY: path is a C string (caller's contract).
    file::open_closeonexec(unsafe { CStr::from_ptr(path) }, flags, mode as libc::mode_t)
}

/// 0 with the contents (NUL-terminated, from mm) in `*content_out`; -1 if the file cannot be
/// opened, -2 for any other failure. `is_binary` means nothing on Unix.
#[no_mangle]
pub unsafe extern "C" fn evutil_read_file_(filename: *const c_char, content_out: *mut *mut c_char, len_out: *mut usize, _is_binary: c_int) -> c_int {
    ensure_arg!(!content_out.is_null() && !len_out.is_null(), -2, "evutil_read_file_: NULL output pointer");
    // SAFETY: both output pointers are writable (caller's contract).
    unsafe {
        *content_out = std::ptr::null_mut();
        *len_out = 0;
    }
    ensure_arg!(!filename.is_null(), -1, "evutil_read_file_: NULL file name");
    // SAFETY: filename is a C string (caller's contract).
    match file::read_file(unsafe { CStr::from_ptr(filename) }) {
        // SAFETY: output pointers are writable (caller's contract).
        Ok(buf) => unsafe {
            *content_out = buf.ptr;
            *len_out = buf.len;
            0
        },
        Err(file::ReadFileError::Open) => -1,
        Err(file::ReadFileError::Other) => -2,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_getenv_(name: *const c_char) -> *const c_char {
    ensure_arg!(!name.is_null(), std::ptr::null(), "evutil_getenv_: NULL name");
    // SAFETY: name is a C string (caller's contract).
    file::getenv(unsafe { CStr::from_ptr(name) })
}

// ---- Time -----------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_tv_to_msec_(tv: *const libc::timeval) -> c_long {
    ensure_arg!(!tv.is_null(), -1, "evutil_tv_to_msec_: NULL timeval");
    // SAFETY: tv is readable (caller's contract).
    util_time::tv_to_msec(unsafe { &*tv })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_usleep_(tv: *const libc::timeval) {
    if !tv.is_null() {
        // SAFETY: tv is readable (caller's contract).
        util_time::sleep(unsafe { &*tv });
    }
}

/// A zeroed timer, to be configured with `evutil_configure_monotonic_time`.
#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_new() -> *mut MonotonicTimer {
    mm::calloc(1, std::mem::size_of::<MonotonicTimer>()).cast()
}

#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_free(timer: *mut MonotonicTimer) {
    if !timer.is_null() {
        mm::free(timer.cast());
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_configure_monotonic_time_(timer: *mut MonotonicTimer, flags: c_int) -> c_int {
    ensure_arg!(!timer.is_null(), -1, "evutil_configure_monotonic_time: NULL timer");
    // SAFETY: timer points to writable timer storage (caller's contract); configure overwrites
    // every field, so uninitialised storage is fine.
    unsafe { timer.write(MonotonicTimer::default()) };
    // SAFETY: just initialised.
    unsafe { (*timer).configure(flags) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evutil_configure_monotonic_time(timer: *mut MonotonicTimer, flags: c_int) -> c_int {
    // SAFETY: forwarded caller's contract.
    unsafe { evutil_configure_monotonic_time_(timer, flags) }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_gettime_monotonic_(timer: *mut MonotonicTimer, tp: *mut libc::timeval) -> c_int {
    ensure_arg!(!timer.is_null() && !tp.is_null(), -1, "evutil_gettime_monotonic: NULL argument");
    // SAFETY: timer is a configured timer and tp is writable (caller's contract).
    unsafe { *tp = (*timer).now() };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evutil_gettime_monotonic(timer: *mut MonotonicTimer, tp: *mut libc::timeval) -> c_int {
    // SAFETY: forwarded caller's contract.
    unsafe { evutil_gettime_monotonic_(timer, tp) }
}

const _: () = assert!(std::mem::size_of::<MonotonicTimer>() == 40);
const _: () = assert!(std::mem::size_of::<WeakRand>() == 4);
