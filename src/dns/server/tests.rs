//! Cargo tests of the server through its C entry points, on 127.0.0.1 only (run them in a
//! private network namespace, see the dns module doc), plus its reply building at 64 KiB.

use std::cell::RefCell;
use std::ffi::CString;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::rc::Rc;

use super::*;
use crate::base::EVLOOP_NONBLOCK;
use crate::dns::api::*;
use crate::dns::wire::{build_query, parse_message, Header, Name, Rdata, CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_NS, TYPE_PTR};
use crate::ffi::dns::server::*;
use crate::ffi::event::{event_base_free, event_base_loop, event_base_new};

type Handler = Box<dyn FnMut(*mut EvdnsServerRequest)>;

unsafe extern "C" fn call_handler(req: *mut EvdnsServerRequest, arg: *mut c_void) {
    // SAFETY: arg is the Server's boxed handler, alive as long as its port.
    unsafe { (*arg.cast::<Handler>())(req) }
}

/// A server port on 127.0.0.1 with its own base, and a client socket to query it.
struct Server {
    base: *mut EventBase,
    port: *mut EvdnsServerPort,
    fd: c_int,
    addr: SocketAddr,
    client: UdpSocket,
    // Boxed twice so that the pointer given to C stays put.
    handler: Box<Handler>,
}

impl Server {
    fn new(handler: impl FnMut(*mut EvdnsServerRequest) + 'static) -> Server {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_nonblocking(true).unwrap();
        let addr = sock.local_addr().unwrap();
        let fd = sock.into_raw_fd();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.set_nonblocking(true).unwrap();
        Server::on_fd(fd, addr, client, Box::new(handler))
    }

    fn on_fd(fd: c_int, addr: SocketAddr, client: UdpSocket, handler: Handler) -> Server {
        let base = event_base_new();
        assert!(!base.is_null());
        let mut handler = Box::new(handler);
        let arg = (&mut *handler as *mut Handler).cast::<c_void>();
        // SAFETY: a live base, an open nonblocking UDP socket, a callback and its argument that
        // outlive the port.
        let port = unsafe { evdns_add_server_port_with_base(base, fd, 0, Some(call_handler), arg) };
        assert!(!port.is_null());
        Server { base, port, fd, addr, client, handler }
    }

    /// One non-blocking turn of the loop: loopback delivers at once, so a datagram sent
    /// before is there to read, and a reply sent during the turn is there after it.
    fn turn(&self) {
        // SAFETY: live base.
        assert!(unsafe { event_base_loop(self.base, EVLOOP_NONBLOCK) } >= 0);
    }

    fn send(&self, packet: &[u8]) {
        self.client.send_to(packet, self.addr).unwrap();
    }

