//! `evdns_getaddrinfo`: getaddrinfo on top of the asynchronous resolver.
//!
//! What can be answered at once is answered before `getaddrinfo` returns, which then returns
//! NULL (as upstream): NUMERICHOST lookups (through the system's getaddrinfo), no node name or
//! a numeric one (`util::addrinfo::getaddrinfo_common`), and names in the base's hosts table.
//! Anything else sends an A and/or an AAAA query (per the hints' family) in parallel. When one
//! has finished and the other is still out, the other gets the base's getaddrinfo-allow-skew
//! time; then it is cancelled and the answer at hand is delivered. The answers are combined
//! into one `evutil_addrinfo` list, IPv4 entries first, built by `util::addrinfo` so that
//! `evutil_freeaddrinfo` frees it.
//!
//! The resolver is reached only through [`Resolver`], so this module can be tested with a fake
//! one. A [`Request`] lives until every query it started has called back (the resolver calls
//! back exactly once per query: with its answer, an error, DNS_ERR_CANCEL, DNS_ERR_SHUTDOWN or
//! [`RESOLVER_DROPPED`])
//! and the program's callback has run (exactly once, with EVUTIL_EAI_CANCEL after a cancel).
//!
//! Threads: the request's state sits behind a mutex, held while queries are started or
//! cancelled, so an answer delivered by a loop running in another thread waits until both
//! queries are out (upstream's getaddrinfo_race_gotresolve bug) and a query's handle is never
//! used after its callback. The program's callback runs without the mutex held.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_short, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use libc::timeval;

use super::api::*;
use super::hosts::Family;
use crate::base::EventBase;
use crate::event::Event;
use crate::ffi::event as ev;
use crate::mm;
use crate::util::addrinfo::{self as ai, AddrInfo, GetaddrinfoCallback};

/// What `evdns_getaddrinfo` needs from the resolver (an `evdns_base`).
///
/// Contract: callbacks are delivered later, from the event loop, never from inside `resolve`
/// or `cancel`, and without a lock of the resolver held (upstream defers them the same way).
pub trait Resolver {
    /// Starts an A query (`ipv6` false) or an AAAA query for `name`, as
    /// `evdns_base_resolve_ipv4`/`_ipv6` with no flags do; NULL when it cannot be started. Its
    /// callback runs exactly once, also when the resolver is freed (DNS_ERR_SHUTDOWN, or
    /// [`RESOLVER_DROPPED`] if the free does not fail requests). If
    /// `cname` is not NULL and the reply names a canonical name, an `mm`-allocated copy of it is
    /// stored there before the callback runs (unless one is there already).
    ///
    /// # Safety
    /// `cname` is NULL or writable until the callback has run; `arg` is valid for `cb`.
    unsafe fn resolve(&self, ipv6: bool, name: &CStr, cname: *mut *mut c_char, cb: evdns_callback_type, arg: *mut c_void) -> *mut evdns_request;

    /// `evdns_cancel_request`: the query's callback gets DNS_ERR_CANCEL, unless its answer is
    /// already on its way.
    ///
    /// # Safety
    /// `req` came from `resolve` and its callback has not run yet.
    unsafe fn cancel(&self, req: *mut evdns_request);

    /// The event base the resolver's events (and the skew timer) run on.
    fn event_base(&self) -> *mut EventBase;

    /// The getaddrinfo-allow-skew option.
    fn allow_skew(&self) -> timeval;

    /// The hosts table's addresses for `name` (see `HostsTable::lookup`).
    fn hosts_lookup(&self, name: &[u8], family: Family, port: u16) -> Option<Vec<SocketAddr>>;

    /// True until the resolver starts being freed. A lookup checks it before every call into
    /// the resolver: its skew timer may fire between the free and the callbacks the free
    /// schedules (DNS_ERR_SHUTDOWN, or [`RESOLVER_DROPPED`]).
    fn alive(&self) -> Arc<AtomicBool>;
}

/// The result a query of `getaddrinfo` gets when the resolver is freed without failing its
/// requests (`evdns_base_free(base, 0)`): the lookup then ends without telling the program, as
/// upstream's does, but frees itself instead of waiting forever. Never a DNS_ERR_* value.
pub const RESOLVER_DROPPED: c_int = -1;

