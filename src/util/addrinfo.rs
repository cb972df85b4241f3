//! `evutil_getaddrinfo` and the helpers the asynchronous resolver (evdns) shares with it.
//!
//! `struct evutil_addrinfo` is the system's `struct addrinfo` on Linux, so blocking lookups go
//! to the C library's getaddrinfo and its results are freed by its freeaddrinfo. Lists that
//! libevent builds itself (numeric hosts answered without a lookup, evdns answers) are single
//! `mm` allocations per entry, marked with a private `ai_flags` bit so `freeaddrinfo` knows
//! which allocator to return them to.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::addr::{self, CSockAddr};
use crate::mm;

pub type AddrInfo = libc::addrinfo;

// `struct evutil_addrinfo` is `struct addrinfo`: check the layout the C side sees.
const _: () = assert!(size_of::<AddrInfo>() == 48);
const _: () = assert!(std::mem::offset_of!(AddrInfo, ai_addrlen) == 16);
const _: () = assert!(std::mem::offset_of!(AddrInfo, ai_addr) == 24);
const _: () = assert!(std::mem::offset_of!(AddrInfo, ai_canonname) == 32);
const _: () = assert!(std::mem::offset_of!(AddrInfo, ai_next) == 40);

// EVUTIL_AI_* flags: the system's AI_* values (glibc).
pub const AI_PASSIVE: c_int = libc::AI_PASSIVE;
pub const AI_CANONNAME: c_int = libc::AI_CANONNAME;
pub const AI_NUMERICHOST: c_int = libc::AI_NUMERICHOST;
pub const AI_NUMERICSERV: c_int = libc::AI_NUMERICSERV;
pub const AI_V4MAPPED: c_int = libc::AI_V4MAPPED;
pub const AI_ALL: c_int = libc::AI_ALL;
pub const AI_ADDRCONFIG: c_int = libc::AI_ADDRCONFIG;
/// Marks entries allocated by libevent rather than by the C library (never passed to it).
pub const AI_LIBEVENT_ALLOCATED: c_int = 0x8000_0000_u32 as c_int;

// EVUTIL_EAI_* codes: glibc's EAI_* values (libevent is built with _GNU_SOURCE, which also
// exposes EAI_ADDRFAMILY and EAI_NODATA), plus libevent's own two.
pub const EAI_ADDRFAMILY: c_int = -9;
pub const EAI_AGAIN: c_int = libc::EAI_AGAIN;
pub const EAI_BADFLAGS: c_int = libc::EAI_BADFLAGS;
pub const EAI_FAIL: c_int = libc::EAI_FAIL;
pub const EAI_FAMILY: c_int = libc::EAI_FAMILY;
pub const EAI_MEMORY: c_int = libc::EAI_MEMORY;
pub const EAI_NODATA: c_int = -5;
pub const EAI_NONAME: c_int = libc::EAI_NONAME;
pub const EAI_SERVICE: c_int = libc::EAI_SERVICE;
pub const EAI_SOCKTYPE: c_int = libc::EAI_SOCKTYPE;
pub const EAI_SYSTEM: c_int = libc::EAI_SYSTEM;
pub const EAI_CANCEL: c_int = -90001;
/// Internal: `getaddrinfo_common` could not answer without asking a DNS server.
pub const EAI_NEED_RESOLVE: c_int = -90002;

/// Text for an EVUTIL_EAI_* code (the wording upstream's evutil_gai_strerror uses); codes it does
/// not know go to the C library's gai_strerror.
pub fn gai_strerror(err: c_int) -> &'static CStr {
    match err {
        EAI_CANCEL => c"Request canceled",
        0 => c"No error",
        EAI_ADDRFAMILY => c"address family for nodename not supported",
        EAI_AGAIN => c"temporary failure in name resolution",
        EAI_BADFLAGS => c"invalid value for ai_flags",
        EAI_FAIL => c"non-recoverable failure in name resolution",
        EAI_FAMILY => c"ai_family not supported",
        EAI_MEMORY => c"memory allocation failure",
        EAI_NODATA => c"no address associated with nodename",
        EAI_NONAME => c"nodename nor servname provided, or not known",
        EAI_SERVICE => c"servname not supported for ai_socktype",
        EAI_SOCKTYPE => c"ai_socktype not supported",
        EAI_SYSTEM => c"system error",
        // SAFETY: gai_strerror returns a static NUL-terminated string for any code.
        other => unsafe { CStr::from_ptr(libc::gai_strerror(other)) },
    }
}

