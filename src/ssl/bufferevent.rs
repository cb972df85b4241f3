//! The TLS bufferevent kind: `bufferevent_ops_openssl` (type_name "ssl") on the common core.
//!
//! Two transports. Socket mode: the SSL reads and writes the socket itself (a socket BIO),
//! and `ev_read`/`ev_write` watch the socket. Filter mode: the SSL's BIO (`bio.rs`) moves
//! records through an underlying bufferevent, whose callbacks tell us when records came or its
//! output drained; `ev_read`/`ev_write` are then the generic timeout timers.
//!
//! Everything that moves data goes through [`pump`]: finish the handshake if one is running,
//! then write plaintext out and read plaintext in, as far as the transport allows, then wait for
//! exactly the readiness OpenSSL asked for ([`super::wants`]). A call to pump from inside
//! pump (a callback of the program that enables, writes or drains) only asks the running one
//! for another round, so the program's callbacks never see a half-done step.
//!
//! The output's front is frozen except while this module drains it: a write OpenSSL could not
//! finish must be retried with the same bytes (SSL_write's rule), which therefore stay put.

use std::ffi::{c_int, c_short, c_ulong, c_void};
use std::ptr;

use libc::iovec;

use super::openssl::{self, Bio, BioSt, Ssl, SslSt, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, SSL_MODE_ENABLE_PARTIAL_WRITE};
use super::{bio, classify, close_event, read_budget, wants, Blocked, Close, Errors, IoState};
use crate::base::EventBase;
use crate::buffer::callbacks::CbInfo;
use crate::buffer::Evbuffer;
use crate::bufferevent::core::{self, upcast, BevPrivate, SUSPEND_FILT_READ};
use crate::bufferevent::layout::*;
use crate::bufferevent::ratelim::Direction;
use crate::bufferevent::{filter, limits, socket};
use crate::event::{EVLIST_INSERTED, EV_FINALIZE, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE};
use crate::ffi::buffer as evb;
use crate::ffi::event as ev;
use crate::ffi::util as evu;

#[no_mangle]
pub static bufferevent_ops_openssl: BuffereventOps = BuffereventOps {
    type_name: c"ssl".as_ptr(),
    mem_offset: 0,
    enable: Some(be_enable),
    disable: Some(be_disable),
    unlink: Some(be_unlink),
    destruct: Some(be_destruct),
    adj_timeouts: Some(be_adj_timeouts),
    flush: Some(be_flush),
    ctrl: Some(be_ctrl),
};

/// The largest read and write per readiness by default: 16 TLS records. 2.1.12 reads 4 KiB;
/// more per wake-up is most of the bulk-transfer speed (rate limits and watermarks still cap it).
const TLS_MAX_SINGLE: usize = 256 * 1024;
/// Input space reserved per round of SSL_read calls.
const READ_CHUNK: usize = 64 * 1024;
/// OpenSSL's read buffer with read-ahead: several records per read system call.
const TLS_READ_AHEAD: usize = 64 * 1024;
/// Output segments handed to SSL_write per round.
const WRITE_SEGMENTS: usize = 16;

/// `enum bufferevent_ssl_state`, and the end of the connection.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Open = 0,
    Connecting = 1,
    Accepting = 2,
    Closed = 3,
}

impl Phase {
    fn from_state(state: u32) -> Option<Phase> {
        match state {
            0 => Some(Phase::Open),
            1 => Some(Phase::Connecting),
            2 => Some(Phase::Accepting),
            _ => None,
        }
    }

    fn handshaking(self) -> bool {
        matches!(self, Phase::Connecting | Phase::Accepting)
    }
}

/// Why a pump runs: the transport became readable or writable, or anything else (the program
/// enabled, wrote, set a descriptor), which tries both directions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    Readable,
    Writable,
    Any,
}

/// The kind's struct; zeroed memory is a valid "open, nothing pending, no SSL" state.
#[repr(C)]
struct SslBev {
    p: BevPrivate,
    /// Filter mode's underlying bufferevent (we hold a reference); NULL in socket mode.
    underlying: *mut Bufferevent,
    ssl: Option<Ssl>,
    phase: Phase,
    /// The state given at creation: a new descriptor starts the connection over from it.
    initial: Phase,
    hs_blocked: Blocked,
    read_blocked: Blocked,
    write_blocked: Blocked,
    allow_dirty_shutdown: bool,
    in_pump: bool,
    /// Something asked a running pump for another round.
    again: bool,
    /// The program freed it: no more I/O on its behalf.
    unlinked: bool,
    /// Bytes of an SSL_write that must be retried (0: none).
    pending_write: usize,
    /// The connection ended right after data that went into the input: its event waits for
    /// the next pump (see read_in).
    close_pending: bool,
    close_when: c_short,
    close_kind: Close,
    errors: Errors,
    /// Byte counts of the SSL's BIOs at the last look, for the rate limits.
    rbio: *mut BioSt,
    wbio: *mut BioSt,
    n_read: u64,
    n_written: u64,
}

fn sb(bev: *mut Bufferevent) -> *mut SslBev {
    bev.cast()
}

/// Whether `bev` is a TLS bufferevent.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn is_ssl(bev: *mut Bufferevent) -> bool {
    // SAFETY: live (contract).
    ptr::eq(unsafe { (*bev).be_ops }, &bufferevent_ops_openssl)
}

// ---- construction ------------------------------------------------------------------------------