/// `struct evdns_getaddrinfo_request`, opaque to C: a `Request` of the resolver in use.
#[repr(C)]
pub struct evdns_getaddrinfo_request {
    _opaque: [u8; 0],
}

const V4: usize = 0;
const V6: usize = 1;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Query {
    /// Not wanted by the family, or could not be started.
    Unused,
    InFlight(*mut evdns_request),
    /// Its callback has run.
    Finished,
}

struct State {
    queries: [Query; 2],
    /// Each family's entries, held until the lookup is delivered.
    answers: [*mut AddrInfo; 2],
    /// The EVUTIL_EAI_* error of the latest failed query.
    error: c_int,
    /// The canonical name of the first reply that named one.
    cname: *mut c_char,
    user_canceled: bool,
    delivered: bool,
}

impl State {
    fn in_flight(&self) -> impl Iterator<Item = *mut evdns_request> + '_ {
        self.queries.iter().filter_map(|q| match *q {
            Query::InFlight(h) => Some(h),
            _ => None,
        })
    }

    fn any_in_flight(&self) -> bool {
        self.in_flight().next().is_some()
    }
}

/// The argument of one query's callback: its request and which family it asked for.
struct Cookie<R: Resolver> {
    request: *const Request<R>,
    which: usize,
}

/// One `evdns_getaddrinfo` in progress.
pub struct Request<R: Resolver> {
    /// Valid while `resolver_alive` says so (reached only through `live_resolver`).
    resolver: *const R,
    resolver_alive: Arc<AtomicBool>,
    /// The hints as getaddrinfo_common fixed them up: the socket type and protocol of the
    /// entries.
    hints: AddrInfo,
    port: u16,
    cb: GetaddrinfoCallback,
    arg: *mut c_void,
    /// Fires when one query finished and the other has had its allowed skew.
    timer: *mut Event,
    cookies: [Cookie<R>; 2],
    /// Where each query's resolver request puts the CNAME it saw (AI_CANONNAME only); written
    /// by the resolver before the query's callback, read in it.
    cname_slots: [UnsafeCell<*mut c_char>; 2],
    state: Mutex<State>,
}

/// What a step decided, carried out once the state is unlocked.
#[derive(Default)]
struct Outcome {
    deliver: Option<(c_int, *mut AddrInfo)>,
    free: bool,
}

