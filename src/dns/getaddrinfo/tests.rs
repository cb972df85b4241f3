//! `getaddrinfo` against a fake resolver: queries are recorded, and each test answers them (or
//! delivers their cancellation) itself, as the loop would deliver a real resolver's callbacks.

use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::*;
use crate::base::EVLOOP_NONBLOCK;
use crate::base::EVLOOP_ONCE;
use crate::dns::hosts::HostsTable;

struct Sent {
    ipv6: bool,
    name: CString,
    cname: *mut *mut c_char,
    cb: evdns_callback_type,
    arg: *mut c_void,
    handle: *mut evdns_request,
}

struct Fake {
    base: *mut EventBase,
    skew: timeval,
    hosts: HostsTable,
    /// Which of A (0) and AAAA (1) fail to start.
    refuse: [bool; 2],
    sent: RefCell<Vec<Sent>>,
    canceled: RefCell<Vec<*mut evdns_request>>,
    next_handle: Cell<usize>,
    alive: Arc<AtomicBool>,
}

impl Resolver for Fake {
    unsafe fn resolve(&self, ipv6: bool, name: &CStr, cname: *mut *mut c_char, cb: evdns_callback_type, arg: *mut c_void) -> *mut evdns_request {
        if self.refuse[usize::from(ipv6)] {
            return ptr::null_mut();
        }
        // Handles are opaque to getaddrinfo: any distinct non-NULL value will do.
        self.next_handle.set(self.next_handle.get() + 1);
        let handle = self.next_handle.get() as *mut evdns_request;
        self.sent.borrow_mut().push(Sent { ipv6, name: name.to_owned(), cname, cb, arg, handle });
        handle
    }

    unsafe fn cancel(&self, req: *mut evdns_request) {
        assert!(self.alive.load(Ordering::Acquire), "cancel on a freed resolver");
        assert!(self.sent.borrow().iter().any(|s| s.handle == req), "cancel of a finished query");
        self.canceled.borrow_mut().push(req);
    }

    fn event_base(&self) -> *mut EventBase {
        self.base
    }

    fn allow_skew(&self) -> timeval {
        self.skew
    }

    fn hosts_lookup(&self, name: &[u8], family: Family, port: u16) -> Option<Vec<SocketAddr>> {
        self.hosts.lookup(name, family, port)
    }

    fn alive(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.alive)
    }
}

impl Fake {
    fn new() -> Box<Fake> {
        let mut hosts = HostsTable::new();
        hosts.load(None);
        hosts.parse(b"10.1.1.1 v4host\n");
        Box::new(Fake {
            base: ev::event_base_new(),
            skew: timeval { tv_sec: 0, tv_usec: 1000 },
            hosts,
            refuse: [false; 2],
            sent: RefCell::new(Vec::new()),
            canceled: RefCell::new(Vec::new()),
            next_handle: Cell::new(0),
            alive: Arc::new(AtomicBool::new(true)),
        })
    }

    /// The families asked for, in order, with the names.
    fn queries(&self) -> Vec<(bool, String)> {
        self.sent.borrow().iter().map(|s| (s.ipv6, s.name.to_str().unwrap().to_owned())).collect()
    }

    /// Runs the callback of the query for `ipv6` with `result` and `addresses` (raw in_addr /
    /// in6_addr bytes), after storing `cname` where the query was asked to.
    fn reply(&self, ipv6: bool, result: c_int, addresses: &[u8], cname: Option<&CStr>) {
        let pos = self.sent.borrow().iter().position(|s| s.ipv6 == ipv6).expect("no such query out");
        let sent = self.sent.borrow_mut().remove(pos);
        let width = if ipv6 { 16 } else { 4 };
        // SAFETY: the slot is writable until the callback (the Resolver contract); the string
        // comes from mm, as the real resolver's does.
        unsafe {
            if let (Some(name), false) = (cname, sent.cname.is_null()) {
                if (*sent.cname).is_null() {
                    *sent.cname = mm::strdup(name.as_ptr());
                }
            }
            let type_ = if ipv6 { DNS_IPV6_AAAA } else { DNS_IPV4_A } as c_char;
            let addrs = if addresses.is_empty() { ptr::null_mut() } else { addresses.as_ptr().cast_mut().cast() };
            (sent.cb)(result, type_, (addresses.len() / width) as c_int, 60, addrs, sent.arg);
        }
    }

