//! Socket bufferevents: `ev_read`/`ev_write` watch the socket; readable data go into the input
//! buffer (at most the read limit per callback, in one readv over several chains), and the
//! output buffer is written out (one writev of many chains) while it holds data.
//!
//! The input is frozen at its end and the output at its front except while this module
//! fills or drains them, so the program can only consume the input and append to the output.

use std::ffi::{c_char, c_int, c_short, c_void};
use std::ptr;

use libc::{sockaddr, socklen_t};

use super::core::{self, upcast, BevPrivate, CONNECTING, CONNECTION_REFUSED, CONN_ADDRESS_LEN, IN_WRITECB, MAX_SINGLE_WRITE_DEFAULT, NO_QUICKACK, WROTE_SINCE_QUICKACK};
use super::layout::*;
use super::limits;
use super::write_soon;
use crate::base::EventBase;
use crate::buffer::callbacks::CbInfo;
use crate::buffer::Evbuffer;
use crate::event::{EV_FINALIZE, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE};
use crate::ffi::buffer as evb;
use crate::ffi::event as ev;
use crate::ffi::util as evu;
use crate::mm::errno;
use crate::util::addrinfo;
use crate::util::socket::rw_error_is_retriable;

#[no_mangle]
pub static bufferevent_ops_socket: BuffereventOps = BuffereventOps {
    type_name: c"socket".as_ptr(),
    mem_offset: 0,
    enable: Some(be_enable),
    disable: Some(be_disable),
    unlink: None,
    destruct: Some(be_destruct),
    adj_timeouts: Some(be_adj_timeouts),
    flush: Some(be_flush),
    ctrl: Some(be_ctrl),
};

/// Whether `bev` is a socket bufferevent.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn is_socket(bev: *mut Bufferevent) -> bool {
    // SAFETY: live (contract).
    ptr::eq(unsafe { (*bev).be_ops }, &bufferevent_ops_socket)
}

/// `bufferevent_socket_new`: NULL when out of memory.
///
/// # Safety
/// `base` must be a live base.
pub unsafe fn new(base: *mut EventBase, fd: c_int, options: c_int) -> *mut Bufferevent {
    let p = crate::mm::calloc(1, std::mem::size_of::<BevPrivate>()).cast::<BevPrivate>();
    if p.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: p is zeroed memory of a BevPrivate, ours until returned.
    unsafe {
        if core::init_common(p, base, &bufferevent_ops_socket, options) < 0 {
            crate::mm::free(p.cast());
            return ptr::null_mut();
        }
        let bev = &raw mut (*p).bev;
        evb::evbuffer_set_flags((*bev).output, crate::buffer::FLAG_DRAINS_TO_FD as u64);
        assign_events(bev, fd);
        let cb: crate::buffer::callbacks::CbFunc = outbuf_cb;
        evb::evbuffer_add_cb((*bev).output, Some(cb), bev.cast());
        evb::evbuffer_freeze((*bev).input, 0);
        evb::evbuffer_freeze((*bev).output, 1);
        bev
    }
}

/// Points both events at `fd`.
unsafe fn assign_events(bev: *mut Bufferevent, fd: c_int) {
    // SAFETY: live bufferevent whose events are not added (callers' contract).
    unsafe {
        let base = (*bev).ev_base;
        ev::event_assign(&raw mut (*bev).ev_read, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE, Some(readcb), bev.cast());
        ev::event_assign(&raw mut (*bev).ev_write, base, fd, EV_WRITE | EV_PERSIST | EV_FINALIZE, Some(writecb), bev.cast());
    }
}

/// Data appended to the output: start writing if writing is on and idle.
unsafe extern "C" fn outbuf_cb(_buf: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: installed by new() on the bufferevent's own output; info is valid for the call.
    unsafe {
        if (*info).n_added != 0
            && (*bev).enabled & EV_WRITE != 0
            && ev::event_pending(&raw const (*bev).ev_write, EV_WRITE, ptr::null_mut()) == 0
            && (*upcast(bev)).write_suspended == 0
        {
            // A failure shows up as a write that never happens; upstream ignores it too.
            start_write(bev);
        }
    }
}

