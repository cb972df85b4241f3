//! A lookup from submission to its callback.
//!
//! A [`Request`] is the `evdns_request` handle C holds, from `mm::malloc`. While unfinished it
//! is in exactly one of the base's tables: `inflight` (a nameserver and a transaction id, its
//! timer armed once sent) or `waiting` (no room under max-inflight, or no nameserver). A search
//! moves the same request on to its next name with a fresh id, so the handle stays valid.
//!
//! Finishing detaches it from every table and from the loop's timer heap, then hands it to the
//! event loop as a deferred callback which calls the user's callback and frees it. Memory is
//! never freed anywhere else while the base lives, so a timer callback of ours that was waiting
//! for the lock in the loop's thread always finds the request (finished, so it does nothing).

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_short, c_void, CString};
use std::ptr;

use crate::base::DelMode;
use crate::dns::api::*;
use crate::dns::wire::{self, Header, Rdata};
use crate::event::{Event, EventCallback};
use crate::ffi::event::Locked;
use crate::evdns_debug;

use super::nameserver;
use super::search::Search;
use super::{Answer, Base, State};

/// Upstream passes at most this many addresses to a callback.
const MAX_ADDRS: usize = 32;

/// Who is waiting for the result.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    User { cb: evdns_callback_type, arg: *mut c_void },
    /// A probe of a nameserver that is down (by index).
    Probe { ns: usize },
}

pub(super) struct Request {
    /// The deferred callback that reports the result and frees the request.
    deferred: UnsafeCell<EventCallback>,
    timer: UnsafeCell<Event>,
    /// The TCP retry's socket event (assigned when one starts).
    tcp_ev: UnsafeCell<Event>,
    pub base: *const Base,
    pub kind: Kind,
    qtype: u16,
    /// The query as sent (its id included, its name's case randomised): the reply's question
    /// is checked against its bytes. Rebuilt for each name of a search.
    query: Vec<u8>,
    search: Option<Search>,
    trans_id: u16,
    pub(super) ns: Option<usize>,
    pub(super) tx_count: i32,
    reissue_count: i32,
    /// Could not be sent yet (no nameserver, or its socket would block).
    pub(super) transmit_me: bool,
    in_flight: bool,
    /// Its key in the waiting queue while it waits.
    wait_key: u64,
    /// Submission order, to keep suspended requests in order.
    pub seq: u64,
    pub finished: bool,
    /// The outcome, once finished; `None` in `report` for a request dropped silently.
    report: Option<(c_int, u32, Answer)>,
    /// A TCP retry of a truncated reply in progress.
    pub(super) tcp: Option<Box<super::tcp::Conn>>,
    /// Where evdns_getaddrinfo wants a reply's CNAME (`Base::resolve_for_getaddrinfo`), or NULL.
    pub(super) cname_out: *mut *mut c_char,
    /// A query of evdns_getaddrinfo (`Base::resolve_for_getaddrinfo`).
    pub(super) for_getaddrinfo: bool,
}

/// Random bytes for transaction ids and 0x20 case bits, fetched from the kernel a block at a
/// time so that a lookup costs no extra system call.
pub(crate) struct RandomPool {
    buf: [u8; 512],
    pos: usize,
}

impl RandomPool {
    pub fn new() -> RandomPool {
        RandomPool { buf: [0; 512], pos: 512 }
    }

