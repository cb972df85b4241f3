//! Nameservers: one nonblocking UDP socket each, watched for replies (and for writability
//! while a send would block), marked down after a run of timeouts or a bad response, and
//! probed with a query for "google.com" (as upstream) on a backing-off timer until one answers.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_short, c_void};
use std::net::SocketAddr;

use libc::timeval;

use crate::base::DelMode;
use crate::event::{Event, EV_PERSIST, EV_READ, EV_WRITE};
use crate::ffi::event::Locked;
use crate::util::addr::CSockAddr;
use crate::util::socket;
use crate::{evdns_debug, evdns_msg, evdns_warn};

use super::request::{self, Kind, Request, Via};
use super::{Base, Opts, State};

/// Probe back-off: each failed probe waits this many times longer, up to an hour.
const PROBE_BACKOFF_FACTOR: i64 = 3;
const MAX_PROBE_SECS: i64 = 3600;
/// Datagrams read per recvmmsg, and the room for each: replies to queries without EDNS are
/// at most 512 bytes; a longer one is cut, and treated as truncated (retried over TCP).
const RECV_BATCH: usize = 32;
const RECV_SLOT: usize = 4096;
/// Datagrams sent per sendmmsg.
const SEND_BATCH: usize = 64;

pub(super) struct Nameserver {
    /// Persistent read (and, while choked, write) event on the socket.
    io_ev: UnsafeCell<Event>,
    /// Fires when it is time to probe a server that is down.
    probe_ev: UnsafeCell<Event>,
    base: *const Base,
    idx: usize,
    fd: c_int,
    pub addr: SocketAddr,
    pub up: bool,
    /// Probes failed in a row (the back-off exponent).
    failed_times: u32,
    /// Timeouts since the last reply.
    pub timedout: i32,
    /// The last send would have blocked: wait for writability before sending again.
    pub choked: bool,
    /// Requests in flight on this server.
    pub inflight: usize,
    /// The events `io_ev` is added with (0: not added).
    watching: c_short,
    probe: *mut Request,
    /// Requests (with the id they were queued under) to send when the current read batch is
    /// done.
    pub outbox: Vec<(*mut Request, u16)>,
    /// Removed from its base; a callback that waited for the lock does nothing.
    removed: bool,
}

/// What became of one send.
pub(super) enum Sent {
    Ok,
    WouldBlock,
    Failed(String),
}

impl Nameserver {
    /// Opens the socket (with the base's bind-to address unless the server is on loopback, and
    /// its buffer sizes) and assigns the events. Upstream's error codes.
    pub(super) fn open(base: &Base, opts: &Opts, idx: usize, addr: SocketAddr) -> Result<Box<Nameserver>, c_int> {
        let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
        let fd = socket::socket(family, libc::SOCK_DGRAM | socket::SOCK_NONBLOCK | socket::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(1);
        }
        let fail = |code: c_int| {
            socket::close_keeping_errno(fd);
            Err(code)
        };
        if let Some(local) = opts.bind_to.filter(|_| !crate::util::addr::is_loopback(&addr)) {
            let c = CSockAddr::new(&local);
            // SAFETY: c holds a socket address of c.socklen() bytes.
            if unsafe { libc::bind(fd, c.as_ptr(), c.socklen()) } < 0 {
                evdns_warn!("Couldn't bind to outgoing address");
                return fail(2);
            }
        }
        for (size, name) in [(opts.so_rcvbuf, libc::SO_RCVBUF), (opts.so_sndbuf, libc::SO_SNDBUF)] {
            if size == 0 {
                continue;
            }
            // SAFETY: size is a c_int that outlives the call.
            let r = unsafe { libc::setsockopt(fd, libc::SOL_SOCKET, name, (&raw const size).cast(), std::mem::size_of::<c_int>() as libc::socklen_t) };
            if r != 0 {
                evdns_warn!("Couldn't set {} to {}", if name == libc::SO_RCVBUF { "SO_RCVBUF" } else { "SO_SNDBUF" }, size);
                return fail(-name);
            }
        }
        let ns = Box::new(Nameserver {
            // SAFETY: an all-zero struct event is the unassigned state.
            io_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            // SAFETY: as above.
            probe_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            base,
            idx,
            fd,
            addr,
            up: true,
            failed_times: 0,
            timedout: 0,
            choked: false,
            inflight: 0,
            watching: 0,
            probe: std::ptr::null_mut(),
            outbox: Vec::new(),
            removed: false,
        });
        let arg = (&*ns as *const Nameserver).cast_mut().cast();
        // SAFETY: the events live in the box, which stays put until destroy(); the event base
        // is live.
        unsafe {
            let mut eb = Locked::new(base.event_base());
            eb.assign(ns.io_ev.get(), fd, EV_READ | EV_PERSIST, Some(on_io), arg);
            eb.assign(ns.probe_ev.get(), -1, 0, Some(on_probe_timer), arg);
        }
        Ok(ns)
    }
}