/// `evdns_getaddrinfo` on `resolver`. Returns NULL when the callback has already run
/// (answered at once, or failed), else the pending request for `cancel`.
///
/// # Safety
/// `resolver` stays valid while its `alive` flag is true; `hints` is NULL or valid; `cb` may be called with `arg` before this
/// returns.
pub unsafe fn getaddrinfo<R: Resolver>(
    resolver: *const R,
    nodename: Option<&CStr>,
    servname: Option<&CStr>,
    hints_in: *const AddrInfo,
    cb: GetaddrinfoCallback,
    arg: *mut c_void,
) -> *mut Request<R> {
    // SAFETY: hints_in is NULL or valid (contract).
    let hints_in = unsafe { hints_in.as_ref() };
    let deliver = |err: c_int, list: *mut AddrInfo| {
        // SAFETY: the program's callback takes the list (contract).
        unsafe { cb(err, list, arg) };
        ptr::null_mut()
    };
    if hints_in.is_some_and(|h| h.ai_flags & ai::AI_NUMERICHOST != 0) {
        let mut res = ptr::null_mut();
        let opt = |s: Option<&CStr>| s.map_or(ptr::null(), CStr::as_ptr);
        // SAFETY: C strings or NULL, valid hints and out-pointer.
        let err = unsafe { ai::getaddrinfo(opt(nodename), opt(servname), hints_in.map_or(ptr::null(), |h| h as *const AddrInfo), &mut res) };
        return deliver(err, res);
    }
    let mut hints = hints_in.copied().unwrap_or_else(ai::empty_hints);
    ai::adjust_hints_for_addrconfig(&mut hints);
    let mut res = ptr::null_mut();
    let mut port = 0;
    let err = ai::getaddrinfo_common(nodename, servname, &mut hints, &mut res, &mut port);
    let Some(name) = nodename.filter(|_| err == ai::EAI_NEED_RESOLVE) else {
        return deliver(err, res);
    };
    // getaddrinfo_common checked the port.
    let port = port as u16;
    let family = match hints.ai_family {
        libc::AF_INET => Family::V4,
        libc::AF_INET6 => Family::V6,
        _ => Family::Any,
    };
    // SAFETY: the resolver is valid (contract).
    let resolver_ref = unsafe { &*resolver };
    if let Some(addrs) = resolver_ref.hosts_lookup(name.to_bytes(), family, port) {
        return match ai::new_addrinfo_list(&addrs, &hints) {
            Some(list) => deliver(0, list),
            None => deliver(ai::EAI_MEMORY, ptr::null_mut()),
        };
    }

    let request = Box::into_raw(Box::new(Request {
        resolver,
        resolver_alive: resolver_ref.alive(),
        hints,
        port,
        cb,
        arg,
        timer: ptr::null_mut(),
        cookies: [Cookie { request: ptr::null(), which: V4 }, Cookie { request: ptr::null(), which: V6 }],
        cname_slots: [UnsafeCell::new(ptr::null_mut()), UnsafeCell::new(ptr::null_mut())],
        state: Mutex::new(State {
            queries: [Query::Unused; 2],
            answers: [ptr::null_mut(); 2],
            error: 0,
            cname: ptr::null_mut(),
            user_canceled: false,
            delivered: false,
        }),
    }));
    #[cfg(test)]
    LIVE_REQUESTS.with(|n| n.set(n.get() + 1));
    // SAFETY: request is the fresh allocation above, not shared until the queries start; its
    // address is stable until it is freed, so the cookies and the timer may point into it.
    unsafe {
        (*request).cookies[V4].request = request;
        (*request).cookies[V6].request = request;
        (*request).timer = ev::event_new(resolver_ref.event_base(), -1, 0, Some(on_skew_timeout::<R>), request.cast());
        if (*request).timer.is_null() {
            drop(Box::from_raw(request));
            return deliver(ai::EAI_MEMORY, ptr::null_mut());
        }
        let req = &*request;
        let want_cname = hints.ai_flags & ai::AI_CANONNAME != 0;
        let started = {
            let mut st = req.lock();
            for (which, wanted) in [(V4, family != Family::V6), (V6, family != Family::V4)] {
                if !wanted {
                    continue;
                }
                crate::evdns_debug!("Sending request for {} on ipv{} as {:p}", name.to_string_lossy(), if which == V4 { 4 } else { 6 }, &req.cookies[which]);
                let slot = if want_cname { req.cname_slots[which].get() } else { ptr::null_mut() };
                let cookie = (&raw const req.cookies[which]).cast_mut().cast();
                let handle = resolver_ref.resolve(which == V6, name, slot, on_resolved::<R>, cookie);
                if !handle.is_null() {
                    st.queries[which] = Query::InFlight(handle);
                }
            }
            st.any_in_flight()
        };
        if !started {
            drop(Box::from_raw(request));
            return deliver(ai::EAI_FAIL, ptr::null_mut());
        }
    }
    request
}

/// `evdns_getaddrinfo_cancel`: the callback gets EVUTIL_EAI_CANCEL once the queries still out
/// have called back; nothing happens if it has already been called.
///
/// # Safety
/// `request` came from `getaddrinfo` and is still pending or waiting for its last query (that
/// is: its callback has not returned, or a query is still out).
pub unsafe fn cancel<R: Resolver>(request: *mut Request<R>) {
    // SAFETY: live request (contract).
    let req = unsafe { &*request };
    let mut st = req.lock();
    if st.delivered || st.user_canceled {
        return;
    }
    st.user_canceled = true;
    // SAFETY: the mutex is held, so the in-flight handles' callbacks have not run.
    unsafe { req.cancel_in_flight(&st) };
}