/// A failed constructor owns the SSL with CLOSE_ON_FREE, as upstream's does.
fn give_up(ssl: Ssl, options: c_int) -> *mut Bufferevent {
    if options & BEV_OPT_CLOSE_ON_FREE != 0 {
        ssl.free();
    }
    ptr::null_mut()
}

/// The SSL of a constructor's `raw` pointer and the state; None (having logged why and freed
/// what it owns) if OpenSSL is not in the process or the state is no `bufferevent_ssl_state`.
///
/// # Safety
/// `raw` must be a live `SSL *`.
unsafe fn adopt(raw: *mut SslSt, state: u32, options: c_int) -> Option<(Ssl, Phase)> {
    let api = openssl::api()?;
    // SAFETY: live SSL of the process's OpenSSL (contract).
    let ssl = unsafe { Ssl::from_raw(api, raw) };
    ssl.report_eof_as_close();
    match Phase::from_state(state) {
        Some(phase) => Some((ssl, phase)),
        None => {
            warnx!("bufferevent_openssl: {} is no bufferevent_ssl_state", state);
            give_up(ssl, options);
            None
        }
    }
}

/// `bufferevent_openssl_socket_new`: `fd`, or the socket the SSL already has when `fd` is -1;
/// an SSL on another socket than `fd` is refused.
///
/// # Safety
/// `base` must be a live base, `raw` a live `SSL *`.
pub unsafe fn socket_new(base: *mut EventBase, fd: c_int, raw: *mut SslSt, state: u32, options: c_int) -> *mut Bufferevent {
    // SAFETY: forwarded contract.
    let Some((ssl, phase)) = (unsafe { adopt(raw, state, options) }) else { return ptr::null_mut() };
    let mut fd = fd;
    match ssl.wbio().and_then(|b| b.fd().map(|have| (b, have))) {
        Some((b, have)) => {
            if fd < 0 {
                fd = have;
            } else if fd != have {
                warnx!("bufferevent_openssl_socket_new: the SSL is on socket {} already, not {}", have, fd);
                return give_up(ssl, options);
            }
            // The socket is closed (or not) by us, according to CLOSE_ON_FREE.
            b.set_close(false);
        }
        None if fd >= 0 => match ssl.socket_bio(fd) {
            Some(b) => ssl.set_bio(b),
            None => return give_up(ssl, options),
        },
        None => {}
    }
    // SAFETY: forwarded contract.
    unsafe { new(base, ptr::null_mut(), fd, ssl, phase, options) }
}

/// `bufferevent_openssl_filter_new`: `underlying` must be on `base`.
///
/// # Safety
/// `base` must be a live base, `underlying` NULL or a live bufferevent, `raw` a live `SSL *`.
pub unsafe fn filter_new(base: *mut EventBase, underlying: *mut Bufferevent, raw: *mut SslSt, state: u32, options: c_int) -> *mut Bufferevent {
    // SAFETY: forwarded contract.
    let Some((ssl, phase)) = (unsafe { adopt(raw, state, options) }) else { return ptr::null_mut() };
    // SAFETY: underlying is NULL or live (contract).
    if underlying.is_null() || unsafe { (*underlying).ev_base } != base {
        warnx!("bufferevent_openssl_filter_new: {}", if underlying.is_null() { "NULL underlying bufferevent" } else { "the underlying bufferevent is on another base" });
        return give_up(ssl, options);
    }
    let Some(b) = bio::new(ssl, underlying) else { return give_up(ssl, options) };
    ssl.set_bio(b);
    // SAFETY: forwarded contract.
    unsafe { new(base, underlying, -1, ssl, phase, options) }
}

