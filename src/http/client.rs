//! The client side of connections: connecting (host names through evdns when the connection
//! has a DNS base), retrying with upstream's back-off, the request queue (one request on the
//! wire at a time, the others wait), and writing requests.

use std::ffi::{c_int, c_short, c_void, CStr};
use std::ptr;

use libc::timeval;

use crate::bufferevent::layout::*;
use crate::ffi::buffer::evbuffer_get_length;
use crate::ffi::bufferevent::*;
use crate::ffi::event::{event_add, event_assign};
use crate::http::api::*;
use crate::http::connection::{self, AfterWrite, Busy, Callbacks, Connection, State};
use crate::http::parse::decimal;
use crate::http::server::bind_socket;
use crate::http::{headers, parse, request};

/// `evhttp_connection_set_timeout_tv`: the read and write timeout (None: upstream's defaults,
/// 50 s each).
///
/// # Safety
/// `c` is a live connection.
pub unsafe fn set_timeout(c: *mut Connection, tv: Option<&timeval>) {
    // SAFETY: caller's contract.
    unsafe {
        match tv {
            Some(tv) => {
                (*c).timeout = *tv;
                bufferevent_set_timeouts((*c).bufev, tv, tv);
            }
            None => {
                (*c).timeout = timeval { tv_sec: 0, tv_usec: 0 };
                bufferevent_set_timeouts((*c).bufev, &connection::READ_TIMEOUT, &connection::WRITE_TIMEOUT);
            }
        }
    }
}

/// The connection's own timeout, if it has one.
fn own_timeout(c: &Connection) -> Option<timeval> {
    (c.timeout.tv_sec != 0 || c.timeout.tv_usec != 0).then_some(c.timeout)
}

/// `evhttp_connection_connect_`: start connecting unless that is under way. -1 when the
/// local address cannot be bound or the bufferevent refuses; a connect that fails at once is
/// handled as a failed attempt (retry or give up), and gives 0.
///
/// # Safety
/// `c` is a live, guarded client connection.
pub unsafe fn connect(c: *mut Connection) -> c_int {
    // SAFETY: caller's contract.
    unsafe {
        if (*c).state == State::Connecting {
            return 0;
        }
        let old_state = (*c).state;
        let sa = bufferevent_socket_get_conn_address_((*c).bufev);
        connection::reset(c);
        if !connection::alive(c) {
            return 0;
        }
        if (*c).flags & connection::FLAG_INCOMING != 0 {
            warnx!("evhttp_connection_connect_: a server connection cannot connect");
            return -1;
        }
        (*c).flags |= connection::FLAG_OUTGOING;
        let bev = (*c).bufev;
        if (*c).bind_address.is_some() || (*c).bind_port != 0 {
            (*c).fd = bind_socket((*c).bind_address.as_deref(), (*c).bind_port, false);
            if (*c).fd == -1 {
                debugx!("evhttp_connection_connect_: cannot bind to {:?}", (*c).bind_address);
                return -1;
            }
            if bufferevent_setfd(bev, (*c).fd) != 0 {
                return -1;
            }
        } else if bufferevent_setfd(bev, -1) != 0 {
            return -1;
        }
        connection::set_callbacks(c, Callbacks::Connecting);
        let tv = own_timeout(&*c).unwrap_or(connection::CONNECT_TIMEOUT);
        bufferevent_set_timeouts(bev, &tv, &tv);
        if bufferevent_enable(bev, crate::event::EV_WRITE) != 0 {
            return -1;
        }
        (*c).state = State::Connecting;
        let reuse = (*c).flags & EVHTTP_CON_REUSE_CONNECTED_ADDR != 0
            && !sa.is_null()
            && matches!(c_int::from((*sa).sa_family), libc::AF_INET | libc::AF_INET6);
        let ret = if reuse {
            let len = if c_int::from((*sa).sa_family) == libc::AF_INET6 {
                std::mem::size_of::<libc::sockaddr_in6>()
            } else {
                std::mem::size_of::<libc::sockaddr_in>()
            };
            bufferevent_socket_connect(bev, sa, len as c_int)
        } else {
            bufferevent_socket_connect_hostname(bev, (*c).dns_base, (*c).ai_family, (*c).address.as_ptr(), c_int::from((*c).port))
        };
        if ret < 0 && connection::alive(c) {
            (*c).state = old_state;
            warn_errno!("evhttp_connection_connect_: connection to \"{}\" failed", (*c).address.to_string_lossy());
            connect_failed(c);
        }
        0
    }
}