impl<R: Resolver> Request<R> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Poisoning cannot happen: panics abort.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The resolver, unless it is being freed (its queries then call back on their own).
    fn live_resolver(&self) -> Option<&R> {
        // SAFETY: the resolver is valid while its flag says it is alive (the trait's contract).
        self.resolver_alive.load(Ordering::Acquire).then(|| unsafe { &*self.resolver })
    }

    /// Cancels every query still out (with the state locked, so none of them has called back).
    unsafe fn cancel_in_flight(&self, st: &State) {
        let Some(resolver) = self.live_resolver() else { return };
        for handle in st.in_flight() {
            // SAFETY: the handle's callback has not run (the state is locked).
            unsafe { resolver.cancel(handle) };
        }
    }

    /// One query called back.
    fn answered(&self, st: &mut State, which: usize, result: c_int, count: c_int, addresses: *const c_void) -> Outcome {
        st.queries[which] = Query::Finished;
        // SAFETY: the resolver wrote the slot (if at all) before this callback; nothing else
        // touches it now.
        let cname = unsafe { std::mem::replace(&mut *self.cname_slots[which].get(), ptr::null_mut()) };
        if st.cname.is_null() {
            st.cname = cname;
        } else {
            mm::free(cname.cast());
        }
        if result == RESOLVER_DROPPED {
            // The program is not told; the lookup goes once its last query has called back.
            st.delivered = true;
        }
        if st.delivered {
            // A query cancelled after the skew or after an error: its answer comes too late.
            return Outcome { deliver: None, free: !st.any_in_flight() };
        }
        if st.user_canceled {
            if st.any_in_flight() {
                return Outcome::default();
            }
            st.delivered = true;
            return Outcome { deliver: Some((ai::EAI_CANCEL, ptr::null_mut())), free: true };
        }
        let err = match result {
            DNS_ERR_NONE if count <= 0 || addresses.is_null() => ai::EAI_NODATA,
            DNS_ERR_NONE => 0,
            DNS_ERR_NOTEXIST => ai::EAI_NONAME,
            _ => ai::EAI_FAIL,
        };
        if err != 0 {
            st.error = err;
        } else {
            match self.entries(which, count as usize, addresses) {
                Some(list) => st.answers[which] = list,
                None => {
                    // SAFETY: the state is locked (we are called with it).
                    unsafe { self.cancel_in_flight(st) };
                    st.delivered = true;
                    return Outcome { deliver: Some((ai::EAI_MEMORY, ptr::null_mut())), free: !st.any_in_flight() };
                }
            }
        }
        if st.any_in_flight() {
            if let Some(resolver) = self.live_resolver() {
                // SAFETY: the timer is ours, on the resolver's live event base.
                unsafe { ev::event_add(self.timer, &resolver.allow_skew()) };
            }
            return Outcome::default();
        }
        Self::deliver_answers(st)
    }

    /// Delivers what was collected: the entries (IPv4 first, the CNAME on the first), else the
    /// latest error.
    fn deliver_answers(st: &mut State) -> Outcome {
        st.delivered = true;
        let [v4, v6] = std::mem::replace(&mut st.answers, [ptr::null_mut(); 2]);
        // SAFETY: both are NULL or fresh lists of ours.
        let list = unsafe { ai::addrinfo_append(v4, v6) };
        let result = if list.is_null() {
            (if st.error != 0 { st.error } else { ai::EAI_AGAIN }, list)
        } else {
            // SAFETY: list is a live entry of ours; the CNAME came from mm, as
            // freeaddrinfo expects.
            unsafe { (*list).ai_canonname = std::mem::replace(&mut st.cname, ptr::null_mut()) };
            (0, list)
        };
        Outcome { deliver: Some(result), free: !st.any_in_flight() }
    }

    /// The list entries for `count` addresses of the query `which` (in_addr or in6_addr).
    fn entries(&self, which: usize, count: usize, addresses: *const c_void) -> Option<*mut AddrInfo> {
        let width = if which == V4 { 4 } else { 16 };
        // SAFETY: the resolver passes `count` addresses of the query's type (checked non-NULL
        // by the caller).
        let bytes = unsafe { std::slice::from_raw_parts(addresses.cast::<u8>(), count * width) };
        let port = self.port;
        let addrs: Vec<SocketAddr> = if which == V4 {
            let octets = bytes.chunks_exact(4).filter_map(|b| <[u8; 4]>::try_from(b).ok());
            octets.map(|o| SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(o), port))).collect()
        } else {
            let octets = bytes.chunks_exact(16).filter_map(|b| <[u8; 16]>::try_from(b).ok());
            octets.map(|o| SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(o), port, 0, 0))).collect()
        };
        ai::new_addrinfo_list(&addrs, &self.hints)
    }

    /// Carries out a step's outcome, with the state unlocked: the program's callback first
    /// (it may still call `cancel`, which then does nothing), then the free.
    unsafe fn finish(request: *const Request<R>, outcome: Outcome) {
        // SAFETY: the request is alive until freed here.
        unsafe {
            if let Some((err, list)) = outcome.deliver {
                ((*request).cb)(err, list, (*request).arg);
            }
            if outcome.free {
                drop(Box::from_raw(request.cast_mut()));
            }
        }
    }
}