    fn refill(&mut self) {
        if crate::util::rand::fill_secure(&mut self.buf).is_err() {
            crate::evdns_warn!("Unable to read random bytes; transaction ids are weaker");
            let seed = crate::time::clock_now(libc::CLOCK_MONOTONIC).tv_usec as u32;
            let mut w = crate::util::rand::WeakRand { seed };
            self.buf.iter_mut().for_each(|b| *b = w.draw() as u8);
        }
        self.pos = 0;
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        if self.pos + N > self.buf.len() {
            self.refill();
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        out
    }

    fn u16(&mut self) -> u16 {
        u16::from_ne_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_ne_bytes(self.take())
    }
}

/// With randomize-case, each letter of the query's name gets its case from a random bit (the
/// 0x20 hack against blind spoofing: a forged reply must guess the case too). Every
/// alphabetic byte of a wire-form name is a label byte: length bytes are at most 63.
fn randomize_case(rng: &mut RandomPool, query: &mut [u8]) {
    let name_end = query.len() - 4;
    for chunk in query[wire::HEADER_LEN..name_end].chunks_mut(64) {
        let bits = rng.u64();
        for (i, c) in chunk.iter_mut().enumerate() {
            if c.is_ascii_alphabetic() {
                // Bit 5 is the ASCII case bit: set = lower case.
                *c = (*c & !0x20) | ((((bits >> i) & 1) as u8) << 5);
            }
        }
    }
}

/// The query for `name` (id patched in when the request goes in flight), or None when the
/// name cannot be encoded (too long, empty label, NUL).
fn build(st: &mut State, name: &[u8], qtype: u16) -> Option<Vec<u8>> {
    let mut query = wire::build_query(0, name, qtype, wire::CLASS_IN, true).ok()?;
    if st.opts.randomize_case {
        randomize_case(&mut st.rng, &mut query);
    }
    Some(query)
}

/// The first name of a lookup that can be encoded: a search skips candidates that cannot.
fn first_query(st: &mut State, name: &[u8], qtype: u16, search: &mut Option<Search>) -> Option<Vec<u8>> {
    let Some(s) = search else { return build(st, name, qtype) };
    let mut candidate = s.candidate();
    while let Some(n) = candidate {
        if let Some(q) = build(st, &n, qtype) {
            return Some(q);
        }
        candidate = s.advance();
    }
    None
}

static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A new request for `name` (not yet submitted), or None.
pub(super) fn create(base: &Base, st: &mut State, kind: Kind, qtype: u16, name: &[u8], mut search: Option<Search>) -> Option<*mut Request> {
    let query = first_query(st, name, qtype, &mut search)?;
    let p = crate::mm::malloc(std::mem::size_of::<Request>()).cast::<Request>();
    if p.is_null() {
        return None;
    }
    let value = Request {
        // SAFETY: an all-zero event_callback / struct event is the unassigned state.
        deferred: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        // SAFETY: as above.
        timer: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        // SAFETY: as above.
        tcp_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        base,
        kind,
        qtype,
        query,
        search,
        trans_id: 0,
        ns: None,
        tx_count: 0,
        reissue_count: 0,
        transmit_me: false,
        in_flight: false,
        wait_key: 0,
        seq: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        finished: false,
        report: None,
        tcp: None,
        cname_out: ptr::null_mut(),
        for_getaddrinfo: false,
    };
    // SAFETY: fresh memory of the right size and malloc's alignment; the timer is assigned to
    // the base's live event base.
    unsafe {
        p.write(value);
        Locked::new(base.event_base()).assign((*p).timer.get(), -1, 0, Some(on_timeout), p.cast());
    }
    Some(p)
}

impl Request {
    pub(super) fn timer_event(&self) -> *mut Event {
        self.timer.get()
    }
    pub(super) fn tcp_event(&self) -> *mut Event {
        self.tcp_ev.get()
    }
}

/// Round robin over the nameservers that are up; over all of them when none is.
pub(super) fn pick_ns(st: &mut State) -> Option<usize> {
    let n = st.servers.len();
    if n == 0 {
        return None;
    }
    for k in 0..n {
        let i = (st.next_server + k) % n;
        if st.good == 0 || st.servers[i].up {
            st.next_server = (i + 1) % n;
            return Some(i);
        }
    }
    let i = st.next_server % n;
    st.next_server = (i + 1) % n;
    Some(i)
}

/// A random id not in flight; never 0xffff, which upstream reserves.
fn pick_id(st: &mut State) -> u16 {
    loop {
        let id = st.rng.u16();
        if id != 0xffff && !st.inflight.contains_key(&id) {
            return id;
        }
    }
}

/// Puts a request in flight on nameserver `ns` under a fresh id.
///
/// # Safety
/// `req` must be live and in no table.
unsafe fn go_inflight(base: &Base, st: &mut State, req: *mut Request, ns: usize) {
    let id = pick_id(st);
    // SAFETY: live (contract).
    let r = unsafe { &mut *req };
    r.trans_id = id;
    r.query[..2].copy_from_slice(&id.to_be_bytes());
    r.ns = Some(ns);
    r.in_flight = true;
    st.inflight.insert(id, req);
    st.servers[ns].inflight += 1;
    nameserver::update_watch(base, st, ns);
}

/// Submits a created (or searched-on) request: in flight if there is room and a nameserver,
/// else to the back of the waiting queue.
pub(super) fn submit(base: &Base, st: &mut State, req: *mut Request) {
    if st.inflight.len() < st.opts.max_inflight {
        if let Some(ns) = pick_ns(st) {
            // SAFETY: req is live and in no table (callers' invariant).
            unsafe {
                go_inflight(base, st, req, ns);
                transmit(base, st, req);
            }
            return;
        }
    }
    // SAFETY: as above.
    unsafe { (*req).wait_key = st.waiting.push_back(req) };
}

/// Sends a probe to nameserver `ns` at once, whatever max-inflight says.
pub(super) fn submit_probe(base: &Base, st: &mut State, req: *mut Request, ns: usize) {
    // SAFETY: a request just created: live and in no table.
    unsafe {
        go_inflight(base, st, req, ns);
        transmit(base, st, req);
    }
}

/// Moves waiting requests in flight while there is room and a nameserver.
pub(super) fn pump_waiting(base: &Base, st: &mut State) {
    while st.inflight.len() < st.opts.max_inflight {
        if st.waiting.front().is_none() {
            return;
        }
        let Some(ns) = pick_ns(st) else { return };
        let Some(req) = st.waiting.pop_front() else { return };
        // SAFETY: waiting requests are live; just removed from the only table it was in.
        unsafe {
            go_inflight(base, st, req, ns);
            transmit(base, st, req);
        }
    }
}

/// Sends a request in flight to its nameserver and arms its timer. When the socket would
/// block, the request is marked and sent when the socket is writable.
///
/// # Safety
/// `req` must be live and in flight.
pub(super) unsafe fn transmit(base: &Base, st: &mut State, req: *mut Request) {
    // SAFETY: live (contract).
    let r = unsafe { &mut *req };
    r.transmit_me = true;
    let Some(ns) = r.ns else { return };
    if st.servers[ns].choked {
        return;
    }
    st.servers[ns].outbox.push((req, r.trans_id));
    base.schedule_flush(st);
}

/// Bookkeeping after one send attempt: the timer is armed unless the socket would block
/// (then the request waits for writability).
///
/// # Safety
/// `req` must be live and in flight on `ns`.
pub(super) unsafe fn sent_one(base: &Base, st: &mut State, req: *mut Request, ns: usize, sent: nameserver::Sent) {
    match sent {
        nameserver::Sent::Ok => {}
        nameserver::Sent::WouldBlock => {
            nameserver::set_choked(base, st, ns, true);
            return;
        }
        nameserver::Sent::Failed(msg) => {
            // The timer below still runs: the timeout retransmits, maybe elsewhere.
            nameserver::failed(base, st, ns, &msg);
        }
    }
    evdns_debug!("Setting timeout for request {:p}, sent to nameserver {}", req, st.servers[ns].addr);
    arm_timer(st, req);
    // SAFETY: contract.
    unsafe {
        (*req).tx_count += 1;
        (*req).transmit_me = false;
    }
}

/// Whether a request queued for a batched send is still one to send: in flight under the
/// same id on that server, and not sent meanwhile.
pub(super) fn still_to_send(st: &State, req: *mut Request, id: u16, ns: usize) -> bool {
    // SAFETY: the table holds live requests; req is only read when it is the one in it.
    st.inflight.get(&id) == Some(&req) && unsafe { (*req).transmit_me && (*req).ns == Some(ns) }
}

/// Sends every request marked as waiting to be sent (after a socket became writable); true
/// if there was any.
pub(super) fn transmit_marked(base: &Base, st: &mut State) -> bool {
    // SAFETY: requests in the table are live.
    let marked: Vec<*mut Request> = st.inflight.values().copied().filter(|&r| unsafe { (*r).transmit_me }).collect();
    for &req in &marked {
        // SAFETY: live and in flight; a send failing above may not finish any request.
        unsafe { transmit(base, st, req) };
    }
    !marked.is_empty()
}

/// (Re)arms the request's timer with the current timeout.
fn arm_timer(st: &State, req: *mut Request) {
    // SAFETY: a live request's timer is assigned to its base's live event base.
    unsafe {
        let ev = (*req).timer.get();
        Locked::new((*ev).base).add_nolock(ev, Some(&st.opts.timeout), false);
    }
}

/// Takes the request's timer off the loop.
///
/// # Safety
/// `req` must be live.
pub(super) unsafe fn del_timer(req: *mut Request, mode: DelMode) {
    // SAFETY: live (contract); the timer is assigned.
    unsafe {
        let ev = (*req).timer.get();
        Locked::new((*ev).base).del_nolock(ev, mode);
    }
}

/// Takes a request out of the tables, the timer heap and its nameserver's count.
///
/// # Safety
/// `req` must be live and unfinished.
unsafe fn detach(base: &Base, st: &mut State, req: *mut Request) {
    // SAFETY: live (contract).
    let r = unsafe { &mut *req };
    // SAFETY: live.
    unsafe { del_timer(req, DelMode::NoBlock) };
    super::tcp::close(r);
    if r.in_flight {
        st.inflight.remove(&r.trans_id);
        r.in_flight = false;
        if let Some(ns) = r.ns {
            st.servers[ns].inflight -= 1;
            nameserver::update_watch(base, st, ns);
        }
    } else {
        st.waiting.remove(r.wait_key);
    }
    r.ns = None;
    r.transmit_me = false;
}

/// Ends a request with `result`: the user's callback gets it from the loop; a probe reports
/// to its nameserver now. Then waiting requests may take its place.
///
/// # Safety
/// `req` must be live and unfinished; it must not be used by the caller afterwards.
pub(super) unsafe fn finish(base: &Base, st: &mut State, req: *mut Request, result: c_int, ttl: u32, answer: Answer) {
    // SAFETY: live and unfinished (contract).
    unsafe { detach(base, st, req) };
    // SAFETY: as above.
    let kind = unsafe { (*req).kind };
    match kind {
        Kind::User { .. } => release(base, req, Some((result, ttl, answer))),
        Kind::Probe { ns } => {
            release(base, req, None);
            nameserver::probe_done(base, st, ns, req, result);
        }
    }
    pump_waiting(base, st);
}

/// Marks a detached request finished and schedules its deferred callback, which reports
/// `report` to the user (if any) and frees it.
pub(super) fn release(base: &Base, req: *mut Request, report: Option<(c_int, u32, Answer)>) {
    // SAFETY: a live request that is in no table: the deferred callback now owns it.
    unsafe {
        (*req).finished = true;
        (*req).report = report;
        let d = (*req).deferred.get();
        let pri = (*(*req).timer.get()).cb.pri;
        crate::ffi::internal::event_deferred_cb_init_(d, pri, Some(run_deferred), req.cast());
        Locked::new(base.event_base()).deferred_schedule(d);
    }
}

/// Frees a request that will never report (evdns_base_free without failing requests).
///
/// # Safety
/// `req` must be live, detached, with its timer off the loop; not used afterwards.
pub(super) unsafe fn destroy(req: *mut Request) {
    // SAFETY: contract; written in create() into mm memory.
    unsafe {
        super::tcp::close(&mut *req);
        crate::debug::note_teardown((*req).timer.get());
        ptr::drop_in_place(req);
    }
    crate::mm::free(req.cast());
}

/// The deferred callback: the user's callback with the outcome, then the request is freed.
unsafe extern "C" fn run_deferred(_cb: *mut EventCallback, arg: *mut c_void) {
    let req = arg.cast::<Request>();
    // SAFETY: the request is alive until this callback frees it; only this callback uses it.
    unsafe {
        if let (Kind::User { cb, arg }, Some((result, ttl, answer))) = ((*req).kind, (*req).report.take()) {
            report(cb, arg, (*req).qtype, result, ttl, &answer);
        }
        destroy(req);
    }
}

/// Calls a resolve callback the way upstream does: addresses as an array of in_addr /
/// in6_addr, a PTR name as a pointer to one `char *`; errors with no addresses.
///
/// # Safety
/// `cb` and `arg` are the user's.
unsafe fn report(cb: evdns_callback_type, arg: *mut c_void, qtype: u16, result: c_int, ttl: u32, answer: &Answer) {
    let ttl = ttl.min(i32::MAX as u32) as c_int;
    // SAFETY: the user's callback with data valid for the call.
    unsafe {
        match answer {
            Answer::A(v) => cb(DNS_ERR_NONE, DNS_IPV4_A as _, v.len() as c_int, ttl, v.as_ptr() as *mut c_void, arg),
            Answer::Aaaa(v) => cb(DNS_ERR_NONE, DNS_IPV6_AAAA as _, v.len() as c_int, ttl, v.as_ptr() as *mut c_void, arg),
            Answer::Ptr(name) => {
                let mut p = name.as_ptr();
                cb(DNS_ERR_NONE, DNS_PTR as _, 1, ttl, (&raw mut p).cast(), arg)
            }
            Answer::None => {
                let _ = qtype;
                cb(result, 0, 0, ttl, ptr::null_mut(), arg)
            }
        }
    }
}

/// Puts an in-flight request back at the front of the waiting queue, as if never sent
/// (clear_nameservers_and_suspend). The caller already took it out of `inflight`.
///
/// # Safety
/// `req` must be live.
pub(super) unsafe fn suspend(_base: &Base, st: &mut State, req: *mut Request) {
    // SAFETY: live (contract).
    let r = unsafe { &mut *req };
    // SAFETY: live.
    unsafe { del_timer(req, DelMode::NoBlock) };
    super::tcp::close(r);
    r.in_flight = false;
    r.ns = None;
    r.tx_count = 0;
    r.reissue_count = 0;
    r.transmit_me = false;
    r.wait_key = st.waiting.push_front(req);
}

/// Moves a request to another nameserver (its count follows it).
///
/// # Safety
/// `req` must be live and in flight.
unsafe fn swap_ns(base: &Base, st: &mut State, req: *mut Request, to: usize) {
    // SAFETY: contract.
    let Some(from) = (unsafe { (*req).ns }) else { return };
    if from == to {
        return;
    }
    st.servers[from].inflight -= 1;
    st.servers[to].inflight += 1;
    // SAFETY: contract.
    unsafe { (*req).ns = Some(to) };
    nameserver::update_watch(base, st, from);
    nameserver::update_watch(base, st, to);
}

/// Timer callback: the request's nameserver did not answer in time.
unsafe extern "C" fn on_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let req = arg.cast::<Request>();
    // SAFETY: the request is alive while its timer can fire (see the module doc).
    let base = unsafe { &*(*req).base };
    let mut st = base.lock();
    // SAFETY: as above.
    if st.shutting_down || unsafe { (*req).finished || !(*req).in_flight } {
        return;
    }
    evdns_debug!("Request {:p} timed out", req);
    // SAFETY: live, unfinished, in flight.
    unsafe { timed_out(base, &mut st, req) };
}