/// Starts the write event of a bufferevent whose writing is on and whose write event is idle.
///
/// Upstream adds the write event and writes when the backend next reports the socket
/// writable, which it nearly always is: for a small message that is an epoll_ctl to watch for
/// writability, a wake-up, the write and an epoll_ctl to stop watching. A connected socket is
/// instead tried at once from the loop: the write event is made active (its callback runs from
/// the loop, with EV_WRITE, as if the backend had reported it), and only a write that leaves
/// data behind adds it (writecb). A connect in progress waits for writability, which is how it
/// learns the outcome. Data added by the program's own write callback take the upstream way, so
/// that a program refilling its output from that callback cannot keep the loop writing without
/// ever polling. Inside the socket callbacks of its base, the write is made as soon as they
/// return (write_soon.rs). -1 when the event could not be added.
unsafe fn start_write(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live, locked socket bufferevent (callers' contract).
    unsafe {
        if (*upcast(bev)).state & (CONNECTING | IN_WRITECB) == 0 && (*bev).ev_write.fd >= 0 {
            ev::event_active(&raw mut (*bev).ev_write, c_int::from(EV_WRITE), 1);
            write_soon::list(bev);
            0
        } else {
            core::add_event(&raw mut (*bev).ev_write, &raw const (*bev).timeout_write)
        }
    }
}

/// After a write: the write event waits for writability while the output holds data (it may
/// have run without being added, see outbuf_cb), and stops when the output is empty.
unsafe fn rearm_write(bev: *mut Bufferevent) {
    // SAFETY: live, locked socket bufferevent (callers' contract).
    unsafe {
        let e = &raw mut (*bev).ev_write;
        if evb::evbuffer_get_length((*bev).output) == 0 {
            ev::event_del(e);
        } else if ev::event_pending(e, EV_WRITE, ptr::null_mut()) == 0 {
            core::add_event(e, &raw const (*bev).timeout_write);
        }
    }
}

/// The socket is readable (or the read timeout expired).
unsafe extern "C" fn readcb(fd: c_int, event: c_short, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let p = upcast(bev);
    // SAFETY: the event belongs to a live bufferevent (finalized with it); the reference
    // taken here keeps it alive through the callbacks.
    unsafe {
        write_soon::enter((*bev).ev_base);
        core::incref_and_lock(bev);
        let mut what = BEV_EVENT_READING;
        let failed = 'read: {
            if event == EV_TIMEOUT {
                what |= BEV_EVENT_TIMEOUT;
                break 'read true;
            }
            let input = (*bev).input;
            let mut howmuch = limits::get_read_max(p);
            let high = (*bev).wm_read.high;
            if high != 0 {
                let len = evb::evbuffer_get_length(input);
                if len >= high {
                    core::suspend_read(bev, core::SUSPEND_WM);
                    break 'read false;
                }
                howmuch = howmuch.min((high - len) as isize);
            }
            if (*p).read_suspended != 0 || howmuch <= 0 {
                break 'read false;
            }
            evb::evbuffer_unfreeze(input, 0);
            let res = evb::evbuffer_read(input, fd, howmuch.min(c_int::MAX as isize) as c_int);
            evb::evbuffer_freeze(input, 0);
            if res < 0 {
                if rw_error_is_retriable(errno()) {
                    break 'read false;
                }
                what |= BEV_EVENT_ERROR;
                break 'read true;
            }
            if res == 0 {
                what |= BEV_EVENT_EOF;
                break 'read true;
            }
            limits::decrement_read_buckets(p, res as isize);
            if res as usize >= BULK_READ {
                ack_bulk_promptly(p, fd);
            }
            if evb::evbuffer_get_length(input) >= (*bev).wm_read.low {
                core::run_readcb(bev, 0);
            }
            false
        };
        if failed {
            core::disable(bev, EV_READ);
            core::run_eventcb(bev, what, 0);
        }
        core::decref_and_unlock(bev);
        write_soon::leave();
    }
}