impl<R: Resolver> Drop for Request<R> {
    fn drop(&mut self) {
        #[cfg(test)]
        LIVE_REQUESTS.with(|n| n.set(n.get() - 1));
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the lists are ours and undelivered; the strings came from mm; the timer is
        // ours, and event_free takes it off the loop (waiting if it is running elsewhere).
        unsafe {
            ai::freeaddrinfo(st.answers[V4]);
            ai::freeaddrinfo(st.answers[V6]);
            mm::free(st.cname.cast());
            for slot in &self.cname_slots {
                mm::free((*slot.get()).cast());
            }
            if !self.timer.is_null() {
                ev::event_free(self.timer);
            }
        }
    }
}

/// The resolver's callback for one query.
unsafe extern "C" fn on_resolved<R: Resolver>(result: c_int, _type: c_char, count: c_int, _ttl: c_int, addresses: *mut c_void, arg: *mut c_void) {
    // SAFETY: arg is one of the cookies of a live request (passed to resolve by getaddrinfo);
    // the request lives at least until this, its query's only callback, has run.
    unsafe {
        let cookie = &*arg.cast::<Cookie<R>>();
        let request = cookie.request;
        let outcome = (*request).answered(&mut (*request).lock(), cookie.which, result, count, addresses);
        Request::finish(request, outcome);
    }
}

/// One query answered and the other has not within the allowed skew: cancel it and deliver.
unsafe extern "C" fn on_skew_timeout<R: Resolver>(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let request = arg.cast_const().cast::<Request<R>>();
    // SAFETY: the timer belongs to a live request (freeing it deletes the timer first).
    unsafe {
        let outcome = {
            let req = &*request;
            let mut st = req.lock();
            if st.delivered || st.user_canceled {
                return;
            }
            req.cancel_in_flight(&st);
            Request::<R>::deliver_answers(&mut st)
        };
        Request::finish(request, outcome);
    }
}

/// The real resolver. Its callbacks are deferred to the loop and run without its lock, as the
/// trait requires.
impl Resolver for crate::dns::resolver::Base {
    unsafe fn resolve(&self, ipv6: bool, name: &CStr, cname: *mut *mut c_char, cb: evdns_callback_type, arg: *mut c_void) -> *mut evdns_request {
        let qtype = if ipv6 { crate::dns::wire::TYPE_AAAA } else { crate::dns::wire::TYPE_A };
        // SAFETY: forwarded contract.
        unsafe { self.resolve_for_getaddrinfo(qtype, name.to_bytes(), cname, cb, arg) }
    }

    unsafe fn cancel(&self, req: *mut evdns_request) {
        // SAFETY: forwarded contract.
        unsafe { crate::dns::resolver::Base::cancel(self, req) }
    }

    fn event_base(&self) -> *mut EventBase {
        crate::dns::resolver::Base::event_base(self)
    }

    fn allow_skew(&self) -> timeval {
        self.getaddrinfo_allow_skew()
    }

    fn hosts_lookup(&self, name: &[u8], family: Family, port: u16) -> Option<Vec<SocketAddr>> {
        crate::dns::resolver::Base::hosts_lookup(self, name, family, port)
    }

    fn alive(&self) -> Arc<AtomicBool> {
        crate::dns::resolver::Base::alive(self)
    }
}

#[cfg(test)]
thread_local! {
    /// Requests alive on this thread: each test checks that it ends with none.
    static LIVE_REQUESTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests;