    /// Delivers DNS_ERR_CANCEL to every query cancelled so far, as the loop would.
    fn deliver_cancels(&self) {
        for handle in self.canceled.take() {
            let ipv6 = self.sent.borrow().iter().find(|s| s.handle == handle).map(|s| s.ipv6);
            if let Some(ipv6) = ipv6 {
                self.reply(ipv6, DNS_ERR_CANCEL, &[], None);
            }
        }
    }

    /// What freeing the resolver does first (its queries' callbacks come later).
    fn start_freeing(&self) {
        self.alive.store(false, Ordering::Release);
    }

    fn run_loop_once(&self) {
        // SAFETY: the base is ours and live.
        unsafe { ev::event_base_loop(self.base, EVLOOP_ONCE) };
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        // SAFETY: the base is ours; no request (hence no timer) is left on it.
        unsafe { ev::event_base_free(self.base) };
        assert_eq!(LIVE_REQUESTS.with(Cell::get), 0, "a request was not freed");
    }
}

/// What a callback got: the error and each entry as (address, socket type, protocol,
/// canonical name).
#[derive(Debug, PartialEq)]
struct Got {
    err: c_int,
    entries: Vec<(SocketAddr, c_int, c_int, Option<String>)>,
}

unsafe extern "C" fn record(err: c_int, list: *mut AddrInfo, arg: *mut c_void) {
    // SAFETY: arg is the test's Vec<Got>; list is NULL or a list the callback owns.
    unsafe {
        let out = &mut *arg.cast::<Vec<Got>>();
        let mut entries = Vec::new();
        let mut e = list;
        while !e.is_null() {
            let canon = (!(*e).ai_canonname.is_null()).then(|| CStr::from_ptr((*e).ai_canonname).to_str().unwrap().to_owned());
            let sa = crate::util::addr::sockaddr_from_c((*e).ai_addr).unwrap();
            entries.push((sa, (*e).ai_socktype, (*e).ai_protocol, canon));
            e = (*e).ai_next;
        }
        ai::freeaddrinfo(list);
        out.push(Got { err, entries });
    }
}

struct Lookup {
    /// Boxed: the callback writes through its address, which must survive moves of Lookup.
    #[allow(clippy::box_collection)]
    got: Box<Vec<Got>>,
    request: *mut Request<Fake>,
}

fn hints(family: c_int, socktype: c_int, flags: c_int) -> AddrInfo {
    AddrInfo { ai_family: family, ai_socktype: socktype, ai_flags: flags, ..ai::empty_hints() }
}

fn lookup(fake: &Fake, node: Option<&CStr>, serv: Option<&CStr>, hints: *const AddrInfo) -> Lookup {
    let mut got = Box::new(Vec::new());
    let arg = (&raw mut *got).cast();
    // SAFETY: the fake outlives the lookup; hints are NULL or valid; record takes arg as a Vec<Got>.
    let request = unsafe { getaddrinfo(fake, node, serv, hints, record, arg) };
    Lookup { got, request }
}

fn tcp(addr: &str) -> (SocketAddr, c_int, c_int, Option<String>) {
    (addr.parse().unwrap(), libc::SOCK_STREAM, libc::IPPROTO_TCP, None)
}

const BOTH_V4: [u8; 4] = [80, 80, 32, 32];
const BOTH_V6: [u8; 16] = [0x80, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0xbb];