/// Adds or removes the socket's event as needed: read always, unless DISABLE_WHEN_INACTIVE
/// and nothing is in flight; write too while choked.
pub(super) fn update_watch(_base: &Base, st: &mut State, idx: usize) {
    let dwi = st.disable_when_inactive;
    let ns = &mut st.servers[idx];
    let want = if ns.choked {
        EV_READ | EV_WRITE
    } else if !dwi || ns.inflight > 0 {
        EV_READ
    } else {
        0
    };
    if want == ns.watching {
        return;
    }
    let ev = ns.io_ev.get();
    // SAFETY: the event is assigned to the live event base; reassigning is done only while
    // it is not added.
    unsafe {
        let mut eb = Locked::new((*ev).base);
        if ns.watching != 0 {
            eb.del_nolock(ev, DelMode::NoBlock);
        }
        if want != 0 {
            let arg = (*ev).cb.arg;
            eb.assign(ev, ns.fd, want | EV_PERSIST, Some(on_io), arg);
            if eb.add_nolock(ev, None, false) < 0 {
                evdns_warn!("Error from libevent when adding event for {}", ns.addr);
            }
        }
    }
    ns.watching = want;
}

/// Marks a server's socket choked (a send would block) or free again.
pub(super) fn set_choked(base: &Base, st: &mut State, idx: usize, choked: bool) {
    st.servers[idx].choked = choked;
    update_watch(base, st, idx);
}

/// Sends one datagram.
pub(super) fn send(ns: &Nameserver, packet: &[u8]) -> Sent {
    let to = CSockAddr::new(&ns.addr);
    // SAFETY: packet is readable for its length, `to` is a socket address of its length.
    let r = unsafe { libc::sendto(ns.fd, packet.as_ptr().cast(), packet.len(), 0, to.as_ptr(), to.socklen()) };
    if r < 0 {
        let err = crate::mm::errno();
        if socket::rw_error_is_retriable(err) || err == libc::ENOBUFS {
            return Sent::WouldBlock;
        }
        return Sent::Failed(crate::log::strerror(err));
    }
    if r as usize != packet.len() {
        return Sent::WouldBlock;
    }
    Sent::Ok
}

/// The server misbehaved (timeouts, a bad response, a socket error): mark it down, start
/// probing, and move requests not yet sent to it to another server.
pub(super) fn failed(base: &Base, st: &mut State, idx: usize, msg: &str) {
    let ns = &mut st.servers[idx];
    if !ns.up {
        return;
    }
    evdns_msg!("Nameserver {} has failed: {}", ns.addr, msg);
    ns.up = false;
    ns.failed_times = 1;
    st.good -= 1;
    if st.good == 0 {
        evdns_msg!("All nameservers have failed");
    }
    let tv = st.opts.probe_timeout;
    add_probe_timer(&st.servers[idx], &tv);
    if st.good == 0 {
        return;
    }
    let unsent: Vec<*mut Request> = st
        .inflight
        .values()
        .copied()
        // SAFETY: requests in the table are live.
        .filter(|&r| unsafe { (*r).tx_count == 0 && (*r).ns == Some(idx) })
        .collect();
    for req in unsent {
        if let Some(to) = request::pick_ns(st) {
            // SAFETY: live in-flight request; queued again for its new server.
            unsafe {
                st.servers[idx].inflight -= 1;
                st.servers[to].inflight += 1;
                (*req).ns = Some(to);
                update_watch(base, st, idx);
                update_watch(base, st, to);
                request::transmit(base, st, req);
            }
        }
    }
}

