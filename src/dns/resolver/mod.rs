//! The evdns resolver: `struct evdns_base`, its nameservers and its requests.
//!
//! - `mod.rs` (this file): the [`Base`], its lifecycle, its lock and the operations the C API
//!   maps onto (resolve, cancel, nameservers, search list, options, resolv.conf).
//! - `nameserver`: one UDP socket per nameserver, reading replies (a recvmmsg batch at a time)
//!   and sending queued queries (a sendmmsg per batch), marking a server down after too many
//!   timeouts and probing it back up.
//! - `request`: a lookup from submission to its callback: transaction ids, 0x20 case
//!   randomisation, transmission, retransmission on timeout, reply handling, max-inflight
//!   queueing.
//! - `queue`: the two request tables (in flight by transaction id, waiting in order), O(1).
//! - `search`: search domains and ndots (pure).
//! - `options`: the option parser shared by `set_option` and resolv.conf (pure).
//! - `tcp`: retrying a truncated UDP reply over TCP to the same nameserver.
//!
//! Locking: every operation takes the base's recursive lock (a no-op without evthread locking)
//! and works on [`State`] through one `&mut` for its duration. User callbacks never run under
//! the lock or from inside an operation: each finished lookup is handed to the event loop as a
//! deferred callback (as upstream does), which touches only the request. So nothing re-enters
//! the state while it is borrowed.
//!
//! Memory: the base and every request (the `evdns_request` handle C holds) come from
//! `crate::mm` (the user's allocator, which upstream's leak tests count); a request is freed by
//! its deferred callback after the user's callback, or with the base when dropped silently.

mod nameserver;
mod options;
mod queue;
mod request;
mod search;
mod tcp;
#[cfg(test)]
mod tests;

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use libc::timeval;

use crate::base::{DelMode, EventBase};
use crate::dns::api::*;
use crate::dns::config::{parse_resolv_conf, Directive};
use crate::dns::hosts::{Family, HostsTable};
use crate::thread;
use crate::{evdns_debug, evdns_warn};

use nameserver::Nameserver;
pub use options::OptionError;
use options::{parse_option, Setting};
use request::{Kind, Request};
use search::SearchList;

/// Tunables, with upstream's defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opts {
    pub timeout: timeval,
    /// Transmissions before a request times out ("attempts").
    pub attempts: i32,
    /// Timeouts in a row before a nameserver is marked down.
    pub max_timeouts: i32,
    pub max_inflight: usize,
    /// Times a request moves to another nameserver after NOTIMPL/REFUSED.
    pub max_reissues: i32,
    pub randomize_case: bool,
    pub probe_timeout: timeval,
    pub allow_skew: timeval,
    pub so_rcvbuf: i32,
    pub so_sndbuf: i32,
    pub bind_to: Option<SocketAddr>,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            timeout: timeval { tv_sec: 5, tv_usec: 0 },
            attempts: 3,
            max_timeouts: 3,
            max_inflight: 64,
            max_reissues: 1,
            randomize_case: true,
            probe_timeout: timeval { tv_sec: 10, tv_usec: 0 },
            allow_skew: timeval { tv_sec: 3, tv_usec: 0 },
            so_rcvbuf: 0,
            so_sndbuf: 0,
            bind_to: None,
        }
    }
}

/// Everything the lock protects.
pub(crate) struct State {
    /// In the order added; a request names its nameserver by index (indices only change when
    /// all are cleared).
    #[allow(clippy::vec_box)] // the loop holds pointers to each server's events: no moving
    servers: Vec<Box<Nameserver>>,
    /// Round-robin position for the next pick.
    next_server: usize,
    /// Servers currently believed up.
    good: usize,
    /// Requests with a nameserver and a transaction id: O(1) lookup of a reply's id.
    inflight: queue::IdMap<*mut Request>,
    /// Requests waiting for room (max-inflight) or a nameserver, in order; keys below zero are
    /// requests put back in front (suspended ones).
    waiting: queue::WaitQueue<*mut Request>,
    opts: Opts,
    search: Arc<SearchList>,
    disable_when_inactive: bool,
    /// Set by evdns_base_free before it lets go of the lock: callbacks that were waiting for
    /// the lock then do nothing.
    shutting_down: bool,
    /// While replies are being read: sends are queued on their nameserver and go out together
    /// (one sendmmsg) when the batch is done.
    batching: bool,
    /// The flush event is active.
    flush_pending: bool,
    rng: request::RandomPool,
    /// `evdns_base_load_hosts`' table, which evdns_getaddrinfo answers from first.
    hosts: HostsTable,
}