/// Hints with every field zero and family AF_UNSPEC.
pub fn empty_hints() -> AddrInfo {
    // SAFETY: addrinfo is plain data (integers and nullable pointers); all-zero is valid.
    unsafe { std::mem::zeroed() }
}

/// Blocking lookup through the C library. `hints` NULL means "any family, any socket type".
///
/// # Safety
/// `node`/`serv` are NULL or C strings, `hints` is NULL or valid, `res` is writable.
pub unsafe fn getaddrinfo(node: *const c_char, serv: *const c_char, hints: *const AddrInfo, res: *mut *mut AddrInfo) -> c_int {
    let mut hints = if hints.is_null() {
        empty_hints()
    } else {
        // SAFETY: hints is valid (caller's contract).
        unsafe { *hints }
    };
    hints.ai_flags &= !AI_LIBEVENT_ALLOCATED;
    // SAFETY: arguments are valid per the caller's contract; hints is a local copy.
    unsafe { libc::getaddrinfo(node, serv, &hints, res) }
}

/// Frees a list from `getaddrinfo` or from `new_addrinfo`.
///
/// # Safety
/// `ai` is NULL or the head of a list returned by one of those functions, not yet freed.
pub unsafe fn freeaddrinfo(ai: *mut AddrInfo) {
    if ai.is_null() {
        return;
    }
    // SAFETY: ai is a live list head (caller's contract).
    if unsafe { (*ai).ai_flags } & AI_LIBEVENT_ALLOCATED == 0 {
        // SAFETY: the C library allocated this list.
        unsafe { libc::freeaddrinfo(ai) };
        return;
    }
    let mut next = ai;
    while !next.is_null() {
        let node = next;
        // SAFETY: node is a live entry we allocated; its canonname (if any) came from mm.
        unsafe {
            next = (*node).ai_next;
            mm::free((*node).ai_canonname.cast());
        }
        mm::free(node.cast());
    }
}

/// A list entry for `sa` (`socklen` bytes, copied into the same allocation) with the socket
/// type and protocol of `hints`; when the hints name neither, two entries: TCP, then UDP.
/// NULL when out of memory.
///
/// # Safety
/// `sa` points to `socklen` readable bytes starting with a socket address family.
pub unsafe fn new_addrinfo(sa: *const libc::sockaddr, socklen: libc::socklen_t, hints: &AddrInfo) -> *mut AddrInfo {
    if hints.ai_socktype == 0 && hints.ai_protocol == 0 {
        let tcp = AddrInfo { ai_socktype: libc::SOCK_STREAM, ai_protocol: libc::IPPROTO_TCP, ..*hints };
        let udp = AddrInfo { ai_socktype: libc::SOCK_DGRAM, ai_protocol: libc::IPPROTO_UDP, ..*hints };
        // SAFETY: forwarded caller's contract.
        let first = unsafe { new_addrinfo(sa, socklen, &tcp) };
        if first.is_null() {
            return first;
        }
        // SAFETY: forwarded caller's contract.
        let second = unsafe { new_addrinfo(sa, socklen, &udp) };
        if second.is_null() {
            // SAFETY: first is a fresh list of ours.
            unsafe { freeaddrinfo(first) };
            return second;
        }
        // SAFETY: first is a fresh entry of ours.
        unsafe { (*first).ai_next = second };
        return first;
    }
    let node = mm::calloc(1, size_of::<AddrInfo>() + socklen as usize).cast::<AddrInfo>();
    if node.is_null() {
        return node;
    }
    // SAFETY: node has room for the addrinfo followed by socklen bytes of address (the
    // addrinfo size keeps the address 8-byte aligned); sa has socklen readable bytes.
    unsafe {
        let addr = node.add(1).cast::<libc::sockaddr>();
        std::ptr::copy_nonoverlapping(sa.cast::<u8>(), addr.cast::<u8>(), socklen as usize);
        (*node).ai_addr = addr;
        (*node).ai_addrlen = socklen;
        (*node).ai_family = c_int::from((*sa).sa_family);
        (*node).ai_flags = AI_LIBEVENT_ALLOCATED;
        (*node).ai_socktype = hints.ai_socktype;
        (*node).ai_protocol = hints.ai_protocol;
    }
    node
}

