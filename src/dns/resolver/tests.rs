//! The resolver against fake nameservers: std UDP (and TCP) sockets on 127.0.0.1 answering
//! from a thread. Run inside a private network namespace, as every DNS test:
//! `unshare -n sh -c 'ip link set lo up && exec "$@"' sh cargo test --release dns_resolver`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::*;
use crate::base::EVLOOP_ONCE;
use crate::dns::wire::{self, QuestionOut, RdataOut, RecordOut, Sections};

/// What the fake server saw: (name as sent, qtype, transaction id).
type Seen = Arc<Mutex<Vec<(String, u16, u16)>>>;

/// How the fake server answers one query from a client: the datagrams to send back (none:
/// the query is dropped).
type Responder = Box<dyn FnMut(&wire::Message<'_>, SocketAddr) -> Vec<Vec<u8>> + Send>;

struct FakeServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Seen,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    fn start(mut respond: Responder) -> FakeServer {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind fake nameserver (inside a network namespace?)");
        sock.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen: Seen = Arc::default();
        let (stop2, seen2) = (Arc::clone(&stop), Arc::clone(&seen));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
                let Ok(q) = wire::parse_message(&buf[..n]) else { continue };
                let name = String::from_utf8_lossy(q.questions[0].name.as_bytes()).into_owned();
                seen2.lock().unwrap().push((name, q.questions[0].qtype, q.header.id));
                for reply in respond(&q, from) {
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        FakeServer { addr, stop, seen, thread: Some(thread) }
    }

    fn names(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|(n, _, _)| n.to_ascii_lowercase()).collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A reply echoing the query's question, with the given rcode, answers and TC bit.
fn reply(q: &wire::Message<'_>, rcode: u16, answers: &[RecordOut<'_>], tc: bool) -> Vec<u8> {
    let qs: Vec<QuestionOut<'_>> = q.questions.iter().map(|x| QuestionOut { name: x.name.as_bytes(), qtype: x.qtype, qclass: x.qclass }).collect();
    let flags = wire::FLAG_QR | wire::FLAG_RD | wire::FLAG_RA | rcode | if tc { wire::FLAG_TC } else { 0 };
    wire::build_reply(q.header.id, flags, &qs, Sections { answers, ..Default::default() }, wire::UDP_MAX).unwrap().bytes
}

fn a_record<'a>(name: &'a [u8], ip: &'a [u8; 4], ttl: u32) -> RecordOut<'a> {
    RecordOut { name, rtype: wire::TYPE_A, class: wire::CLASS_IN, ttl, data: RdataOut::Bytes(ip) }
}

/// Answers every A query with 10.0.0.1, ttl 100.
fn answer_all() -> Responder {
    Box::new(|q, _| {
        let name = q.questions[0].name.as_bytes().to_vec();
        vec![reply(q, 0, &[a_record(&name, &[10, 0, 0, 1], 100)], false)]
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    result: c_int,
    ty: c_int,
    count: c_int,
    ttl: c_int,
    data: Vec<u8>,
}

type Outcomes = RefCell<Vec<Outcome>>;

unsafe extern "C" fn record(result: c_int, ty: c_char, count: c_int, ttl: c_int, addrs: *mut c_void, arg: *mut c_void) {
    // SAFETY: the tests pass a live Outcomes; addrs is valid for the call as documented.
    unsafe {
        let out = &*arg.cast::<Outcomes>();
        let ty = c_int::from(ty);
        let data = match ty {
            DNS_IPV4_A => std::slice::from_raw_parts(addrs.cast::<u8>(), 4 * count as usize).to_vec(),
            DNS_IPV6_AAAA => std::slice::from_raw_parts(addrs.cast::<u8>(), 16 * count as usize).to_vec(),
            DNS_PTR => std::ffi::CStr::from_ptr(*addrs.cast::<*const c_char>()).to_bytes().to_vec(),
            _ => Vec::new(),
        };
        out.borrow_mut().push(Outcome { result, ty, count, ttl, data });
    }
}

struct Fixture {
    eb: *mut EventBase,
    dns: *mut Base,
}

impl Fixture {
    fn new(flags: c_int) -> Fixture {
        let eb = EventBase::new(None);
        assert!(!eb.is_null());
        let dns = Base::new(eb, flags);
        assert!(!dns.is_null());
        Fixture { eb, dns }
    }

    fn dns(&self) -> &Base {
        // SAFETY: live until drop.
        unsafe { &*self.dns }
    }

    fn resolve(&self, name: &str, flags: c_int, out: &Outcomes) -> *mut evdns_request {
        self.dns().resolve(wire::TYPE_A, name.as_bytes(), flags, record, (out as *const Outcomes).cast_mut().cast())
    }

    /// Runs the loop until `done` or 10 s pass.
    fn run_until(&self, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting");
            // SAFETY: live base, run from this thread only.
            if unsafe { EventBase::run(self.eb, EVLOOP_ONCE) } != 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Frees the dns base (failing or dropping lookups) and runs what that scheduled.
    fn free_dns(&mut self, fail: bool) {
        if !self.dns.is_null() {
            // SAFETY: live base, not used afterwards.
            unsafe { Base::free(self.dns, fail) };
            self.dns = ptr::null_mut();
            // SAFETY: live event base.
            unsafe { EventBase::run(self.eb, crate::base::EVLOOP_NONBLOCK) };
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.free_dns(false);
        // SAFETY: live event base, nothing uses it afterwards.
        unsafe { EventBase::free(self.eb, false) };
    }
}

#[test]
fn dns_resolver_answers_an_a_query() {
    let server = FakeServer::start(answer_all());
    let f = Fixture::new(0);
    assert_eq!(f.dns().add_nameserver(server.addr), 0);
    assert_eq!(f.dns().add_nameserver(server.addr), 3, "a second time: already present");
    let out = Outcomes::default();
    assert!(!f.resolve("www.example.com", DNS_QUERY_NO_SEARCH, &out).is_null());
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0], Outcome { result: 0, ty: DNS_IPV4_A, count: 1, ttl: 100, data: vec![10, 0, 0, 1] });
    // 0x20: the name went out with its case randomised (and the reply echoing it matched).
    let sent = &server.seen.lock().unwrap()[0].0;
    assert!(sent.eq_ignore_ascii_case("www.example.com"));
}

#[test]
fn dns_resolver_search_list_order_and_ndots() {
    let server = FakeServer::start(Box::new(|q, _| {
        let name = q.questions[0].name.as_bytes().to_ascii_lowercase();
        if name == b"host.b.example.com" {
            vec![reply(q, 0, &[a_record(&name, &[1, 2, 3, 4], 7)], false)]
        } else {
            vec![reply(q, 3, &[], false)]
        }
    }));
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    f.dns().search_add(b"b.example.com");
    f.dns().search_add(b"a.example.com");
    let out = Outcomes::default();
    f.resolve("host", 0, &out);
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0].data, [1, 2, 3, 4]);
    assert_eq!(server.names(), ["host.a.example.com", "host.b.example.com"]);
    // Nothing matches: every domain, then the name as given, then NXDOMAIN.
    let out2 = Outcomes::default();
    f.resolve("zz", 0, &out2);
    f.run_until(|| !out2.borrow().is_empty());
    assert_eq!(out2.borrow()[0].result, DNS_ERR_NOTEXIST);
    assert_eq!(&server.names()[2..], ["zz.a.example.com", "zz.b.example.com", "zz"]);
}

/// CVE-2016-10197: empty names with search domains set never read outside their bytes.
#[test]
fn dns_resolver_cve_2016_10197_empty_names_with_search() {
    let server = FakeServer::start(Box::new(|q, _| vec![reply(q, 3, &[], false)]));
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    f.dns().search_add(b"whatever.example.com");
    f.dns().search_add(b"");
    let out = Outcomes::default();
    assert!(f.resolve("", 0, &out).is_null(), "\"\" cannot be searched");
    assert!(!f.resolve(".", 0, &out).is_null());
    assert!(!f.resolve("", DNS_QUERY_NO_SEARCH, &out).is_null(), "the root, as given");
    f.run_until(|| out.borrow().len() == 2);
    assert!(out.borrow().iter().all(|o| o.result == DNS_ERR_NOTEXIST));
}

#[test]
fn dns_resolver_timeouts_mark_the_server_down_and_probes_bring_it_back() {
    let drop_first = Arc::new(AtomicUsize::new(4));
    let d = Arc::clone(&drop_first);
    let server = FakeServer::start(Box::new(move |q, _| {
        if d.load(Ordering::SeqCst) > 0 {
            d.fetch_sub(1, Ordering::SeqCst);
            return Vec::new();
        }
        let name = q.questions[0].name.as_bytes().to_vec();
        vec![reply(q, 0, &[a_record(&name, &[9, 9, 9, 9], 5)], false)]
    }));
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    for (k, v) in [("timeout", "0.05"), ("attempts", "3"), ("max-timeouts", "2"), ("initial-probe-timeout", "0.05")] {
        assert_eq!(f.dns().set_option(k.as_bytes(), v.as_bytes()), 0);
    }
    let out = Outcomes::default();
    f.resolve("a.example", DNS_QUERY_NO_SEARCH, &out);
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0].result, DNS_ERR_TIMEOUT);
    assert!(!f.dns().lock().servers[0].up);
    // The probe (for google.com, as upstream) eventually gets an answer.
    f.run_until(|| f.dns().lock().servers[0].up);
    assert!(server.names().iter().any(|n| n == "google.com"));
    let out2 = Outcomes::default();
    f.resolve("b.example", DNS_QUERY_NO_SEARCH, &out2);
    f.run_until(|| !out2.borrow().is_empty());
    assert_eq!(out2.borrow()[0].result, DNS_ERR_NONE);
}