/// `struct evdns_base`.
pub struct Base {
    lock: thread::RawLock,
    event_base: *mut EventBase,
    /// Activated when a query is queued outside a read batch: the queued queries go out
    /// together when the loop gets to it (after the callbacks that queued them), so a burst of
    /// resolves costs one sendmmsg instead of one sendto each.
    flush_ev: UnsafeCell<crate::event::Event>,
    /// Cleared when the base starts being freed: evdns_getaddrinfo's skew timers check it
    /// before touching the base.
    alive: Arc<AtomicBool>,
    state: UnsafeCell<State>,
}

/// The lock held, and the state borrowed, for the guard's lifetime.
pub(crate) struct Guard<'a> {
    base: &'a Base,
}

impl std::ops::Deref for Guard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        // SAFETY: the lock is held; see the module doc for why no other borrow exists.
        unsafe { &*self.base.state.get() }
    }
}

impl std::ops::DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        // SAFETY: as above.
        unsafe { &mut *self.base.state.get() }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        thread::unlock(self.base.lock, 0);
    }
}

/// What a finished lookup reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    None,
    A(Vec<[u8; 4]>),
    Aaaa(Vec<[u8; 16]>),
    Ptr(std::ffi::CString),
}

impl Base {
    /// `evdns_base_new`. NULL `event_base` means the 1.x current base.
    pub fn new(event_base: *mut EventBase, mut flags: c_int) -> *mut Base {
        let event_base = if event_base.is_null() { crate::ffi::event::current_base() } else { event_base };
        if event_base.is_null() {
            evdns_warn!("evdns_base_new: no event_base given and no current base (event_init) set");
            return ptr::null_mut();
        }
        let known = EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE | EVDNS_BASE_NAMESERVERS_NO_DEFAULT;
        if flags & !known != 0 {
            evdns_warn!("Unrecognized flag passed to evdns_base_new(). Assuming you meant EVDNS_BASE_INITIALIZE_NAMESERVERS.");
            flags = EVDNS_BASE_INITIALIZE_NAMESERVERS;
        }
        let p = crate::mm::malloc(std::mem::size_of::<Base>()).cast::<Base>();
        if p.is_null() {
            return ptr::null_mut();
        }
        let value = Base {
            lock: thread::alloc_lock(thread::LOCKTYPE_RECURSIVE),
            event_base,
            // SAFETY: an all-zero struct event is the unassigned state.
            flush_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            alive: Arc::new(AtomicBool::new(true)),
            state: UnsafeCell::new(State {
                servers: Vec::new(),
                next_server: 0,
                good: 0,
                inflight: queue::IdMap::default(),
                waiting: queue::WaitQueue::new(),
                opts: Opts::default(),
                search: Arc::new(SearchList::default()),
                disable_when_inactive: flags & EVDNS_BASE_DISABLE_WHEN_INACTIVE != 0,
                shutting_down: false,
                batching: false,
                flush_pending: false,
                rng: request::RandomPool::new(),
                hosts: HostsTable::new(),
            }),
        };
        // SAFETY: fresh memory of the right size and malloc's alignment; the event stays in it
        // until free().
        unsafe {
            p.write(value);
            crate::ffi::event::Locked::new(event_base).assign((*p).flush_ev.get(), -1, 0, Some(nameserver::on_flush), p.cast());
        }
        if flags & EVDNS_BASE_INITIALIZE_NAMESERVERS != 0 {
            let mut opts = DNS_OPTIONS_ALL;
            if flags & EVDNS_BASE_NAMESERVERS_NO_DEFAULT != 0 {
                opts |= DNS_OPTION_NAMESERVERS_NO_DEFAULT;
            }
            // SAFETY: p was just initialised.
            let r = unsafe { (*p).resolv_conf_parse(opts, Some(c"/etc/resolv.conf")) };
            if r != 0 {
                // SAFETY: nothing else knows p yet.
                unsafe { Base::free(p, false) };
                return ptr::null_mut();
            }
        }
        p
    }