#[test]
fn answered_at_once_without_queries() {
    let fake = Fake::new();
    let stream = hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0);

    let l = lookup(&fake, Some(c"1.2.3.4"), Some(c"http"), &stream);
    assert!(l.request.is_null());
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("1.2.3.4:80")] }]);

    let l = lookup(&fake, Some(c"www.example.com"), Some(c"80"), &hints(libc::AF_UNSPEC, 0, ai::AI_NUMERICHOST));
    assert!(l.request.is_null());
    assert_eq!(*l.got, vec![Got { err: ai::EAI_NONAME, entries: vec![] }]);

    let l = lookup(&fake, None, Some(c"2"), &stream);
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("127.0.0.1:2"), tcp("[::1]:2")] }]);

    // Hosts entries, names compared without case, in the order of the file.
    let l = lookup(&fake, Some(c"LOCALHOST"), Some(c"80"), &stream);
    assert!(l.request.is_null());
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("127.0.0.1:80"), tcp("[::1]:80")] }]);
    let l = lookup(&fake, Some(c"localhost"), Some(c"9999"), &hints(libc::AF_INET6, libc::SOCK_STREAM, 0));
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("[::1]:9999")] }]);
    // A hosts name with no address of the family asked for: an empty answer, no query.
    let l = lookup(&fake, Some(c"v4host"), Some(c"1"), &hints(libc::AF_INET6, libc::SOCK_STREAM, 0));
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![] }]);

    let l = lookup(&fake, None, None, &stream);
    assert_eq!(*l.got, vec![Got { err: ai::EAI_NONAME, entries: vec![] }]);
    assert!(fake.queries().is_empty());
}

#[test]
fn both_families_are_combined_ipv4_first_with_the_cname() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"both.example.com"), Some(c"8000"), &hints(libc::AF_UNSPEC, libc::SOCK_STREAM, ai::AI_CANONNAME));
    assert!(!l.request.is_null());
    assert_eq!(fake.queries(), vec![(false, "both.example.com".into()), (true, "both.example.com".into())]);
    assert!(l.got.is_empty());

    fake.reply(true, DNS_ERR_NONE, &BOTH_V6, Some(c"both-canonical.example.com"));
    assert!(l.got.is_empty(), "delivered before the other family answered");
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, Some(c"ignored.example.com"));
    let mut first = tcp("80.80.32.32:8000");
    first.3 = Some("both-canonical.example.com".into());
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![first, tcp("[80ff::bbbb]:8000")] }]);
}

#[test]
fn family_selects_the_queries_and_socket_types_come_from_hints() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"v4only.example.com"), Some(c"8001"), &hints(libc::AF_INET, 0, 0));
    assert_eq!(fake.queries(), vec![(false, "v4only.example.com".into())]);
    fake.reply(false, DNS_ERR_NONE, &[18, 52, 86, 120, 1, 2, 3, 4], None);
    let sa = |s: &str| s.parse::<SocketAddr>().unwrap();
    let entries = vec![
        (sa("18.52.86.120:8001"), libc::SOCK_STREAM, libc::IPPROTO_TCP, None),
        (sa("18.52.86.120:8001"), libc::SOCK_DGRAM, libc::IPPROTO_UDP, None),
        (sa("1.2.3.4:8001"), libc::SOCK_STREAM, libc::IPPROTO_TCP, None),
        (sa("1.2.3.4:8001"), libc::SOCK_DGRAM, libc::IPPROTO_UDP, None),
    ];
    assert_eq!(*l.got, vec![Got { err: 0, entries }]);

    let l = lookup(&fake, Some(c"v6only.example.com"), Some(c"8002"), &hints(libc::AF_INET6, libc::SOCK_STREAM, 0));
    assert_eq!(fake.queries(), vec![(true, "v6only.example.com".into())]);
    fake.reply(true, DNS_ERR_NONE, &BOTH_V6, None);
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("[80ff::bbbb]:8002")] }]);
}

#[test]
fn one_family_failing_gives_the_other() {
    let fake = Fake::new();
    let stream = hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0);
    let l = lookup(&fake, Some(c"v6only.example.com"), Some(c"1"), &stream);
    fake.reply(false, DNS_ERR_NOTEXIST, &[], None);
    assert!(l.got.is_empty());
    fake.reply(true, DNS_ERR_NONE, &BOTH_V6, None);
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("[80ff::bbbb]:1")] }]);

    // The answer first, then the failure: the answer.
    let l = lookup(&fake, Some(c"v4only.example.com"), Some(c"2"), &stream);
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, None);
    fake.reply(true, DNS_ERR_SERVERFAILED, &[], None);
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("80.80.32.32:2")] }]);

    // Both failing: the error of the last one.
    let l = lookup(&fake, Some(c"nosuchplace.example.com"), Some(c"3"), &stream);
    fake.reply(true, DNS_ERR_NOTEXIST, &[], None);
    fake.reply(false, DNS_ERR_NOTEXIST, &[], None);
    assert_eq!(*l.got, vec![Got { err: ai::EAI_NONAME, entries: vec![] }]);
}