/// A timeout (or a SERVFAIL, which upstream treats alike): retransmit, possibly to another
/// nameserver, or give up after `attempts` transmissions and count it against the server.
///
/// # Safety
/// `req` must be live, unfinished and in flight.
unsafe fn timed_out(base: &Base, st: &mut State, req: *mut Request) {
    // Fields are read and written through `req` one statement at a time: the functions
    // called in between reach the same request through the tables.
    // SAFETY: contract.
    let tx_count = unsafe {
        super::tcp::close(&mut *req);
        (*req).tx_count
    };
    if tx_count >= st.opts.attempts {
        // SAFETY: contract.
        let ns = unsafe { (*req).ns };
        evdns_debug!("Giving up on request {:p}; tx_count=={}", req, tx_count);
        // SAFETY: contract; req is not used afterwards.
        unsafe { finish(base, st, req, DNS_ERR_TIMEOUT, 0, Answer::None) };
        if let Some(ns) = ns {
            nameserver::failed(base, st, ns, "request timed out.");
        }
        return;
    }
    evdns_debug!("Retransmitting request {:p}; tx_count=={}", req, tx_count);
    if let Some(to) = pick_ns(st) {
        // SAFETY: contract.
        unsafe { swap_ns(base, st, req, to) };
    }
    // SAFETY: contract.
    unsafe { transmit(base, st, req) };
    // SAFETY: contract.
    if let Some(ns) = unsafe { (*req).ns } {
        let server = &mut st.servers[ns];
        server.timedout += 1;
        if server.timedout > st.opts.max_timeouts {
            server.timedout = 0;
            nameserver::failed(base, st, ns, "request timed out.");
        }
    }
}