fn add_probe_timer(ns: &Nameserver, tv: &timeval) {
    let ev = ns.probe_ev.get();
    // SAFETY: the timer is assigned to the live event base.
    if unsafe { Locked::new((*ev).base).add_nolock(ev, Some(tv), false) } < 0 {
        evdns_warn!("Error from libevent when adding timer event for {}", ns.addr);
    }
}

/// A good reply: the server is up again (any probe in progress is cancelled).
pub(super) fn up(base: &Base, st: &mut State, idx: usize) {
    let ns = &mut st.servers[idx];
    if ns.up {
        return;
    }
    evdns_msg!("Nameserver {} is back up", ns.addr);
    let ev = ns.probe_ev.get();
    // SAFETY: assigned timer on the live event base.
    unsafe { Locked::new((*ev).base).del_nolock(ev, DelMode::NoBlock) };
    ns.up = true;
    ns.failed_times = 0;
    ns.timedout = 0;
    st.good += 1;
    let probe = std::mem::replace(&mut st.servers[idx].probe, std::ptr::null_mut());
    // SAFETY: a server's probe is a live, unfinished request (cleared when it finishes).
    if !probe.is_null() && unsafe { !(*probe).finished } {
        // SAFETY: as above.
        unsafe { request::finish(base, st, probe, crate::dns::api::DNS_ERR_CANCEL, 0, super::Answer::None) };
    }
}

/// A probe finished with `result`: NOERROR and NXDOMAIN mean the server works; anything
/// else waits longer (x3 each time, at most an hour) before the next probe.
pub(super) fn probe_done(base: &Base, st: &mut State, idx: usize, req: *mut Request, result: c_int) {
    use crate::dns::api::{DNS_ERR_CANCEL, DNS_ERR_NONE, DNS_ERR_NOTEXIST};
    let Some(ns) = st.servers.get_mut(idx) else { return };
    if ns.probe != req {
        return;
    }
    ns.probe = std::ptr::null_mut();
    match result {
        DNS_ERR_CANCEL => {}
        DNS_ERR_NONE | DNS_ERR_NOTEXIST => up(base, st, idx),
        _ if !ns.up => {
            let base_tv = st.opts.probe_timeout;
            let mut usec: i64 = base_tv.tv_sec * 1_000_000 + base_tv.tv_usec;
            for _ in 0..ns.failed_times {
                if usec >= MAX_PROBE_SECS * 1_000_000 {
                    break;
                }
                usec *= PROBE_BACKOFF_FACTOR;
            }
            usec = usec.min(MAX_PROBE_SECS * 1_000_000);
            ns.failed_times += 1;
            let tv = timeval { tv_sec: (usec / 1_000_000) as libc::time_t, tv_usec: (usec % 1_000_000) as libc::suseconds_t };
            add_probe_timer(ns, &tv);
        }
        _ => {}
    }
}

/// Probe timer callback: send a probe to the server, in flight whatever max-inflight says.
unsafe extern "C" fn on_probe_timer(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let ns = arg.cast::<Nameserver>();
    // SAFETY: a nameserver outlives its events (destroy() deletes them before freeing).
    let base = unsafe { &*(*ns).base };
    let mut st = base.lock();
    // SAFETY: as above.
    let (idx, removed) = unsafe { ((*ns).idx, (*ns).removed) };
    if st.shutting_down || removed || st.servers[idx].up || !st.servers[idx].probe.is_null() {
        return;
    }
    evdns_debug!("Sending probe to {}", st.servers[idx].addr);
    let Some(req) = request::create(base, &mut st, Kind::Probe { ns: idx }, crate::dns::wire::TYPE_A, b"google.com", None) else {
        return;
    };
    st.servers[idx].probe = req;
    request::submit_probe(base, &mut st, req, idx);
}

