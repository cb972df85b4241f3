//! The part of evhttp that evrpc uses, in one place: every call from the RPC layer into the
//! HTTP layer goes through here, so the rest of `rpc` deals in plain pointers and results.
//!
//! The HTTP layer is reached through its C entry points (`evhttp_*`, declared here with their
//! C prototypes from event2/http.h). Their contract is upstream's documented one: a request
//! passed to `evhttp_make_request` belongs to the connection, which frees it after its
//! completion callback returns unless the callback owned it (`evhttp_request_own`); a failed
//! or cancelled request never reaches its callback after `evhttp_cancel_request`.

use std::ffi::{c_char, c_int, c_void, CStr};

use crate::base::EventBase;
use crate::buffer::Evbuffer;

/// `struct evhttp`, `struct evhttp_request`, `struct evhttp_connection`, `struct evkeyvalq`:
/// only ever handled through pointers here.
pub enum Evhttp {}
pub enum EvhttpRequest {}
pub enum EvhttpConnection {}
enum Headers {}

/// `void (*)(struct evhttp_request *, void *)`: a server path's handler, a client request's
/// completion callback (with NULL when the request failed).
pub type RpcHttpCb = unsafe extern "C" fn(*mut EvhttpRequest, *mut c_void);

/// `EVHTTP_REQ_POST` of `enum evhttp_cmd_type`.
const EVHTTP_REQ_POST: c_int = 1 << 1;
pub const HTTP_OK: c_int = 200;
/// The answer to every RPC request that cannot be served (upstream's choice).
pub const HTTP_SERVUNAVAIL: c_int = 503;

// Evbuffer and EventBase are Rust types behind these pointers; C only passes them through.
#[allow(improper_ctypes)]
extern "C" {
    fn evhttp_set_cb(http: *mut Evhttp, path: *const c_char, cb: Option<RpcHttpCb>, arg: *mut c_void) -> c_int;
    fn evhttp_del_cb(http: *mut Evhttp, path: *const c_char) -> c_int;
    fn evhttp_send_error(req: *mut EvhttpRequest, error: c_int, reason: *const c_char);
    fn evhttp_send_reply(req: *mut EvhttpRequest, code: c_int, reason: *const c_char, databuf: *mut Evbuffer);
    fn evhttp_request_new(cb: Option<RpcHttpCb>, arg: *mut c_void) -> *mut EvhttpRequest;
    fn evhttp_request_free(req: *mut EvhttpRequest);
    fn evhttp_request_own(req: *mut EvhttpRequest);
    fn evhttp_request_is_owned(req: *mut EvhttpRequest) -> c_int;
    fn evhttp_request_get_command(req: *const EvhttpRequest) -> c_int;
    fn evhttp_request_get_response_code(req: *const EvhttpRequest) -> c_int;
    fn evhttp_request_get_connection(req: *mut EvhttpRequest) -> *mut EvhttpConnection;
    fn evhttp_request_get_input_buffer(req: *mut EvhttpRequest) -> *mut Evbuffer;
    fn evhttp_request_get_output_buffer(req: *mut EvhttpRequest) -> *mut Evbuffer;
    fn evhttp_request_get_output_headers(req: *mut EvhttpRequest) -> *mut Headers;
    fn evhttp_find_header(headers: *const Headers, key: *const c_char) -> *const c_char;
    fn evhttp_add_header(headers: *mut Headers, key: *const c_char, value: *const c_char) -> c_int;
    fn evhttp_make_request(evcon: *mut EvhttpConnection, req: *mut EvhttpRequest, kind: c_int, uri: *const c_char) -> c_int;
    fn evhttp_cancel_request(req: *mut EvhttpRequest);
    fn evhttp_connection_free(evcon: *mut EvhttpConnection);
    fn evhttp_connection_set_base(evcon: *mut EvhttpConnection, base: *mut EventBase);
    fn evhttp_connection_set_timeout(evcon: *mut EvhttpConnection, secs: c_int);
    fn evhttp_connection_get_server(evcon: *mut EvhttpConnection) -> *mut Evhttp;
}

// Every function below takes pointers that are live objects of the HTTP layer (the callers'
// contract, stated once here rather than on each): a server, a request not yet freed, a
// connection not yet freed.

/// Serves `path` on `http` with `cb(req, arg)`: false when the path already has a handler.
pub unsafe fn set_cb(http: *mut Evhttp, path: &CStr, cb: RpcHttpCb, arg: *mut c_void) -> bool {
    // SAFETY: live server (module contract), NUL-terminated path.
    unsafe { evhttp_set_cb(http, path.as_ptr(), Some(cb), arg) == 0 }
}

/// Stops serving `path`: false when it had no handler.
pub unsafe fn del_cb(http: *mut Evhttp, path: &CStr) -> bool {
    // SAFETY: as in set_cb.
    unsafe { evhttp_del_cb(http, path.as_ptr()) == 0 }
}

