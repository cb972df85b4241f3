//! Retrying a truncated UDP reply over TCP to the same nameserver (what 2.2 does; 2.1 failed
//! the lookup with DNS_ERR_TRUNCATED).
//!
//! The request keeps its transaction id, its place in `inflight` and its timer (re-armed with
//! the full timeout): the TCP exchange is one more transmission. The query goes out with the
//! two-byte length prefix (RFC 1035 4.2.2); the reply is read until its prefix is satisfied
//! and then handled exactly like a datagram, except that a TC bit in it is final. If the
//! connection cannot be made or breaks before the whole reply is in, the lookup ends as 2.1
//! ended it, with DNS_ERR_TRUNCATED; if the server just does not answer, the request's timer
//! retransmits over UDP as after any lost reply.
//!
//! The connection's event lives in the request (not in [`Conn`]) so that closing a connection
//! from its own callback never frees an event the loop is running.

use std::ffi::{c_int, c_short, c_void};

use crate::base::DelMode;
use crate::event::{EV_PERSIST, EV_READ, EV_WRITE};
use crate::ffi::event::Locked;
use crate::util::addr::CSockAddr;
use crate::util::socket;
use crate::evdns_debug;

use super::request::{self, Request};
use super::{Base, State};

/// One TCP exchange in progress.
pub(crate) struct Conn {
    fd: c_int,
    ns: usize,
    /// Length-prefixed query, and how much of it is written.
    out: Vec<u8>,
    written: usize,
    /// What has been read of the length-prefixed reply.
    inbuf: Vec<u8>,
}

/// The reply's length once its prefix is in, and whether all of it is.
fn reply_complete(inbuf: &[u8]) -> Option<usize> {
    let [hi, lo, rest @ ..] = inbuf else { return None };
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    (rest.len() >= len).then_some(len)
}

/// Starts the TCP retry of an in-flight request on its nameserver; false if no connection
/// could be started (the caller then reports the truncation).
///
/// # Safety
/// `req` must be live, unfinished and in flight.
pub(super) unsafe fn start(base: &Base, st: &mut State, req: *mut Request) -> bool {
    // SAFETY: contract.
    let r = unsafe { &mut *req };
    let Some(ns) = r.ns else { return false };
    close(r);
    let addr = CSockAddr::new(&st.servers[ns].addr);
    let mut fd = -1;
    // SAFETY: addr is a socket address of its length.
    match unsafe { socket::socket_connect(&mut fd, addr.as_ptr(), addr.socklen()) } {
        socket::CONNECT_IN_PROGRESS | socket::CONNECT_DONE if fd >= 0 => {}
        _ => {
            if fd >= 0 {
                // SAFETY: the socket was made above and is not watched.
                unsafe { libc::close(fd) };
            }
            return false;
        }
    }
    socket::make_closeonexec(fd);
    let q = request::query_of(r);
    let mut out = Vec::with_capacity(q.len() + 2);
    out.extend_from_slice(&(q.len() as u16).to_be_bytes());
    out.extend_from_slice(q);
    evdns_debug!("Reply truncated: retrying request {:p} over TCP to {}", req, st.servers[ns].addr);
    r.tcp = Some(Box::new(Conn { fd, ns, out, written: 0, inbuf: Vec::new() }));
    let ev = r.tcp_event();
    // SAFETY: the request's TCP event lives as long as the request; the base is live.
    unsafe {
        let mut eb = Locked::new(base.event_base());
        eb.assign(ev, fd, EV_WRITE | EV_PERSIST, Some(on_tcp), req.cast());
        eb.add_nolock(ev, None, false);
        let timer = r.timer_event();
        eb.del_nolock(timer, DelMode::NoBlock);
        eb.add_nolock(timer, Some(&st.opts.timeout), false);
    }
    true
}

/// Ends the request's TCP exchange, if any.
pub(super) fn close(r: &mut Request) {
    let Some(conn) = r.tcp.take() else { return };
    let ev = r.tcp_event();
    // SAFETY: the event was assigned when the connection started, to the live event base.
    unsafe { Locked::new((*ev).base).del_nolock(ev, DelMode::NoBlock) };
    crate::debug::note_teardown(ev);
    // SAFETY: the socket is the connection's own.
    unsafe { libc::close(conn.fd) };
}

/// The connection failed: the truncation stands.
///
/// # Safety
/// `req` must be live, unfinished and in flight; it is not used afterwards.
unsafe fn broken(base: &Base, st: &mut State, req: *mut Request) {
    // SAFETY: contract.
    unsafe {
        close(&mut *req);
        request::finish(base, st, req, crate::dns::api::DNS_ERR_TRUNCATED, 0, super::Answer::None);
    }
}

/// The connection is writable (the rest of the query goes out) or readable (reply bytes).
unsafe extern "C" fn on_tcp(_fd: c_int, what: c_short, arg: *mut c_void) {
    let req = arg.cast::<Request>();
    // SAFETY: the request outlives its events (see request's module doc).
    let base = unsafe { &*(*req).base };
    let mut st = base.lock();
    // SAFETY: as above.
    let r = unsafe { &mut *req };
    if st.shutting_down || r.finished {
        return;
    }
    let ev = r.tcp_event();
    let Some(conn) = r.tcp.as_mut() else { return };
    if what & EV_WRITE != 0 {
        let rest = &conn.out[conn.written..];
        // SAFETY: rest is readable for its length.
        let n = unsafe { libc::send(conn.fd, rest.as_ptr().cast(), rest.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            if !socket::rw_error_is_retriable(crate::mm::errno()) {
                // SAFETY: live, unfinished, in flight (checked above); not used afterwards.
                unsafe { broken(base, &mut st, req) };
            }
            return;
        }
        conn.written += n as usize;
        if conn.written == conn.out.len() {
            let fd = conn.fd;
            // SAFETY: the event is assigned; it is reassigned while not added.
            unsafe {
                let mut eb = Locked::new((*ev).base);
                eb.del_nolock(ev, DelMode::NoBlock);
                eb.assign(ev, fd, EV_READ | EV_PERSIST, Some(on_tcp), req.cast());
                eb.add_nolock(ev, None, false);
            }
        }
        return;
    }
    let mut chunk = [0u8; 4096];
    // SAFETY: chunk is writable for its length.
    let n = unsafe { libc::recv(conn.fd, chunk.as_mut_ptr().cast(), chunk.len(), 0) };
    if n <= 0 {
        if n == 0 || !socket::rw_error_is_retriable(crate::mm::errno()) {
            // SAFETY: as above.
            unsafe { broken(base, &mut st, req) };
        }
        return;
    }
    conn.inbuf.extend_from_slice(&chunk[..n as usize]);
    let Some(len) = reply_complete(&conn.inbuf) else { return };
    let ns = conn.ns;
    let packet = conn.inbuf[2..2 + len].to_vec();
    close(r);
    request::handle_reply(base, &mut st, ns, &packet, request::Via::Tcp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefix_framing() {
        assert_eq!(reply_complete(b""), None);
        assert_eq!(reply_complete(b"\x00"), None);
        assert_eq!(reply_complete(b"\x00\x03ab"), None);
        assert_eq!(reply_complete(b"\x00\x03abc"), Some(3));
        assert_eq!(reply_complete(b"\x00\x00"), Some(0));
    }
}
