//! The C-visible vocabulary of `event2/http.h` and `event2/http_struct.h`: method bits, request
//! kinds and errors, connection and server flags, the callback types, and the public layout of
//! `struct evhttp_request`, which programs read field by field.

use std::ffi::{c_char, c_int, c_void};

use crate::buffer::Evbuffer;
use crate::http::headers::KeyValQ;

// `enum evhttp_cmd_type`: one bit per method, so that `evhttp_set_allowed_methods` takes a mask.
pub const EVHTTP_REQ_GET: u32 = 1 << 0;
pub const EVHTTP_REQ_POST: u32 = 1 << 1;
pub const EVHTTP_REQ_HEAD: u32 = 1 << 2;
pub const EVHTTP_REQ_PUT: u32 = 1 << 3;
pub const EVHTTP_REQ_DELETE: u32 = 1 << 4;
pub const EVHTTP_REQ_OPTIONS: u32 = 1 << 5;
pub const EVHTTP_REQ_TRACE: u32 = 1 << 6;
pub const EVHTTP_REQ_CONNECT: u32 = 1 << 7;
pub const EVHTTP_REQ_PATCH: u32 = 1 << 8;
/// A method the server does not know (http-internal.h's `EVHTTP_REQ_UNKNOWN_`): answered 501.
pub const EVHTTP_REQ_UNKNOWN: u32 = 1 << 15;

/// The methods a new server accepts (upstream's default for `evhttp_new`).
pub const DEFAULT_ALLOWED_METHODS: u16 =
    (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE) as u16;

/// The method's name on the wire, for the request line of outgoing requests.
pub fn method_name(kind: u32) -> Option<&'static str> {
    Some(match kind {
        EVHTTP_REQ_GET => "GET",
        EVHTTP_REQ_POST => "POST",
        EVHTTP_REQ_HEAD => "HEAD",
        EVHTTP_REQ_PUT => "PUT",
        EVHTTP_REQ_DELETE => "DELETE",
        EVHTTP_REQ_OPTIONS => "OPTIONS",
        EVHTTP_REQ_TRACE => "TRACE",
        EVHTTP_REQ_CONNECT => "CONNECT",
        EVHTTP_REQ_PATCH => "PATCH",
        _ => return None,
    })
}

// `enum evhttp_request_kind`: what the request object currently holds.
pub const EVHTTP_REQUEST: c_int = 0;
pub const EVHTTP_RESPONSE: c_int = 1;

/// `enum evhttp_request_error` (EVREQ_HTTP_*), given to `evhttp_request_set_error_cb`
/// callbacks: an unsigned int in C, as gcc makes enums without negative values.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    Timeout = 0,
    Eof = 1,
    InvalidHeader = 2,
    BufferError = 3,
    RequestCancel = 4,
    DataTooLong = 5,
}

impl RequestError {
    /// The error of a C `enum evhttp_request_error` value, None outside the enum.
    pub fn from_c(value: c_int) -> Option<RequestError> {
        use RequestError::*;
        [Timeout, Eof, InvalidHeader, BufferError, RequestCancel, DataTooLong].get(usize::try_from(value).ok()?).copied()
    }
}

// Status codes the library itself answers with (`HTTP_*` of http.h).
pub const HTTP_OK: c_int = 200;
pub const HTTP_NOCONTENT: c_int = 204;
pub const HTTP_NOTMODIFIED: c_int = 304;
pub const HTTP_BADREQUEST: c_int = 400;
pub const HTTP_NOTFOUND: c_int = 404;
pub const HTTP_ENTITYTOOLARGE: c_int = 413;
pub const HTTP_EXPECTATIONFAILED: c_int = 417;
pub const HTTP_NOTIMPLEMENTED: c_int = 501;

/// `evhttp_set_flags`: finish reading a too-large body before answering 413.
pub const EVHTTP_SERVER_LINGERING_CLOSE: c_int = 0x0001;

// Public `evhttp_connection_set_flags` bits.
pub const EVHTTP_CON_REUSE_CONNECTED_ADDR: c_int = 0x0008;
pub const EVHTTP_CON_READ_ON_WRITE_ERROR: c_int = 0x0010;
pub const EVHTTP_CON_LINGERING_CLOSE: c_int = 0x0020;
pub const EVHTTP_CON_PUBLIC_FLAGS_END: c_int = 0x10_0000;

// `evhttp_request.flags` bits (http_struct.h).
/// The request owns its (server-side) connection.
pub const EVHTTP_REQ_OWN_CONNECTION: c_int = 0x0001;
/// The request came through a proxy (an absolute URI for a host we do not serve).
pub const EVHTTP_PROXY_REQUEST: c_int = 0x0002;
/// `evhttp_request_own`: the program frees the request, the library never does.
pub const EVHTTP_USER_OWNED: c_int = 0x0004;
/// A chunk callback is running: a free asked for meanwhile is only recorded.
pub const EVHTTP_REQ_DEFER_FREE: c_int = 0x0008;
/// A free was asked for while `EVHTTP_REQ_DEFER_FREE` was set.
pub const EVHTTP_REQ_NEEDS_FREE: c_int = 0x0010;