/// A read at least this large is part of a bulk transfer (see ack_bulk_promptly).
const BULK_READ: usize = 64 << 10;

/// Asks the kernel to acknowledge what arrives at once, on the first bulk read after this side
/// wrote. Linux delays ACKs on a connection that answers what it receives (its "pingpong"
/// mode, entered when data goes out right after data came in: every request and response),
/// hoping to piggyback them on the next answer. When the peer then sends a large body, it waits
/// for those ACKs with its congestion window full: a 1 GiB upload through evhttp (64 MiB
/// requests on one connection) stalled about 10 ms at the start of each request, a delayed-ACK
/// timer each, and moved 1.0-1.3 GiB/s where it moved 1.4-2.0 with the ACKs prompt. TCP_QUICKACK
/// leaves that mode until the next answer, so one call a request is enough. Sockets that are
/// not TCP refuse it once and are not asked again.
///
/// # Safety
/// `p` is a live, locked socket bufferevent whose socket is `fd`.
unsafe fn ack_bulk_promptly(p: *mut BevPrivate, fd: c_int) {
    // SAFETY: caller's contract; plain fields.
    unsafe {
        if (*p).state & (WROTE_SINCE_QUICKACK | NO_QUICKACK) != WROTE_SINCE_QUICKACK {
            return;
        }
        (*p).state &= !WROTE_SINCE_QUICKACK;
        let saved = errno();
        if crate::util::socket::enable_option(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK) != 0 {
            (*p).state |= NO_QUICKACK;
            crate::mm::set_errno(saved);
        }
    }
}

/// The socket is writable (or connected, or the write timeout expired).
pub(super) unsafe extern "C" fn writecb(fd: c_int, event: c_short, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let p = upcast(bev);
    // SAFETY: as in readcb.
    unsafe {
        write_soon::enter((*bev).ev_base);
        core::incref_and_lock(bev);
        let mut what = BEV_EVENT_WRITING;
        let mut connected = false;
        let mut wrote = 0;
        let failed = 'write: {
            if event == EV_TIMEOUT {
                what |= BEV_EVENT_TIMEOUT;
                break 'write true;
            }
            if (*p).state & CONNECTING != 0 {
                if (*p).state & CONNECTION_REFUSED != 0 {
                    (*p).state &= !(CONNECTING | CONNECTION_REFUSED);
                    crate::mm::set_errno(libc::ECONNREFUSED);
                    what |= BEV_EVENT_ERROR;
                    break 'write true;
                }
                let c = evu::evutil_socket_finished_connecting_(fd);
                if c == 0 {
                    break 'write false;
                }
                (*p).state &= !CONNECTING;
                if c < 0 {
                    ev::event_del(&raw mut (*bev).ev_write);
                    ev::event_del(&raw mut (*bev).ev_read);
                    core::run_eventcb(bev, BEV_EVENT_ERROR, 0);
                    break 'write false;
                }
                connected = true;
                core::run_eventcb(bev, BEV_EVENT_CONNECTED, 0);
                if (*bev).enabled & EV_WRITE == 0 || (*p).write_suspended != 0 {
                    ev::event_del(&raw mut (*bev).ev_write);
                    break 'write false;
                }
            }
            let output = (*bev).output;
            if (*p).write_suspended != 0 {
                break 'write false;
            }
            if evb::evbuffer_get_length(output) != 0 {
                let atmost = write_size(p, evb::evbuffer_get_length(output));
                evb::evbuffer_unfreeze(output, 1);
                let res = evb::evbuffer_write_atmost(output, fd, atmost);
                evb::evbuffer_freeze(output, 1);
                if res < 0 {
                    if rw_error_is_retriable(errno()) {
                        rearm_write(bev);
                        break 'write false;
                    }
                    what |= BEV_EVENT_ERROR;
                    break 'write true;
                }
                if res == 0 {
                    what |= BEV_EVENT_EOF;
                    break 'write true;
                }
                wrote = res;
                (*p).state |= WROTE_SINCE_QUICKACK;
                limits::decrement_write_buckets(p, res as isize);
            }
            rearm_write(bev);
            // Also after a connect with nothing to write: the program may start writing now.
            if (wrote != 0 || !connected) && evb::evbuffer_get_length(output) <= (*bev).wm_write.low {
                (*p).state |= IN_WRITECB;
                core::run_writecb(bev, 0);
                (*p).state &= !IN_WRITECB;
            }
            false
        };
        if failed {
            core::disable(bev, EV_WRITE);
            core::run_eventcb(bev, what, 0);
        }
        core::decref_and_unlock(bev);
        write_soon::leave();
    }
}

