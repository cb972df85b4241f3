//! Textual IP addresses and socket addresses: libevent's own, locale-free `inet_pton`/`inet_ntop`
//! (with IPv6 zone ids), the "address[:port]" syntax of `evutil_parse_sockaddr_port`, the
//! "address:port" text used in log messages, ordering of socket addresses, and the
//! "is this address local" predicates used by the resolver.
//!
//! The parsing and formatting work on Rust types (`Ipv4Addr`, `Ipv6Addr`, `SocketAddr`); the
//! `sockaddr` conversions at the end are the only place that touches C layouts.

use std::cmp::Ordering;
use std::ffi::{c_int, CString};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Dotted-quad IPv4: exactly four decimal parts, each at most 255. Leading zeros are decimal
/// (upstream reads each part as `%u`), nothing else is allowed: no hex, no shortened forms, no
/// trailing characters.
pub fn parse_ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&c| c == b'.');
    for octet in &mut octets {
        *octet = parse_decimal(parts.next()?, 255)? as u8;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// A non-empty run of decimal digits whose value is at most `max`.
fn parse_decimal(digits: &[u8], max: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &c| {
        let digit = (c as char).to_digit(10)?;
        let value = acc.checked_mul(10)?.checked_add(digit)?;
        (value <= max).then_some(value)
    })
}

/// Textual IPv6 as RFC 4291 section 2.2 writes it: eight groups of 1-4 hex digits, one `::`
/// standing for at least one zero group, and optionally a dotted IPv4 address as the last 32 bits.
pub fn parse_ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    let text = std::str::from_utf8(text).ok()?;
    // Split off an embedded IPv4 tail ("::ffff:1.2.3.4"): it follows the last ':' before the dot.
    let (groups_text, ipv4_tail) = match text.find('.') {
        None => (text, None),
        Some(dot) => {
            let start = text[..dot].rfind(':')? + 1;
            let v4 = parse_ipv4(&text.as_bytes()[start..])?;
            let head = &text[..start];
            // "1:2::1.2.3.4" keeps its "::"; "::ffff:1.2.3.4" drops the separator colon.
            let head = if head.ends_with("::") { head } else { &head[..head.len() - 1] };
            (head, Some(v4))
        }
    };
    let tail_groups = if ipv4_tail.is_some() { 2 } else { 0 };

    let parse_groups = |part: &str| -> Option<Vec<u16>> {
        if part.is_empty() {
            return Some(Vec::new());
        }
        part.split(':')
            .map(|g| {
                let ok = (1..=4).contains(&g.len()) && g.bytes().all(|c| c.is_ascii_hexdigit());
                ok.then(|| u16::from_str_radix(g, 16).ok()).flatten()
            })
            .collect()
    };

    let mut halves = groups_text.split("::");
    let before = parse_groups(halves.next()?)?;
    let after = halves.next().map(parse_groups);
    if halves.next().is_some() {
        return None; // more than one "::"
    }

    let mut words = [0u16; 8];
    match after {
        None => {
            if before.len() + tail_groups != 8 {
                return None;
            }
            words[..before.len()].copy_from_slice(&before);
        }
        Some(after) => {
            let after = after?;
            let explicit = before.len() + after.len() + tail_groups;
            if explicit >= 8 {
                return None; // "::" must stand for at least one group
            }
            words[..before.len()].copy_from_slice(&before);
            let after_start = 8 - tail_groups - after.len();
            words[after_start..after_start + after.len()].copy_from_slice(&after);
        }
    }
    if let Some(v4) = ipv4_tail {
        let [a, b, c, d] = v4.octets();
        words[6] = u16::from_be_bytes([a, b]);
        words[7] = u16::from_be_bytes([c, d]);
    }
    Some(Ipv6Addr::from(words))
}