#[test]
fn dns_resolver_cancel_and_shutdown() {
    let server = FakeServer::start(Box::new(|_, _| Vec::new()));
    let mut f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    let out = Outcomes::default();
    let req = f.resolve("x.example", DNS_QUERY_NO_SEARCH, &out);
    // SAFETY: the request is live: its callback has not run.
    unsafe { f.dns().cancel(req) };
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0].result, DNS_ERR_CANCEL);
    f.resolve("y.example", DNS_QUERY_NO_SEARCH, &out);
    f.resolve("z.example", DNS_QUERY_NO_SEARCH, &out);
    f.free_dns(true);
    assert_eq!(out.borrow().len(), 3);
    assert!(out.borrow()[1..].iter().all(|o| o.result == DNS_ERR_SHUTDOWN));
    let mut g = Fixture::new(0);
    g.dns().add_nameserver(server.addr);
    let quiet = Outcomes::default();
    g.resolve("q.example", DNS_QUERY_NO_SEARCH, &quiet);
    g.free_dns(false);
    assert!(quiet.borrow().is_empty(), "dropped without a callback");
}

#[test]
fn dns_resolver_max_inflight_queues_the_rest() {
    let server = FakeServer::start(answer_all());
    let f = Fixture::new(EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    f.dns().add_nameserver(server.addr);
    f.dns().set_option(b"max-inflight:", b"2");
    let out = Outcomes::default();
    for i in 0..10 {
        f.resolve(&format!("h{i}.example"), DNS_QUERY_NO_SEARCH, &out);
    }
    assert_eq!(f.dns().lock().inflight.len(), 2);
    assert_eq!(f.dns().lock().waiting.len(), 8);
    f.run_until(|| out.borrow().len() == 10);
    assert!(out.borrow().iter().all(|o| o.result == 0));
    // In order: the queue is first in, first out.
    let names = server.names();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n[1..n.find('.').unwrap()].parse::<u32>().unwrap());
    assert_eq!(names, sorted);
    // DISABLE_WHEN_INACTIVE: nothing in flight, no read event: the loop has nothing to do.
    // SAFETY: live base.
    assert_eq!(unsafe { EventBase::run(f.eb, EVLOOP_ONCE) }, 1);
}