/// How much one write may take of an output holding `len` bytes: the write limit, or all of it
/// when the default cap would leave only a short tail (a quarter of the cap at most). That tail,
/// written on its own after the rest, is a small segment sent while the kernel still has one
/// unacknowledged; Nagle's algorithm holds it back until the peer's delayed ACK. Measured on
/// http_bulk's uploads (64 MiB and a 64-byte head, so 64 bytes are left at the end): one 40 ms
/// stall per request, 0.63 s of waiting per GiB, gone with the tail written with the rest
/// (strace -T). A limit the program set (bufferevent_set_max_single_write, rate limits) is kept
/// exactly.
fn write_size(p: *mut BevPrivate, len: usize) -> isize {
    let max = limits::get_write_max(p);
    // SAFETY: live, locked bufferevent (callers' contract); two plain fields are read.
    let default_cap = unsafe { (*p).rate_limiting.is_null() && (*p).max_single_write == MAX_SINGLE_WRITE_DEFAULT };
    let len = len.min(isize::MAX as usize) as isize;
    if default_cap && len > max && len - max <= max / 4 {
        len
    } else {
        max
    }
}

/// `bufferevent_socket_connect` (socket and TLS bufferevents): creates the socket when the
/// bufferevent has none; the result (CONNECTED or ERROR) arrives through the event callback,
/// even when connect() fails at once with ECONNREFUSED. -1 when no connect could be started.
///
/// # Safety
/// `bev` must be a live socket bufferevent; `sa` NULL or `socklen` readable bytes.
pub unsafe fn connect(bev: *mut Bufferevent, sa: *const sockaddr, socklen: c_int) -> c_int {
    let p = upcast(bev);
    // SAFETY: live (contract); the reference covers the event callback on failure.
    unsafe {
        core::incref_and_lock(bev);
        let mut fd = core::getfd(bev);
        let mut ownfd = false;
        let mut result = -1;
        'connect: {
            if fd < 0 {
                if sa.is_null() {
                    break 'connect;
                }
                fd = evu::evutil_socket_(c_int::from((*sa).sa_family), libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0);
                if fd < 0 {
                    core::run_eventcb(bev, BEV_EVENT_ERROR, 0);
                    break 'connect;
                }
                ownfd = true;
            }
            let r = if sa.is_null() { 0 } else { evu::evutil_socket_connect_(&mut fd, sa, socklen) };
            if r < 0 {
                core::run_eventcb(bev, BEV_EVENT_ERROR, 0);
                if ownfd {
                    evu::evutil_closesocket(fd);
                }
                break 'connect;
            }
            // Through the kind's ctrl: a TLS bufferevent on a socket connects the same way.
            if core::ctrl(bev, CtrlOp::SetFd, &mut CtrlData { fd }) < 0 {
                if ownfd {
                    evu::evutil_closesocket(fd);
                }
                break 'connect;
            }
            (*p).state |= CONNECTING;
            result = 0;
            match r {
                0 => {
                    if core::kind_enable(bev, EV_WRITE) < 0 {
                        (*p).state &= !CONNECTING;
                        result = -1;
                    }
                }
                // Connected at once (1) or refused at once (2): either way the outcome is
                // reported from the loop, as for a connect that takes time.
                _ => {
                    if r == 2 {
                        (*p).state |= CONNECTION_REFUSED;
                    }
                    ev::event_active(&raw mut (*bev).ev_write, c_int::from(EV_WRITE), 1);
                }
            }
        }
        core::decref_and_unlock(bev);
        result
    }
}

