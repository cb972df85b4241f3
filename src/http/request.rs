//! The request object (`struct evhttp_request`): creation, freeing with upstream's deferral
//! rules, the status line, and the host a request is for.
//!
//! A request is allocated from `crate::mm` with its two header lists and two buffers, as C sees
//! all of them. Who frees it: the program for requests it made and never handed to a
//! connection, or that it owns (`evhttp_request_own`); otherwise the library, when the request
//! is done (client: after its callback; server: after the reply is written) or when its
//! connection goes away. A free asked for while a chunk callback runs is recorded
//! (`EVHTTP_REQ_NEEDS_FREE`) and done by the reader once the callback returns.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use crate::buffer::Evbuffer;
use crate::ffi::buffer::{evbuffer_drain, evbuffer_free, evbuffer_get_length, evbuffer_new};
use crate::http::api::*;
use crate::http::headers;
use crate::http::uri::{Part, Uri};
use crate::mm;

/// `evhttp_request_new`: an empty request that will report to `cb`; NULL when out of memory.
pub fn new(cb: Option<RequestCb>, arg: *mut c_void) -> *mut Request {
    let req = mm::calloc(1, std::mem::size_of::<Request>()).cast::<Request>();
    if req.is_null() {
        return req;
    }
    // SAFETY: req is zeroed memory of a Request, a valid value (null pointers, no callbacks);
    // nothing else refers to it yet.
    unsafe {
        let r = &mut *req;
        r.kind = EVHTTP_RESPONSE;
        r.cb = cb;
        r.cb_arg = arg;
        r.input_headers = headers::new_list();
        r.output_headers = headers::new_list();
        r.input_buffer = evbuffer_new();
        r.output_buffer = evbuffer_new();
        if r.input_headers.is_null() || r.output_headers.is_null() || r.input_buffer.is_null() || r.output_buffer.is_null() {
            free(req);
            return ptr::null_mut();
        }
    }
    req
}

/// `evhttp_request_free`: frees the request and all it holds, unless a chunk callback is
/// running on it, in which case the free happens when that callback returns.
///
/// # Safety
/// `req` is a live request; it must not be used afterwards unless the free was deferred.
pub unsafe fn free(req: *mut Request) {
    // SAFETY: live request (contract); it is not linked anywhere the library still walks
    // (callers unlink it from their connection first).
    unsafe {
        let r = &mut *req;
        if r.flags & EVHTTP_REQ_DEFER_FREE != 0 {
            r.flags |= EVHTTP_REQ_NEEDS_FREE;
            return;
        }
        mm::free(r.remote_host.cast());
        mm::free(r.uri.cast());
        free_uri(r.uri_elems);
        mm::free(r.response_code_line.cast());
        mm::free(r.host_cache.cast());
        headers::free_list(r.input_headers);
        headers::free_list(r.output_headers);
        free_buffer(r.input_buffer);
        free_buffer(r.output_buffer);
    }
    mm::free(req.cast());
}

/// Parses a request target as the server does: non-conformant (spaces and other bytes some
/// clients send are kept in the path and query), or the authority form for CONNECT. NULL when
/// it is no URI.
pub fn parse_target(target: &[u8], connect: bool) -> *mut Uri {
    let parsed = if connect { Uri::parse_authority(target) } else { Uri::parse(target, crate::http::uri::NONCONFORMANT) };
    parsed.map_or(ptr::null_mut(), |u| Box::into_raw(Box::new(u)))
}

/// Frees a URI from `parse_target` (NULL is nothing); `evhttp_uri_free` frees the same way.
///
/// # Safety
/// `u` is NULL or came from `parse_target` and is not used afterwards.
pub unsafe fn free_uri(u: *mut Uri) {
    if !u.is_null() {
        // SAFETY: caller's contract.
        drop(unsafe { Box::from_raw(u) });
    }
}

/// A part of the request's URI as a C string, NULL when the request has no URI or no such
/// part.
///
/// # Safety
/// `u` is NULL or a live URI; the result lives as long as it.
pub unsafe fn uri_part(u: *const Uri, part: Part) -> *const std::ffi::c_char {
    // SAFETY: caller's contract.
    unsafe { u.as_ref() }.and_then(|u| u.get_cstr(part)).map_or(ptr::null(), CStr::as_ptr)
}