/// Whether a reply echoes the question of `query`: the same name, type and class, the name
/// byte for byte with its case (what the 0x20 randomisation is for), or folded to lower case
/// by a server that normalises names (upstream's suite has such a server and expects it to
/// work). The echoed name is the reply's first, so it cannot be compressed: the wire bytes
/// compare directly.
fn question_matches(query: &[u8], reply: &[u8]) -> bool {
    let ours = &query[wire::HEADER_LEN..];
    let Some(echoed) = reply.get(wire::HEADER_LEN..wire::HEADER_LEN + ours.len()) else { return false };
    let name_len = ours.len() - 4;
    echoed == ours || (echoed[name_len..] == ours[name_len..] && echoed[..name_len].iter().zip(&ours[..name_len]).all(|(e, s)| *e == s.to_ascii_lowercase()))
}

/// Appends the N-byte addresses of an A (N = 4) or AAAA (N = 16) record's data, up to
/// MAX_ADDRS in all; false when the data is not a whole, non-zero number of addresses.
fn take_addresses<const N: usize>(rdata: &[u8], out: &mut Vec<[u8; N]>) -> bool {
    if rdata.is_empty() || !rdata.len().is_multiple_of(N) {
        return false;
    }
    for chunk in rdata.chunks_exact(N) {
        if let (true, Ok(a)) = (out.len() < MAX_ADDRS, <[u8; N]>::try_from(chunk)) {
            out.push(a);
        }
    }
    true
}