/// `bufferevent_socket_connect_hostname`: looks `hostname` up through evdns when a DNS base is
/// given (asynchronously; evdns registers itself with `util::addrinfo`), else through the
/// system resolver (blocking, answered before this returns), then connects to the first address.
/// Reading and writing are suspended meanwhile, and the lookup holds a reference on the
/// bufferevent, so freeing it cancels the lookup without the answer finding freed memory. A
/// failed lookup is an ERROR event, its code reported by get_dns_error. A second call while a
/// lookup is pending starts another one, as upstream; the first still completes.
///
/// # Safety
/// `bev` must be a live socket bufferevent; `hostname` a C string; `dns_base` NULL or a live
/// evdns base.
pub unsafe fn connect_hostname(bev: *mut Bufferevent, dns_base: *mut EvdnsBase, family: c_int, hostname: *const c_char, port: c_int) -> c_int {
    let p = upcast(bev);
    let portbuf = std::ffi::CString::new(port.to_string()).unwrap_or_default();
    let hints = addrinfo::AddrInfo { ai_family: family, ai_socktype: libc::SOCK_STREAM, ai_protocol: libc::IPPROTO_TCP, ..addrinfo::empty_hints() };
    // SAFETY: live bufferevent (contract); the reference taken here is dropped by
    // connect_resolved, which runs exactly once (maybe before getaddrinfo_async returns).
    unsafe {
        core::lock(bev);
        (*p).dns_error = 0;
        core::suspend_write(bev, core::SUSPEND_LOOKUP);
        core::suspend_read(bev, core::SUSPEND_LOOKUP);
        core::incref(bev);
        (*p).dns_request = addrinfo::getaddrinfo_async(dns_base.cast(), hostname, portbuf.as_ptr(), &hints, connect_resolved, bev.cast());
        core::unlock(bev);
    }
    0
}

/// The lookup of connect_hostname finished: connect, or report why not.
unsafe extern "C" fn connect_resolved(result: c_int, ai: *mut addrinfo::AddrInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let p = upcast(bev);
    // SAFETY: arg is the bufferevent connect_hostname passed, kept alive by its reference;
    // ai is NULL or a list we own.
    unsafe {
        core::lock(bev);
        core::unsuspend_write(bev, core::SUSPEND_LOOKUP);
        core::unsuspend_read(bev, core::SUSPEND_LOOKUP);
        (*p).dns_request = ptr::null_mut();
        if result == addrinfo::EAI_CANCEL {
            // Cancelled by a free, setfd or a new connect: nobody to tell.
            (*p).dns_error = result;
        } else if result != 0 || ai.is_null() {
            // A successful lookup without addresses (a hosts-file name of another family).
            (*p).dns_error = if result != 0 { result } else { addrinfo::EAI_NODATA };
            core::run_eventcb(bev, BEV_EVENT_ERROR, 0);
        } else {
            set_conn_address(bev, (*ai).ai_addr.cast(), (*ai).ai_addrlen);
            // A connect that cannot start reports the ERROR event itself.
            connect(bev, (*ai).ai_addr, (*ai).ai_addrlen as c_int);
        }
        core::decref_and_unlock(bev);
        addrinfo::freeaddrinfo(ai);
    }
}