/// Replies with the wrong id, from the wrong address, or with the question in another case
/// are ignored; the genuine one after them still counts.
#[test]
fn dns_resolver_ignores_forged_replies() {
    let server = FakeServer::start(Box::new(|q, from| {
        let name = q.questions[0].name.as_bytes().to_vec();
        let forged = reply(q, 0, &[a_record(&name, &[6, 6, 6, 6], 1)], false);
        UdpSocket::bind("127.0.0.1:0").unwrap().send_to(&forged, from).unwrap();
        let mut wrong_id = forged.clone();
        wrong_id[0] ^= 0x55;
        let flipped: Vec<u8> = name.iter().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect();
        let qs = [QuestionOut { name: &flipped, qtype: wire::TYPE_A, qclass: wire::CLASS_IN }];
        let answers = [a_record(&flipped, &[7, 7, 7, 7], 1)];
        let wrong_case = wire::build_reply(q.header.id, wire::FLAG_QR | wire::FLAG_RD, &qs, Sections { answers: &answers, ..Default::default() }, 512).unwrap().bytes;
        std::thread::sleep(Duration::from_millis(20));
        vec![wrong_id, wrong_case, reply(q, 0, &[a_record(&name, &[5, 5, 5, 5], 1)], false)]
    }));
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    let out = Outcomes::default();
    f.resolve("forge.example.com", DNS_QUERY_NO_SEARCH, &out);
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0].data, [5, 5, 5, 5]);
}