/// What a parsed reply says for a request of type `qtype`.
fn read_answer(msg: &wire::Message<'_>, qtype: u16) -> (Answer, u32) {
    let mut ttl = u32::MAX;
    let mut v4: Vec<[u8; 4]> = Vec::new();
    let mut v6: Vec<[u8; 16]> = Vec::new();
    let mut ptr_name = None;
    for rr in &msg.answers {
        if rr.class != wire::CLASS_IN || rr.rtype != qtype {
            continue;
        }
        // Upstream's server puts all the addresses of one add_a_reply/add_aaaa_reply call in a
        // single record (RDLENGTH 4n or 16n) and upstream's resolver reads them all; so does
        // this one, for servers built on upstream's evdns. Other lengths are skipped.
        let read = match rr.rtype {
            wire::TYPE_A => take_addresses(rr.rdata, &mut v4),
            wire::TYPE_AAAA => take_addresses(rr.rdata, &mut v6),
            _ => match msg.rdata(rr) {
                Ok(Rdata::Name(n)) if qtype == wire::TYPE_PTR && ptr_name.is_none() => {
                    ptr_name = CString::new(n.as_bytes()).ok();
                    true
                }
                _ => false,
            },
        };
        if read {
            ttl = ttl.min(rr.ttl);
        }
    }
    let answer = if let Some(n) = ptr_name {
        Answer::Ptr(n)
    } else if !v4.is_empty() {
        Answer::A(v4)
    } else if !v6.is_empty() {
        Answer::Aaaa(v6)
    } else {
        // No answer: the negative-caching TTL from an SOA in the authority section.
        for rr in msg.authority.iter().filter(|rr| rr.class == wire::CLASS_IN) {
            if let Ok(min) = msg.soa_minimum(rr) {
                ttl = ttl.min(rr.ttl).min(min);
            }
        }
        Answer::None
    };
    (answer, if ttl == u32::MAX { 0 } else { ttl })
}