/// Cancels the pending lookup of connect_hostname, if any (its callback then drops the
/// bufferevent's reference, reporting nothing).
///
/// # Safety
/// `bev` must be a live, locked socket (or socket-mode TLS) bufferevent.
pub(crate) unsafe fn cancel_lookup(bev: *mut Bufferevent) {
    let p = upcast(bev);
    // SAFETY: live and locked (contract); dns_request is cleared by the lookup's callback,
    // under this lock, so a non-NULL one is still pending.
    unsafe {
        let request = std::mem::replace(&mut (*p).dns_request, ptr::null_mut());
        addrinfo::getaddrinfo_cancel_async(request);
    }
}

/// `bufferevent_setfd` for sockets: the events move to `fd`, and what was enabled starts on it.
/// As upstream's, it lifts the freezes bufferevent_socket_new put on the input's end and the
/// output's start, and leaves them lifted: evhttp's connection reset (setfd -1, then a drain of
/// both buffers) depends on it, or a failed request's unsent body would go out in front of the
/// connection's next request (c-tests/unit/http_reset_output.c).
///
/// # Safety
/// `bev` must be a live socket bufferevent.
pub unsafe fn setfd(bev: *mut Bufferevent, fd: c_int) {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        ev::event_del(&raw mut (*bev).ev_read);
        ev::event_del(&raw mut (*bev).ev_write);
        evb::evbuffer_unfreeze((*bev).input, 0);
        evb::evbuffer_unfreeze((*bev).output, 1);
        assign_events(bev, fd);
        (*p).state &= !(CONNECTING | CONNECTION_REFUSED);
        if fd >= 0 {
            core::enable(bev, (*bev).enabled);
        }
        // A socket of the program's replaces the one connect_hostname was looking up for.
        cancel_lookup(bev);
        core::unlock(bev);
    }
}

/// Enables writing on `bev` without watching the socket while the output is empty: for evhttp,
/// which keeps writing on between messages. Unlike `bufferevent_enable(EV_WRITE)`, an empty
/// output costs no wake-up and no write callback; data added later are written from the loop
/// at once (outbuf_cb), as after any write that emptied the output. Other kinds of
/// bufferevent, and a socket one with data waiting, are enabled the ordinary way.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn enable_write_idle(bev: *mut Bufferevent) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        if !is_socket(bev) || evb::evbuffer_get_length((*bev).output) != 0 {
            return core::enable(bev, EV_WRITE);
        }
        core::lock(bev);
        (*bev).enabled |= EV_WRITE;
        core::unlock(bev);
    }
    0
}

/// `bufferevent_socket_set_conn_address_`: keeps at most CONN_ADDRESS_LEN bytes (an AF_UNIX
/// peer is longer: upstream copied all of it, CVE-2026-63388).
///
/// # Safety
/// `bev` must be a live bufferevent, `addr` `addrlen` readable bytes.
pub unsafe fn set_conn_address(bev: *mut Bufferevent, addr: *const u8, addrlen: socklen_t) {
    let p = upcast(bev);
    let n = (addrlen as usize).min(CONN_ADDRESS_LEN);
    // SAFETY: live (contract); n bytes of addr are readable and fit conn_address.
    unsafe {
        (*p).conn_address = [0; CONN_ADDRESS_LEN];
        ptr::copy_nonoverlapping(addr, (&raw mut (*p).conn_address).cast::<u8>(), n);
    }
}

/// `bufferevent_socket_set_conn_address_fd_`: the peer of `fd`, if it has one.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn set_conn_address_fd(bev: *mut Bufferevent, fd: c_int) {
    // SAFETY: a zeroed sockaddr_storage is valid; getpeername writes at most len bytes.
    unsafe {
        let mut ss: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as socklen_t;
        if libc::getpeername(fd, (&raw mut ss).cast(), &mut len) == 0 {
            set_conn_address(bev, (&raw const ss).cast(), len);
        }
    }
}

/// `bufferevent_socket_get_conn_address_`.
pub fn conn_address(bev: *mut Bufferevent) -> *const sockaddr {
    // SAFETY: only the address of a field is taken.
    unsafe { (&raw const (*upcast(bev)).conn_address).cast() }
}

// ---- the operations table ----------------------------------------------------------------------