#[test]
fn errors_are_mapped() {
    let fake = Fake::new();
    let v4 = hints(libc::AF_INET, libc::SOCK_STREAM, 0);
    for (result, expected) in [
        (DNS_ERR_NONE, ai::EAI_NODATA),
        (DNS_ERR_NOTEXIST, ai::EAI_NONAME),
        (DNS_ERR_SERVERFAILED, ai::EAI_FAIL),
        (DNS_ERR_FORMAT, ai::EAI_FAIL),
        (DNS_ERR_REFUSED, ai::EAI_FAIL),
        (DNS_ERR_TRUNCATED, ai::EAI_FAIL),
        (DNS_ERR_TIMEOUT, ai::EAI_FAIL),
        (DNS_ERR_NODATA, ai::EAI_FAIL),
    ] {
        let l = lookup(&fake, Some(c"x.example.com"), Some(c"1"), &v4);
        fake.reply(false, result, &[], None);
        assert_eq!(*l.got, vec![Got { err: expected, entries: vec![] }], "result {result}");
    }
}

#[test]
fn skew_expiry_cancels_the_slow_query() {
    let fake = Fake::new();
    let stream = hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0);
    let l = lookup(&fake, Some(c"v6timeout.example.com"), Some(c"8007"), &stream);
    fake.reply(false, DNS_ERR_NONE, &[171, 205, 239, 1], None);
    assert!(l.got.is_empty());
    fake.run_loop_once();
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("171.205.239.1:8007")] }]);
    assert_eq!(fake.canceled.borrow().len(), 1);
    // A cancel now is too late to matter: nothing more is delivered.
    // SAFETY: the request waits for its cancelled query, so it is alive.
    unsafe { cancel(l.request) };
    fake.deliver_cancels();
    assert_eq!(l.got.len(), 1);

    // Only an error at hand when the skew runs out: that error.
    let l = lookup(&fake, Some(c"v6timeout-nonexist.example.com"), Some(c"8008"), &stream);
    fake.reply(false, DNS_ERR_NOTEXIST, &[], None);
    fake.run_loop_once();
    assert_eq!(*l.got, vec![Got { err: ai::EAI_NONAME, entries: vec![] }]);
    // The slow query's real answer arriving after the cancel is dropped too.
    fake.canceled.borrow_mut().clear();
    fake.reply(true, DNS_ERR_NONE, &BOTH_V6, None);
    assert_eq!(l.got.len(), 1);
}

#[test]
fn cancel_before_any_answer() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"all-timeout.example.com"), Some(c"8011"), &hints(libc::AF_UNSPEC, 0, 0));
    // SAFETY: pending request.
    unsafe {
        cancel(l.request);
        cancel(l.request);
    }
    assert_eq!(fake.canceled.borrow().len(), 2);
    fake.deliver_cancels();
    assert_eq!(*l.got, vec![Got { err: ai::EAI_CANCEL, entries: vec![] }]);
}

#[test]
fn cancel_after_one_answer() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"both.example.com"), Some(c"1"), &hints(libc::AF_UNSPEC, 0, 0));
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, None);
    // SAFETY: pending request.
    unsafe { cancel(l.request) };
    assert_eq!(fake.canceled.borrow().len(), 1);
    // The skew timer no longer delivers the answer at hand.
    // SAFETY: the base is ours.
    unsafe { ev::event_base_loop(fake.base, EVLOOP_NONBLOCK) };
    std::thread::sleep(std::time::Duration::from_millis(5));
    // SAFETY: the base is ours.
    unsafe { ev::event_base_loop(fake.base, EVLOOP_NONBLOCK) };
    assert!(l.got.is_empty());
    fake.deliver_cancels();
    assert_eq!(*l.got, vec![Got { err: ai::EAI_CANCEL, entries: vec![] }]);
}