fn new_addrinfo_for(addr: &SocketAddr, hints: &AddrInfo) -> *mut AddrInfo {
    let c = CSockAddr::new(addr);
    // SAFETY: c holds a complete socket address of c.socklen() bytes.
    unsafe { new_addrinfo(c.as_ptr(), c.socklen(), hints) }
}

/// A list with the entries of `new_addrinfo` for each address, in order (NULL for none); None
/// when out of memory, with nothing left allocated.
pub fn new_addrinfo_list(addrs: &[SocketAddr], hints: &AddrInfo) -> Option<*mut AddrInfo> {
    // Built from the back, so each step walks only the one or two entries it adds.
    let mut head = std::ptr::null_mut();
    for sa in addrs.iter().rev() {
        let entry = new_addrinfo_for(sa, hints);
        if entry.is_null() {
            // SAFETY: head is NULL or a fresh list of ours.
            unsafe { freeaddrinfo(head) };
            return None;
        }
        // SAFETY: both are fresh, distinct lists of ours.
        head = unsafe { addrinfo_append(entry, head) };
    }
    Some(head)
}

/// Appends list `tail` to list `head`; returns the combined head (either may be NULL).
///
/// # Safety
/// Both are NULL or valid lists, distinct.
pub unsafe fn addrinfo_append(head: *mut AddrInfo, tail: *mut AddrInfo) -> *mut AddrInfo {
    if head.is_null() {
        return tail;
    }
    let mut last = head;
    // SAFETY: walking a valid list (caller's contract).
    unsafe {
        while !(*last).ai_next.is_null() {
            last = (*last).ai_next;
        }
        (*last).ai_next = tail;
    }
    head
}

/// Fills in whichever of socket type and protocol the other one implies.
pub fn infer_protocols(hints: &mut AddrInfo) {
    if hints.ai_protocol == 0 {
        match hints.ai_socktype {
            libc::SOCK_DGRAM => hints.ai_protocol = libc::IPPROTO_UDP,
            libc::SOCK_STREAM => hints.ai_protocol = libc::IPPROTO_TCP,
            _ => {}
        }
    }
    if hints.ai_socktype == 0 {
        match hints.ai_protocol {
            libc::IPPROTO_UDP => hints.ai_socktype = libc::SOCK_DGRAM,
            libc::IPPROTO_TCP | libc::IPPROTO_SCTP => hints.ai_socktype = libc::SOCK_STREAM,
            _ => {}
        }
    }
}

/// A decimal port 0-65535 with nothing else in the string.
fn numeric_port(servname: &[u8]) -> Option<u16> {
    if servname.is_empty() || !servname.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(servname).ok()?.parse().ok()
}

extern "C" {
    // glibc's reentrant service and protocol database lookups (not in the libc crate).
    fn getservbyname_r(
        name: *const c_char,
        proto: *const c_char,
        result_buf: *mut libc::servent,
        buf: *mut c_char,
        buflen: usize,
        result: *mut *mut libc::servent,
    ) -> c_int;
    fn getprotobynumber_r(
        proto: c_int,
        result_buf: *mut libc::protoent,
        buf: *mut c_char,
        buflen: usize,
        result: *mut *mut libc::protoent,
    ) -> c_int;
}

/// Port of a named service from the services database (`protocol` 0 means any).
fn service_port(servname: &CStr, protocol: c_int) -> Option<u16> {
    let proto_name = protocol_name(protocol);
    let proto_ptr = proto_name.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
    // SAFETY: servent is plain data.
    let mut ent: libc::servent = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::servent = std::ptr::null_mut();
    let mut buf = [0 as c_char; 1024];
    // SAFETY: all pointers are valid for the call; buf's length is passed.
    let r = unsafe { getservbyname_r(servname.as_ptr(), proto_ptr, &mut ent, buf.as_mut_ptr(), buf.len(), &mut found) };
    if r != 0 || found.is_null() {
        return None;
    }
    // s_port holds the port in network byte order in the low 16 bits.
    Some(u16::from_be(ent.s_port as u16))
}