/// The bufferevent's event callback while connecting.
pub unsafe extern "C" fn on_connect(bev: *mut Bufferevent, what: c_short, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: arg is the live connection the callback was installed for.
    unsafe {
        let _busy = Busy::new(c);
        if (*c).fd == -1 {
            (*c).fd = bufferevent_getfd(bev);
        }
        if what & BEV_EVENT_CONNECTED == 0 {
            // A refused connect is a failed attempt (retry); other errors fail the request.
            if crate::mm::errno() == libc::ECONNREFUSED {
                connect_failed(c);
            } else {
                connection::handle_event(c, bev, what);
            }
            return;
        }
        if (*c).fd == -1 || socket_error((*c).fd) != 0 {
            connect_failed(c);
            return;
        }
        (*c).retry_cnt = 0;
        (*c).state = State::Idle;
        connection::set_callbacks(c, Callbacks::All);
        match own_timeout(&*c) {
            Some(tv) => bufferevent_set_timeouts(bev, &tv, &tv),
            None => bufferevent_set_timeouts(bev, &connection::READ_TIMEOUT, &connection::WRITE_TIMEOUT),
        };
        dispatch(c);
    }
}

/// The socket's pending error (SO_ERROR), or -1 if it cannot be read.
fn socket_error(fd: c_int) -> c_int {
    let mut err: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: err and len are a valid int option buffer and its length.
    if unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, (&raw mut err).cast(), &mut len) } == -1 {
        return -1;
    }
    err
}

/// The wait before retry number `attempt` (0 the first): the initial wait, doubled per
/// earlier attempt as upstream doubles it (microseconds carried into seconds), at most an hour.
pub fn retry_delay(initial: timeval, attempt: c_int) -> timeval {
    let mut tv = initial;
    for _ in 0..attempt {
        tv.tv_usec *= 2;
        if tv.tv_usec > 1_000_000 {
            tv.tv_usec -= 1_000_000;
            tv.tv_sec += 1;
        }
        tv.tv_sec *= 2;
        if tv.tv_sec > 3600 {
            tv.tv_sec = 3600;
            tv.tv_usec = 0;
        }
    }
    tv
}

/// A connection attempt failed (`evhttp_connection_cb_cleanup`): try again after the back-off
/// while retries are left; else every queued request's callback runs with the request (its
/// status 0: never answered), and the requests are freed.
///
/// # Safety
/// `c` is a live, guarded client connection.
pub unsafe fn connect_failed(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        connection::reset(c);
        if !connection::alive(c) {
            return;
        }
        if (*c).retry_max < 0 || (*c).retry_cnt < (*c).retry_max {
            let ev = &raw mut (*c).retry_ev;
            event_assign(ev, (*c).base, -1, 0, Some(on_retry), c.cast());
            let tv = retry_delay((*c).initial_retry_timeout, (*c).retry_cnt);
            event_add(ev, &tv);
            (*c).retry_cnt += 1;
            return;
        }
        // Callbacks may queue new requests on this connection: only the current ones go.
        let requests = std::mem::take(&mut (*c).requests);
        for req in requests {
            (*req).evcon = ptr::null_mut();
            request::complete(req);
        }
    }
}

unsafe extern "C" fn on_retry(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: the timer is deleted before the connection goes away, so arg is live.
    unsafe {
        let _busy = Busy::new(c);
        (*c).state = State::Disconnected;
        connect(c);
    }
}

/// Writes the first queued request (`evhttp_request_dispatch`); the connection is idle.
///
/// # Safety
/// `c` is a live client connection.
pub unsafe fn dispatch(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        let req = connection::first_request(c);
        if req.is_null() {
            return;
        }
        // Reading stays on: write_buffer wants it (to notice a close while writing), so only
        // the close detection ends (upstream disables reading here and enables it again).
        (*c).flags &= !connection::FLAG_CLOSEDETECT;
        (*c).state = State::Writing;
        connection::make_header(c, req);
        connection::write_buffer(c, AfterWrite::RequestWritten);
    }
}