/// AI_CANONNAME for evdns_getaddrinfo: the first CNAME target among the answers goes into
/// `slot` (NULL: not wanted) as an mm string, unless the slot holds one already (from an
/// earlier name of a search), as upstream does.
fn store_cname(msg: &wire::Message<'_>, slot: *mut *mut c_char) {
    // SAFETY: a non-NULL slot is writable until the request's callback (resolve_for_getaddrinfo).
    if slot.is_null() || unsafe { !(*slot).is_null() } {
        return;
    }
    let target = msg.answers.iter().filter(|rr| rr.class == wire::CLASS_IN && rr.rtype == wire::TYPE_CNAME).find_map(|rr| match msg.rdata(rr) {
        Ok(Rdata::Name(n)) => CString::new(n.as_bytes()).ok(),
        _ => None,
    });
    if let Some(name) = target {
        // SAFETY: as above; name is a C string.
        unsafe { *slot = crate::mm::strdup(name.as_ptr()) };
    }
}

/// The DNS_ERR_* for a reply's rcode (1-5 are the same numbers; others are unknown).
fn rcode_error(rcode: u8) -> c_int {
    match rcode {
        1..=5 => c_int::from(rcode),
        _ => DNS_ERR_UNKNOWN,
    }
}

/// How a reply arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    Udp,
    /// A datagram longer than the receive buffer: only its header is trusted, and the
    /// request is retried over TCP.
    CutUdp,
    Tcp,
}