/// The protocol name getservbyname wants for a protocol number.
fn protocol_name(protocol: c_int) -> Option<std::ffi::CString> {
    let known: &CStr = match protocol {
        0 => return None,
        libc::IPPROTO_TCP => c"tcp",
        libc::IPPROTO_UDP => c"udp",
        libc::IPPROTO_SCTP => c"sctp",
        other => {
            // SAFETY: protoent is plain data.
            let mut ent: libc::protoent = unsafe { std::mem::zeroed() };
            let mut found: *mut libc::protoent = std::ptr::null_mut();
            let mut buf = [0 as c_char; 1024];
            // SAFETY: all pointers are valid for the call; buf's length is passed.
            let r = unsafe { getprotobynumber_r(other, &mut ent, buf.as_mut_ptr(), buf.len(), &mut found) };
            if r != 0 || found.is_null() {
                return None;
            }
            // SAFETY: p_name points into buf, NUL-terminated, valid until buf goes away.
            return Some(unsafe { CStr::from_ptr(ent.p_name) }.to_owned());
        }
    };
    Some(known.to_owned())
}

/// The part of a lookup both resolvers share: fixes up `hints` (socket type and protocol),
/// resolves `servname` to a port, and answers directly when no DNS query is needed (no node
/// name, or a numeric address). Returns 0 with `*res` set, an EVUTIL_EAI_* error, or
/// `EAI_NEED_RESOLVE` with `*portnum` set when a name must be looked up.
pub fn getaddrinfo_common(
    nodename: Option<&CStr>,
    servname: Option<&CStr>,
    hints: &mut AddrInfo,
    res: &mut *mut AddrInfo,
    portnum: &mut c_int,
) -> c_int {
    if nodename.is_none() && servname.is_none() {
        return EAI_NONAME;
    }
    if ![libc::AF_UNSPEC, libc::AF_INET, libc::AF_INET6].contains(&hints.ai_family) {
        return EAI_FAMILY;
    }
    infer_protocols(hints);

    let mut port = 0;
    if let Some(serv) = servname {
        let named = || (hints.ai_flags & AI_NUMERICSERV == 0).then(|| service_port(serv, hints.ai_protocol)).flatten();
        match numeric_port(serv.to_bytes()).or_else(named) {
            Some(p) => port = p,
            None => return EAI_NONAME,
        }
    }

    let Some(node) = nodename else {
        // No host: the wildcard address to bind to, or loopback to connect to.
        let passive = hints.ai_flags & AI_PASSIVE != 0;
        let mut v6 = std::ptr::null_mut();
        if hints.ai_family != libc::AF_INET {
            let ip = if passive { Ipv6Addr::UNSPECIFIED } else { Ipv6Addr::LOCALHOST };
            v6 = new_addrinfo_for(&SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)), hints);
            if v6.is_null() {
                return EAI_MEMORY;
            }
        }
        let mut v4 = std::ptr::null_mut();
        if hints.ai_family != libc::AF_INET6 {
            let ip = if passive { Ipv4Addr::UNSPECIFIED } else { Ipv4Addr::LOCALHOST };
            v4 = new_addrinfo_for(&SocketAddr::V4(SocketAddrV4::new(ip, port)), hints);
            if v4.is_null() {
                // SAFETY: v6 is NULL or a fresh list of ours.
                unsafe { freeaddrinfo(v6) };
                return EAI_MEMORY;
            }
        }
        // SAFETY: both are NULL or fresh lists of ours.
        *res = unsafe { addrinfo_append(v4, v6) };
        return 0;
    };

    let numeric = match hints.ai_family {
        libc::AF_INET6 => addr::parse_ipv6_scoped(node.to_bytes()).map(|(ip, scope)| SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope))),
        libc::AF_INET => addr::parse_ipv4(node.to_bytes()).map(|ip| SocketAddr::V4(SocketAddrV4::new(ip, port))),
        _ => addr::parse_ipv6_scoped(node.to_bytes())
            .map(|(ip, scope)| SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)))
            .or_else(|| addr::parse_ipv4(node.to_bytes()).map(|ip| SocketAddr::V4(SocketAddrV4::new(ip, port)))),
    };
    if let Some(sa) = numeric {
        *res = new_addrinfo_for(&sa, hints);
        return if res.is_null() { EAI_MEMORY } else { 0 };
    }
    if hints.ai_flags & AI_NUMERICHOST != 0 {
        return EAI_NONAME;
    }
    *portnum = c_int::from(port);
    EAI_NEED_RESOLVE
}

