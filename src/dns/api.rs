//! The C-visible vocabulary of `event2/dns.h` that the resolver, the server and getaddrinfo share:
//! result codes, query types, flags, and the callback and handle types.

use std::ffi::{c_char, c_int, c_void};

// Results given to resolve callbacks (`evdns_callback_type`'s `result`). 1-5 are the DNS rcodes.
pub const DNS_ERR_NONE: c_int = 0;
pub const DNS_ERR_FORMAT: c_int = 1;
pub const DNS_ERR_SERVERFAILED: c_int = 2;
pub const DNS_ERR_NOTEXIST: c_int = 3;
pub const DNS_ERR_NOTIMPL: c_int = 4;
pub const DNS_ERR_REFUSED: c_int = 5;
pub const DNS_ERR_TRUNCATED: c_int = 65;
pub const DNS_ERR_UNKNOWN: c_int = 66;
pub const DNS_ERR_TIMEOUT: c_int = 67;
pub const DNS_ERR_SHUTDOWN: c_int = 68;
pub const DNS_ERR_CANCEL: c_int = 69;
pub const DNS_ERR_NODATA: c_int = 70;

// What a resolve callback's `addresses` holds (`type`).
pub const DNS_IPV4_A: c_int = 1;
pub const DNS_PTR: c_int = 2;
pub const DNS_IPV6_AAAA: c_int = 3;

/// Resolve flag: look the name up as given, without the search list.
pub const DNS_QUERY_NO_SEARCH: c_int = 1;

// What `evdns_base_resolv_conf_parse` takes from the file.
pub const DNS_OPTION_SEARCH: c_int = 1;
pub const DNS_OPTION_NAMESERVERS: c_int = 2;
pub const DNS_OPTION_MISC: c_int = 4;
pub const DNS_OPTION_HOSTSFILE: c_int = 8;
pub const DNS_OPTIONS_ALL: c_int = DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE;
pub const DNS_OPTION_NAMESERVERS_NO_DEFAULT: c_int = 16;

// `evdns_base_new` flags.
pub const EVDNS_BASE_INITIALIZE_NAMESERVERS: c_int = 1;
pub const EVDNS_BASE_DISABLE_WHEN_INACTIVE: c_int = 0x8000;
pub const EVDNS_BASE_NAMESERVERS_NO_DEFAULT: c_int = 0x10000;

// Server side: reply sections, record types and classes, header flags.
pub const EVDNS_ANSWER_SECTION: c_int = 0;
pub const EVDNS_AUTHORITY_SECTION: c_int = 1;
pub const EVDNS_ADDITIONAL_SECTION: c_int = 2;
pub const EVDNS_TYPE_A: c_int = 1;
pub const EVDNS_TYPE_NS: c_int = 2;
pub const EVDNS_TYPE_CNAME: c_int = 5;
pub const EVDNS_TYPE_SOA: c_int = 6;
pub const EVDNS_TYPE_PTR: c_int = 12;
pub const EVDNS_TYPE_MX: c_int = 15;
pub const EVDNS_TYPE_TXT: c_int = 16;
pub const EVDNS_TYPE_AAAA: c_int = 28;
pub const EVDNS_QTYPE_AXFR: c_int = 252;
pub const EVDNS_QTYPE_ALL: c_int = 255;
pub const EVDNS_CLASS_INET: c_int = 1;
pub const EVDNS_FLAGS_AA: c_int = 0x400;
pub const EVDNS_FLAGS_RD: c_int = 0x080;

/// `evdns_callback_type`: a finished resolve. `addresses` points at `count` `in_addr`s,
/// `in6_addr`s or (PTR) one `char *`, valid only during the call.
pub type evdns_callback_type =
    unsafe extern "C" fn(result: c_int, type_: c_char, count: c_int, ttl: c_int, addresses: *mut c_void, arg: *mut c_void);

/// The handle `evdns_base_resolve_*` return and `evdns_cancel_request` takes; opaque to C, as
/// upstream's. The resolver casts its own request type to and from it.
#[repr(C)]
pub struct evdns_request {
    _opaque: [u8; 0],
}

/// `struct evdns_base`, opaque to C; the resolver casts its own base type to and from it.
#[repr(C)]
pub struct evdns_base {
    _opaque: [u8; 0],
}