#[test]
fn cancel_while_the_answers_are_on_their_way() {
    // The resolver could no longer cancel: the answers arrive, the program gets the cancel.
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"both.example.com"), Some(c"1"), &hints(libc::AF_UNSPEC, 0, 0));
    // SAFETY: pending request.
    unsafe { cancel(l.request) };
    fake.canceled.borrow_mut().clear();
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, None);
    assert!(l.got.is_empty());
    fake.reply(true, DNS_ERR_NOTEXIST, &[], None);
    assert_eq!(*l.got, vec![Got { err: ai::EAI_CANCEL, entries: vec![] }]);
}

#[test]
fn shutdown_fails_the_lookup_without_touching_the_resolver() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"foof.example.com"), Some(c"80"), ptr::null());
    fake.start_freeing();
    fake.reply(false, DNS_ERR_SHUTDOWN, &[], None);
    // No skew timer was started on behalf of a freed resolver.
    std::thread::sleep(std::time::Duration::from_millis(5));
    // SAFETY: the base is ours.
    unsafe { ev::event_base_loop(fake.base, EVLOOP_NONBLOCK) };
    assert!(l.got.is_empty());
    // SAFETY: pending request; the resolver is gone, so cancel must not reach it.
    unsafe { cancel(l.request) };
    assert!(fake.canceled.borrow().is_empty());
    fake.reply(true, DNS_ERR_SHUTDOWN, &[], None);
    assert_eq!(*l.got, vec![Got { err: ai::EAI_CANCEL, entries: vec![] }]);

    let l = lookup(&fake, Some(c"foof.example.com"), Some(c"80"), &ai::empty_hints());
    fake.reply(false, DNS_ERR_SHUTDOWN, &[], None);
    fake.reply(true, DNS_ERR_SHUTDOWN, &[], None);
    assert_eq!(*l.got, vec![Got { err: ai::EAI_FAIL, entries: vec![] }]);
}

#[test]
fn queries_that_cannot_start() {
    let mut fake = Fake::new();
    fake.refuse = [true, true];
    let l = lookup(&fake, Some(c"x.example.com"), Some(c"1"), &ai::empty_hints());
    assert!(l.request.is_null());
    assert_eq!(*l.got, vec![Got { err: ai::EAI_FAIL, entries: vec![] }]);

    // Only AAAA starts: its answer alone is the result, with no skew wait.
    fake.refuse = [true, false];
    let l = lookup(&fake, Some(c"x.example.com"), Some(c"1"), &hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0));
    assert!(!l.request.is_null());
    assert_eq!(fake.queries(), vec![(true, "x.example.com".into())]);
    fake.reply(true, DNS_ERR_NONE, &BOTH_V6, None);
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("[80ff::bbbb]:1")] }]);
}

#[test]
fn freed_resolver_not_failing_requests_ends_the_lookup_silently() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"both.example.com"), Some(c"1"), &hints(libc::AF_UNSPEC, 0, 0));
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, None);
    fake.start_freeing();
    fake.reply(true, RESOLVER_DROPPED, &[], None);
    // Not told (as upstream), and freed (the Fake checks on drop); the skew timer went with it.
    std::thread::sleep(std::time::Duration::from_millis(5));
    // SAFETY: the base is ours.
    unsafe { ev::event_base_loop(fake.base, EVLOOP_NONBLOCK) };
    assert!(l.got.is_empty());

    let l = lookup(&fake, Some(c"both.example.com"), Some(c"1"), &hints(libc::AF_UNSPEC, 0, 0));
    fake.reply(true, RESOLVER_DROPPED, &[], None);
    fake.reply(false, RESOLVER_DROPPED, &[], None);
    assert!(l.got.is_empty());
}

#[test]
fn skew_timer_after_the_resolver_is_freed_does_not_touch_it() {
    let fake = Fake::new();
    let l = lookup(&fake, Some(c"v6timeout.example.com"), Some(c"2"), &hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0));
    fake.reply(false, DNS_ERR_NONE, &BOTH_V4, None);
    // Freed between the first answer and the skew: the timer fires before the callbacks the
    // free scheduled. It delivers what it has but cancels nothing (Fake::cancel asserts).
    fake.start_freeing();
    fake.run_loop_once();
    assert_eq!(*l.got, vec![Got { err: 0, entries: vec![tcp("80.80.32.32:2")] }]);
    fake.reply(true, DNS_ERR_SHUTDOWN, &[], None);
    assert_eq!(l.got.len(), 1);
}