/// An IPv6 address with an optional `%zone` suffix. The zone is an interface name or a decimal
/// index; without a zone the index is 0.
pub fn parse_ipv6_scoped(text: &[u8]) -> Option<(Ipv6Addr, u32)> {
    let Some(percent) = text.iter().position(|&c| c == b'%') else {
        return parse_ipv6(text).map(|a| (a, 0));
    };
    let zone = &text[percent + 1..];
    let index = interface_index(zone).or_else(|| parse_decimal(zone, u32::MAX))?;
    Some((parse_ipv6(&text[..percent])?, index))
}

/// The kernel's index of the network interface called `name`.
fn interface_index(name: &[u8]) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: name is a valid NUL-terminated string.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}

/// Dotted-quad text of an IPv4 address.
pub fn format_ipv4(addr: Ipv4Addr) -> String {
    let [a, b, c, d] = addr.octets();
    format!("{a}.{b}.{c}.{d}")
}

/// Text of an IPv6 address as upstream writes it: lower-case hex without leading zeros, the
/// longest run (first on ties) of two or more zero groups shortened to `::`, and IPv4-compatible
/// (`::a.b.c.d`, when neither of the two low groups is zero) and IPv4-mapped (`::ffff:a.b.c.d`)
/// addresses with a dotted tail.
pub fn format_ipv6(addr: Ipv6Addr) -> String {
    let w = addr.segments();
    let o = addr.octets();
    if w[..5].iter().all(|&g| g == 0) && ((w[5] == 0 && w[6] != 0 && w[7] != 0) || w[5] == 0xffff) {
        let prefix = if w[5] == 0 { "::" } else { "::ffff:" };
        return format!("{prefix}{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
    }

    // Longest run of zero groups: (start, length).
    let mut best = (0usize, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best.1 {
                best = (start, i - start);
            }
        } else {
            i += 1;
        }
    }

    let hex = |groups: &[u16]| groups.iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":");
    if best.1 < 2 {
        return hex(&w);
    }
    let (start, len) = best;
    format!("{}::{}", hex(&w[..start]), hex(&w[start + len..]))
}

/// Parses the forms `[ipv6]:port`, `[ipv6]`, `ipv6`, `ipv4:port` and `ipv4` (IPv6 with an
/// optional `%zone`). A missing port is 0; a given port must be 1-65535.
pub fn parse_sockaddr_port(text: &[u8]) -> Option<SocketAddr> {
    let (host, port_text, is_ipv6) = if let Some(rest) = text.strip_prefix(b"[") {
        let close = rest.iter().position(|&c| c == b']')?;
        let after = &rest[close + 1..];
        let port_text = match after {
            [] => None,
            [b':', port @ ..] => Some(port),
            _ => return None,
        };
        (&rest[..close], port_text, true)
    } else {
        match text.iter().position(|&c| c == b':') {
            // Two or more colons: a bare IPv6 address, which cannot carry a port.
            Some(colon) if text[colon + 1..].contains(&b':') => (text, None, true),
            Some(colon) => (&text[..colon], Some(&text[colon + 1..]), false),
            None => (text, None, false),
        }
    };
    let port = match port_text {
        None => 0,
        Some(digits) => parse_decimal(digits, 65535).filter(|&p| p != 0)? as u16,
    };
    if is_ipv6 {
        let (addr, scope) = parse_ipv6_scoped(host)?;
        Some(SocketAddr::V6(SocketAddrV6::new(addr, port, 0, scope)))
    } else {
        Some(SocketAddr::V4(SocketAddrV4::new(parse_ipv4(host)?, port)))
    }
}

/// "a.b.c.d:port" or "[v6]:port"; any other family as "<addr with socktype N>".
pub fn format_sockaddr_port(addr: Result<SocketAddr, c_int>) -> String {
    match addr {
        Ok(SocketAddr::V4(a)) => format!("{}:{}", format_ipv4(*a.ip()), a.port()),
        Ok(SocketAddr::V6(a)) => format!("[{}]:{}", format_ipv6(*a.ip()), a.port()),
        Err(family) => format!("<addr with socktype {family}>"),
    }
}