/// The common part of both constructors.
unsafe fn new(base: *mut EventBase, underlying: *mut Bufferevent, fd: c_int, ssl: Ssl, phase: Phase, options: c_int) -> *mut Bufferevent {
    let s = crate::mm::calloc(1, std::mem::size_of::<SslBev>()).cast::<SslBev>();
    if s.is_null() {
        return give_up(ssl, options);
    }
    // SAFETY: zeroed memory of an SslBev (a valid one), ours until returned; base and
    // underlying are live (callers' contract).
    unsafe {
        (*s).underlying = underlying;
        (*s).ssl = Some(ssl);
        (*s).initial = phase;
        if core::init_common(&raw mut (*s).p, base, &bufferevent_ops_openssl, options) < 0 {
            crate::mm::free(s.cast());
            return give_up(ssl, options);
        }
        let bev = &raw mut (*s).p.bev;
        ssl.set_mode(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        ssl.set_read_ahead(TLS_READ_AHEAD);
        limits::set_max_single(bev, Direction::Read, TLS_MAX_SINGLE);
        limits::set_max_single(bev, Direction::Write, TLS_MAX_SINGLE);
        let cb: crate::buffer::callbacks::CbFunc = outbuf_cb;
        evb::evbuffer_add_cb((*bev).output, Some(cb), bev.cast());
        evb::evbuffer_freeze((*bev).output, 1);
        assign_events(bev, fd);
        if !underlying.is_null() {
            core::incref(underlying);
            core::setcb(underlying, Some(underlying_readcb), Some(underlying_writecb), Some(underlying_eventcb), bev.cast());
            // Records are taken as they come; our own watermarks apply to plaintext.
            core::setwatermark(underlying, EV_READ, 0, 0);
            core::enable(underlying, EV_READ | EV_WRITE);
        }
        if start(bev, phase, fd >= 0 || !underlying.is_null()) < 0 {
            // OpenSSL would not reset the SSL for the handshake: no bufferevent, and the SSL
            // is the program's again (or freed, with CLOSE_ON_FREE), not the finalizer's.
            warnx!("bufferevent_openssl: SSL_clear failed");
            (*s).ssl = None;
            core::free(bev);
            return give_up(ssl, options);
        }
        bev
    }
}

/// Socket mode: both events watch `fd`. Filter mode: they are the timeout timers (as the
/// generic ones, but with our callbacks, so that kick() can also make them run a pump, and
/// persistent, so that a kick does not take a running timer away).
unsafe fn assign_events(bev: *mut Bufferevent, fd: c_int) {
    // SAFETY: live bufferevent whose events are not added (callers' contract).
    unsafe {
        let base = (*bev).ev_base;
        let (fd, read, write) = if (*sb(bev)).underlying.is_null() {
            (fd, EV_READ | EV_PERSIST | EV_FINALIZE, EV_WRITE | EV_PERSIST | EV_FINALIZE)
        } else {
            (-1, EV_PERSIST | EV_FINALIZE, EV_PERSIST | EV_FINALIZE)
        };
        ev::event_assign(&raw mut (*bev).ev_read, base, fd, read, Some(on_read_event), bev.cast());
        ev::event_assign(&raw mut (*bev).ev_write, base, fd, write, Some(on_write_event), bev.cast());
    }
}

/// (Re)starts the connection in `phase`: a handshake begins from the loop when there is a
/// transport (`go`), so that the program can set its callbacks first.
unsafe fn start(bev: *mut Bufferevent, phase: Phase, go: bool) -> c_int {
    let s = sb(bev);
    // SAFETY: live, locked or not yet shared (callers' contract).
    unsafe {
        (*s).phase = phase;
        (*s).hs_blocked = Blocked::No;
        (*s).read_blocked = Blocked::No;
        (*s).write_blocked = Blocked::No;
        (*s).pending_write = 0;
        // The old connection's end, not yet reported, is no news for the new one.
        (*s).close_pending = false;
        let Some(ssl) = (*s).ssl else { return -1 };
        if phase.handshaking() && !ssl.restart(phase == Phase::Connecting) {
            ssl.errors().clear();
            return -1;
        }
        if go && phase.handshaking() {
            kick(bev, EV_WRITE);
        }
        update_events(bev);
    }
    0
}

// ---- the pump ----------------------------------------------------------------------------------

/// Moves what can be moved now, then waits for the right readiness. `cb_opts`: how the
/// program's data callbacks run (BEV_OPT_DEFER_CALLBACKS when the pump runs inside a call of
/// the program, so that its callbacks do not run inside its own bufferevent_enable or
/// evbuffer_add).
unsafe fn pump(bev: *mut Bufferevent, why: Why, cb_opts: c_int) {
    let s = sb(bev);
    // SAFETY: live bufferevent (callers' contract), kept alive by the reference taken here.
    unsafe {
        core::incref_and_lock(bev);
        if (*s).in_pump {
            (*s).again = true;
            core::decref_and_unlock(bev);
            return;
        }
        (*s).in_pump = true;
        let mut why = why;
        loop {
            (*s).again = false;
            step(bev, why, cb_opts);
            if !(*s).again || (*s).unlinked || (*s).phase == Phase::Closed {
                break;
            }
            why = Why::Any;
        }
        (*s).in_pump = false;
        update_events(bev);
        core::decref_and_unlock(bev);
    }
}

/// Whether there is a transport to talk through.
unsafe fn has_transport(bev: *mut Bufferevent) -> bool {
    // SAFETY: live (callers' contract).
    unsafe { !(*sb(bev)).underlying.is_null() || (*bev).ev_read.fd >= 0 }
}

/// One round: the handshake, then writing and reading as `why` makes worth trying.
unsafe fn step(bev: *mut Bufferevent, why: Why, cb_opts: c_int) {
    let s = sb(bev);
    // SAFETY: live, locked, referenced (pump).
    unsafe {
        let Some(ssl) = (*s).ssl else { return };
        if (*s).unlinked || (*s).phase == Phase::Closed || !has_transport(bev) {
            return;
        }
        if (*s).close_pending {
            (*s).close_pending = false;
            report_close(bev, (*s).close_when, (*s).close_kind);
            return;
        }
        let mut why = why;
        if (*s).phase.handshaking() {
            if (*bev).enabled & (EV_READ | EV_WRITE) == 0 || !handshake(bev, ssl) {
                return;
            }
            why = Why::Any;
        }
        if (*s).unlinked || (*s).phase != Phase::Open {
            return;
        }
        let (read, write) = match why {
            Why::Readable => (true, (*s).write_blocked == Blocked::OnRead),
            Why::Writable => ((*s).read_blocked == Blocked::OnWrite, true),
            Why::Any => (true, true),
        };
        if write {
            write_out(bev, ssl, cb_opts);
        }
        if read && !(*s).unlinked && (*s).phase == Phase::Open {
            read_in(bev, ssl, cb_opts);
        }
    }
}

/// One SSL_do_handshake; true when the connection is now open.
unsafe fn handshake(bev: *mut Bufferevent, ssl: Ssl) -> bool {
    let s = sb(bev);
    // SAFETY: live, locked, referenced (pump).
    unsafe {
        ssl.errors().clear();
        let r = ssl.do_handshake();
        account(bev, ssl);
        if r == 1 {
            (*s).phase = Phase::Open;
            (*s).hs_blocked = Blocked::No;
            (*s).read_blocked = Blocked::No;
            (*s).write_blocked = Blocked::No;
            core::run_eventcb(bev, BEV_EVENT_CONNECTED, 0);
            return true;
        }
        let e = ssl.get_error(r);
        match Blocked::from_ssl_error(e) {
            Some(b) => (*s).hs_blocked = b,
            None => fail(bev, ssl, BEV_EVENT_READING, e, r),
        }
        false
    }
}

/// Plaintext from the SSL into the input: SSL_read after SSL_read until OpenSSL has nothing
/// more, the budget (read limit, high watermark) is used up, or the connection ends.
unsafe fn read_in(bev: *mut Bufferevent, ssl: Ssl, cb_opts: c_int) {
    let s = sb(bev);
    let p = upcast(bev);
    // SAFETY: live, locked, referenced (pump); the reserved space is ours until committed.
    unsafe {
        if (*bev).enabled & EV_READ == 0 || (*p).read_suspended != 0 || (*s).close_pending {
            return;
        }
        let input = (*bev).input;
        let budget = read_budget(limits::get_read_max(p), (*bev).wm_read.high, evb::evbuffer_get_length(input));
        let mut total = 0usize;
        let mut stopped = false;
        let mut failure = None;
        ssl.errors().clear();
        while total < budget && !stopped {
            let want = (budget - total).min(READ_CHUNK);
            let mut iov = [iovec { iov_base: ptr::null_mut(), iov_len: 0 }; 2];
            let n = evb::evbuffer_reserve_space(input, want as isize, iov.as_mut_ptr(), 2);
            if n <= 0 {
                break;
            }
            let mut got = 0usize;
            let mut used = 0;
            for v in iov.iter_mut().take(n as usize) {
                let cap = v.iov_len.min(want - got);
                let buf = std::slice::from_raw_parts_mut(v.iov_base.cast::<u8>(), cap);
                let mut filled = 0;
                while filled < cap {
                    let r = ssl.read(&mut buf[filled..]);
                    if r > 0 {
                        filled += r as usize;
                        continue;
                    }
                    let e = ssl.get_error(r);
                    match Blocked::from_ssl_error(e) {
                        Some(b) => (*s).read_blocked = b,
                        None => failure = Some((e, r)),
                    }
                    stopped = true;
                    break;
                }
                v.iov_len = filled;
                got += filled;
                if filled > 0 {
                    used += 1;
                }
                if stopped || filled < cap {
                    break;
                }
            }
            if used > 0 {
                evb::evbuffer_commit_space(input, iov.as_mut_ptr(), used);
            }
            total += got;
            stopped |= got == 0;
        }
        account(bev, ssl);
        if total > 0 {
            if !stopped {
                (*s).read_blocked = Blocked::No;
            }
            if !(*s).underlying.is_null() {
                filter::reset_timer(bev, EV_READ);
            }
            core::trigger_nolock(bev, EV_READ, cb_opts);
        }
        if let Some((e, r)) = failure {
            let close = collect_failure(bev, ssl, e, r);
            if total > 0 {
                close_later(bev, BEV_EVENT_READING, close);
            } else {
                report_close(bev, BEV_EVENT_READING, close);
            }
        } else if !stopped && total >= budget && (*bev).enabled & EV_READ != 0 && (*p).read_suspended == 0 && !(*s).unlinked {
            // The budget ran out with more possibly waiting (inside the SSL, where no readiness
            // will announce it, or in the underlying's input): come back from the loop.
            kick(bev, EV_READ);
        }
    }
}

/// Plaintext from the output into the SSL: whole segments to SSL_write (partial writes on),
/// until the output is empty, the write limit is reached or the transport is full.
unsafe fn write_out(bev: *mut Bufferevent, ssl: Ssl, cb_opts: c_int) {
    let s = sb(bev);
    let p = upcast(bev);
    // SAFETY: live, locked, referenced (pump); peeked segments stay valid until drained, which
    // only this function does (the output's front is frozen).
    unsafe {
        if (*bev).enabled & EV_WRITE == 0 || (*p).write_suspended != 0 {
            return;
        }
        let output = (*bev).output;
        let budget = limits::get_write_max(p).max(0) as usize;
        let mut total = 0usize;
        let mut failure = None;
        ssl.errors().clear();
        while total < budget {
            let avail = evb::evbuffer_get_length(output);
            if avail == 0 {
                break;
            }
            let retry = (*s).pending_write;
            let want = if retry > 0 { retry } else { avail.min(budget - total) };
            let mut iov = [iovec { iov_base: ptr::null_mut(), iov_len: 0 }; WRITE_SEGMENTS];
            let mut n = evb::evbuffer_peek(output, want as isize, ptr::null_mut(), iov.as_mut_ptr(), WRITE_SEGMENTS as c_int);
            if retry > 0 && (n < 1 || iov[0].iov_len < retry) {
                // The retried bytes must be one piece: same contents, maybe another address
                // (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
                evb::evbuffer_unfreeze(output, 1);
                evb::evbuffer_pullup(output, retry as isize);
                evb::evbuffer_freeze(output, 1);
                n = evb::evbuffer_peek(output, retry as isize, ptr::null_mut(), iov.as_mut_ptr(), 1);
            }
            let n = (n.max(0) as usize).min(WRITE_SEGMENTS);
            let mut batch = 0usize;
            let mut stop = false;
            for v in &iov[..n] {
                let len = if retry > 0 { retry } else { v.iov_len.min(want - batch) };
                if len == 0 {
                    continue;
                }
                let r = ssl.write(std::slice::from_raw_parts(v.iov_base.cast::<u8>(), len));
                if r > 0 {
                    batch += r as usize;
                    (*s).pending_write = 0;
                    (*s).write_blocked = Blocked::No;
                    if (r as usize) < len {
                        // A partial write: the transport is full.
                        (*s).write_blocked = Blocked::OnWrite;
                        stop = true;
                        break;
                    }
                } else {
                    let e = ssl.get_error(r);
                    match Blocked::from_ssl_error(e) {
                        Some(b) => {
                            (*s).pending_write = len;
                            (*s).write_blocked = b;
                        }
                        None => {
                            (*s).pending_write = 0;
                            failure = Some((e, r));
                        }
                    }
                    stop = true;
                    break;
                }
                if retry > 0 || batch >= want {
                    break;
                }
            }
            if batch > 0 {
                evb::evbuffer_unfreeze(output, 1);
                evb::evbuffer_drain(output, batch);
                evb::evbuffer_freeze(output, 1);
                total += batch;
            }
            if stop || batch == 0 {
                break;
            }
        }
        account(bev, ssl);
        if total > 0 {
            if !(*s).underlying.is_null() {
                filter::reset_timer(bev, EV_WRITE);
            }
            core::trigger_nolock(bev, EV_WRITE, cb_opts);
        }
        if let Some((e, r)) = failure {
            fail(bev, ssl, BEV_EVENT_WRITING, e, r);
        }
    }
}

/// The connection failed or ended (`when`: READING or WRITING): the error codes are kept for
/// bufferevent_get_openssl_error, and the program hears EOF or ERROR.
unsafe fn fail(bev: *mut Bufferevent, ssl: Ssl, when: c_short, ssl_error: c_int, ret: c_int) {
    // SAFETY: forwarded contract.
    unsafe {
        let close = collect_failure(bev, ssl, ssl_error, ret);
        report_close(bev, when, close);
    }
}

/// What a failed SSL call means, the queued error codes kept for bufferevent_get_openssl_error.
unsafe fn collect_failure(bev: *mut Bufferevent, ssl: Ssl, ssl_error: c_int, ret: c_int) -> Close {
    let s = sb(bev);
    let mut codes: [c_ulong; 16] = [0; 16];
    let mut n = 0;
    loop {
        let e = ssl.errors().pop();
        if e == 0 {
            break;
        }
        if n < codes.len() {
            codes[n] = e;
            n += 1;
        }
    }
    // SAFETY: live, locked (callers' contract).
    unsafe {
        for &c in &codes[..n] {
            (*s).errors.push(c);
        }
    }
    let transport_eof = ssl.rbio().is_some_and(Bio::at_eof);
    let close = classify(ssl_error, ret, ssl.received_shutdown(), transport_eof, &codes[..n]);
    if close == Close::Dirty && n == 0 {
        // SAFETY: as above.
        unsafe { note_unexpected_eof(bev) };
    }
    close
}

/// Records OpenSSL 3's own code for a dirty shutdown (`SSL_R_UNEXPECTED_EOF_WHILE_READING`)
/// when OpenSSL queued none (SSL_OP_IGNORE_UNEXPECTED_EOF, or an EOF the underlying reported):
/// programs read the same reason whichever way the EOF was seen.
unsafe fn note_unexpected_eof(bev: *mut Bufferevent) {
    // SAFETY: live, locked (callers' contract).
    unsafe { (*sb(bev)).errors.push(openssl::unexpected_eof_code()) }
}

/// Reports the end of the connection from a later loop iteration: data that came with it
/// went into the input now, and the program must see it first. Its data callback may not even
/// be set yet (evhttp sets it only once its request is written, and a fast server's answer and
/// close can arrive before that), so the event waits until the loop has run what is deferred.
unsafe fn close_later(bev: *mut Bufferevent, when: c_short, close: Close) {
    let s = sb(bev);
    // SAFETY: live, locked (callers' contract); the event is finalized with the bufferevent.
    unsafe {
        (*s).close_pending = true;
        (*s).close_when = when;
        (*s).close_kind = close;
        crate::ffi::internal::event_active_later_(&raw mut (*bev).ev_read, c_int::from(EV_READ));
    }
}

/// Ends the connection with the event `close` stands for.
unsafe fn report_close(bev: *mut Bufferevent, when: c_short, close: Close) {
    let s = sb(bev);
    // SAFETY: live, locked, referenced (callers' contract).
    unsafe {
        (*s).phase = Phase::Closed;
        update_events(bev);
        core::run_eventcb(bev, when | close_event(close, (*s).allow_dirty_shutdown), 0);
    }
}

/// Charges the rate limits with the bytes the SSL's BIOs moved since the last look (the wire's
/// bytes, as for sockets). A BIO the program swapped in starts a new count.
unsafe fn account(bev: *mut Bufferevent, ssl: Ssl) {
    let s = sb(bev);
    let p = upcast(bev);
    // SAFETY: live, locked (callers' contract); only this bufferevent's fields are touched.
    unsafe {
        charge(p, ssl.rbio().map(|b| (b.as_ptr(), b.counts().0)), &mut (*s).rbio, &mut (*s).n_read, limits::decrement_read_buckets);
        charge(p, ssl.wbio().map(|b| (b.as_ptr(), b.counts().1)), &mut (*s).wbio, &mut (*s).n_written, limits::decrement_write_buckets);
    }
}

/// One direction of [`account`]: `now` is the BIO and its count, `last` what they were.
fn charge(p: *mut BevPrivate, now: Option<(*mut BioSt, u64)>, last_bio: &mut *mut BioSt, last: &mut u64, decrement: fn(*mut BevPrivate, isize) -> c_int) {
    let Some((bio, count)) = now else { return };
    if bio == *last_bio && count > *last {
        decrement(p, (count - *last).min(isize::MAX as u64) as isize);
    }
    *last_bio = bio;
    *last = count;
}

/// Waits for what the connection needs: the socket's events, or reading on the underlying.
unsafe fn update_events(bev: *mut Bufferevent) {
    let s = sb(bev);
    let p = upcast(bev);
    // SAFETY: live, locked (callers' contract).
    unsafe {
        if (*s).close_pending {
            // The pump close_later arranged reports it; deleting an event would cancel that.
            return;
        }
        let enabled = (*bev).enabled;
        let state = IoState {
            handshake: (*s).phase.handshaking().then_some((*s).hs_blocked),
            closed: (*s).phase == Phase::Closed || (*s).ssl.is_none() || (*s).unlinked,
            reading: enabled & EV_READ != 0 && (*p).read_suspended == 0,
            writing: enabled & EV_WRITE != 0 && (*p).write_suspended == 0,
            has_output: evb::evbuffer_get_length((*bev).output) != 0 || (*s).pending_write != 0,
            read_blocked: (*s).read_blocked,
            write_blocked: (*s).write_blocked,
        };
        let w = wants(&state, enabled & (EV_READ | EV_WRITE) != 0);
        let u = (*s).underlying;
        if !u.is_null() {
            if w.read {
                core::unsuspend_read(u, SUSPEND_FILT_READ);
            } else {
                core::suspend_read(u, SUSPEND_FILT_READ);
            }
            return;
        }
        if (*bev).ev_read.fd < 0 {
            return;
        }
        for (e, want, tv) in [
            (&raw mut (*bev).ev_read, w.read, &raw const (*bev).timeout_read),
            (&raw mut (*bev).ev_write, w.write, &raw const (*bev).timeout_write),
        ] {
            // Added, not merely active: an event made active by kick() (not added) must
            // still run. Only event_add/event_del change the bit for these persistent events,
            // and we make those calls under the bufferevent's lock.
            let pending = ptr::read_volatile(&raw const (*e).cb.flags) & EVLIST_INSERTED != 0;
            if want && !pending {
                core::add_event(e, tv);
            } else if !want && pending {
                ev::event_del(e);
            }
        }
    }
}

/// Has a pump run from the loop for direction `dir`: our own event made active (finalized with
/// us, so a kick pending when everything is freed holds nothing).
unsafe fn kick(bev: *mut Bufferevent, dir: c_short) {
    // SAFETY: live (callers' contract).
    unsafe {
        if has_transport(bev) {
            let e = if dir == EV_READ { &raw mut (*bev).ev_read } else { &raw mut (*bev).ev_write };
            ev::event_active(e, c_int::from(dir), 1);
        }
    }
}

// ---- what drives it ----------------------------------------------------------------------------

/// A direction's timeout: that direction stops (a handshake, both: it cannot go on), and the
/// program hears TIMEOUT.
unsafe fn timed_out(bev: *mut Bufferevent, dir: c_short) {
    // SAFETY: the event belongs to a live bufferevent (finalized with it).
    unsafe {
        core::incref_and_lock(bev);
        let stop = if (*sb(bev)).phase.handshaking() { EV_READ | EV_WRITE } else { dir };
        core::disable(bev, stop);
        let what = if dir == EV_READ { BEV_EVENT_READING } else { BEV_EVENT_WRITING };
        core::run_eventcb(bev, BEV_EVENT_TIMEOUT | what, 0);
        core::decref_and_unlock(bev);
    }
}

unsafe extern "C" fn on_read_event(_fd: c_int, what: c_short, arg: *mut c_void) {
    // SAFETY: the event belongs to a live bufferevent (finalized with it).
    unsafe {
        if what & EV_TIMEOUT != 0 {
            timed_out(arg.cast(), EV_READ);
        } else {
            pump(arg.cast(), Why::Readable, 0);
        }
    }
}

unsafe extern "C" fn on_write_event(_fd: c_int, what: c_short, arg: *mut c_void) {
    // SAFETY: as above.
    unsafe {
        if what & EV_TIMEOUT != 0 {
            timed_out(arg.cast(), EV_WRITE);
        } else {
            pump(arg.cast(), Why::Writable, 0);
        }
    }
}

/// The program added plaintext: write it (filter mode), or have the loop write it (socket
/// mode: from the loop, as socket bufferevents do, instead of waiting for a poll to report the
/// socket writable, which it nearly always is).
unsafe extern "C" fn outbuf_cb(_buf: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let s = sb(bev);
    // SAFETY: installed on a live TLS bufferevent's output; info is valid for the call.
    unsafe {
        if (*info).n_added == 0 || (*s).phase != Phase::Open {
            return;
        }
        if (*s).in_pump {
            (*s).again = true;
            return;
        }
        if (*bev).enabled & EV_WRITE == 0 || (*upcast(bev)).write_suspended != 0 || (*s).write_blocked != Blocked::No {
            return;
        }
        if !(*s).underlying.is_null() {
            pump(bev, Why::Writable, BEV_OPT_DEFER_CALLBACKS);
        } else if ev::event_pending(&raw const (*bev).ev_write, EV_WRITE, ptr::null_mut()) == 0 {
            kick(bev, EV_WRITE);
        }
    }
}

unsafe extern "C" fn underlying_readcb(_u: *mut Bufferevent, arg: *mut c_void) {
    // SAFETY: the underlying's callbacks are ours only while we live.
    unsafe { pump(arg.cast(), Why::Readable, 0) }
}

unsafe extern "C" fn underlying_writecb(_u: *mut Bufferevent, arg: *mut c_void) {
    // SAFETY: as above.
    unsafe { pump(arg.cast(), Why::Writable, 0) }
}

/// The underlying's events: its EOF ends the connection (clean only after close_notify), its
/// errors and timeouts are passed on, its CONNECTED means nothing here (ours comes with the
/// handshake).
unsafe extern "C" fn underlying_eventcb(_u: *mut Bufferevent, what: c_short, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let s = sb(bev);
    // SAFETY: as in underlying_readcb.
    unsafe {
        core::incref_and_lock(bev);
        let dir = what & (BEV_EVENT_READING | BEV_EVENT_WRITING);
        if what & BEV_EVENT_EOF != 0 {
            // What came before the EOF first, the EOF from a later iteration.
            pump(bev, Why::Readable, 0);
            if let (Some(ssl), false) = ((*s).ssl, (*s).phase == Phase::Closed || (*s).unlinked || (*s).close_pending) {
                let close = if ssl.received_shutdown() { Close::Clean } else { Close::Dirty };
                if close == Close::Dirty {
                    note_unexpected_eof(bev);
                }
                close_later(bev, dir, close);
            }
        } else if what & BEV_EVENT_ERROR != 0 {
            if (*s).phase != Phase::Closed {
                report_close(bev, dir, Close::Failed);
            }
        } else if what & BEV_EVENT_TIMEOUT != 0 {
            core::run_eventcb(bev, what, 0);
        }
        core::decref_and_unlock(bev);
    }
}

// ---- the operations table ----------------------------------------------------------------------

/// Enabling starts the directions from the loop, not inside the program's call: a pump here
/// could deliver data and an EOF while the program is inside one of its deferred callbacks,
/// and the EOF would then reach it before the data (the common code runs a run's event
/// callback after its data callbacks, and the data callback's turn would be past).
unsafe extern "C" fn be_enable(bev: *mut Bufferevent, events: c_short) -> c_int {
    // SAFETY: called by the common code on a live TLS bufferevent.
    unsafe {
        for dir in [EV_READ, EV_WRITE] {
            if events & dir != 0 {
                if !(*sb(bev)).underlying.is_null() {
                    filter::reset_timer(bev, dir);
                }
                kick(bev, dir);
            }
        }
    }
    0
}

unsafe extern "C" fn be_disable(bev: *mut Bufferevent, events: c_short) -> c_int {
    let s = sb(bev);
    // SAFETY: as in be_enable.
    unsafe {
        if !(*s).underlying.is_null() {
            for (dir, e) in [(EV_READ, &raw mut (*bev).ev_read), (EV_WRITE, &raw mut (*bev).ev_write)] {
                if events & dir != 0 {
                    ev::event_del(e);
                }
            }
        }
        if !(*s).in_pump {
            update_events(bev);
        }
    }
    0
}

/// At bufferevent_free: no more I/O for the program; the underlying is freed with
/// CLOSE_ON_FREE or given back.
unsafe extern "C" fn be_unlink(bev: *mut Bufferevent) {
    let s = sb(bev);
    // SAFETY: a live, locked TLS bufferevent; its underlying (if any) is live (we hold a
    // reference).
    unsafe {
        (*s).unlinked = true;
        update_events(bev);
        let u = (*s).underlying;
        if !u.is_null() {
            filter::release_underlying(bev, u, underlying_eventcb);
        }
    }
}

/// With CLOSE_ON_FREE: the SSL is freed and (socket mode) the socket closed.
unsafe extern "C" fn be_destruct(bev: *mut Bufferevent) {
    let s = sb(bev);
    // SAFETY: called by the finalizer of a TLS bufferevent.
    unsafe {
        if (*upcast(bev)).options & BEV_OPT_CLOSE_ON_FREE == 0 {
            return;
        }
        let fd = (*bev).ev_read.fd;
        if (*s).underlying.is_null() && fd >= 0 {
            evu::evutil_closesocket(fd);
        }
        if let Some(ssl) = (*s).ssl.take() {
            ssl.free();
        }
    }
}

unsafe extern "C" fn be_adj_timeouts(bev: *mut Bufferevent) -> c_int {
    // SAFETY: called by the common code on a live TLS bufferevent.
    unsafe {
        if (*sb(bev)).underlying.is_null() {
            socket::adj_pending_timeouts(bev)
        } else {
            core::generic_adj_timeouts(bev, false)
        }
    }
}

/// Writes out what can be written now; BEV_FINISHED on the write side then sends close_notify,
/// so that the peer sees a clean end. 1 if close_notify went out, else 0.
unsafe extern "C" fn be_flush(bev: *mut Bufferevent, iotype: c_short, mode: FlushMode) -> c_int {
    let s = sb(bev);
    // SAFETY: called by bufferevent_flush on a live, locked, referenced TLS bufferevent.
    unsafe {
        if iotype & EV_WRITE == 0 {
            return 0;
        }
        pump(bev, Why::Writable, BEV_OPT_DEFER_CALLBACKS);
        let Some(ssl) = (*s).ssl else { return 0 };
        if mode != FlushMode::Finished || (*s).phase != Phase::Open || evb::evbuffer_get_length((*bev).output) != 0 {
            return 0;
        }
        ssl.errors().clear();
        let r = ssl.shutdown();
        ssl.errors().clear();
        c_int::from(r >= 0)
    }
}

unsafe extern "C" fn be_ctrl(bev: *mut Bufferevent, op: CtrlOp, data: *mut CtrlData) -> c_int {
    let s = sb(bev);
    // SAFETY: called by the common code with a live TLS bufferevent and its data.
    unsafe {
        let u = (*s).underlying;
        match op {
            CtrlOp::GetUnderlying => {
                (*data).ptr = u.cast();
                0
            }
            CtrlOp::GetFd if !u.is_null() => {
                (*data).fd = core::getfd(u);
                0
            }
            CtrlOp::GetFd => {
                (*data).fd = (*bev).ev_read.fd;
                0
            }
            CtrlOp::SetFd => set_fd(bev, (*data).fd),
            CtrlOp::CancelAll if u.is_null() => {
                socket::cancel_lookup(bev);
                0
            }
            CtrlOp::CancelAll => core::ctrl(u, op, &mut *data),
        }
    }
}

/// A new descriptor is a new connection, started over from the state given at creation. In
/// filter mode it goes to the underlying; -1 there only restarts.
unsafe fn set_fd(bev: *mut Bufferevent, fd: c_int) -> c_int {
    let s = sb(bev);
    // SAFETY: live, locked (the common code's ctrl).
    unsafe {
        let Some(ssl) = (*s).ssl else { return -1 };
        let u = (*s).underlying;
        if u.is_null() {
            let Some(b) = ssl.socket_bio(fd) else { return -1 };
            ssl.set_bio(b);
            ev::event_del(&raw mut (*bev).ev_read);
            ev::event_del(&raw mut (*bev).ev_write);
            assign_events(bev, fd);
        } else if fd >= 0 {
            let mut d = CtrlData { fd };
            if core::ctrl(u, CtrlOp::SetFd, &mut d) < 0 {
                return -1;
            }
        }
        start(bev, (*s).initial, fd >= 0)
    }
}

// ---- the calls of bufferevent_ssl.h ------------------------------------------------------------

/// `bufferevent_openssl_get_ssl`: NULL for other kinds.
///
/// # Safety
/// `bev` must be a live bufferevent (also for the calls below).
pub unsafe fn get_ssl(bev: *mut Bufferevent) -> *mut SslSt {
    // SAFETY: live (contract).
    unsafe {
        if !is_ssl(bev) {
            return ptr::null_mut();
        }
        (*sb(bev)).ssl.map_or(ptr::null_mut(), Ssl::as_ptr)
    }
}

/// `bufferevent_ssl_renegotiate`: -1 for other kinds, a connection that is not open, or when
/// OpenSSL refuses (TLS 1.3 has no renegotiation).
pub unsafe fn renegotiate(bev: *mut Bufferevent) -> c_int {
    let s = sb(bev);
    // SAFETY: live (contract).
    unsafe {
        if !is_ssl(bev) {
            return -1;
        }
        core::incref_and_lock(bev);
        let r = match (*s).ssl {
            Some(ssl) if (*s).phase == Phase::Open => {
                ssl.errors().clear();
                if ssl.renegotiate() {
                    (*s).phase = Phase::Connecting;
                    (*s).hs_blocked = Blocked::No;
                    kick(bev, EV_WRITE);
                    0
                } else {
                    ssl.errors().clear();
                    -1
                }
            }
            _ => -1,
        };
        core::decref_and_unlock(bev);
        r
    }
}

/// `bufferevent_openssl_get_allow_dirty_shutdown`: -1 for other kinds.
pub unsafe fn get_allow_dirty_shutdown(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        if !is_ssl(bev) {
            return -1;
        }
        core::lock(bev);
        let v = c_int::from((*sb(bev)).allow_dirty_shutdown);
        core::unlock(bev);
        v
    }
}

/// `bufferevent_openssl_set_allow_dirty_shutdown`: nothing for other kinds.
pub unsafe fn set_allow_dirty_shutdown(bev: *mut Bufferevent, allow: bool) {
    // SAFETY: live (contract).
    unsafe {
        if !is_ssl(bev) {
            return;
        }
        core::lock(bev);
        (*sb(bev)).allow_dirty_shutdown = allow;
        core::unlock(bev);
    }
}

/// `bufferevent_get_openssl_error`: 0 for other kinds or when none is left.
pub unsafe fn take_error(bev: *mut Bufferevent) -> c_ulong {
    // SAFETY: live (contract).
    unsafe {
        if !is_ssl(bev) {
            return 0;
        }
        core::lock(bev);
        let e = (*sb(bev)).errors.pop();
        core::unlock(bev);
        e
    }
}