/// Whether this host has a non-local IPv4 and a non-local IPv6 address; checked once.
fn configured_families() -> (bool, bool) {
    static FAMILIES: OnceLock<(bool, bool)> = OnceLock::new();
    *FAMILIES.get_or_init(|| {
        let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
        // SAFETY: list is a valid out-pointer.
        if unsafe { libc::getifaddrs(&mut list) } < 0 {
            crate::warn_errno!("Unable to call getifaddrs()");
            return (false, false);
        }
        let (mut v4, mut v6) = (false, false);
        let mut entry = list;
        while !entry.is_null() {
            // SAFETY: entry is a live element of the getifaddrs list.
            let sa = unsafe { (*entry).ifa_addr };
            if !sa.is_null() {
                // SAFETY: getifaddrs addresses are complete for their family.
                match unsafe { addr::sockaddr_from_c(sa) } {
                    Ok(SocketAddr::V4(a)) if !addr::ipv4_is_local(*a.ip()) => v4 = true,
                    Ok(SocketAddr::V6(a)) if !addr::ipv6_is_local(*a.ip()) => v6 = true,
                    _ => {}
                }
            }
            // SAFETY: as above.
            entry = unsafe { (*entry).ifa_next };
        }
        // SAFETY: list came from getifaddrs and is freed once.
        unsafe { libc::freeifaddrs(list) };
        (v4, v6)
    })
}

/// AI_ADDRCONFIG for lookups libevent answers itself: with AF_UNSPEC, narrow the family to the
/// only one this host has a routable address for.
pub fn adjust_hints_for_addrconfig(hints: &mut AddrInfo) {
    if hints.ai_flags & AI_ADDRCONFIG == 0 || hints.ai_family != libc::AF_UNSPEC {
        return;
    }
    match configured_families() {
        (true, false) => hints.ai_family = libc::AF_INET,
        (false, true) => hints.ai_family = libc::AF_INET6,
        _ => {}
    }
}

/// Callback of an asynchronous lookup: (error, result list, user argument).
pub type GetaddrinfoCallback = unsafe extern "C" fn(c_int, *mut AddrInfo, *mut c_void);
/// evdns's `evdns_getaddrinfo`, registered by the DNS module so evutil can use it without
/// depending on it.
pub type EvdnsGetaddrinfoFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    *const c_char,
    *const AddrInfo,
    Option<GetaddrinfoCallback>,
    *mut c_void,
) -> *mut c_void;
pub type EvdnsGetaddrinfoCancelFn = unsafe extern "C" fn(*mut c_void);

static EVDNS_GETADDRINFO: AtomicUsize = AtomicUsize::new(0);
static EVDNS_GETADDRINFO_CANCEL: AtomicUsize = AtomicUsize::new(0);

/// Registers the asynchronous resolver; the first registration wins.
pub fn set_evdns_getaddrinfo(f: EvdnsGetaddrinfoFn) {
    let _ = EVDNS_GETADDRINFO.compare_exchange(0, f as usize, Ordering::AcqRel, Ordering::Acquire);
}

pub fn set_evdns_getaddrinfo_cancel(f: EvdnsGetaddrinfoCancelFn) {
    let _ = EVDNS_GETADDRINFO_CANCEL.compare_exchange(0, f as usize, Ordering::AcqRel, Ordering::Acquire);
}