/// Orders two socket addresses: by family, then address, then (if `include_port`) port.
/// Returns 0 when equal; addresses of another family compare as "different" (1).
pub fn sockaddr_cmp(a: Result<SocketAddr, c_int>, b: Result<SocketAddr, c_int>, include_port: bool) -> c_int {
    let family = |x: &Result<SocketAddr, c_int>| match x {
        Ok(SocketAddr::V4(_)) => libc::AF_INET,
        Ok(SocketAddr::V6(_)) => libc::AF_INET6,
        Err(f) => *f,
    };
    let family_diff = family(&a) - family(&b);
    if family_diff != 0 {
        return family_diff;
    }
    let (addr_order, ports) = match (a, b) {
        (Ok(SocketAddr::V4(x)), Ok(SocketAddr::V4(y))) => (x.ip().cmp(y.ip()), (x.port(), y.port())),
        (Ok(SocketAddr::V6(x)), Ok(SocketAddr::V6(y))) => (x.ip().cmp(y.ip()), (x.port(), y.port())),
        _ => return 1,
    };
    let order = match addr_order {
        Ordering::Equal if include_port => ports.0.cmp(&ports.1),
        other => other,
    };
    order as c_int
}

/// 127.0.0.0/8 or ::1.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(a) => a.ip().octets()[0] == 127,
        SocketAddr::V6(a) => *a.ip() == Ipv6Addr::LOCALHOST,
    }
}

/// Addresses that never reach another host: unspecified, loopback 127/8, link-local
/// 169.254/16 and multicast 224/4.
pub fn ipv4_is_local(addr: Ipv4Addr) -> bool {
    let [a, b, ..] = addr.octets();
    addr.is_unspecified() || a == 127 || (a == 169 && b == 254) || (a & 0xf0) == 0xe0
}

/// The IPv6 counterpart of `ipv4_is_local`: anything in ::/64 (unspecified, loopback,
/// IPv4-compatible and IPv4-mapped), unique-local fc00::/7, link-local fe80::/10,
/// site-local fec0::/10 and multicast ff00::/8.
pub fn ipv6_is_local(addr: Ipv6Addr) -> bool {
    let o = addr.octets();
    o[..8].iter().all(|&b| b == 0) || (o[0] & 0xfe) == 0xfc || (o[0] == 0xfe && (o[1] & 0x80) == 0x80) || o[0] == 0xff
}

// C layouts.

/// Reads a `sockaddr_in` or `sockaddr_in6`; any other family is returned as `Err(family)`.
///
/// # Safety
/// `sa` must point to a readable socket address whose size matches its family (at least a
/// `sockaddr_in` for AF_INET, a `sockaddr_in6` for AF_INET6, the family field otherwise).
pub unsafe fn sockaddr_from_c(sa: *const libc::sockaddr) -> Result<SocketAddr, c_int> {
    // SAFETY: every socket address starts with its family (caller's contract).
    let family = c_int::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET address is a sockaddr_in (caller's contract); may be unaligned.
            let sin = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 address is a sockaddr_in6 (caller's contract); may be unaligned.
            let sin6 = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, u32::from_be(sin6.sin6_flowinfo), sin6.sin6_scope_id)))
        }
        other => Err(other),
    }
}

/// A socket address in C layout, with its length.
pub enum CSockAddr {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
}