/// Request callbacks: `cb`, `chunk_cb`, `on_complete_cb` (the request, their argument).
pub type RequestCb = unsafe extern "C" fn(*mut Request, *mut c_void);
/// `header_cb`: a negative result closes the connection.
pub type HeaderCb = unsafe extern "C" fn(*mut Request, *mut c_void) -> c_int;
/// `error_cb`: the error and the request's `cb_arg`.
pub type ErrorCb = unsafe extern "C" fn(RequestError, *mut c_void);
/// Connection callbacks: `evhttp_connection_set_closecb` and `send_reply_chunk_with_cb`.
pub type ConnectionCb = unsafe extern "C" fn(*mut crate::http::connection::Connection, *mut c_void);
/// `evhttp_set_bevcb`: makes the bufferevent of each accepted connection.
pub type BevCb = unsafe extern "C" fn(*mut crate::base::EventBase, *mut c_void) -> *mut crate::bufferevent::layout::Bufferevent;
/// `evhttp_foreach_bound_socket`'s visitor.
pub type BoundSocketFn = unsafe extern "C" fn(*mut crate::http::server::BoundSocket, *mut c_void);

/// A header size limit from `evhttp_set_max_headers_size` and its connection twin: negative
/// means none.
pub fn headers_limit(max: isize) -> usize {
    usize::try_from(max).unwrap_or(usize::MAX)
}

/// A body size limit from `evhttp_set_max_body_size` and its connection twin: negative means
/// none.
pub fn body_limit(max: isize) -> u64 {
    u64::try_from(max).unwrap_or(u64::MAX)
}

/// Bit of the `chunked:1, userdone:1` bit-field word: a chunked body is being read or written.
pub const BIT_CHUNKED: u32 = 1 << 0;
/// The program has finished answering (server side) or the library has not handed the request
/// to it yet: a connection dropped now may free the request.
pub const BIT_USERDONE: u32 = 1 << 1;

/// `struct evhttp_request` exactly as http_struct.h lays it out on x86_64: programs and
/// upstream's tests read `evcon`, `kind`, `type`, `uri`, `major`, `minor`, `response_code`,
/// the header lists and buffers directly. Fields http_struct.h shows keep their meaning;
/// `next` is the library's (a request sits in at most one connection's queue) and unused here,
/// the queue being the connection's own.
#[repr(C)]
pub struct Request {
    pub next: [*mut c_void; 2],
    pub evcon: *mut crate::http::connection::Connection,
    pub flags: c_int,
    pub input_headers: *mut KeyValQ,
    pub output_headers: *mut KeyValQ,
    pub remote_host: *mut c_char,
    pub remote_port: u16,
    /// `evhttp_request_get_host`'s copy of the Host header without its port.
    pub host_cache: *mut c_char,
    pub kind: c_int,
    pub type_: u32,
    pub headers_size: usize,
    pub body_size: usize,
    pub uri: *mut c_char,
    pub uri_elems: *mut crate::http::uri::Uri,
    pub major: c_char,
    pub minor: c_char,
    pub response_code: c_int,
    pub response_code_line: *mut c_char,
    pub input_buffer: *mut Evbuffer,
    /// Body bytes still expected: -1 while a chunk size or an until-close body is pending.
    pub ntoread: i64,
    /// `unsigned chunked:1, userdone:1` ([`BIT_CHUNKED`], [`BIT_USERDONE`]).
    pub bits: u32,
    pub output_buffer: *mut Evbuffer,
    pub cb: Option<RequestCb>,
    pub cb_arg: *mut c_void,
    pub chunk_cb: Option<RequestCb>,
    pub header_cb: Option<HeaderCb>,
    pub error_cb: Option<ErrorCb>,
    pub on_complete_cb: Option<RequestCb>,
    pub on_complete_cb_arg: *mut c_void,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    // Measured with gcc against Debian's /usr/include/event2/http_struct.h.
    assert!(size_of::<Request>() == 216);
    assert!(offset_of!(Request, evcon) == 16);
    assert!(offset_of!(Request, flags) == 24);
    assert!(offset_of!(Request, input_headers) == 32);
    assert!(offset_of!(Request, output_headers) == 40);
    assert!(offset_of!(Request, remote_host) == 48);
    assert!(offset_of!(Request, remote_port) == 56);
    assert!(offset_of!(Request, host_cache) == 64);
    assert!(offset_of!(Request, kind) == 72);
    assert!(offset_of!(Request, type_) == 76);
    assert!(offset_of!(Request, headers_size) == 80);
    assert!(offset_of!(Request, body_size) == 88);
    assert!(offset_of!(Request, uri) == 96);
    assert!(offset_of!(Request, uri_elems) == 104);
    assert!(offset_of!(Request, major) == 112);
    assert!(offset_of!(Request, minor) == 113);
    assert!(offset_of!(Request, response_code) == 116);
    assert!(offset_of!(Request, response_code_line) == 120);
    assert!(offset_of!(Request, input_buffer) == 128);
    assert!(offset_of!(Request, ntoread) == 136);
    assert!(offset_of!(Request, bits) == 144);
    assert!(offset_of!(Request, output_buffer) == 152);
    assert!(offset_of!(Request, cb) == 160);
    assert!(offset_of!(Request, cb_arg) == 168);
    assert!(offset_of!(Request, chunk_cb) == 176);
    assert!(offset_of!(Request, header_cb) == 184);
    assert!(offset_of!(Request, error_cb) == 192);
    assert!(offset_of!(Request, on_complete_cb) == 200);
    assert!(offset_of!(Request, on_complete_cb_arg) == 208);
};