/// Looks up through evdns when a DNS base is given and evdns is registered; otherwise resolves
/// now, blocking, delivers the answer to `cb` before returning, and returns NULL.
///
/// # Safety
/// Arguments as for `getaddrinfo`; `cb` is called with `arg`.
pub unsafe fn getaddrinfo_async(
    dns_base: *mut c_void,
    node: *const c_char,
    serv: *const c_char,
    hints: *const AddrInfo,
    cb: GetaddrinfoCallback,
    arg: *mut c_void,
) -> *mut c_void {
    let evdns = EVDNS_GETADDRINFO.load(Ordering::Acquire);
    if !dns_base.is_null() && evdns != 0 {
        // SAFETY: only EvdnsGetaddrinfoFn values are stored in EVDNS_GETADDRINFO.
        let f = unsafe { std::mem::transmute::<usize, EvdnsGetaddrinfoFn>(evdns) };
        // SAFETY: forwarding the caller's arguments to the registered resolver.
        return unsafe { f(dns_base, node, serv, hints, Some(cb), arg) };
    }
    let mut ai = std::ptr::null_mut();
    // SAFETY: forwarded caller's contract; ai is a valid out-pointer.
    let err = unsafe { getaddrinfo(node, serv, hints, &mut ai) };
    // SAFETY: the callback takes ownership of ai, as with evdns answers.
    unsafe { cb(err, ai, arg) };
    std::ptr::null_mut()
}