/// Answers a server request with an error page; the request is done afterwards.
pub unsafe fn send_error(req: *mut EvhttpRequest, code: c_int) {
    // SAFETY: live request; NULL reason gives the standard phrase.
    unsafe { evhttp_send_error(req, code, std::ptr::null()) }
}

/// Answers a server request with 200 and the contents of `body`, as `Content-Type` (unless
/// the request's handlers set one) application/octet-stream.
pub unsafe fn send_binary_reply(req: *mut EvhttpRequest, body: *mut Evbuffer) {
    // SAFETY: live request; its output headers live as long as it does.
    unsafe {
        let headers = evhttp_request_get_output_headers(req);
        if evhttp_find_header(headers, c"Content-Type".as_ptr()).is_null() {
            evhttp_add_header(headers, c"Content-Type".as_ptr(), c"application/octet-stream".as_ptr());
        }
        evhttp_send_reply(req, HTTP_OK, c"OK".as_ptr(), body);
    }
}

/// Whether a server request is a POST.
pub unsafe fn is_post(req: *const EvhttpRequest) -> bool {
    // SAFETY: live request.
    unsafe { evhttp_request_get_command(req) == EVHTTP_REQ_POST }
}

/// The status code of a client request's reply.
pub unsafe fn response_code(req: *const EvhttpRequest) -> c_int {
    // SAFETY: live request.
    unsafe { evhttp_request_get_response_code(req) }
}

pub unsafe fn connection_of(req: *mut EvhttpRequest) -> *mut EvhttpConnection {
    // SAFETY: live request.
    unsafe { evhttp_request_get_connection(req) }
}

/// The body received: a server's request body, a client's reply body.
pub unsafe fn input_buffer(req: *mut EvhttpRequest) -> *mut Evbuffer {
    // SAFETY: live request.
    unsafe { evhttp_request_get_input_buffer(req) }
}

/// The body to send with a client request.
pub unsafe fn output_buffer(req: *mut EvhttpRequest) -> *mut Evbuffer {
    // SAFETY: live request.
    unsafe { evhttp_request_get_output_buffer(req) }
}

/// A client request that calls `cb(req or NULL, arg)` when done; NULL when out of memory.
///
/// # Safety
/// `arg` must be what `cb` expects when the request completes.
pub unsafe fn request_new(cb: RpcHttpCb, arg: *mut c_void) -> *mut EvhttpRequest {
    // SAFETY: arg is only handed back to cb.
    unsafe { evhttp_request_new(Some(cb), arg) }
}

/// Frees a request that is no connection's (never sent, or owned by its callback).
pub unsafe fn request_free(req: *mut EvhttpRequest) {
    // SAFETY: live request not queued on a connection.
    unsafe { evhttp_request_free(req) }
}

/// Keeps a client request alive after its completion callback returns.
pub unsafe fn request_own(req: *mut EvhttpRequest) {
    // SAFETY: live request.
    unsafe { evhttp_request_own(req) }
}

pub unsafe fn request_is_owned(req: *mut EvhttpRequest) -> bool {
    // SAFETY: live request.
    unsafe { evhttp_request_is_owned(req) != 0 }
}

/// POSTs `req` to `uri` over `evcon`, which takes it over. False when it could not be queued;
/// on success the completion callback may already have run.
pub unsafe fn post(evcon: *mut EvhttpConnection, req: *mut EvhttpRequest, uri: &CStr) -> bool {
    // SAFETY: live connection and unsent request.
    unsafe { evhttp_make_request(evcon, req, EVHTTP_REQ_POST, uri.as_ptr()) == 0 }
}

/// Withdraws a request queued or in progress on its connection; its callback is not called
/// and the HTTP layer frees it.
pub unsafe fn cancel(req: *mut EvhttpRequest) {
    // SAFETY: live request on a connection.
    unsafe { evhttp_cancel_request(req) }
}

pub unsafe fn connection_free(evcon: *mut EvhttpConnection) {
    // SAFETY: live connection, not used afterwards.
    unsafe { evhttp_connection_free(evcon) }
}

pub unsafe fn connection_set_base(evcon: *mut EvhttpConnection, base: *mut EventBase) {
    // SAFETY: live connection and base.
    unsafe { evhttp_connection_set_base(evcon, base) }
}

/// Sets a connection's timeout in seconds (-1: back to the defaults).
pub unsafe fn connection_set_timeout(evcon: *mut EvhttpConnection, secs: c_int) {
    // SAFETY: live connection.
    unsafe { evhttp_connection_set_timeout(evcon, secs) }
}

/// Whether the connection is a server's (accepted), not a client's.
pub unsafe fn connection_is_incoming(evcon: *mut EvhttpConnection) -> bool {
    // SAFETY: live connection.
    unsafe { !evhttp_connection_get_server(evcon).is_null() }
}