impl CSockAddr {
    pub fn new(addr: &SocketAddr) -> CSockAddr {
        match addr {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_in is plain data; all-zero is a valid value.
                let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                CSockAddr::V4(sin)
            }
            SocketAddr::V6(a) => {
                // SAFETY: sockaddr_in6 is plain data; all-zero is a valid value.
                let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo().to_be();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                CSockAddr::V6(sin6)
            }
        }
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        match self {
            CSockAddr::V4(sin) => (sin as *const libc::sockaddr_in).cast(),
            CSockAddr::V6(sin6) => (sin6 as *const libc::sockaddr_in6).cast(),
        }
    }

    pub fn socklen(&self) -> libc::socklen_t {
        let size = match self {
            CSockAddr::V4(_) => std::mem::size_of::<libc::sockaddr_in>(),
            CSockAddr::V6(_) => std::mem::size_of::<libc::sockaddr_in6>(),
        };
        size as libc::socklen_t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(text: &str) -> Option<[u16; 8]> {
        parse_ipv6(text.as_bytes()).map(|a| a.segments())
    }

    #[test]
    fn ipv4_parsing_is_strict() {
        assert_eq!(parse_ipv4(b"1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(Ipv4Addr::BROADCAST));
        assert_eq!(parse_ipv4(b"010.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        for bad in ["256.0.0.0", "ABC", "1.2.3.4.5", "1.2.3", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.", "+1.2.3.4", "4294967297.0.0.0", ""] {
            assert_eq!(parse_ipv4(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn ipv6_parsing_matches_upstream_table() {
        assert_eq!(v6("::"), Some([0; 8]));
        assert_eq!(v6("0:0:0:0:0:0:0:0"), Some([0; 8]));
        assert_eq!(v6("::1"), Some([0, 0, 0, 0, 0, 0, 0, 1]));
        assert_eq!(v6("::1.2.3.4"), Some([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]));
        assert_eq!(v6("ffff:1::"), Some([0xffff, 1, 0, 0, 0, 0, 0, 0]));
        assert_eq!(v6("ffff:0000::"), Some([0xffff, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(v6("ffff::1234"), Some([0xffff, 0, 0, 0, 0, 0, 0, 0x1234]));
        assert_eq!(v6("0102::1.2.3.4"), Some([0x0102, 0, 0, 0, 0, 0, 0x0102, 0x0304]));
        assert_eq!(v6("::9:c0a8:1:1"), Some([0, 0, 0, 0, 9, 0xc0a8, 1, 1]));
        assert_eq!(v6("::ffff:1.2.3.4"), Some([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]));
        assert_eq!(v6("FFFF::"), Some([0xffff, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(v6("1:2:3:4:5:6:1.2.3.4"), Some([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]));
        let bad = [
            "foobar.", "foobar", "fo:obar", "ffff", "fffff::", "::1.0.1.1000", "1:2:33333:4::",
            "1:2:3:4:5:6:7:8:9", "1::2::3", ":::1", "1:2:3:4::5:6:7:8", "1.2.3.4", "1:1.2.3.4",
            "::a1.2.3.4", ":1::", "1::2:", "1:2:3:4:5:6:7:", "", ":", "::1.2.3.4:5",
        ];
        for text in bad {
            assert_eq!(v6(text), None, "{text}");
        }
    }

    #[test]
    fn ipv6_formatting_is_canonical() {
        for text in ["::", "::1", "::1.2.3.4", "ffff:1::", "ffff::1234", "::9:c0a8:1:1", "::ffff:1.2.3.4", "1:0:2::3:0:0", "1:0:2:3:4:5:6:7", "fe80::1:2"] {
            assert_eq!(format_ipv6(parse_ipv6(text.as_bytes()).unwrap()), text);
        }
        // The first of two equally long zero runs is the one shortened.
        assert_eq!(format_ipv6(Ipv6Addr::new(1, 0, 0, 2, 0, 0, 3, 4)), "1::2:0:0:3:4");
        assert_eq!(format_ipv4(Ipv4Addr::new(176, 192, 208, 244)), "176.192.208.244");
    }

    #[test]
    fn zone_ids() {
        let db8 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0);
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::"), Some((db8, 0)));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%0"), Some((db8, 0)));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%1"), Some((db8, 1)));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%lo"), Some((db8, interface_index(b"lo").unwrap())));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%does-not-exist"), None);
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%"), None);
        assert_eq!(parse_ipv6_scoped(b"foobar."), None);
    }

    #[test]
    fn sockaddr_port_forms() {
        let p = |t: &str| parse_sockaddr_port(t.as_bytes());
        assert_eq!(p("[ffff::1]:1000"), Some("[ffff::1]:1000".parse().unwrap()));
        assert_eq!(p("[ffff::1]"), Some("[ffff::1]:0".parse().unwrap()));
        assert_eq!(p("::1"), Some("[::1]:0".parse().unwrap()));
        assert_eq!(p("1:2::1"), Some("[1:2::1]:0".parse().unwrap()));
        assert_eq!(p("192.168.0.1:50"), Some("192.168.0.1:50".parse().unwrap()));
        assert_eq!(p("1.2.3.4"), Some("1.2.3.4:0".parse().unwrap()));
        assert_eq!(p("[::1%1]:80"), Some(SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 80, 0, 1))));
        for bad in ["[ffff::1", "[ffff::1]:65599", "[ffff::1]:0", "[ffff::1]:-1", "[ffff::1]:", "[::1]x", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:x", "1.2.3:80", "[1.2.3.4]:80", ""] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn sockaddr_text_and_order() {
        let a: SocketAddr = "192.168.1.1:80".parse().unwrap();
        let b: SocketAddr = "[ff00::8010]:999".parse().unwrap();
        assert_eq!(format_sockaddr_port(Ok(a)), "192.168.1.1:80");
        assert_eq!(format_sockaddr_port(Ok(b)), "[ff00::8010]:999");
        assert_eq!(format_sockaddr_port(Err(99)), "<addr with socktype 99>");

        let a2: SocketAddr = "192.168.1.1:81".parse().unwrap();
        assert_eq!(sockaddr_cmp(Ok(a), Ok(a2), false), 0);
        assert!(sockaddr_cmp(Ok(a), Ok(a2), true) < 0);
        assert!(sockaddr_cmp(Ok(a), Ok(b), true) < 0);
        assert!(sockaddr_cmp(Ok(b), Ok(a), true) > 0);
        assert_eq!(sockaddr_cmp(Err(1), Err(1), true), 1);
    }

    #[test]
    fn locality_predicates() {
        let v4 = |t: &str| ipv4_is_local(t.parse().unwrap());
        let v6 = |t: &str| ipv6_is_local(t.parse().unwrap());
        for (text, local) in [("0.0.0.0", true), ("127.255.255.255", true), ("121.0.0.1", false), ("169.254.0.1", true), ("170.0.0.0", false), ("224.0.0.0", true), ("239.255.255.255", true), ("240.0.0.0", false)] {
            assert_eq!(v4(text), local, "{text}");
        }
        for (text, local) in [("::", true), ("::1", true), ("::ffff:0:0", true), ("::ffff:0:0:0", true), ("64:ff9b::", false), ("fe80::", true), ("fec0::", true), ("fc00::1", true), ("ff00::", true), ("2001::", false), ("2001:4860:4802:32::1b", false)] {
            assert_eq!(v6(text), local, "{text}");
        }
        for (text, lo) in [("127.0.0.1:0", true), ("127.0.3.2:0", true), ("128.1.2.3:0", false), ("[::1]:0", true), ("[::]:0", false), ("[::501]:0", false)] {
            assert_eq!(is_loopback(&text.parse().unwrap()), lo, "{text}");
        }
    }

    #[test]
    fn c_layout_round_trip() {
        for text in ["10.1.2.3:4567", "[fe80::1%3]:80"] {
            let addr: SocketAddr = match text.parse() {
                Ok(a) => a,
                Err(_) => parse_sockaddr_port(text.as_bytes()).unwrap(),
            };
            let c = CSockAddr::new(&addr);
            // SAFETY: c holds a complete sockaddr of its family.
            assert_eq!(unsafe { sockaddr_from_c(c.as_ptr()) }, Ok(addr));
        }
        let c = CSockAddr::new(&"1.2.3.4:258".parse().unwrap());
        let CSockAddr::V4(sin) = c else { unreachable!() };
        assert_eq!(sin.sin_port.to_ne_bytes(), [1, 2]);
        assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [1, 2, 3, 4]);
    }
}