/// A truncated UDP reply is retried over TCP to the same nameserver (2.2 behaviour).
#[test]
fn dns_resolver_truncated_reply_retried_over_tcp() {
    let server = FakeServer::start(Box::new(|q, _| vec![reply(q, 0, &[], true)]));
    let tcp = TcpListener::bind(server.addr).expect("TCP on the same port");
    let tcp_thread = std::thread::spawn(move || {
        let (mut conn, _) = tcp.accept().unwrap();
        let mut len = [0u8; 2];
        conn.read_exact(&mut len).unwrap();
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
        conn.read_exact(&mut query).unwrap();
        let q = wire::parse_message(&query).unwrap();
        let name = q.questions[0].name.as_bytes().to_vec();
        let addrs: Vec<[u8; 4]> = (0..40).map(|i| [10, 1, 0, i]).collect();
        let answers: Vec<RecordOut<'_>> = addrs.iter().map(|a| a_record(&name, a, 60)).collect();
        let qs = [QuestionOut { name: &name, qtype: wire::TYPE_A, qclass: wire::CLASS_IN }];
        let r = wire::build_reply(q.header.id, wire::FLAG_QR | wire::FLAG_RD, &qs, Sections { answers: &answers, ..Default::default() }, wire::TCP_MAX).unwrap();
        let mut framed = (r.bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&r.bytes);
        // In two pieces, to exercise reassembly.
        conn.write_all(&framed[..5]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        conn.write_all(&framed[5..]).unwrap();
    });
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    let out = Outcomes::default();
    f.resolve("big.example", DNS_QUERY_NO_SEARCH, &out);
    f.run_until(|| !out.borrow().is_empty());
    tcp_thread.join().unwrap();
    let o = &out.borrow()[0];
    assert_eq!((o.result, o.count), (DNS_ERR_NONE, 32), "at most 32 addresses, as upstream");
    assert_eq!(&o.data[..4], &[10, 1, 0, 0]);
}

#[test]
fn dns_resolver_nameserver_strings_and_options() {
    let f = Fixture::new(0);
    for bad in ["1.2.3.4:99999", "[::1", "", "foo", "1.2.3.4:0x35"] {
        assert_eq!(f.dns().add_nameserver_text(bad.as_bytes()), 4, "{bad}");
    }
    assert_eq!(f.dns().add_nameserver_text(b"127.0.0.1:5353"), 0);
    assert_eq!(f.dns().add_nameserver_text(b"[::1]:5353"), 0);
    assert_eq!(f.dns().add_nameserver_text(b"::1"), 0);
    assert_eq!(f.dns().nameserver_addr(2), Some("[::1]:53".parse().unwrap()));
    assert_eq!(f.dns().count_nameservers(), 3);
    assert_eq!(f.dns().set_option(b"no-such-option", b"1"), -1);
    assert_eq!(f.dns().set_option(b"timeout:", b"foo"), -1);
    assert_eq!(f.dns().set_option(b"so-rcvbuf", b"10240"), 0);
    assert_eq!(f.dns().add_nameserver_text(b"127.0.0.2"), 0, "with SO_RCVBUF set");
    assert_eq!(f.dns().clear_nameservers_and_suspend(), 0);
    assert_eq!(f.dns().count_nameservers(), 0);
}

#[test]
fn dns_resolver_resolv_conf_files() {
    let dir = std::env::temp_dir().join(format!("evdns-resolv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| std::ffi::CString::new(dir.join(name).to_str().unwrap()).unwrap();
    std::fs::write(dir.join("empty"), b"").unwrap();
    std::fs::write(dir.join("binary"), (0..=255u8).cycle().take(3000).collect::<Vec<u8>>()).unwrap();
    std::fs::write(dir.join("full"), b"# comment\nnameserver 127.0.0.3\nnameserver 127.0.0.4:5300\nsearch x.example y.example\noptions ndots:3 attempts:4 rotate timeout:0.5\n").unwrap();

    let f = Fixture::new(0);
    assert_eq!(f.dns().resolv_conf_parse(DNS_OPTIONS_ALL, Some(&path("missing"))), 1);
    assert_eq!(f.dns().nameserver_addr(0), Some("127.0.0.1:53".parse().unwrap()), "default nameserver");
    let g = Fixture::new(0);
    assert_eq!(g.dns().resolv_conf_parse(DNS_OPTIONS_ALL | DNS_OPTION_NAMESERVERS_NO_DEFAULT, Some(&path("missing"))), 1);
    assert_eq!(g.dns().count_nameservers(), 0);
    assert_eq!(g.dns().resolv_conf_parse(DNS_OPTIONS_ALL, Some(&path("empty"))), 6);
    assert_eq!(g.dns().count_nameservers(), 1);
    let h = Fixture::new(0);
    assert_eq!(h.dns().resolv_conf_parse(DNS_OPTIONS_ALL, Some(&path("binary"))), 6);
    let k = Fixture::new(0);
    assert_eq!(k.dns().resolv_conf_parse(DNS_OPTIONS_ALL, Some(&path("full"))), 0);
    assert_eq!(k.dns().count_nameservers(), 2);
    assert_eq!(k.dns().nameserver_addr(1), Some("127.0.0.4:5300".parse().unwrap()));
    {
        let st = k.dns().lock();
        assert_eq!(st.search.domains, [b"x.example".to_vec(), b"y.example".to_vec()]);
        assert_eq!(st.search.ndots, 3);
        assert_eq!(st.opts.attempts, 4);
        assert_eq!(st.opts.timeout.tv_usec, 500000);
    }
    // Only the classes asked for.
    let m = Fixture::new(0);
    assert_eq!(m.dns().resolv_conf_parse(DNS_OPTION_MISC, Some(&path("full"))), 0);
    assert_eq!(m.dns().count_nameservers(), 0);
    assert!(m.dns().lock().search.domains.is_empty());
    // A directory opens but cannot be read.
    let d = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    assert_eq!(m.dns().resolv_conf_parse(DNS_OPTIONS_ALL, Some(&d)), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dns_resolver_reverse_names() {
    assert_eq!(reverse_name_v4([192, 168, 11, 11]), "11.11.168.192.in-addr.arpa");
    let v6: [u8; 16] = *b"\xff\xf0\x00\x00\x00\x00\xaa\xaa\x11\x11\x00\x00\x00\x00\xef\xef";
    assert_eq!(reverse_name_v6(v6), "f.e.f.e.0.0.0.0.0.0.0.0.1.1.1.1.a.a.a.a.0.0.0.0.0.0.0.0.0.f.f.f.ip6.arpa");
}

/// Without a TCP listener the truncation stands: DNS_ERR_TRUNCATED, as 2.1 reports it.
#[test]
fn dns_resolver_truncated_reply_without_tcp_is_truncated() {
    let server = FakeServer::start(Box::new(|q, _| vec![reply(q, 0, &[], true)]));
    let f = Fixture::new(0);
    f.dns().add_nameserver(server.addr);
    let out = Outcomes::default();
    f.resolve("big.example", DNS_QUERY_NO_SEARCH, &out);
    f.run_until(|| !out.borrow().is_empty());
    assert_eq!(out.borrow()[0].result, DNS_ERR_TRUNCATED);
}
