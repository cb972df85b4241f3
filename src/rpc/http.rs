//! The part of evhttp that evrpc uses, in one place: every call from the RPC layer into the
//! HTTP layer (`crate::http`) goes through here, so the rest of `rpc` deals in plain pointers
//! and results.
//!
//! The contract is upstream's: a request given to `post` belongs to the connection, which
//! frees it after its completion callback returns unless the callback owned it
//! (`request_own`); a cancelled request never reaches its callback.

use std::ffi::{c_int, c_void, CStr};

use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::ffi::http as ffi;
use crate::http::api::{RequestCb, EVHTTP_REQ_POST};
use crate::http::{client, connection, headers, request, server};

pub use crate::http::api::Request as EvhttpRequest;
pub use crate::http::connection::Connection as EvhttpConnection;
pub use crate::http::server::Evhttp;

pub const HTTP_OK: c_int = 200;
/// The answer to every RPC request that cannot be served (upstream's choice).
pub const HTTP_SERVUNAVAIL: c_int = 503;

// Every function below takes pointers that are live objects of the HTTP layer (the callers'
// contract, stated once here rather than on each): a server, a request not yet freed, a
// connection not yet freed.

/// Serves `path` on `http` with `cb(req, arg)`: false when the path already has a handler.
pub unsafe fn set_cb(http: *mut Evhttp, path: &CStr, cb: RequestCb, arg: *mut c_void) -> bool {
    // SAFETY: live server (module contract).
    unsafe { server::set_cb(http, path, cb, arg) }
}

/// Stops serving `path`: false when it had no handler.
pub unsafe fn del_cb(http: *mut Evhttp, path: &CStr) -> bool {
    // SAFETY: as in set_cb.
    unsafe { server::del_cb(http, path) }
}

/// Answers a server request with an error page; the request is done afterwards.
pub unsafe fn send_error(req: *mut EvhttpRequest, code: c_int) {
    // SAFETY: live request; no reason gives the standard phrase.
    unsafe { server::send_error(req, code, None) }
}

/// Answers a server request with 200 and the contents of `body`, as `Content-Type` (unless
/// the request's handlers set one) application/octet-stream.
pub unsafe fn send_binary_reply(req: *mut EvhttpRequest, body: *mut Evbuffer) {
    // SAFETY: live request; its output headers live as long as it does.
    unsafe {
        let out = (*req).output_headers;
        if headers::find(out, b"Content-Type").is_null() {
            // A constant, valid header: nothing to refuse.
            let _ = headers::add(out, b"Content-Type", b"application/octet-stream");
        }
        server::send_reply(req, HTTP_OK, Some(b"OK"), body);
    }
}

/// Whether a server request is a POST.
pub unsafe fn is_post(req: *const EvhttpRequest) -> bool {
    // SAFETY: live request.
    unsafe { (*req).type_ == EVHTTP_REQ_POST }
}

/// The status code of a client request's reply.
pub unsafe fn response_code(req: *const EvhttpRequest) -> c_int {
    // SAFETY: live request.
    unsafe { (*req).response_code }
}

pub unsafe fn connection_of(req: *const EvhttpRequest) -> *mut EvhttpConnection {
    // SAFETY: live request.
    unsafe { (*req).evcon }
}

/// The body received: a server's request body, a client's reply body.
pub unsafe fn input_buffer(req: *const EvhttpRequest) -> *mut Evbuffer {
    // SAFETY: live request.
    unsafe { (*req).input_buffer }
}

/// The body to send with a client request.
pub unsafe fn output_buffer(req: *const EvhttpRequest) -> *mut Evbuffer {
    // SAFETY: live request.
    unsafe { (*req).output_buffer }
}

/// A client request that calls `cb(req or NULL, arg)` when done; NULL when out of memory.
///
/// # Safety
/// `arg` must be what `cb` expects when the request completes.
pub unsafe fn request_new(cb: RequestCb, arg: *mut c_void) -> *mut EvhttpRequest {
    request::new(Some(cb), arg)
}

/// Frees a request that is no connection's (never sent, or owned by its callback).
pub unsafe fn request_free(req: *mut EvhttpRequest) {
    // SAFETY: live request.
    unsafe { ffi::request::evhttp_request_free(req) }
}

/// Keeps a client request alive after its completion callback returns.
pub unsafe fn request_own(req: *mut EvhttpRequest) {
    // SAFETY: live request.
    unsafe { ffi::request::evhttp_request_own(req) }
}

pub unsafe fn request_is_owned(req: *mut EvhttpRequest) -> bool {
    // SAFETY: live request.
    unsafe { ffi::request::evhttp_request_is_owned(req) != 0 }
}

/// POSTs `req` to `uri` over `evcon`, which takes it over. False when it could not be queued;
/// on success the completion callback may already have run.
pub unsafe fn post(evcon: *mut EvhttpConnection, req: *mut EvhttpRequest, uri: &CStr) -> bool {
    // SAFETY: live client connection and unsent request.
    unsafe { client::make_request(evcon, req, EVHTTP_REQ_POST, uri.to_bytes()) == 0 }
}

/// Withdraws a request queued or in progress on its connection; its callback is not called
/// and the HTTP layer frees it.
pub unsafe fn cancel(req: *mut EvhttpRequest) {
    // SAFETY: live request on a connection.
    unsafe { client::cancel(req) }
}

pub unsafe fn connection_free(evcon: *mut EvhttpConnection) {
    // SAFETY: live connection, not used afterwards.
    unsafe { connection::free(evcon) }
}

/// Moves a connection to `base` unless it is there already.
pub unsafe fn connection_move_to(evcon: *mut EvhttpConnection, base: *mut EventBase) {
    // SAFETY: live connection and base.
    unsafe {
        if (*evcon).base != base {
            ffi::connection::evhttp_connection_set_base(evcon, base);
        }
    }
}

/// Sets a connection's timeout in seconds (-1: back to the defaults).
pub unsafe fn connection_set_timeout(evcon: *mut EvhttpConnection, secs: c_int) {
    // SAFETY: live connection.
    unsafe { ffi::connection::evhttp_connection_set_timeout(evcon, secs) }
}

/// Whether the connection has a timeout of its own (not the defaults).
pub unsafe fn connection_has_timeout(evcon: *const EvhttpConnection) -> bool {
    // SAFETY: live connection.
    let tv = unsafe { (*evcon).timeout };
    tv.tv_sec != 0 || tv.tv_usec != 0
}

/// Whether the connection is a server's (accepted), not a client's.
pub unsafe fn connection_is_incoming(evcon: *const EvhttpConnection) -> bool {
    // SAFETY: live connection.
    unsafe { !(*evcon).http_server.is_null() }
}

/// Whether the connection has no request queued or in progress.
pub unsafe fn connection_is_idle(evcon: *const EvhttpConnection) -> bool {
    // SAFETY: live connection.
    unsafe { (*evcon).requests.is_empty() }
}