/// # Safety
/// `buf` is NULL or a live buffer nobody uses afterwards.
unsafe fn free_buffer(buf: *mut Evbuffer) {
    if !buf.is_null() {
        // SAFETY: caller's contract.
        unsafe { evbuffer_free(buf) };
    }
}

/// Makes a server request the library is done with into the fresh request that reads the next
/// message of the same connection, keeping its allocations (the struct, header lists and
/// buffers, and the peer's address): a keep-alive connection then allocates nothing per request
/// but what each message's contents need. As with a free, the program must not use the old
/// request any more. False (and nothing changed) when the program attached something to a
/// buffer (a callback, flags) that a new request must not inherit: the caller frees it instead.
///
/// # Safety
/// `req` is a live server request on no queue, no callback of it running.
pub unsafe fn recycle(req: *mut Request) -> bool {
    // SAFETY: caller's contract; the buffers and lists are live.
    unsafe {
        let r = &mut *req;
        if r.flags & EVHTTP_REQ_DEFER_FREE != 0 || !(*r.input_buffer).is_plain() || !(*r.output_buffer).is_plain() {
            return false;
        }
        mm::free(r.uri.cast());
        free_uri(r.uri_elems);
        mm::free(r.response_code_line.cast());
        mm::free(r.host_cache.cast());
        headers::clear(r.input_headers);
        headers::clear(r.output_headers);
        evbuffer_drain(r.input_buffer, evbuffer_get_length(r.input_buffer));
        evbuffer_drain(r.output_buffer, evbuffer_get_length(r.output_buffer));
        let kept = Request {
            next: [ptr::null_mut(); 2],
            evcon: r.evcon,
            flags: EVHTTP_REQ_OWN_CONNECTION,
            input_headers: r.input_headers,
            output_headers: r.output_headers,
            remote_host: r.remote_host,
            remote_port: r.remote_port,
            host_cache: ptr::null_mut(),
            kind: EVHTTP_REQUEST,
            type_: 0,
            headers_size: 0,
            body_size: 0,
            uri: ptr::null_mut(),
            uri_elems: ptr::null_mut(),
            major: 0,
            minor: 0,
            response_code: 0,
            response_code_line: ptr::null_mut(),
            input_buffer: r.input_buffer,
            ntoread: 0,
            bits: BIT_USERDONE,
            output_buffer: r.output_buffer,
            cb: r.cb,
            cb_arg: r.cb_arg,
            chunk_cb: None,
            header_cb: None,
            error_cb: None,
            on_complete_cb: None,
            on_complete_cb_arg: ptr::null_mut(),
        };
        *r = kept;
    }
    true
}

/// Runs a client request's callback with the finished request, then frees it unless the
/// program owns it. A free by the program inside the callback (2.1 then freed it a second
/// time) is deferred to the end of the callback and done once.
///
/// # Safety
/// `req` is a live client request on no queue.
pub unsafe fn complete(req: *mut Request) {
    // SAFETY: caller's contract; DEFER_FREE keeps req alive through the callback.
    unsafe {
        if let Some(cb) = (*req).cb {
            (*req).flags |= EVHTTP_REQ_DEFER_FREE;
            cb(req, (*req).cb_arg);
            (*req).flags &= !EVHTTP_REQ_DEFER_FREE;
        }
        if (*req).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
            free(req);
        } else {
            free_auto(req);
        }
    }
}

/// Frees a request the library is done with, unless the program owns it.
///
/// # Safety
/// As for `free`.
pub unsafe fn free_auto(req: *mut Request) {
    // SAFETY: live request (contract).
    if unsafe { (*req).flags } & EVHTTP_USER_OWNED == 0 {
        // SAFETY: forwarded contract.
        unsafe { free(req) };
    }
}

/// Replaces a C string field with a copy of `value` (NULL when out of memory).
///
/// # Safety
/// `field` holds NULL or a string from `mm` that nothing else uses.
pub unsafe fn set_string(field: &mut *mut c_char, value: &[u8]) {
    mm::free((*field).cast());
    *field = mm::strdup_bytes(value);
}