/// A reply from nameserver `ns` (its source address already checked).
pub(super) fn handle_reply(base: &Base, st: &mut State, ns: usize, packet: &[u8], via: Via) {
    let over_tcp = via == Via::Tcp;
    let Ok(h) = Header::parse(packet) else { return };
    let Some(&req) = st.inflight.get(&h.id) else {
        evdns_debug!("Reply with unknown transaction id {:#06x} ignored", h.id);
        return;
    };
    // SAFETY: requests in the table are live and unfinished.
    let r = unsafe { &mut *req };
    if r.ns != Some(ns) || !h.qr() {
        return;
    }
    if via == Via::CutUdp {
        // SAFETY: live, in flight.
        unsafe { super::tcp::start(base, st, req) };
        return;
    }
    let msg = match wire::parse_message(packet) {
        Ok(m) => m,
        Err(e) => {
            crate::evdns_warn!("Malformed reply from {} ignored: {}", st.servers[ns].addr, e);
            return;
        }
    };
    // Errors other than NXDOMAIN need not echo the question; everything else must.
    let needs_question = h.rcode() == 0 || h.rcode() == 3 || h.qdcount != 0;
    if needs_question && (h.qdcount != 1 || !question_matches(&r.query, packet)) {
        crate::evdns_warn!("Reply from {} for a question we did not ask ignored", st.servers[ns].addr);
        return;
    }
    st.servers[ns].timedout = 0;
    store_cname(&msg, r.cname_out);
    if h.tc() && !over_tcp {
        // SAFETY: live, in flight.
        if unsafe { super::tcp::start(base, st, req) } {
            return;
        }
    }
    let (answer, ttl) = read_answer(&msg, r.qtype);
    let error = if h.tc() {
        DNS_ERR_TRUNCATED
    } else if h.rcode() != 0 && h.rcode() != 3 {
        rcode_error(h.rcode())
    } else if answer != Answer::None && h.rcode() == 0 {
        // SAFETY: live and unfinished; not used afterwards.
        unsafe { finish(base, st, req, DNS_ERR_NONE, ttl, answer) };
        nameserver::up(base, st, ns);
        return;
    } else if h.rcode() == 3 {
        DNS_ERR_NOTEXIST
    } else {
        DNS_ERR_NODATA
    };
    // SAFETY: live, unfinished, in flight.
    unsafe { reply_error(base, st, req, ns, error, ttl) };
}