/// The request is written: read its response.
///
/// # Safety
/// `c` is a live client connection.
pub unsafe fn request_written(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        let req = connection::first_request(c);
        if req.is_null() || evbuffer_get_length(connection::output(c)) > 0 {
            return;
        }
        (*req).kind = EVHTTP_RESPONSE;
        connection::start_read(c);
    }
}

/// Adds the headers an outgoing request needs and writes its head (`evhttp_make_header_request`).
///
/// # Safety
/// `req` is a live request with a URI.
pub unsafe fn write_request_head(req: *mut Request, out: &mut Vec<u8>) {
    // SAFETY: caller's contract.
    unsafe {
        let r = &mut *req;
        headers::remove(r.output_headers, b"Proxy-Connection");
        let method: &[u8] = method_name(r.type_).map_or(b"NULL", str::as_bytes);
        if (r.type_ == EVHTTP_REQ_POST || r.type_ == EVHTTP_REQ_PUT) && headers::find(r.output_headers, b"Content-Length").is_null() {
            let mut digits = [0u8; 20];
            let _ = headers::add(r.output_headers, b"Content-Length", decimal(evbuffer_get_length(r.output_buffer) as u64, &mut digits));
        }
        let (major, minor) = r.version();
        parse::write_request_head(out, method, CStr::from_ptr(r.uri).to_bytes(), major, minor, headers::iter(r.output_headers));
    }
}

/// `evhttp_make_request`: queue `req` on the connection and start it if it is first (connecting
/// first if needed). The connection owns the request from now on. -1 when the URI cannot be
/// copied (the request is freed) or connecting fails at once (the request is not queued).
///
/// # Safety
/// `c` is a live client connection, `req` a live request on no connection.
pub unsafe fn make_request(c: *mut Connection, req: *mut Request, kind: u32, uri: &[u8]) -> c_int {
    // SAFETY: caller's contract.
    unsafe {
        let _busy = Busy::new(c);
        let r = &mut *req;
        r.kind = EVHTTP_REQUEST;
        r.type_ = kind;
        request::set_string(&mut r.uri, uri);
        if r.uri.is_null() {
            warnx!("evhttp_make_request: out of memory");
            request::free_auto(req);
            return -1;
        }
        if r.major == 0 && r.minor == 0 {
            r.major = 1;
            r.minor = 1;
        }
        r.evcon = c;
        (*c).requests.push_back(req);
        // A retry is pending: the request goes out with it.
        if (*c).retry_cnt != 0 {
            return 0;
        }
        if !connection::connected(c) {
            let res = connect(c);
            if res != 0 && connection::alive(c) {
                connection::unqueue(c, req);
            }
            return res;
        }
        if connection::first_request(c) == req {
            dispatch(c);
        }
        0
    }
}

/// `evhttp_cancel_request`: a request being worked on fails with REQUEST_CANCEL (its
/// connection resets and goes on with the next one); a queued one just leaves the queue.
/// The request is freed unless the program owns it.
///
/// # Safety
/// `req` is a live request.
pub unsafe fn cancel(req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let c = (*req).evcon;
        if !c.is_null() {
            if connection::first_request(c) == req {
                let _busy = Busy::new(c);
                connection::fail(c, RequestError::RequestCancel);
                return;
            }
            connection::unqueue(c, req);
        }
        request::free_auto(req);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_as_upstream() {
        let half = timeval { tv_sec: 0, tv_usec: 500_000 };
        let d = |n| {
            let t = retry_delay(half, n);
            (t.tv_sec, t.tv_usec)
        };
        assert_eq!(d(0), (0, 500_000));
        // usec doubles to 1_000_000 (not over it: no carry), then sec doubles from 0.
        assert_eq!(d(1), (0, 1_000_000));
        assert_eq!(d(2), (2, 1_000_000));
        let two = timeval { tv_sec: 2, tv_usec: 0 };
        assert_eq!(retry_delay(two, 3).tv_sec, 16);
        assert_eq!(retry_delay(two, 20).tv_sec, 3600);
        assert_eq!(retry_delay(two, 20).tv_usec, 0);
    }
}