impl Request {
    #[inline]
    pub fn chunked(&self) -> bool {
        self.bits & BIT_CHUNKED != 0
    }

    #[inline]
    pub fn set_chunked(&mut self, on: bool) {
        self.set_bit(BIT_CHUNKED, on);
    }

    #[inline]
    pub fn userdone(&self) -> bool {
        self.bits & BIT_USERDONE != 0
    }

    #[inline]
    pub fn set_userdone(&mut self, on: bool) {
        self.set_bit(BIT_USERDONE, on);
    }

    #[inline]
    fn set_bit(&mut self, bit: u32, on: bool) {
        if on {
            self.bits |= bit;
        } else {
            self.bits &= !bit;
        }
    }

    /// The protocol version as (major, minor).
    #[inline]
    pub fn version(&self) -> (u8, u8) {
        (self.major as u8, self.minor as u8)
    }

    /// Whether the version is below `major.minor`.
    #[inline]
    pub fn version_before(&self, major: u8, minor: u8) -> bool {
        self.version() < (major, minor)
    }
}

/// The reason phrase upstream gives a status code when the program passes none: the phrase of
/// RFC 2616 for the codes it names, else the class name, else "Unknown Status Class".
pub fn reason_phrase(code: c_int) -> &'static str {
    const INFORMATIONAL: &[&str] = &["Continue", "Switching Protocols"];
    const SUCCESS: &[&str] =
        &["OK", "Created", "Accepted", "Non-Authoritative Information", "No Content", "Reset Content", "Partial Content"];
    // 2.1's table skips 306: index 6 holds 307's phrase, so 306 gets it and 307 the class name.
    const REDIRECTION: &[&str] =
        &["Multiple Choices", "Moved Permanently", "Found", "See Other", "Not Modified", "Use Proxy", "Temporary Redirect"];
    const CLIENT_ERROR: &[&str] = &[
        "Bad Request",
        "Unauthorized",
        "Payment Required",
        "Forbidden",
        "Not Found",
        "Method Not Allowed",
        "Not Acceptable",
        "Proxy Authentication Required",
        "Request Time-out",
        "Conflict",
        "Gone",
        "Length Required",
        "Precondition Failed",
        "Request Entity Too Large",
        "Request-URI Too Large",
        "Unsupported Media Type",
        "Requested range not satisfiable",
        "Expectation Failed",
    ];
    const SERVER_ERROR: &[&str] = &[
        "Internal Server Error",
        "Not Implemented",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Time-out",
        "HTTP Version not supported",
    ];
    const CLASSES: [(&str, &[&str]); 5] = [
        ("Informational", INFORMATIONAL),
        ("Success", SUCCESS),
        ("Redirection", REDIRECTION),
        ("Client Error", CLIENT_ERROR),
        ("Server Error", SERVER_ERROR),
    ];
    let class = code / 100 - 1;
    let Some(&(name, phrases)) = usize::try_from(class).ok().and_then(|c| CLASSES.get(c)) else {
        return "Unknown Status Class";
    };
    // code is positive here (class >= 0 means code >= 100).
    phrases.get((code % 100) as usize).copied().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_follow_upstreams_table() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(417), "Expectation Failed");
        assert_eq!(reason_phrase(418), "Client Error");
        assert_eq!(reason_phrase(505), "HTTP Version not supported");
        assert_eq!(reason_phrase(599), "Server Error");
        assert_eq!(reason_phrase(99), "Unknown Status Class");
        assert_eq!(reason_phrase(600), "Unknown Status Class");
        assert_eq!(reason_phrase(-200), "Unknown Status Class");
        assert_eq!(reason_phrase(306), "Temporary Redirect");
        assert_eq!(reason_phrase(307), "Redirection");
    }

    #[test]
    fn method_names() {
        assert_eq!(method_name(EVHTTP_REQ_PATCH), Some("PATCH"));
        assert_eq!(method_name(EVHTTP_REQ_UNKNOWN), None);
        assert_eq!(method_name(0), None);
    }
}