/// A reply that is an error: move to another nameserver for NOTIMPL/REFUSED, retry as after
/// a timeout for SERVFAIL, else try the next search name or report the error.
///
/// # Safety
/// `req` must be live, unfinished and in flight on `ns`.
unsafe fn reply_error(base: &Base, st: &mut State, req: *mut Request, ns: usize, error: c_int, ttl: u32) {
    // As in timed_out: one statement at a time through `req`.
    match error {
        DNS_ERR_NOTIMPL | DNS_ERR_REFUSED => {
            // SAFETY: contract.
            if unsafe { (*req).reissue_count } < st.opts.max_reissues {
                let msg = format!("Bad response {} ({})", error, super::err_to_string(error).to_string_lossy());
                nameserver::failed(base, st, ns, &msg);
                if let Some(to) = pick_ns(st).filter(|&to| to != ns) {
                    // SAFETY: contract.
                    unsafe {
                        swap_ns(base, st, req, to);
                        (*req).reissue_count += 1;
                        (*req).tx_count = 0;
                        del_timer(req, DelMode::NoBlock);
                        transmit(base, st, req);
                    }
                    return;
                }
            }
        }
        DNS_ERR_SERVERFAILED => {
            evdns_debug!("Got a SERVERFAILED from nameserver at {}; will allow the request to time out.", st.servers[ns].addr);
            // SAFETY: contract.
            unsafe {
                del_timer(req, DelMode::NoBlock);
                timed_out(base, st, req);
            }
            return;
        }
        // up() may cancel the server's probe: that finishes this request if it is the probe.
        _ => nameserver::up(base, st, ns),
    }
    // SAFETY: contract.
    if unsafe { (*req).finished } {
        return;
    }
    // SAFETY: contract.
    let qtype = unsafe { (*req).qtype };
    if qtype != wire::TYPE_PTR {
        // SAFETY: contract.
        if let Some(mut s) = unsafe { (*req).search.take() } {
            let mut next = s.advance();
            while let Some(name) = next {
                if let Some(query) = build(st, &name, qtype) {
                    evdns_debug!("Search: now trying {}", String::from_utf8_lossy(&name));
                    // Detached, then submitted again with the new name.
                    // SAFETY: contract.
                    unsafe {
                        detach(base, st, req);
                        (*req).search = Some(s);
                        (*req).query = query;
                        (*req).tx_count = 0;
                        (*req).reissue_count = 0;
                    }
                    pump_waiting(base, st);
                    submit(base, st, req);
                    return;
                }
                next = s.advance();
            }
        }
    }
    // SAFETY: contract; req is not used afterwards.
    unsafe { finish(base, st, req, error, ttl, Answer::None) };
}

/// The query bytes of an in-flight request (with its id), for the TCP retry and batched
/// sends.
pub(super) fn query_of(r: &Request) -> &[u8] {
    &r.query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_check_is_case_exact_or_folded_to_lower() {
        let q = |name: &str, qtype: u16| wire::build_query(7, name.as_bytes(), qtype, wire::CLASS_IN, true).unwrap();
        let sent = q("ExAmPle.CoM", wire::TYPE_A);
        assert!(question_matches(&sent, &q("ExAmPle.CoM", wire::TYPE_A)));
        assert!(question_matches(&sent, &q("example.com", wire::TYPE_A)));
        assert!(!question_matches(&sent, &q("EXAMPLE.COM", wire::TYPE_A)));
        assert!(!question_matches(&sent, &q("exAmPle.CoM", wire::TYPE_A)));
        assert!(!question_matches(&sent, &q("example.org", wire::TYPE_A)));
        assert!(!question_matches(&sent, &q("ExAmPle.CoM", wire::TYPE_AAAA)));
        assert!(!question_matches(&sent, &sent[..20]), "cut short");
        assert!(question_matches(&q("Host.", wire::TYPE_A), &q("Host", wire::TYPE_A)));
        assert!(question_matches(&q(".", wire::TYPE_A), &q("", wire::TYPE_A)));
    }

    #[test]
    fn case_randomisation_touches_only_letters() {
        let before = wire::build_query(0, b"ab-9.example.com", wire::TYPE_A, wire::CLASS_IN, true).unwrap();
        let mut pool = RandomPool::new();
        let mut seen_upper = false;
        for _ in 0..20 {
            let mut q = before.clone();
            randomize_case(&mut pool, &mut q);
            assert!(q.eq_ignore_ascii_case(&before));
            assert_eq!(q[..wire::HEADER_LEN], before[..wire::HEADER_LEN]);
            assert_eq!(q[q.len() - 4..], before[before.len() - 4..]);
            assert!(wire::parse_message(&q).is_ok());
            seen_upper |= q.iter().any(u8::is_ascii_uppercase);
        }
        assert!(seen_upper);
    }

    #[test]
    fn rcodes_map_to_errors() {
        assert_eq!(rcode_error(1), DNS_ERR_FORMAT);
        assert_eq!(rcode_error(5), DNS_ERR_REFUSED);
        assert_eq!(rcode_error(9), DNS_ERR_UNKNOWN);
    }

    #[test]
    fn random_pool_refills() {
        let mut p = RandomPool::new();
        let ids: std::collections::HashSet<u16> = (0..2000).map(|_| p.u16()).collect();
        assert!(ids.len() > 1500);
    }
}