    pub(crate) fn lock(&self) -> Guard<'_> {
        thread::lock(self.lock, 0);
        Guard { base: self }
    }

    pub(crate) fn event_base(&self) -> *mut EventBase {
        self.event_base
    }

    /// Makes sure queued queries are sent soon: at the end of the read batch if one is
    /// running, else when the loop runs the flush event.
    pub(crate) fn schedule_flush(&self, st: &mut State) {
        if st.batching || st.flush_pending {
            return;
        }
        st.flush_pending = true;
        let ev = self.flush_ev.get();
        // SAFETY: the base's own event on its live event base.
        unsafe { crate::ffi::event::Locked::new(self.event_base).active_nolock(ev, crate::event::EV_TIMEOUT, 1) };
    }

    /// The getaddrinfo-allow-skew option, for evdns_getaddrinfo.
    pub(crate) fn getaddrinfo_allow_skew(&self) -> timeval {
        self.lock().opts.allow_skew
    }

    /// `evdns_base_free`: pending lookups fail with DNS_ERR_SHUTDOWN (their callbacks run from
    /// the loop) or are dropped without a callback.
    ///
    /// # Safety
    /// `base` must be a live base; it is gone afterwards.
    pub unsafe fn free(base: *mut Base, fail_requests: bool) {
        // SAFETY: live base (contract).
        let b = unsafe { &*base };
        b.alive.store(false, Ordering::Release);
        let (requests, servers) = {
            let mut st = b.lock();
            let st = &mut *st;
            nameserver::forget_probes(st);
            let servers = nameserver::take_all(b, st);
            st.shutting_down = true;
            let mut reqs = st.waiting.drain();
            reqs.extend(st.inflight.drain().map(|(_, r)| r));
            (reqs, servers)
        };
        // Without the lock: a callback of ours running in the loop's thread may be waiting for
        // it; the deletes below wait for such a callback, which returns at once (shutting_down).
        for &req in &requests {
            // SAFETY: requests in the tables are live.
            unsafe { request::del_timer(req, DelMode::AutoBlock) };
        }
        for ns in servers {
            nameserver::destroy(ns);
        }
        // SAFETY: the base's own event, assigned in new().
        unsafe { crate::ffi::event::Locked::new(b.event_base).del_nolock(b.flush_ev.get(), DelMode::AutoBlock) };
        crate::debug::note_teardown(b.flush_ev.get());
        for req in requests {
            // SAFETY: live, in no table, its timer off the loop.
            unsafe {
                if fail_requests && matches!((*req).kind, Kind::User { .. }) {
                    request::release(b, req, Some((DNS_ERR_SHUTDOWN, 0, Answer::None)));
                } else if (*req).for_getaddrinfo {
                    // Dropped silently for the program, but evdns_getaddrinfo's lookup must
                    // learn it to free itself.
                    request::release(b, req, Some((crate::dns::getaddrinfo::RESOLVER_DROPPED, 0, Answer::None)));
                } else {
                    request::destroy(req);
                }
            }
        }
        thread::free_lock(b.lock, thread::LOCKTYPE_RECURSIVE);
        // SAFETY: written in new() into memory from mm::malloc; nothing refers to it now.
        unsafe { ptr::drop_in_place(base) };
        crate::mm::free(base.cast());
    }

    // ---- nameservers -----------------------------------------------------------------------

    /// Adds a nameserver. Upstream's results: 0, 2 (address too long / bind failed / event),
    /// 3 (already present), 1 (socket failed), -SO_RCVBUF/-SO_SNDBUF (setsockopt failed).
    pub fn add_nameserver(&self, addr: SocketAddr) -> c_int {
        let mut st = self.lock();
        if st.servers.iter().any(|ns| ns.addr == addr) {
            return 3;
        }
        let idx = st.servers.len();
        match Nameserver::open(self, &st.opts, idx, addr) {
            Ok(ns) => {
                st.servers.push(ns);
                st.good += 1;
                nameserver::update_watch(self, &mut st, idx);
                evdns_debug!("Added nameserver {}", addr);
                0
            }
            Err(code) => {
                evdns_warn!("Unable to add nameserver {}: error {}", addr, code);
                code
            }
        }
    }

    /// `evdns_base_nameserver_ip_add`: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53"; port 53 when
    /// none is given. 4 when the text does not parse.
    pub fn add_nameserver_text(&self, text: &[u8]) -> c_int {
        let Some(mut addr) = crate::util::addr::parse_sockaddr_port(text) else {
            evdns_warn!("Unable to parse nameserver address {}", String::from_utf8_lossy(text));
            return 4;
        };
        if addr.port() == 0 {
            addr.set_port(53);
        }
        self.add_nameserver(addr)
    }

    pub fn count_nameservers(&self) -> c_int {
        self.lock().servers.len() as c_int
    }

    pub fn nameserver_addr(&self, idx: c_int) -> Option<SocketAddr> {
        let st = self.lock();
        usize::try_from(idx).ok().and_then(|i| st.servers.get(i)).map(|ns| ns.addr)
    }

    /// `evdns_base_clear_nameservers_and_suspend`: removes every nameserver; lookups in flight
    /// go back to the front of the waiting queue until a nameserver is added and `resume`.
    pub fn clear_nameservers_and_suspend(&self) -> c_int {
        let servers = {
            let mut st = self.lock();
            let st = &mut *st;
            let servers = nameserver::take_all(self, st);
            let mut moved: Vec<*mut Request> = st.inflight.drain().map(|(_, r)| r).collect();
            // Oldest first keeps their relative order at the front of the queue.
            // SAFETY: requests in the table are live.
            moved.sort_by_key(|&r| unsafe { (*r).seq });
            for req in moved.into_iter().rev() {
                // SAFETY: live request, now in no table.
                unsafe { request::suspend(self, st, req) };
            }
            servers
        };
        for ns in servers {
            nameserver::destroy(ns);
        }
        0
    }

    /// `evdns_base_resume`.
    pub fn resume(&self) -> c_int {
        let mut st = self.lock();
        request::pump_waiting(self, &mut st);
        0
    }

    // ---- lookups ---------------------------------------------------------------------------

    /// Starts a lookup of `name` (A or AAAA, through the search list unless
    /// DNS_QUERY_NO_SEARCH) or of a PTR name (never searched). Null when the name cannot be
    /// queried (too long, an empty label, "" with search domains) or memory ran out.
    pub fn resolve(&self, qtype: u16, name: &[u8], flags: c_int, cb: evdns_callback_type, arg: *mut c_void) -> *mut evdns_request {
        evdns_debug!("Resolve requested for {}", String::from_utf8_lossy(name));
        let mut st = self.lock();
        let search = if flags & DNS_QUERY_NO_SEARCH == 0 && qtype != crate::dns::wire::TYPE_PTR {
            match search::Search::start(name, &st.search) {
                Ok(s) => s,
                Err(()) => return ptr::null_mut(),
            }
        } else {
            None
        };
        let kind = Kind::User { cb, arg };
        match request::create(self, &mut st, kind, qtype, name, search) {
            Some(req) => {
                request::submit(self, &mut st, req);
                req.cast()
            }
            None => ptr::null_mut(),
        }
    }

    /// `evdns_cancel_request`: the callback gets DNS_ERR_CANCEL (from the loop), unless it is
    /// already due.
    ///
    /// # Safety
    /// `handle` must be a request of this base whose callback has not run yet.
    pub unsafe fn cancel(&self, handle: *mut evdns_request) {
        let mut st = self.lock();
        let req = handle.cast::<Request>();
        // SAFETY: a live request (contract).
        if unsafe { (*req).finished } {
            return;
        }
        // SAFETY: as above.
        unsafe { request::finish(self, &mut st, req, DNS_ERR_CANCEL, 0, Answer::None) };
    }

    /// The base a request belongs to (for evdns_cancel_request(NULL, req)).
    ///
    /// # Safety
    /// `handle` must be a live request.
    pub unsafe fn of_request(handle: *mut evdns_request) -> *const Base {
        // SAFETY: live request (contract).
        unsafe { (*handle.cast::<Request>()).base }
    }

    /// `resolve` for evdns_getaddrinfo: freeing the base without failing requests reports
    /// `getaddrinfo::RESOLVER_DROPPED` to it; with AI_CANONNAME (`cname` not NULL), the first
    /// CNAME among a reply's answers is stored there (from mm) before the callback runs, unless
    /// one is there already. The lock is held throughout, so no reply is handled before the
    /// request is marked.
    ///
    /// # Safety
    /// `cname` must be NULL or writable until the request's callback has run.
    pub(crate) unsafe fn resolve_for_getaddrinfo(&self, qtype: u16, name: &[u8], cname: *mut *mut std::ffi::c_char, cb: evdns_callback_type, arg: *mut c_void) -> *mut evdns_request {
        let _held = self.lock();
        let handle = self.resolve(qtype, name, 0, cb, arg);
        if !handle.is_null() {
            // SAFETY: a fresh request of ours, unfinished while the lock is held.
            unsafe {
                (*handle.cast::<Request>()).cname_out = cname;
                (*handle.cast::<Request>()).for_getaddrinfo = true;
            }
        }
        handle
    }

    // ---- hosts file --------------------------------------------------------------------------

    /// `evdns_base_load_hosts` (see `HostsTable::load`).
    pub fn load_hosts(&self, path: Option<&std::ffi::CStr>) -> c_int {
        self.lock().hosts.load(path)
    }

    /// `evdns_base_clear_host_addresses`.
    pub fn clear_hosts(&self) {
        self.lock().hosts.clear();
    }

    /// The flag `free` clears, for evdns_getaddrinfo.
    pub(crate) fn alive(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.alive)
    }

    /// The hosts table's addresses for `name` (see `HostsTable::lookup`).
    pub(crate) fn hosts_lookup(&self, name: &[u8], family: Family, port: u16) -> Option<Vec<SocketAddr>> {
        self.lock().hosts.lookup(name, family, port)
    }

    // ---- search list -----------------------------------------------------------------------

    pub fn search_add(&self, domain: &[u8]) {
        Arc::make_mut(&mut self.lock().search).add_first(domain);
    }

    /// Empties the search list and, as upstream (which starts a fresh list), resets ndots to 1.
    pub fn search_clear(&self) {
        self.lock().search = Arc::new(SearchList::default());
    }

    pub fn search_ndots_set(&self, ndots: c_int) {
        Arc::make_mut(&mut self.lock().search).ndots = ndots;
    }

    /// The search list becomes the domain part of this host's name, if it has one (what
    /// upstream falls back to without a resolv.conf search line).
    fn search_from_hostname(st: &mut State) {
        let mut list = SearchList { domains: Vec::new(), ndots: st.search.ndots };
        let mut buf = [0u8; 256];
        // SAFETY: buf is writable for its length; gethostname NUL-terminates within it or
        // fails.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } == 0 {
            let host = &buf[..buf.iter().position(|&b| b == 0).unwrap_or(0)];
            if let Some(dot) = host.iter().position(|&b| b == b'.') {
                list.add_last(&host[dot..]);
            }
        }
        st.search = Arc::new(list);
    }

    // ---- options ---------------------------------------------------------------------------

    /// `evdns_base_set_option`: 0, or -1 for a bad value. An unknown option is ignored with a
    /// warning and gives 0, upstream's result (programs pass resolv.conf options through).
    pub fn set_option(&self, name: &[u8], val: &[u8]) -> c_int {
        match parse_option(name, val) {
            Ok(s) => {
                self.apply(&mut self.lock(), s);
                0
            }
            Err(e) => {
                let unknown = e == OptionError::Unknown;
                evdns_warn!(
                    "{} option {} (value \"{}\")",
                    if unknown { "Ignoring unknown" } else { "Bad value for" },
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(val)
                );
                if unknown { 0 } else { -1 }
            }
        }
    }

    fn apply(&self, st: &mut State, s: Setting) {
        evdns_debug!("Setting option {:?}", s);
        match s {
            Setting::Ndots(n) => Arc::make_mut(&mut st.search).ndots = n,
            Setting::Timeout(tv) => st.opts.timeout = tv,
            Setting::AllowSkew(tv) => st.opts.allow_skew = tv,
            Setting::MaxTimeouts(n) => st.opts.max_timeouts = n,
            Setting::MaxInflight(n) => {
                st.opts.max_inflight = n as usize;
                request::pump_waiting(self, st);
            }
            Setting::Attempts(n) => st.opts.attempts = n,
            Setting::RandomizeCase(on) => st.opts.randomize_case = on,
            Setting::BindTo(a) => st.opts.bind_to = Some(a),
            Setting::InitialProbeTimeout(tv) => st.opts.probe_timeout = tv,
            Setting::SoRcvbuf(n) => st.opts.so_rcvbuf = n,
            Setting::SoSndbuf(n) => st.opts.so_sndbuf = n,
        }
    }

    // ---- resolv.conf -----------------------------------------------------------------------

    /// `evdns_base_resolv_conf_parse` with upstream's results: 0; 1 the file could not be
    /// opened (or no file name: the defaults are set); 2 it could not be read; 6 it named no
    /// nameserver (127.0.0.1 is added unless NAMESERVERS_NO_DEFAULT).
    pub fn resolv_conf_parse(&self, flags: c_int, filename: Option<&std::ffi::CStr>) -> c_int {
        evdns_debug!("Parsing resolv.conf file {:?}", filename);
        let add_default = flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0;
        if flags & DNS_OPTION_HOSTSFILE != 0 {
            // As upstream: before resolv.conf, whatever becomes of it, and its result unused.
            self.load_hosts(Some(c"/etc/hosts"));
        }
        let Some(filename) = filename else {
            self.set_defaults(flags, add_default);
            return 1;
        };
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(filename.to_bytes()));
        let text = match std::fs::File::open(path) {
            Err(_) => {
                self.set_defaults(flags, add_default);
                return 1;
            }
            Ok(mut f) => {
                let mut text = Vec::new();
                if std::io::Read::read_to_end(&mut f, &mut text).is_err() {
                    return 2;
                }
                text
            }
        };
        let mut result = 0;
        for d in parse_resolv_conf(&text) {
            match d {
                Directive::Nameserver(addr) if flags & DNS_OPTION_NAMESERVERS != 0 => {
                    self.add_nameserver_text(&addr);
                }
                Directive::Domain(name) if flags & DNS_OPTION_SEARCH != 0 => {
                    let mut st = self.lock();
                    let mut list = SearchList { domains: Vec::new(), ndots: st.search.ndots };
                    list.add_last(&name);
                    st.search = Arc::new(list);
                }
                Directive::Search(names) if flags & DNS_OPTION_SEARCH != 0 => {
                    let mut st = self.lock();
                    let mut list = SearchList { domains: Vec::new(), ndots: st.search.ndots };
                    for n in &names {
                        list.add_last(n);
                    }
                    st.search = Arc::new(list);
                }
                Directive::Options(opts) => {
                    for (name, val) in opts {
                        // Unknown options ("rotate", "edns0", ...) are skipped, as upstream.
                        if let Ok(s) = parse_option(&name, &val) {
                            if flags & s.class() != 0 {
                                self.apply(&mut self.lock(), s);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if add_default && self.count_nameservers() == 0 {
            self.add_nameserver_text(b"127.0.0.1");
            result = 6;
        }
        let mut st = self.lock();
        if flags & DNS_OPTION_SEARCH != 0 && st.search.domains.is_empty() {
            Base::search_from_hostname(&mut st);
        }
        result
    }

    /// Without a resolv.conf: a local nameserver and the host's domain, as upstream assumes.
    fn set_defaults(&self, flags: c_int, add_default: bool) {
        if flags & DNS_OPTION_SEARCH != 0 {
            Base::search_from_hostname(&mut self.lock());
        }
        if add_default {
            self.add_nameserver_text(b"127.0.0.1");
        }
    }
}

/// `evdns_err_to_string`: upstream's texts.
pub fn err_to_string(err: c_int) -> &'static std::ffi::CStr {
    match err {
        DNS_ERR_NONE => c"no error",
        DNS_ERR_FORMAT => c"misformatted query",
        DNS_ERR_SERVERFAILED => c"server failed",
        DNS_ERR_NOTEXIST => c"name does not exist",
        DNS_ERR_NOTIMPL => c"query not implemented",
        DNS_ERR_REFUSED => c"refused",
        DNS_ERR_TRUNCATED => c"reply truncated or ill-formed",
        DNS_ERR_UNKNOWN => c"unknown",
        DNS_ERR_TIMEOUT => c"request timed out",
        DNS_ERR_SHUTDOWN => c"dns subsystem shut down",
        DNS_ERR_CANCEL => c"dns request canceled",
        DNS_ERR_NODATA => c"no records in the reply",
        _ => c"[Unknown error code]",
    }
}