/// `evhttp_response_code_`: the request now holds a response with this status and reason
/// (upstream's phrase for the code when `reason` is None).
///
/// # Safety
/// `req` is a live request.
pub unsafe fn set_response_code(req: *mut Request, code: c_int, reason: Option<&[u8]>) {
    // SAFETY: live request (contract).
    let r = unsafe { &mut *req };
    r.kind = EVHTTP_RESPONSE;
    r.response_code = code;
    let reason = reason.unwrap_or_else(|| reason_phrase(code).as_bytes());
    // SAFETY: the request's own string (contract).
    unsafe { set_string(&mut r.response_code_line, reason) };
    if r.response_code_line.is_null() {
        warnx!("evhttp_response_code_: out of memory");
    }
}

/// Whether a response to this request carries a body (RFC 2616 4.3, as upstream decides it):
/// not for 1xx, 204, 304, or a HEAD or CONNECT request.
///
/// # Safety
/// `req` is a live request.
pub unsafe fn response_needs_body(req: *const Request) -> bool {
    // SAFETY: live request (contract).
    let r = unsafe { &*req };
    r.response_code != HTTP_NOCONTENT
        && r.response_code != HTTP_NOTMODIFIED
        && !(100..200).contains(&r.response_code)
        && r.type_ != EVHTTP_REQ_CONNECT
        && r.type_ != EVHTTP_REQ_HEAD
}

/// `evhttp_request_get_host`: the host of an absolute request URI, else the Host header
/// without a trailing `:port` (the copy is cached in `host_cache`), else NULL.
///
/// # Safety
/// `req` is a live request.
pub unsafe fn host(req: *mut Request) -> *const c_char {
    // SAFETY: live request (contract); its lists and strings are live.
    unsafe {
        let r = &mut *req;
        if !r.host_cache.is_null() {
            return r.host_cache;
        }
        let from_uri = uri_part(r.uri_elems, Part::Host);
        if !from_uri.is_null() || r.input_headers.is_null() {
            return from_uri;
        }
        let header = headers::find(r.input_headers, b"Host");
        if header.is_null() {
            return header;
        }
        let value = CStr::from_ptr(header).to_bytes();
        match host_without_port(value) {
            Some(name) => {
                r.host_cache = mm::strdup_bytes(name);
                if r.host_cache.is_null() {
                    warnx!("evhttp_request_get_host: out of memory");
                }
                r.host_cache
            }
            None => header,
        }
    }
}

/// The Host header's name when it ends in `:digits` (upstream strips a port that way; a bare
/// IPv6 literal's last group is not a port only when it holds a non-digit).
fn host_without_port(value: &[u8]) -> Option<&[u8]> {
    let digits = value.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let colon = value.len().checked_sub(digits + 1)?;
    (colon > 0 && value[colon] == b':').then(|| &value[..colon])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_is_stripped_as_upstream_does() {
        assert_eq!(host_without_port(b"bonkers.org:8000"), Some(&b"bonkers.org"[..]));
        assert_eq!(host_without_port(b"bonkers.org:"), Some(&b"bonkers.org"[..]));
        assert_eq!(host_without_port(b"bonkers.org"), None);
        assert_eq!(host_without_port(b":80"), None);
        assert_eq!(host_without_port(b"8000"), None);
        assert_eq!(host_without_port(b""), None);
    }

    #[test]
    fn new_request_is_an_empty_response() {
        let req = new(None, ptr::null_mut());
        assert!(!req.is_null());
        // SAFETY: the test's live request.
        unsafe {
            assert_eq!((*req).kind, EVHTTP_RESPONSE);
            assert!(headers::is_empty((*req).input_headers));
            set_response_code(req, 404, None);
            assert_eq!(CStr::from_ptr((*req).response_code_line).to_bytes(), b"Not Found");
            set_response_code(req, 200, Some(b"Fine"));
            assert_eq!(CStr::from_ptr((*req).response_code_line).to_bytes(), b"Fine");
            free(req);
        }
    }
}