/// The socket is readable (replies) or writable (sends that would have blocked).
unsafe extern "C" fn on_io(_fd: c_int, what: c_short, arg: *mut c_void) {
    let ns = arg.cast::<Nameserver>();
    // SAFETY: as in on_probe_timer.
    let base = unsafe { &*(*ns).base };
    let mut st = base.lock();
    // SAFETY: as above.
    let (idx, removed) = unsafe { ((*ns).idx, (*ns).removed) };
    if st.shutting_down || removed {
        return;
    }
    if what & EV_WRITE != 0 {
        set_choked(base, &mut st, idx, false);
        request::transmit_marked(base, &mut st);
    }
    if what & EV_READ != 0 {
        st.batching = true;
        read_replies(base, &mut st, idx);
        st.batching = false;
        flush_outboxes(base, &mut st);
    }
}

/// The datagrams of one recvmmsg, kept per thread and reused: reading costs no allocation.
type Replies = socket::RecvBatch<RECV_BATCH, RECV_SLOT>;

thread_local! {
    static RECV: std::cell::RefCell<Option<Box<Replies>>> = const { std::cell::RefCell::new(None) };
}

/// Reads every datagram waiting on the socket, a batch per system call; each from the
/// server's own address is handled.
fn read_replies(base: &Base, st: &mut State, idx: usize) {
    RECV.with(|cell| {
        let mut slot = cell.borrow_mut();
        let batch = slot.get_or_insert_with(Replies::new);
        loop {
            let n = match batch.recv(st.servers[idx].fd, libc::MSG_DONTWAIT) {
                Ok(n) => n,
                Err(err) => {
                    if !socket::rw_error_is_retriable(err) {
                        failed(base, st, idx, &crate::log::strerror(err));
                    }
                    return;
                }
            };
            for i in 0..n {
                let d = batch.datagram(i);
                // SAFETY: recvmmsg wrote a socket address of its family's size.
                let src = unsafe { crate::util::addr::sockaddr_from_c((d.from as *const libc::sockaddr_storage).cast()) };
                if src.ok() != Some(st.servers[idx].addr) {
                    evdns_warn!("Address mismatch on received DNS packet.  Apparent source was {}", crate::util::addr::format_sockaddr_port(src));
                    continue;
                }
                request::handle_reply(base, st, idx, d.bytes, if d.cut { Via::CutUdp } else { Via::Udp });
            }
            if n < RECV_BATCH {
                return;
            }
        }
    });
}

/// The flush event: send what was queued since.
pub(super) unsafe extern "C" fn on_flush(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the base outlives its flush event (free() deletes it first).
    let base = unsafe { &*arg.cast::<Base>() };
    let mut st = base.lock();
    st.flush_pending = false;
    if !st.shutting_down {
        flush_outboxes(base, &mut st);
    }
}