    fn recv(&self) -> Option<Vec<u8>> {
        let mut buf = vec![0; 70000];
        match self.client.recv_from(&mut buf) {
            Ok((n, from)) => {
                assert_eq!(from, self.addr);
                buf.truncate(n);
                Some(buf)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("{e}"),
        }
    }

    fn ask(&self, packet: &[u8]) -> Option<Vec<u8>> {
        self.send(packet);
        self.turn();
        self.recv()
    }

    fn close(&mut self) {
        // SAFETY: the port is live and this is our only close.
        unsafe { evdns_close_server_port(std::mem::replace(&mut self.port, ptr::null_mut())) };
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.port.is_null() {
            self.close();
        }
        // SAFETY: live base; the port is closed (its events leave with it).
        unsafe { event_base_free(self.base) };
        let _ = &self.handler;
    }
}

/// The request's questions as (name, type, class).
fn questions(req: *mut EvdnsServerRequest) -> Vec<(String, c_int, c_int)> {
    // SAFETY: a live request handed to the callback: nquestions questions with C names.
    unsafe {
        (0..(*req).nquestions as usize)
            .map(|i| {
                let q = *(*req).questions.add(i);
                let name = CStr::from_ptr((*q).name.as_ptr()).to_string_lossy().into_owned();
                (name, (*q).type_, (*q).dns_question_class)
            })
            .collect()
    }
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn fd_is_open(fd: c_int) -> bool {
    socket::is_open(fd)
}

#[test]
fn query_round_trip_a_and_aaaa() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let srv = Server::new(move |req| {
        s.borrow_mut().push(questions(req));
        // SAFETY: the request is live and ours until respond.
        unsafe {
            assert_eq!((*req).flags, 0x100, "RD kept from the query");
            let name = c(&questions(req)[0].0);
            let v4 = [192u8, 168, 11, 11, 10, 0, 0, 1];
            assert_eq!(evdns_server_request_add_a_reply(req, name.as_ptr(), 2, v4.as_ptr().cast(), 12345), 0);
            let v6 = *b"abcdefghijklmnop";
            assert_eq!(evdns_server_request_add_aaaa_reply(req, name.as_ptr(), 1, v6.as_ptr().cast(), 123), 0);
            assert_eq!(evdns_server_request_respond(req, 0), 0);
        }
    });
    let reply = srv.ask(&build_query(0x1234, b"Zz.Example.com", TYPE_A, CLASS_IN, true).unwrap()).unwrap();
    assert_eq!(*seen.borrow(), vec![vec![("Zz.Example.com".to_string(), EVDNS_TYPE_A, EVDNS_CLASS_INET)]]);
    let m = parse_message(&reply).unwrap();
    assert_eq!(m.header.id, 0x1234);
    assert!(m.header.qr() && m.header.rd() && !m.header.aa() && !m.header.tc());
    assert_eq!(m.header.rcode(), 0);
    assert_eq!(m.questions.len(), 1);
    assert_eq!(m.questions[0].name.as_bytes(), b"Zz.Example.com");
    let data: Vec<_> = m.answers.iter().map(|rr| (rr.rtype, rr.ttl, m.rdata(rr).unwrap())).collect();
    assert_eq!(
        data,
        vec![
            (TYPE_A, 12345, Rdata::A([192, 168, 11, 11].into())),
            (TYPE_A, 12345, Rdata::A([10, 0, 0, 1].into())),
            (TYPE_AAAA, 123, Rdata::Aaaa(u128::from_be_bytes(*b"abcdefghijklmnop").into())),
        ]
    );
    // The owner names are compressed into the question's.
    assert_eq!(reply.len(), 12 + 16 + 4 + 2 * (2 + 10 + 4) + (2 + 10 + 16));
}

/// An SOA record's data as upstream's regress_dns_server_cb sends it.
const SOA: &[u8] = b"\x04dns1\x05icann\x03org\x00\x0ahostmaster\x05icann\x03org\x00\x77\xde\x5e\xba\0\0\x1c\x20\0\0\x0e\x10\0\x12\x75\0\0\0\x0e\x10";

#[test]
fn every_reply_kind_and_flags() {
    let srv = Server::new(|req| {
        // SAFETY: the request is live and ours until respond.
        unsafe {
            let q = c(&questions(req)[0].0);
            let host = c("Host.example.net");
            let addr = libc::in_addr { s_addr: u32::from_ne_bytes([192, 168, 11, 11]) };
            let mut a = addr;
            assert_eq!(evdns_server_request_add_ptr_reply(req, &mut a, ptr::null(), host.as_ptr(), 1), 0);
            assert_eq!(evdns_server_request_add_ptr_reply(req, ptr::null_mut(), q.as_ptr(), host.as_ptr(), 2), 0);
            assert_eq!(evdns_server_request_add_cname_reply(req, q.as_ptr(), c("alias.example.net").as_ptr(), 3), 0);
            let soa = SOA;
            let zone = c("example.net");
            let r = evdns_server_request_add_reply(req, EVDNS_AUTHORITY_SECTION, zone.as_ptr(), EVDNS_TYPE_SOA, EVDNS_CLASS_INET, 42, soa.len() as c_int, 0, soa.as_ptr().cast());
            assert_eq!(r, 0);
            let ns = c("ns.example.net");
            assert_eq!(evdns_server_request_add_reply(req, EVDNS_AUTHORITY_SECTION, zone.as_ptr(), EVDNS_TYPE_NS, EVDNS_CLASS_INET, 43, 0, 1, ns.as_ptr()), 0);
            let glue = [10u8, 0, 0, 53];
            assert_eq!(evdns_server_request_add_reply(req, EVDNS_ADDITIONAL_SECTION, ns.as_ptr(), EVDNS_TYPE_A, EVDNS_CLASS_INET, 44, 4, 0, glue.as_ptr().cast()), 0);
            // Empty record data may be given as NULL.
            assert_eq!(evdns_server_request_add_reply(req, EVDNS_ADDITIONAL_SECTION, ns.as_ptr(), EVDNS_TYPE_TXT, EVDNS_CLASS_INET, 45, 0, 0, ptr::null()), 0);
            evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
            assert_eq!((*req).flags, 0x100 | EVDNS_FLAGS_AA);
            assert_eq!(evdns_server_request_respond(req, 0), 0);
        }
    });
    let reply = srv.ask(&build_query(7, b"11.11.168.192.in-addr.arpa", TYPE_PTR, CLASS_IN, true).unwrap()).unwrap();
    let m = parse_message(&reply).unwrap();
    assert!(m.header.aa() && m.header.rd() && m.header.qr());
    let names = |rrs: &[wire::Record<'_>]| -> Vec<(String, u16, u32, Option<String>)> {
        rrs.iter()
            .map(|rr| {
                let target = match m.rdata(rr).unwrap() {
                    Rdata::Name(n) => Some(String::from_utf8_lossy(n.as_bytes()).into_owned()),
                    _ => None,
                };
                (String::from_utf8_lossy(rr.name.as_bytes()).into_owned(), rr.rtype, rr.ttl, target)
            })
            .collect()
    };
    let arpa = "11.11.168.192.in-addr.arpa".to_string();
    assert_eq!(
        names(&m.answers),
        vec![
            (arpa.clone(), TYPE_PTR, 1, Some("Host.example.net".into())),
            (arpa.clone(), TYPE_PTR, 2, Some("Host.example.net".into())),
            (arpa, TYPE_CNAME, 3, Some("alias.example.net".into())),
        ]
    );
    let auth = names(&m.authority);
    assert_eq!(auth[0].1, EVDNS_TYPE_SOA as u16);
    assert_eq!(m.authority[0].rdata, SOA);
    assert_eq!(auth[1], ("example.net".into(), TYPE_NS, 43, Some("ns.example.net".into())));
    assert_eq!(m.rdata(&m.additional[0]).unwrap(), Rdata::A([10, 0, 0, 53].into()));
    assert_eq!((m.additional[1].rtype, m.additional[1].rdata), (EVDNS_TYPE_TXT as u16, &[][..]));
}

#[test]
fn respond_with_rcode_and_bad_rcode() {
    let results = Rc::new(RefCell::new(Vec::new()));
    let r = results.clone();
    let srv = Server::new(move |req| {
        // SAFETY: the request is live and ours until respond succeeds or drop.
        unsafe {
            let a = [1u8, 2, 3, 4];
            assert_eq!(evdns_server_request_add_a_reply(req, c("x.test").as_ptr(), 1, a.as_ptr().cast(), 5), 0);
            // Not an rcode: nothing sent, the request stays ours.
            r.borrow_mut().push(evdns_server_request_respond(req, 16));
            r.borrow_mut().push(evdns_server_request_respond(req, -1));
            r.borrow_mut().push(evdns_server_request_respond(req, DNS_ERR_NOTEXIST));
        }
    });
    let reply = srv.ask(&build_query(9, b"x.test", TYPE_A, CLASS_IN, false).unwrap()).unwrap();
    assert_eq!(*results.borrow(), vec![-1, -1, 0]);
    let m = parse_message(&reply).unwrap();
    assert_eq!(m.header.rcode(), 3);
    assert!(!m.header.rd());
    // Records added before an error reply are still sent, as upstream sends them.
    assert_eq!(m.answers.len(), 1);
    assert!(srv.recv().is_none());
}

#[test]
fn drop_sends_nothing() {
    let calls = Rc::new(Cell::new(0));
    let n = calls.clone();
    let srv = Server::new(move |req| {
        n.set(n.get() + 1);
        // SAFETY: the request is live and ours.
        unsafe {
            assert_eq!(evdns_server_request_add_cname_reply(req, c("a.test").as_ptr(), c("b.test").as_ptr(), 1), 0);
            assert_eq!(evdns_server_request_drop(req), 0);
        }
    });
    assert!(srv.ask(&build_query(1, b"drop.example.com", TYPE_A, CLASS_IN, true).unwrap()).is_none());
    assert!(srv.ask(&build_query(2, b"drop.example.com", TYPE_A, CLASS_IN, true).unwrap()).is_none());
    assert_eq!(calls.get(), 2);
}

#[test]
fn close_with_requests_pending() {
    let held = Rc::new(RefCell::new(Vec::new()));
    let h = held.clone();
    let mut srv = Server::new(move |req| h.borrow_mut().push(req));
    srv.send(&build_query(1, b"one.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.send(&build_query(2, b"two.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.turn();
    assert_eq!(held.borrow().len(), 2);
    srv.close();
    // Closed: new queries are not read any more, but the socket stays open for the replies.
    srv.send(&build_query(3, b"three.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.turn();
    assert_eq!(held.borrow().len(), 2);
    assert!(fd_is_open(srv.fd));
    let reqs = held.borrow().clone();
    // SAFETY: both requests are live and ours.
    unsafe {
        assert_eq!(evdns_server_request_respond(reqs[1], DNS_ERR_REFUSED), 0);
        let m = parse_message(&srv.recv().unwrap()).unwrap().header;
        assert_eq!((m.id, m.rcode()), (2, 5));
        assert!(fd_is_open(srv.fd));
        // The last request takes the port, and its socket, with it.
        assert_eq!(evdns_server_request_drop(reqs[0]), 0);
    }
    assert!(!fd_is_open(srv.fd));
    assert!(srv.recv().is_none());
}

#[test]
fn close_from_the_callback() {
    let port = Rc::new(Cell::new(ptr::null_mut::<EvdnsServerPort>()));
    let p = port.clone();
    let mut srv = Server::new(move |req| {
        // SAFETY: the port is live (the test stored it); the request is ours.
        unsafe {
            evdns_close_server_port(p.replace(ptr::null_mut()));
            assert_eq!(evdns_server_request_respond(req, 0), 0);
        }
    });
    port.set(std::mem::replace(&mut srv.port, ptr::null_mut()));
    // Two queries waiting: the first closes the port, the second is not read.
    srv.send(&build_query(1, b"a.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.send(&build_query(2, b"b.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.turn();
    assert_eq!(Header::parse(&srv.recv().unwrap()).unwrap().id, 1);
    assert!(srv.recv().is_none());
    assert!(!fd_is_open(srv.fd));
}

#[test]
fn requesting_addr() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    let srv = Server::new(move |req| {
        let mut ss = [0u8; size_of::<sockaddr_storage>()];
        // SAFETY: the request is live; ss has the room given.
        unsafe {
            g.borrow_mut().push(evdns_server_request_get_requesting_addr(req, ss.as_mut_ptr().cast(), 15));
            g.borrow_mut().push(evdns_server_request_get_requesting_addr(req, ss.as_mut_ptr().cast(), ss.len() as c_int));
            g.borrow_mut().push(evdns_server_request_get_requesting_addr(req, ptr::null_mut(), 16));
            evdns_server_request_drop(req);
        }
        let sin: libc::sockaddr_in = {
            // SAFETY: recvfrom filled a sockaddr_in for an IPv4 client.
            unsafe { ptr::read_unaligned(ss.as_ptr().cast()) }
        };
        g.borrow_mut().push(c_int::from(u16::from_be(sin.sin_port)));
        g.borrow_mut().push(c_int::from(sin.sin_family as u16));
    });
    srv.send(&build_query(1, b"who.test", TYPE_A, CLASS_IN, true).unwrap());
    srv.turn();
    let port = c_int::from(srv.client.local_addr().unwrap().port());
    assert_eq!(*got.borrow(), vec![-1, size_of::<libc::sockaddr_in>() as c_int, -1, port, libc::AF_INET]);
}

/// Malformed datagrams, replies and question-less queries never reach the callback; the
/// port goes on serving.
#[test]
fn malformed_datagrams_ignored() {
    let calls = Rc::new(Cell::new(0));
    let n = calls.clone();
    let srv = Server::new(move |req| {
        n.set(n.get() + 1);
        // SAFETY: ours to answer.
        unsafe { assert_eq!(evdns_server_request_respond(req, 0), 0) };
    });
    let good = build_query(5, b"ok.test", TYPE_A, CLASS_IN, true).unwrap();
    let mut as_reply = good.clone();
    as_reply[2] |= 0x80;
    let mut no_question = good[..12].to_vec();
    no_question[5] = 0;
    let header = |qd: u16| [&[0, 1, 0, 0][..], &qd.to_be_bytes(), &[0, 0, 0, 0, 0, 0]].concat();
    let bad: Vec<Vec<u8>> = vec![
        vec![],
        good[..5].to_vec(),
        good[..11].to_vec(),
        as_reply,
        no_question,
        // A label loop (pointer to itself), a pointer forward, one past the end.
        [header(1), vec![0xc0, 12, 0, 1, 0, 1]].concat(),
        [header(1), vec![1, b'a', 0xc0, 12, 0, 1, 0, 1]].concat(),
        [header(1), vec![0xc0, 14, 0, 0, 1, 0, 1]].concat(),
        [header(1), vec![0xc0, 0xff, 0, 1, 0, 1]].concat(),
        // A label running past the end (CVE-2016-10195), and more questions than bytes.
        [header(1), vec![0x3f, b'a', b'b', b'c', b'd', b'e']].concat(),
        [header(60000), vec![0; 40]].concat(),
    ];
    for p in &bad {
        assert!(srv.ask(p).is_none(), "{p:?}");
    }
    assert_eq!(calls.get(), 0);
    let reply = srv.ask(&good).unwrap();
    let m = parse_message(&reply).unwrap();
    assert_eq!(m.header.id, 5);
    assert_eq!(calls.get(), 1);
}

/// Non-standard opcodes are answered NOTIMPL without the callback, as upstream meant to.
#[test]
fn other_opcodes_get_notimpl() {
    let calls = Rc::new(Cell::new(0));
    let n = calls.clone();
    let srv = Server::new(move |req| {
        n.set(n.get() + 1);
        // SAFETY: ours.
        unsafe { evdns_server_request_drop(req) };
    });
    let mut status = build_query(8, b"x.test", TYPE_A, CLASS_IN, true).unwrap();
    status[2] |= 2 << 3;
    let reply = srv.ask(&status).unwrap();
    let m = parse_message(&reply).unwrap();
    assert_eq!((m.header.id, m.header.rcode()), (8, DNS_ERR_NOTIMPL as u8));
    assert_eq!(calls.get(), 0);
}

/// Questions edited in place by the callback (upstream's search_lower test lowers them) are
/// echoed as edited.
#[test]
fn edited_question_is_echoed() {
    let srv = Server::new(|req| {
        // SAFETY: the question's name is NUL-terminated C memory the callback may edit.
        unsafe {
            let q = *(*req).questions;
            libc::strcpy((*q).name.as_mut_ptr(), c"lower.test".as_ptr());
            assert_eq!(evdns_server_request_respond(req, 0), 0);
        }
    });
    let reply = srv.ask(&build_query(3, b"LOWER.TEST", TYPE_A, CLASS_IN, true).unwrap()).unwrap();
    let m = parse_message(&reply).unwrap();
    assert_eq!(m.questions[0].name.as_bytes(), b"lower.test");
}

#[test]
fn bad_arguments_rejected() {
    let srv = Server::new(|req| {
        // SAFETY: a live request; every call below must refuse its bad argument.
        unsafe {
            let name = c("n.test");
            let d = [0u8; 4];
            let bad = c("a..b");
            let add = |section, name: *const c_char, len, is_name, data: *const c_char| {
                evdns_server_request_add_reply(req, section, name, 1, 1, 1, len, is_name, data)
            };
            assert_eq!(add(3, name.as_ptr(), 4, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(-1, name.as_ptr(), 4, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(0, ptr::null(), 4, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(0, name.as_ptr(), -1, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(0, name.as_ptr(), 70000, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(0, name.as_ptr(), 4, 0, ptr::null()), -1);
            assert_eq!(add(0, name.as_ptr(), 0, 1, ptr::null()), -1);
            assert_eq!(add(0, bad.as_ptr(), 4, 0, d.as_ptr().cast()), -1);
            assert_eq!(add(0, name.as_ptr(), 0, 1, bad.as_ptr()), -1);
            let long = c(&"x".repeat(64));
            assert_eq!(add(0, long.as_ptr(), 4, 0, d.as_ptr().cast()), -1);
            assert_eq!(evdns_server_request_add_a_reply(req, name.as_ptr(), 0, d.as_ptr().cast(), 1), -1);
            assert_eq!(evdns_server_request_add_a_reply(req, name.as_ptr(), 1, ptr::null(), 1), -1);
            assert_eq!(evdns_server_request_add_aaaa_reply(req, ptr::null(), 1, d.as_ptr().cast(), 1), -1);
            let mut a = libc::in_addr { s_addr: 0 };
            assert_eq!(evdns_server_request_add_ptr_reply(req, &mut a, name.as_ptr(), name.as_ptr(), 1), -1);
            assert_eq!(evdns_server_request_add_ptr_reply(req, ptr::null_mut(), ptr::null(), name.as_ptr(), 1), -1);
            assert_eq!(evdns_server_request_add_ptr_reply(req, &mut a, ptr::null(), ptr::null(), 1), -1);
            assert_eq!(evdns_server_request_add_cname_reply(req, name.as_ptr(), ptr::null(), 1), -1);
            // None of that was added: the reply has no records.
            assert_eq!(evdns_server_request_respond(req, 0), 0);
        }
    });
    let reply = srv.ask(&build_query(3, b"q.test", TYPE_A, CLASS_IN, true).unwrap()).unwrap();
    let m = parse_message(&reply).unwrap();
    assert_eq!(m.answers.len() + m.authority.len() + m.additional.len(), 0);
    // SAFETY: NULL handles and bad arguments only.
    unsafe {
        let req = ptr::null_mut();
        assert_eq!(evdns_server_request_respond(req, 0), -1);
        assert_eq!(evdns_server_request_drop(req), -1);
        assert_eq!(evdns_server_request_get_requesting_addr(req, ptr::null_mut(), 0), -1);
        assert_eq!(evdns_server_request_add_cname_reply(req, c"a".as_ptr(), c"b".as_ptr(), 1), -1);
        evdns_server_request_set_flags(req, 0);
        evdns_close_server_port(ptr::null_mut());
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let fd = sock.as_raw_fd();
        let cb = Some(call_handler as evdns_request_callback_fn_type);
        assert!(evdns_add_server_port_with_base(srv.base, fd, 1, cb, ptr::null_mut()).is_null());
        assert!(evdns_add_server_port_with_base(srv.base, fd, 0, None, ptr::null_mut()).is_null());
        assert!(evdns_add_server_port_with_base(srv.base, -1, 0, cb, ptr::null_mut()).is_null());
        assert!(fd_is_open(fd));
    }
}

/// Long distinct names for records that compress badly.
fn long_names(n: usize) -> Vec<CString> {
    (0..n).map(|i| c(&format!("host-{i:05}-{}.zone{}.example", "q".repeat(30 + i % 20), i % 5))).collect()
}

/// Adds PTR, CNAME and NS records in turn, each owner name pointing at the next name.
///
/// # Safety
/// `req` must be a live request.
unsafe fn add_name_records(req: *mut EvdnsServerRequest, names: &[CString]) {
    for (i, n) in names.iter().enumerate() {
        let target = names[(i + 1) % names.len()].as_ptr();
        let rtype = [EVDNS_TYPE_PTR, EVDNS_TYPE_CNAME, EVDNS_TYPE_NS][i % 3];
        // SAFETY: live request (contract), valid C strings.
        let r = unsafe { evdns_server_request_add_reply(req, EVDNS_ANSWER_SECTION, n.as_ptr(), rtype, EVDNS_CLASS_INET, 60, 0, 1, target) };
        assert_eq!(r, 0);
    }
}

/// The type of the opaque record that pads a reply to an exact size.
const PAD_TYPE: c_int = 99;

/// Checks a reply the server built: within `limit`, parses, TC as said, whole records that
/// are the first ones added, in order (up to a padding record). Returns the answer count.
fn check_reply(bytes: &[u8], limit: usize, names: &[CString], truncated: bool) -> usize {
    assert!(bytes.len() <= limit, "{} > {limit}", bytes.len());
    let m = parse_message(bytes).unwrap();
    assert_eq!(m.header.tc(), truncated);
    for (i, rr) in m.answers.iter().take_while(|rr| c_int::from(rr.rtype) != PAD_TYPE).enumerate() {
        assert_eq!(rr.name.as_bytes(), names[i].to_bytes());
        assert_eq!(rr.rtype, [TYPE_PTR, TYPE_CNAME, TYPE_NS][i % 3]);
        assert_eq!(m.rdata(rr), Ok(Rdata::Name(Name::from_text(names[(i + 1) % names.len()].to_bytes()).unwrap())));
    }
    m.answers.len()
}

/// CVE-2026-63387 (fixed in 2.1.13): 2.1.12's name encoding wrote one byte past its stack
/// buffer when PTR/CNAME/NS answers filled a reply of about 64 KiB. Here a request gets more
/// such answers than 64 KiB holds: over UDP the reply is cut to whole records under 512
/// bytes with TC; built at the 64 KiB limit it stays within it, and a set of records landing
/// exactly on the limit (and on 512) is sent whole, one byte more is cut.
#[test]
fn cve_2026_63387_server_reply_near_64k() {
    let names = long_names(1100);
    let n = Rc::new(names.clone());
    let results = Rc::new(RefCell::new(Vec::new()));
    let res = results.clone();
    let srv = Server::new(move |req| {
        // SAFETY: a live request, ours until respond; r is only used between the C calls.
        unsafe {
            add_name_records(req, &n);
            let r = ServerRequest::from_handle(req);
            let full = (*r).build_response(Vec::new(), 0, wire::TCP_MAX).unwrap();
            assert!(full.bytes.len() > wire::TCP_MAX - 200);
            let fitting = check_reply(&full.bytes, wire::TCP_MAX, &n, true);
            assert!(fitting > 500 && fitting < n.len(), "{fitting}");
            // The records that fit 64 KiB (or 3 of them for 512 bytes), then one opaque record
            // that brings the reply to exactly the limit.
            for (limit, keep) in [(wire::TCP_MAX, fitting), (wire::UDP_MAX, 3)] {
                (*r).records.items.truncate(keep);
                let base = (*r).build_response(Vec::new(), 0, limit).unwrap();
                assert!(!base.truncated, "{limit}");
                // Its owner is the question's name (a 2-byte pointer), then 10 bytes of fields.
                let pad = limit - base.bytes.len() - 12;
                let data = vec![0xa5; pad];
                let q = c(&questions(req)[0].0);
                assert_eq!(evdns_server_request_add_reply(req, 0, q.as_ptr(), PAD_TYPE, 1, 1, pad as c_int, 0, data.as_ptr().cast()), 0);
                let exact = (*r).build_response(Vec::new(), 0, limit).unwrap();
                assert_eq!((exact.bytes.len(), exact.truncated), (limit, false));
                check_reply(&exact.bytes[..], limit, &n, false);
                // One byte less: the padding record is dropped whole, TC set, the rest as is.
                let over = (*r).build_response(Vec::new(), 0, limit - 1).unwrap();
                let mut want = base.bytes.clone();
                want[2] |= 0x02;
                assert_eq!(over.bytes, want);
            }
            // What goes on the wire: every record again, cut to 512 bytes.
            (*r).records = Records::default();
            add_name_records(req, &n);
            res.borrow_mut().push(evdns_server_request_respond(req, 0));
        }
    });
    let reply = srv.ask(&build_query(0x6338, names[0].to_bytes(), TYPE_PTR, CLASS_IN, true).unwrap()).unwrap();
    assert_eq!(*results.borrow(), vec![0]);
    let sent = check_reply(&reply, wire::UDP_MAX, &names, true);
    assert!(sent >= 3, "{sent}");
}

/// A reply the socket will not take yet waits in the port's queue and goes out in order when
/// the socket is writable. A socketpair with a small send buffer fills when the client does
/// not read (recvfrom gives an empty address there, and sendto with it goes to the peer).
/// Replies made in the callback go out with their batch (respond says 0); one made later,
/// behind a queue, says 1.
#[test]
fn replies_queue_when_the_socket_is_full() {
    const N: u16 = 40;
    let mut fds = [0; 2];
    assert_eq!(socket::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, &mut fds), 0);
    let small: c_int = 1;
    // SAFETY: setsockopt with an int value on our socket.
    unsafe { libc::setsockopt(fds[0], libc::SOL_SOCKET, libc::SO_SNDBUF, (&small as *const c_int).cast(), 4) };
    assert_eq!(socket::make_nonblocking(fds[0]), 0);
    assert_eq!(socket::make_nonblocking(fds[1]), 0);
    let results = Rc::new(RefCell::new(Vec::new()));
    let kept = Rc::new(Cell::new(ptr::null_mut::<EvdnsServerRequest>()));
    let (res, keep) = (results.clone(), kept.clone());
    let handler: Handler = Box::new(move |req| {
        // SAFETY: a live request, ours until respond.
        unsafe {
            let mut ss = [0u8; 128];
            assert_eq!(evdns_server_request_get_requesting_addr(req, ss.as_mut_ptr().cast(), 128), 0);
            add_name_records(req, &long_names(3));
            if (*ServerRequest::from_handle(req)).id == N - 1 {
                keep.set(req);
                return;
            }
            res.borrow_mut().push(evdns_server_request_respond(req, 0));
        }
    });
    // The client side of the pair, driven with plain send/recv.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut srv = Server::on_fd(fds[0], "127.0.0.1:9".parse().unwrap(), client, handler);
    let peer = fds[1];
    let send = |p: &[u8]| {
        // SAFETY: p is readable; peer is our socket.
        assert_eq!(unsafe { libc::send(peer, p.as_ptr().cast(), p.len(), 0) }, p.len() as isize);
    };
    let recv = || {
        let mut buf = [0u8; 600];
        // SAFETY: buf has the room given.
        let n = unsafe { libc::recv(peer, buf.as_mut_ptr().cast(), buf.len(), 0) };
        (n >= 0).then(|| Header::parse(&buf[..n as usize]).unwrap().id)
    };
    for id in 0..N {
        send(&build_query(id, b"queued.test", TYPE_PTR, CLASS_IN, true).unwrap());
        if id % 20 == 19 {
            srv.turn();
        }
    }
    assert_eq!(*results.borrow(), vec![0; usize::from(N) - 1]);
    // SAFETY: the port is live; the test thread is the only user.
    assert!(unsafe { (*srv.port).with_pending(|q| q.len()) } > 0);
    // SAFETY: the kept request is live and ours.
    assert_eq!(unsafe { evdns_server_request_respond(kept.get(), 0) }, 1);
    // Closing keeps the port (and socket) until the queue is out.
    srv.close();
    let mut ids = Vec::new();
    for _ in 0..1000 {
        while let Some(id) = recv() {
            ids.push(id);
        }
        if ids.len() == usize::from(N) {
            break;
        }
        srv.turn();
    }
    assert_eq!(ids, (0..N).collect::<Vec<_>>());
    assert!(!fd_is_open(fds[0]));
    // SAFETY: our socket.
    unsafe { libc::close(peer) };
}

/// Adding several records is all or none: a bad name among them leaves the reply as it was.
#[test]
fn records_added_all_or_none() {
    let mut r = Records::default();
    r.add(Section::Answer, b"a.test", TYPE_CNAME, 1, 1, [Data::Name(b"b.test")]).unwrap();
    let before = (r.items.len(), r.bytes.clone());
    let bad = r.add(Section::Authority, b"a.test", TYPE_NS, 1, 1, [Data::Name(b"ns.test"), Data::Name(b"bad..name")]);
    assert_eq!(bad, Err(WireError::EmptyLabel));
    assert_eq!(r.add(Section::Answer, b"x".repeat(64).as_slice(), TYPE_A, 1, 1, [Data::Bytes(&[1, 2, 3, 4])]), Err(WireError::LabelTooLong));
    assert_eq!(r.add(Section::Answer, b"big.test", 99, 1, 1, [Data::Bytes(&vec![0; 65536])]), Err(WireError::NoRoom));
    assert_eq!((r.items.len(), r.bytes.clone()), before);
    // Sections come out in order whatever the order of adding.
    r.add(Section::Additional, b"c.test", TYPE_A, 1, 1, [Data::Bytes(&[1, 2, 3, 4])]).unwrap();
    r.add(Section::Authority, b"a.test", TYPE_NS, 1, 1, [Data::Name(b"ns.test")]).unwrap();
    r.add(Section::Answer, b"a.test", TYPE_A, 1, 1, [Data::Bytes(&[5, 6, 7, 8])]).unwrap();
    let reply = r.build(Vec::new(), 1, wire::FLAG_QR, [], wire::UDP_MAX).unwrap();
    let m = parse_message(&reply.bytes).unwrap();
    assert_eq!(m.answers.iter().map(|rr| rr.rtype).collect::<Vec<_>>(), vec![TYPE_CNAME, TYPE_A]);
    assert_eq!(m.authority.iter().map(|rr| rr.rtype).collect::<Vec<_>>(), vec![TYPE_NS]);
    assert_eq!(m.rdata(&m.additional[0]), Ok(Rdata::A([1, 2, 3, 4].into())));
}