/// Cancels a request returned by `getaddrinfo_async` (NULL requests are already finished).
///
/// # Safety
/// `request` is NULL or a pending evdns request.
pub unsafe fn getaddrinfo_cancel_async(request: *mut c_void) {
    let cancel = EVDNS_GETADDRINFO_CANCEL.load(Ordering::Acquire);
    if cancel != 0 && !request.is_null() {
        // SAFETY: only EvdnsGetaddrinfoCancelFn values are stored here.
        let f = unsafe { std::mem::transmute::<usize, EvdnsGetaddrinfoCancelFn>(cancel) };
        // SAFETY: request is pending (caller's contract).
        unsafe { f(request) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries of a list as (family, socktype, protocol, address).
    fn entries(mut ai: *mut AddrInfo) -> Vec<(c_int, c_int, c_int, SocketAddr)> {
        let mut out = Vec::new();
        while !ai.is_null() {
            // SAFETY: ai is a live entry with a complete address.
            unsafe {
                out.push(((*ai).ai_family, (*ai).ai_socktype, (*ai).ai_protocol, addr::sockaddr_from_c((*ai).ai_addr).unwrap()));
                ai = (*ai).ai_next;
            }
        }
        out
    }

    fn common(node: Option<&CStr>, serv: Option<&CStr>, family: c_int, flags: c_int, socktype: c_int) -> Result<Vec<(c_int, c_int, c_int, SocketAddr)>, c_int> {
        let mut hints = AddrInfo { ai_family: family, ai_flags: flags, ai_socktype: socktype, ..empty_hints() };
        let mut res = std::ptr::null_mut();
        let mut port = -1;
        match getaddrinfo_common(node, serv, &mut hints, &mut res, &mut port) {
            0 => {
                let list = entries(res);
                // SAFETY: res is our fresh list.
                unsafe { freeaddrinfo(res) };
                Ok(list)
            }
            err => Err(err),
        }
    }

    #[test]
    fn numeric_and_empty_hosts_are_answered_locally() {
        let tcp = (libc::SOCK_STREAM, libc::IPPROTO_TCP);
        let r = common(Some(c"1.2.3.4"), Some(c"8080"), libc::AF_UNSPEC, 0, libc::SOCK_STREAM).unwrap();
        assert_eq!(r, vec![(libc::AF_INET, tcp.0, tcp.1, "1.2.3.4:8080".parse().unwrap())]);

        let r = common(None, Some(c"9999"), libc::AF_UNSPEC, AI_PASSIVE, 0).unwrap();
        let addrs: Vec<_> = r.iter().map(|e| (e.1, e.3)).collect();
        assert_eq!(
            addrs,
            vec![
                (libc::SOCK_STREAM, "0.0.0.0:9999".parse().unwrap()),
                (libc::SOCK_DGRAM, "0.0.0.0:9999".parse().unwrap()),
                (libc::SOCK_STREAM, "[::]:9999".parse().unwrap()),
                (libc::SOCK_DGRAM, "[::]:9999".parse().unwrap()),
            ]
        );
        let r = common(None, Some(c"9998"), libc::AF_INET6, 0, libc::SOCK_STREAM).unwrap();
        assert_eq!(r, vec![(libc::AF_INET6, tcp.0, tcp.1, "[::1]:9998".parse().unwrap())]);
        let r = common(Some(c"fe80::1%1"), None, libc::AF_INET6, 0, libc::SOCK_DGRAM).unwrap();
        assert_eq!(r[0].3, SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 0, 0, 1)));
    }

    #[test]
    fn common_errors() {
        assert_eq!(common(None, None, libc::AF_UNSPEC, 0, 0), Err(EAI_NONAME));
        assert_eq!(common(Some(c"1.2.3.4"), None, libc::AF_UNIX, 0, 0), Err(EAI_FAMILY));
        assert_eq!(common(Some(c"www.example.com"), Some(c"80"), libc::AF_UNSPEC, AI_NUMERICHOST, 0), Err(EAI_NONAME));
        assert_eq!(common(Some(c"1.2.3.4"), Some(c"http"), libc::AF_UNSPEC, AI_NUMERICSERV, 0), Err(EAI_NONAME));
        assert_eq!(common(Some(c"1.2.3.4"), Some(c"70000"), libc::AF_UNSPEC, 0, 0), Err(EAI_NONAME));
        assert_eq!(common(Some(c"::1"), None, libc::AF_INET, 0, 0).err(), Some(EAI_NEED_RESOLVE));
        let mut hints = empty_hints();
        let mut res = std::ptr::null_mut();
        let mut port = -1;
        assert_eq!(getaddrinfo_common(Some(c"www.example.com"), Some(c"443"), &mut hints, &mut res, &mut port), EAI_NEED_RESOLVE);
        assert_eq!(port, 443);
        assert!(res.is_null());
    }

    #[test]
    fn protocols_are_inferred() {
        let mut h = AddrInfo { ai_socktype: libc::SOCK_DGRAM, ..empty_hints() };
        infer_protocols(&mut h);
        assert_eq!(h.ai_protocol, libc::IPPROTO_UDP);
        let mut h = AddrInfo { ai_protocol: libc::IPPROTO_TCP, ..empty_hints() };
        infer_protocols(&mut h);
        assert_eq!(h.ai_socktype, libc::SOCK_STREAM);
    }

    #[test]
    fn system_lookups_and_freeing() {
        let hints = AddrInfo { ai_flags: AI_NUMERICHOST | AI_LIBEVENT_ALLOCATED, ai_socktype: libc::SOCK_STREAM, ..empty_hints() };
        let mut res = std::ptr::null_mut();
        // SAFETY: valid strings, hints and out-pointer.
        assert_eq!(unsafe { getaddrinfo(c"1001:b0b::f00f".as_ptr(), c"4321".as_ptr(), &hints, &mut res) }, 0);
        let list = entries(res);
        assert_eq!(list, vec![(libc::AF_INET6, libc::SOCK_STREAM, libc::IPPROTO_TCP, "[1001:b0b::f00f]:4321".parse().unwrap())]);
        // SAFETY: res is the C library's list; our flag must not have reached it.
        unsafe {
            assert_eq!((*res).ai_flags & AI_LIBEVENT_ALLOCATED, 0);
            freeaddrinfo(res);
        }
        let mut res = std::ptr::null_mut();
        // SAFETY: as above.
        assert_eq!(unsafe { getaddrinfo(c"www.google.com".as_ptr(), c"80".as_ptr(), &hints, &mut res) }, EAI_NONAME);
    }

    #[test]
    fn error_text() {
        assert_eq!(gai_strerror(EAI_CANCEL), c"Request canceled");
        assert_eq!(gai_strerror(EAI_NONAME), c"nodename nor servname provided, or not known");
        assert!(!gai_strerror(-12).to_bytes().is_empty());
    }
}