unsafe extern "C" fn be_enable(bev: *mut Bufferevent, event: c_short) -> c_int {
    // SAFETY: called by the common code on a live socket bufferevent.
    unsafe {
        if event & EV_READ != 0 && core::add_event(&raw mut (*bev).ev_read, &raw const (*bev).timeout_read) == -1 {
            return -1;
        }
        if event & EV_WRITE == 0 {
            return 0;
        }
        // Enabling writing with the write event idle starts it as new output does: a program
        // that enables reading and writing, then writes its request, costs one epoll_ctl (the
        // read event's) instead of three (bench_httpclient: 16 to 14 system calls a request).
        // A pending event is added again, as upstream, which restarts its timeout.
        let e = &raw mut (*bev).ev_write;
        if ev::event_pending(e, EV_WRITE, ptr::null_mut()) == 0 {
            start_write(bev)
        } else {
            core::add_event(e, &raw const (*bev).timeout_write)
        }
    }
}

unsafe extern "C" fn be_disable(bev: *mut Bufferevent, event: c_short) -> c_int {
    // SAFETY: as in be_enable.
    unsafe {
        if event & EV_READ != 0 && ev::event_del(&raw mut (*bev).ev_read) == -1 {
            return -1;
        }
        // A connect in progress keeps waiting for writability, whatever the program disabled.
        if event & EV_WRITE != 0 && (*upcast(bev)).state & CONNECTING == 0 && ev::event_del(&raw mut (*bev).ev_write) == -1 {
            return -1;
        }
    }
    0
}

unsafe extern "C" fn be_destruct(bev: *mut Bufferevent) {
    // SAFETY: called by the finalizer of a socket bufferevent.
    unsafe {
        let fd = (*bev).ev_read.fd;
        if (*upcast(bev)).options & BEV_OPT_CLOSE_ON_FREE != 0 && fd >= 0 {
            evu::evutil_closesocket(fd);
        }
    }
}

unsafe extern "C" fn be_adj_timeouts(bev: *mut Bufferevent) -> c_int {
    // SAFETY: called by the common code on a live socket bufferevent.
    unsafe { adj_pending_timeouts(bev) }
}

/// New timeouts apply to the events that are waiting now (socket bufferevents, and TLS ones
/// in socket mode, whose `ev_read`/`ev_write` watch a socket too).
///
/// # Safety
/// `bev` must be a live bufferevent.
pub(crate) unsafe fn adj_pending_timeouts(bev: *mut Bufferevent) -> c_int {
    let mut r = 0;
    // SAFETY: live (contract).
    unsafe {
        for (e, dir, tv) in [
            (&raw mut (*bev).ev_read, EV_READ, &raw const (*bev).timeout_read),
            (&raw mut (*bev).ev_write, EV_WRITE, &raw const (*bev).timeout_write),
        ] {
            if ev::event_pending(e, dir, ptr::null_mut()) == 0 {
                continue;
            }
            let res = if core::timer_is_set(&*tv) { ev::event_add(e, tv) } else { ev::event_remove_timer(e) };
            if res < 0 {
                r = -1;
            }
        }
    }
    r
}

/// A socket has nothing of its own to flush: what is in the output goes out as fast as the
/// socket takes it.
unsafe extern "C" fn be_flush(_bev: *mut Bufferevent, _iotype: c_short, _mode: FlushMode) -> c_int {
    0
}

unsafe extern "C" fn be_ctrl(bev: *mut Bufferevent, op: CtrlOp, data: *mut CtrlData) -> c_int {
    // SAFETY: called by the common code with a live bufferevent and its data.
    unsafe {
        match op {
            CtrlOp::SetFd => {
                setfd(bev, (*data).fd);
                0
            }
            CtrlOp::GetFd => {
                (*data).fd = (*bev).ev_read.fd;
                0
            }
            CtrlOp::GetUnderlying => -1,
            CtrlOp::CancelAll => {
                cancel_lookup(bev);
                0
            }
        }
    }
}