/// Sends what was queued (during a read batch, or since the flush event was activated), per
/// server, with sendmmsg. Each outbox keeps its allocation for the next batch.
fn flush_outboxes(base: &Base, st: &mut State) {
    for ns in 0..st.servers.len() {
        let mut queued = std::mem::take(&mut st.servers[ns].outbox);
        queued.retain(|&(r, id)| request::still_to_send(st, r, id, ns));
        let mut at = 0;
        while at < queued.len() && !st.servers[ns].choked {
            let chunk = &queued[at..queued.len().min(at + SEND_BATCH)];
            let to = CSockAddr::new(&st.servers[ns].addr);
            let iov: Vec<libc::iovec> = chunk
                .iter()
                .map(|&(r, _)| {
                    // SAFETY: still_to_send checked the request is live and in flight.
                    let q = request::query_of(unsafe { &*r });
                    libc::iovec { iov_base: q.as_ptr().cast_mut().cast(), iov_len: q.len() }
                })
                .collect();
            let mut msgs: Vec<libc::mmsghdr> = iov
                .iter()
                .map(|iov| {
                    // SAFETY: an all-zero mmsghdr is valid plain C data.
                    let mut msg: libc::mmsghdr = unsafe { std::mem::zeroed() };
                    msg.msg_hdr.msg_iov = (iov as *const libc::iovec).cast_mut();
                    msg.msg_hdr.msg_iovlen = 1;
                    msg.msg_hdr.msg_name = to.as_ptr().cast_mut().cast();
                    msg.msg_hdr.msg_namelen = to.socklen();
                    msg
                })
                .collect();
            let fd = st.servers[ns].fd;
            // SAFETY: the chunk's headers each point at a live query and the server's address.
            let n = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), chunk.len() as libc::c_uint, 0) };
            let sent = n.max(0) as usize;
            let unsent = chunk.get(sent).map(|&(r, _)| r);
            for &(r, _) in &queued[at..at + sent] {
                // SAFETY: live and in flight on ns (checked above; nothing ran since).
                unsafe { request::sent_one(base, st, r, ns, Sent::Ok) };
            }
            at += sent;
            if let Some(r) = unsent {
                // The first unsent one reports why, through the one-at-a-time path.
                // SAFETY: as above.
                let outcome = send(&st.servers[ns], request::query_of(unsafe { &*r }));
                // SAFETY: as above.
                unsafe { request::sent_one(base, st, r, ns, outcome) };
                at += 1;
            }
        }
        // Requests queued meanwhile have an outbox of their own; else ours is kept.
        if st.servers[ns].outbox.is_empty() {
            queued.clear();
            st.servers[ns].outbox = queued;
        }
    }
}

/// Forgets every server's probe without finishing it, for evdns_base_free: the probes stay in
/// the request tables and are freed there with the other requests, at once. Finishing them
/// (take_all) would leave their release to a deferred callback of an event loop that may never
/// run again (the program frees its event base next): a leak of each probe in flight.
pub(super) fn forget_probes(st: &mut State) {
    for ns in st.servers.iter_mut() {
        ns.probe = std::ptr::null_mut();
    }
}

/// Takes every server out of the base, with the lock held: callbacks of theirs that are
/// waiting for the lock will see them removed. Their probes are finished silently.
// Boxed: the loop holds pointers to each server's events, which must not move.
#[allow(clippy::vec_box)]
pub(super) fn take_all(base: &Base, st: &mut State) -> Vec<Box<Nameserver>> {
    for i in 0..st.servers.len() {
        st.servers[i].removed = true;
        let probe = std::mem::replace(&mut st.servers[i].probe, std::ptr::null_mut());
        // SAFETY: a server's probe is a live request until it finishes, which clears this.
        if !probe.is_null() && unsafe { !(*probe).finished } {
            // SAFETY: as above.
            unsafe { request::finish(base, st, probe, crate::dns::api::DNS_ERR_CANCEL, 0, super::Answer::None) };
        }
    }
    st.good = 0;
    st.next_server = 0;
    std::mem::take(&mut st.servers)
}

/// Removes a server (evdns_base_free, clear_nameservers_and_suspend), without the base lock:
/// waits for a callback of its running in another thread, then closes and frees it.
pub(super) fn destroy(ns: Box<Nameserver>) {
    for ev in [ns.io_ev.get(), ns.probe_ev.get()] {
        // SAFETY: the events are assigned to the live event base.
        unsafe { Locked::new((*ev).base).del_nolock(ev, DelMode::AutoBlock) };
        crate::debug::note_teardown(ev);
    }
    // SAFETY: the socket is ours and nothing watches it any more.
    unsafe { libc::close(ns.fd) };
}
