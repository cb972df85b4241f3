//! The evdns server: `struct evdns_server_port` on a UDP socket, and the requests it hands to
//! the user's callback (`struct evdns_server_request`, dns_struct.h), answered with
//! `evdns_server_request_respond` or dropped.
//!
//! Flow: a persistent EV_READ event on the socket reads the waiting datagrams, up to 32 with
//! one recvmmsg; `wire::parse_query` checks each (malformed ones and replies are dropped with
//! a debug message), and the questions are copied into C-visible structs allocated through
//! `crate::mm` (C reads and may even edit them: a name lowered in place is echoed lowered, as
//! upstream does). The user adds records (kept in Rust until the reply is built) and
//! responds: the reply is built by `wire::build_reply` under the 512-byte UDP limit upstream
//! uses (whole records only, TC when some do not fit). Replies made by the callback while a
//! batch is handed out go out together with one sendmmsg after it (upstream made two system
//! calls per query, recvfrom and sendto); a reply made at any other time is sent at once.
//! When the socket would block, replies wait in the port's queue, in order, and a persistent
//! EV_WRITE event sends them when it is writable.
//!
//! Lifetime: the port is reference-counted as upstream's: one reference is the user's (until
//! `evdns_close_server_port`), one each live request (until it is sent or dropped), and one
//! each of our event callbacks while it runs, so a callback may close the port and answer its
//! last request without the port vanishing under the callback. Closing stops reading new
//! queries (upstream kept reading and calling the callback of a port its user had closed);
//! requests already received can still be answered. The last reference closes the socket, as
//! upstream does.
//!
//! Locking: when locking is enabled each port has a recursive lock that every operation on the
//! port or one of its requests takes, held across the user's callback as upstream holds it
//! (the callback's own calls take it again). Fields are `Cell`s read and written under it.

use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_short, c_void, CStr};
use std::mem::size_of;
use std::ptr;

use libc::{sockaddr_storage, socklen_t};

use crate::base::{DelMode, EventBase};
use crate::dns::api::{DNS_ERR_NOTIMPL, EVDNS_FLAGS_AA, EVDNS_FLAGS_RD};
use crate::dns::wire::{self, QuestionOut, RdataOut, RecordOut, WireError};
use crate::event::{Event, EV_PERSIST, EV_READ, EV_WRITE};
use crate::ffi::event::Locked;
use crate::mm::errno;
use crate::thread;
use crate::util::socket;
use crate::{evdns_debug, evdns_warn};

/// A new request for the user to answer or drop.
#[allow(non_camel_case_types)]
pub type evdns_request_callback_fn_type = unsafe extern "C" fn(*mut EvdnsServerRequest, *mut c_void);

/// `struct evdns_server_request` (dns_struct.h): what C sees of a request.
#[repr(C)]
pub struct EvdnsServerRequest {
    pub flags: c_int,
    pub nquestions: c_int,
    pub questions: *mut *mut EvdnsServerQuestion,
}

/// `struct evdns_server_question` (dns_struct.h); `name` is allocated to fit its text and NUL.
#[repr(C)]
pub struct EvdnsServerQuestion {
    pub type_: c_int,
    pub dns_question_class: c_int,
    pub name: [c_char; 1],
}

// dns_struct.h's layouts on the 64-bit ABI this library targets.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<EvdnsServerRequest>() == 16);
    assert!(std::mem::offset_of!(EvdnsServerRequest, flags) == 0);
    assert!(std::mem::offset_of!(EvdnsServerRequest, nquestions) == 4);
    assert!(std::mem::offset_of!(EvdnsServerRequest, questions) == 8);
    assert!(size_of::<EvdnsServerQuestion>() == 12);
    assert!(std::mem::offset_of!(EvdnsServerQuestion, type_) == 0);
    assert!(std::mem::offset_of!(EvdnsServerQuestion, dns_question_class) == 4);
    assert!(std::mem::offset_of!(EvdnsServerQuestion, name) == 8);
};

/// Upstream's receive buffer: queries are far smaller; the parser needs only the questions.
const RECV_BUF: usize = 1500;

/// Datagrams read, and replies sent, per system call (recvmmsg, sendmmsg): under load one
/// call moves a whole batch where recvfrom and sendto would cost one call per query.
const BATCH: usize = 32;

/// Batches read per readiness: a flood must not keep the loop from its other events (timers,
/// other sockets). The socket stays readable, so the loop comes back for the rest.
const MAX_BATCHES_PER_WAKEUP: usize = 2;

/// A reply section (EVDNS_ANSWER_SECTION, EVDNS_AUTHORITY_SECTION, EVDNS_ADDITIONAL_SECTION).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer = 0,
    Authority = 1,
    Additional = 2,
}

impl Section {
    pub fn from_c(section: c_int) -> Option<Section> {
        match section {
            0 => Some(Section::Answer),
            1 => Some(Section::Authority),
            2 => Some(Section::Additional),
            _ => None,
        }
    }
}

/// Record data as the user gave it.
#[derive(Debug, Clone, Copy)]
pub enum Data<'a> {
    /// Written as is (`is_name` 0).
    Bytes(&'a [u8]),
    /// A name, written compressed (`is_name` non-zero: PTR, CNAME, NS).
    Name(&'a [u8]),
}

/// One record added to a reply; its name and data are ranges of its `Records`' bytes.
struct Item {
    section: Section,
    rtype: u16,
    class: u16,
    ttl: u32,
    is_name: bool,
    name: (u32, u32),
    data: (u32, u32),
}

/// The records of a reply being built, in the order added. Their names and data are copied
/// into one buffer, so adding a record costs no allocation of its own.
#[derive(Default)]
struct Records {
    items: Vec<Item>,
    bytes: Vec<u8>,
}

impl Records {
    /// Copies `b` into the buffer and returns where it is.
    fn keep(&mut self, b: &[u8]) -> (u32, u32) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(b);
        (start, self.bytes.len() as u32)
    }

    /// Forgets every record, keeping the buffers for the next request.
    fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
    }

    fn get(&self, (start, end): (u32, u32)) -> &[u8] {
        &self.bytes[start as usize..end as usize]
    }

    /// Adds the records for `data`, one each, all or none: each name is checked here, so that
    /// building cannot fail on it later and the caller learns of a bad name when it adds it.
    fn add<'d>(&mut self, section: Section, name: &[u8], rtype: u16, class: u16, ttl: u32, data: impl IntoIterator<Item = Data<'d>>) -> Result<(), WireError> {
        let (items, bytes) = (self.items.len(), self.bytes.len());
        let added = self.add_each(section, name, rtype, class, ttl, data);
        if added.is_err() {
            self.items.truncate(items);
            self.bytes.truncate(bytes);
        }
        added
    }

    fn add_each<'d>(&mut self, section: Section, name: &[u8], rtype: u16, class: u16, ttl: u32, data: impl IntoIterator<Item = Data<'d>>) -> Result<(), WireError> {
        wire::check_name(name)?;
        // One allocation for a typical request's records rather than a few as they grow.
        self.bytes.reserve(name.len() + 64);
        self.items.reserve(2);
        let name = self.keep(name);
        for d in data {
            let (is_name, d) = match d {
                Data::Bytes(b) => (false, b),
                Data::Name(n) => {
                    wire::check_name(n)?;
                    (true, n)
                }
            };
            if d.len() > usize::from(u16::MAX) {
                return Err(WireError::NoRoom);
            }
            let data = self.keep(d);
            self.items.push(Item { section, rtype, class, ttl, is_name, name, data });
        }
        Ok(())
    }

    /// Builds the reply to `questions` under `limit` bytes, into `buf` (see
    /// `wire::build_reply_into`).
    fn build<'a>(&'a self, buf: Vec<u8>, id: u16, flags: u16, questions: impl IntoIterator<Item = QuestionOut<'a>>, limit: usize) -> Result<wire::Reply, WireError> {
        // Section by section, each in the order its records were added.
        let section = |section: Section| {
            self.items.iter().filter(move |it| it.section == section).map(|it| {
                let data = self.get(it.data);
                let data = if it.is_name { RdataOut::Name(data) } else { RdataOut::Bytes(data) };
                RecordOut { name: self.get(it.name), rtype: it.rtype, class: it.class, ttl: it.ttl, data }
            })
        };
        let sections = [section(Section::Answer), section(Section::Authority), section(Section::Additional)];
        wire::build_reply_into(buf, id, flags, questions, sections, limit)
    }
}

/// The reply flags for a request's `flags` field (what the query kept, then what the user
/// set) and an rcode: QR added, the rest as the field says, as upstream builds them.
fn reply_flags(flags: c_int, rcode: u8) -> u16 {
    flags as u16 | wire::FLAG_QR | u16::from(rcode)
}

/// The header of a query the server will hand on, its questions parsed into `questions`:
/// `None` (with a debug message) for what it drops: malformed packets, replies, and queries
/// without a question (upstream drops those too).
fn accept_query(packet: &[u8], questions: &mut Vec<wire::Question>) -> Option<wire::Header> {
    let header = match wire::parse_query_into(packet, questions) {
        Ok(h) => h,
        Err(e) => {
            evdns_debug!("Dropping a malformed DNS request of {} bytes: {}", packet.len(), e);
            return None;
        }
    };
    if header.qr() {
        evdns_debug!("Dropping a DNS reply sent to a server port");
        return None;
    }
    if questions.is_empty() {
        evdns_debug!("Dropping a DNS request without a question");
        return None;
    }
    Some(header)
}

/// `struct evdns_server_port`, opaque to C.
pub struct EvdnsServerPort {
    /// Persistent EV_READ on the socket while the port is open. The base links the events
    /// through raw pointers, hence the UnsafeCells.
    read_ev: UnsafeCell<Event>,
    /// Persistent EV_WRITE, added while replies wait in `pending`.
    write_ev: UnsafeCell<Event>,
    lock: thread::RawLock,
    fd: c_int,
    cb: evdns_request_callback_fn_type,
    arg: *mut c_void,
    /// The user's reference, one per live request and one per running callback of ours.
    refcnt: Cell<u32>,
    closing: Cell<bool>,
    /// Replies the socket would not take yet, oldest first; each holds a request (and so a
    /// reference). Only touched under the lock, never across a call out.
    pending: UnsafeCell<VecDeque<*mut ServerRequest>>,
    /// Where a batch of datagrams is received: BATCH slots of RECV_BUF bytes. Only touched by
    /// `read_queries`, under the lock.
    recv_bufs: UnsafeCell<Box<socket::RecvBatch<BATCH, RECV_BUF>>>,
    /// While `read_queries` hands a batch of queries to the callback: the replies made
    /// meanwhile, sent together once the batch is done (see `ServerRequest::respond`).
    in_batch: Cell<bool>,
    outbox: UnsafeCell<Vec<*mut ServerRequest>>,
    /// The questions of the datagram being handled, parsed before they are copied into the
    /// request's C structs; kept to parse the next. Only touched by `handle_datagram`.
    questions: UnsafeCell<Vec<wire::Question>>,
    /// Finished requests kept for the next queries, at most SPARE_REQUESTS, with their
    /// buffers: under load a query then allocates nothing. Freed with the port.
    spare: UnsafeCell<Vec<*mut ServerRequest>>,
}

/// Finished requests a port keeps for reuse: a batch's worth and more, as a batch's replies
/// are all live until it is sent.
const SPARE_REQUESTS: usize = 2 * BATCH;

/// Adds one of a port's events to its base.
fn add_event(ev: &UnsafeCell<Event>) -> c_int {
    let ev = ev.get();
    // SAFETY: a port's events are assigned to its live base from creation to destruction.
    unsafe { Locked::new((*ev).base).add_nolock(ev, None, false) }
}

/// Deletes one of a port's events from its base.
fn del_event(ev: &UnsafeCell<Event>, mode: DelMode) -> c_int {
    let ev = ev.get();
    // SAFETY: as in add_event.
    unsafe { Locked::new((*ev).base).del_nolock(ev, mode) }
}

impl EvdnsServerPort {
    /// `evdns_add_server_port_with_base` on a checked base, socket and callback: a port that
    /// reads queries from `fd` (which it owns from now on and closes when it goes). Null, with
    /// a warning, when memory is short or the loop cannot watch the socket.
    ///
    /// # Safety
    /// `base` must be a live base and `fd` an open UDP socket.
    pub unsafe fn new(base: *mut EventBase, fd: c_int, cb: evdns_request_callback_fn_type, arg: *mut c_void) -> *mut EvdnsServerPort {
        // From the user's allocator (event_set_mem_functions), as upstream allocates it.
        let port = crate::mm::malloc(size_of::<EvdnsServerPort>()).cast::<EvdnsServerPort>();
        if port.is_null() {
            evdns_warn!("Out of memory allocating a DNS server port");
            return ptr::null_mut();
        }
        let value = EvdnsServerPort {
            // SAFETY: an all-zero struct event is the unassigned state.
            read_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            // SAFETY: as above.
            write_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            lock: thread::alloc_lock(thread::LOCKTYPE_RECURSIVE),
            fd,
            cb,
            arg,
            refcnt: Cell::new(1),
            closing: Cell::new(false),
            pending: UnsafeCell::new(VecDeque::new()),
            recv_bufs: UnsafeCell::new(socket::RecvBatch::new()),
            in_batch: Cell::new(false),
            outbox: UnsafeCell::new(Vec::new()),
            questions: UnsafeCell::new(Vec::new()),
            spare: UnsafeCell::new(Vec::new()),
        };
        // SAFETY: port is fresh memory of the right size and malloc's alignment; nothing else
        // sees it before the events are assigned.
        unsafe {
            port.write(value);
            let mut b = Locked::new(base);
            b.assign((*port).read_ev.get(), fd, EV_READ | EV_PERSIST, Some(on_readable), port.cast());
            b.assign((*port).write_ev.get(), fd, EV_WRITE | EV_PERSIST, Some(on_writable), port.cast());
        }
        // SAFETY: port was just initialised.
        let p = unsafe { &*port };
        if add_event(&p.read_ev) < 0 {
            evdns_warn!("Could not watch socket {} for DNS requests", fd);
            // The caller keeps its socket on failure, as upstream's.
            crate::debug::note_teardown(p.read_ev.get());
            crate::debug::note_teardown(p.write_ev.get());
            thread::free_lock(p.lock, thread::LOCKTYPE_RECURSIVE);
            // SAFETY: written above; nothing refers to it (the events were never added).
            unsafe { ptr::drop_in_place(port) };
            crate::mm::free(port.cast());
            return ptr::null_mut();
        }
        port
    }

    /// `evdns_close_server_port`: no more queries are read; the port goes away now, or when
    /// its last request is answered or dropped.
    ///
    /// # Safety
    /// `port` must be a live port; the caller's reference to it is gone afterwards.
    pub unsafe fn close(port: *mut EvdnsServerPort) {
        // SAFETY: live port (contract).
        let p = unsafe { &*port };
        p.take_lock();
        p.closing.set(true);
        del_event(&p.read_ev, DelMode::NoBlock);
        // SAFETY: live and locked.
        if !unsafe { EvdnsServerPort::decref(port) } {
            p.release_lock();
        }
    }

    fn take_lock(&self) {
        thread::lock(self.lock, 0);
    }

    fn release_lock(&self) {
        thread::unlock(self.lock, 0);
    }

    fn incref(&self) {
        self.refcnt.set(self.refcnt.get() + 1);
    }

    /// Drops a reference, with the lock held. True if it was the last: the port is destroyed
    /// and the lock gone; else the lock is still held.
    ///
    /// # Safety
    /// `port` must be live and locked by the caller; nothing may use it after a true result.
    unsafe fn decref(port: *mut EvdnsServerPort) -> bool {
        // SAFETY: live and locked (contract).
        let p = unsafe { &*port };
        let n = p.refcnt.get() - 1;
        p.refcnt.set(n);
        if n > 0 {
            return false;
        }
        // A callback of ours that the loop runs in another thread meanwhile finds the count at
        // 0 and leaves; the deletes wait for it, so they must not hold the lock it takes.
        p.release_lock();
        del_event(&p.read_ev, DelMode::AutoBlock);
        del_event(&p.write_ev, DelMode::AutoBlock);
        crate::debug::note_teardown(p.read_ev.get());
        crate::debug::note_teardown(p.write_ev.get());
        // SAFETY: the port owns its socket; nothing watches it any more.
        unsafe { libc::close(p.fd) };
        // SAFETY: only touched under the lock, and nothing else refers to the port now.
        for req in std::mem::take(unsafe { &mut *p.spare.get() }) {
            // SAFETY: spare requests are finished and referred to by nothing else.
            unsafe { ServerRequest::free(req) };
        }
        thread::free_lock(p.lock, thread::LOCKTYPE_RECURSIVE);
        // SAFETY: written in new() into memory from mm::malloc; no reference is left (every
        // request held one, so the queue is empty, and the events are off the base).
        unsafe { ptr::drop_in_place(port) };
        crate::mm::free(port.cast());
        true
    }

    /// Runs one of our event callbacks' work with the lock and a reference held.
    ///
    /// # Safety
    /// `port` must be live or being destroyed by another thread (which waits for us).
    unsafe fn with_ref(port: *mut EvdnsServerPort, work: impl FnOnce(&EvdnsServerPort)) {
        // SAFETY: live, or kept allocated by the destroying thread until we return (contract).
        let p = unsafe { &*port };
        p.take_lock();
        if p.refcnt.get() == 0 {
            p.release_lock();
            return;
        }
        p.incref();
        work(p);
        // SAFETY: live and locked: our reference kept it.
        if !unsafe { EvdnsServerPort::decref(port) } {
            p.release_lock();
        }
    }

    /// The read event's work: each waiting datagram becomes a request for the callback, a
    /// batch at a time; the replies made during a batch go out together after it. Lock and a
    /// reference held.
    fn read_queries(&self) {
        // A callback that runs the loop again from inside a batch: the batch's buffers are in
        // use, and the queries wait for the outer batch's next round.
        if self.in_batch.get() {
            return;
        }
        let port = self as *const EvdnsServerPort as *mut EvdnsServerPort;
        // SAFETY: only used here, under the lock, and never re-entered (checked above).
        let batch = unsafe { &mut *self.recv_bufs.get() };
        for _ in 0..MAX_BATCHES_PER_WAKEUP {
            if self.closing.get() {
                return;
            }
            let n = match batch.recv(self.fd, 0) {
                Ok(n) => n,
                Err(err) => {
                    if !socket::rw_error_is_retriable(err) {
                        evdns_warn!("Error {} ({}) while reading request.", crate::log::strerror(err), err);
                    }
                    return;
                }
            };
            self.in_batch.set(true);
            for i in 0..n {
                if self.closing.get() {
                    break;
                }
                let d = batch.datagram(i);
                self.handle_datagram(port, d.bytes, d.from, d.from_len);
            }
            self.in_batch.set(false);
            self.flush_outbox();
            if n < BATCH {
                return;
            }
        }
    }

    /// One datagram from `addr`: a request for the callback, unless it is dropped. Lock held.
    fn handle_datagram(&self, port: *mut EvdnsServerPort, packet: &[u8], addr: &sockaddr_storage, addrlen: socklen_t) {
        // SAFETY: only used here, under the lock; the callback runs after the last use.
        let questions = unsafe { &mut *self.questions.get() };
        let Some(header) = accept_query(packet, questions) else { return };
        // SAFETY: port is live and locked (ours).
        let req = unsafe { ServerRequest::new(port, &header, questions, addr, addrlen) };
        if req.is_null() {
            evdns_warn!("Out of memory for a DNS request; dropped");
            return;
        }
        if header.opcode() != 0 {
            // Only standard queries are supported, as upstream meant (its check came after the
            // opcode was masked off and never fired).
            // SAFETY: req is live and ours.
            if unsafe { ServerRequest::respond(req, DNS_ERR_NOTIMPL) } < 0 {
                // SAFETY: still live: respond kept it.
                unsafe { ServerRequest::drop_request(req) };
            }
            return;
        }
        // SAFETY: the user's callback with a live request, which it now owns.
        unsafe { (self.cb)(req.cast(), self.arg) };
    }

    /// Sends the built replies of `reqs` (at most BATCH are tried) with one sendmmsg: how many
    /// went out, or the error of the first that did not. Lock held.
    fn send_batch(&self, reqs: &[*mut ServerRequest]) -> Result<usize, c_int> {
        let reqs = &reqs[..reqs.len().min(BATCH)];
        // SAFETY: all-zero iovecs and mmsghdrs are valid (plain C data).
        let (mut iovs, mut msgs): ([libc::iovec; BATCH], [libc::mmsghdr; BATCH]) = unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
        for ((iov, msg), &req) in iovs.iter_mut().zip(&mut msgs).zip(reqs) {
            // SAFETY: requests given here are live, with their reply built.
            let r = unsafe { &*req };
            let reply = &r.response;
            iov.iov_base = reply.as_ptr() as *mut c_void;
            iov.iov_len = reply.len();
            msg.msg_hdr.msg_iov = iov;
            msg.msg_hdr.msg_iovlen = 1;
            msg.msg_hdr.msg_name = (&r.addr as *const sockaddr_storage) as *mut c_void;
            msg.msg_hdr.msg_namelen = r.addrlen;
        }
        // SAFETY: reqs.len() messages, each pointing at a reply and an address that stay put
        // during the call; sendmmsg only reads them.
        let n = unsafe { libc::sendmmsg(self.fd, msgs.as_mut_ptr(), reqs.len() as std::ffi::c_uint, 0) };
        if n < 0 {
            return Err(errno());
        }
        Ok(n as usize)
    }

    /// Runs `f` on the queue of waiting replies. Lock held; `f` calls nothing that could come
    /// back here.
    fn with_pending<R>(&self, f: impl FnOnce(&mut VecDeque<*mut ServerRequest>) -> R) -> R {
        // SAFETY: only touched under the port's lock, by short calls that do not nest.
        f(unsafe { &mut *self.pending.get() })
    }

    /// Queues replies behind those already waiting, and waits for the socket to be writable
    /// if none were. Lock held; the requests now belong to the queue.
    fn queue(&self, reqs: &[*mut ServerRequest]) {
        let was_empty = self.with_pending(|q| {
            let was_empty = q.is_empty();
            q.extend(reqs);
            was_empty
        });
        if was_empty && add_event(&self.write_ev) < 0 {
            evdns_warn!("Error from libevent when adding event for DNS server");
        }
    }

    /// Sends `reqs` in order, as many a call as sendmmsg takes, and frees each that went or
    /// failed for good; when the socket would block, the rest wait in the queue. Lock and a
    /// reference held (so releasing requests cannot destroy the port); the caller has taken
    /// `reqs` out of wherever it kept them.
    fn send_all(&self, mut reqs: &[*mut ServerRequest]) {
        while !reqs.is_empty() {
            if self.with_pending(|q| !q.is_empty()) {
                self.queue(reqs);
                return;
            }
            let done = match self.send_batch(reqs) {
                Ok(n) => n,
                Err(e) if socket::rw_error_is_retriable(e) => 0,
                Err(e) => {
                    evdns_warn!("Error {} ({}) while writing response to port; dropping", crate::log::strerror(e), e);
                    1
                }
            };
            if done == 0 {
                self.queue(reqs);
                return;
            }
            for &req in &reqs[..done] {
                // SAFETY: live, and no longer kept anywhere; the caller's reference keeps the
                // port alive.
                unsafe { ServerRequest::release(req) };
            }
            reqs = &reqs[done..];
        }
    }

    /// Sends what the callback answered during a batch. Lock and a reference held.
    fn flush_outbox(&self) {
        // SAFETY: only touched under the lock, and respond does not run during this call.
        let out = std::mem::take(unsafe { &mut *self.outbox.get() });
        self.send_all(&out);
        // Keep the allocation for the next batch.
        let mut out = out;
        out.clear();
        // SAFETY: as above.
        unsafe { *self.outbox.get() = out };
    }

    /// The write event's work: send waiting replies in order until the socket would block;
    /// once all are out, stop watching for writability. Lock and a reference held.
    fn flush(&self) {
        let waiting: Vec<*mut ServerRequest> = self.with_pending(|q| q.drain(..).collect());
        self.send_all(&waiting);
        if self.with_pending(|q| q.is_empty()) {
            del_event(&self.write_ev, DelMode::NoBlock);
        }
    }
}

/// Callback of the read event.
unsafe extern "C" fn on_readable(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: arg is the port that owns this event (destroying it deletes the event first,
    // waiting for this callback).
    unsafe { EvdnsServerPort::with_ref(arg.cast(), EvdnsServerPort::read_queries) };
}

/// Callback of the write event.
unsafe extern "C" fn on_writable(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: as in on_readable.
    unsafe { EvdnsServerPort::with_ref(arg.cast(), EvdnsServerPort::flush) };
}

/// A request received on a port. C holds a pointer to `public`, its first field.
#[repr(C)]
pub struct ServerRequest {
    public: EvdnsServerRequest,
    port: *mut EvdnsServerPort,
    id: u16,
    /// How many questions were written (C may rewrite `public.nquestions`).
    nquestions: usize,
    /// The block `public.questions` points into (see `QuestionBlock`), from mm::malloc.
    questions: QuestionBlock,
    addr: sockaddr_storage,
    addrlen: socklen_t,
    records: Records,
    /// Whether the reply is built, in `response`; it is kept when sending failed (respond may
    /// be called again) and while it waits in the port's queue.
    answered: bool,
    response: Vec<u8>,
}

/// One allocation holding a request's C questions: the array of pointers, then each
/// `evdns_server_question` with its name (upstream allocated each apart; C only reads them
/// through the array). Kept when its request is recycled, and reused when large enough.
struct QuestionBlock {
    ptr: *mut u8,
    size: usize,
}

impl QuestionBlock {
    const EMPTY: QuestionBlock = QuestionBlock { ptr: ptr::null_mut(), size: 0 };

    /// Bytes one question takes in the block: the two ints, the name and its NUL, at least
    /// the struct's size, rounded up so that the next question is aligned too.
    fn question_size(name: &[u8]) -> usize {
        let size = (std::mem::offset_of!(EvdnsServerQuestion, name) + name.len() + 1).max(size_of::<EvdnsServerQuestion>());
        size.next_multiple_of(std::mem::align_of::<EvdnsServerQuestion>())
    }

    /// Writes `questions` into the block, growing it if needed, and returns the array of
    /// pointers to them; None (the block as it was) when memory is short.
    fn fill(&mut self, questions: &[wire::Question]) -> Option<*mut *mut EvdnsServerQuestion> {
        let array = questions.len() * size_of::<*mut EvdnsServerQuestion>();
        let need = array + questions.iter().map(|q| QuestionBlock::question_size(q.name.as_bytes())).sum::<usize>();
        if need > self.size {
            let ptr = crate::mm::malloc(need).cast::<u8>();
            if ptr.is_null() {
                return None;
            }
            self.free();
            *self = QuestionBlock { ptr, size: need };
        }
        let array_ptr = self.ptr.cast::<*mut EvdnsServerQuestion>();
        let mut at = array;
        for (i, q) in questions.iter().enumerate() {
            let text = q.name.as_bytes();
            // SAFETY: the block has `need` bytes, from malloc's alignment (enough for
            // pointers); the array's slots come first, then question i at `at`, aligned for
            // the struct and sized by question_size for its ints, text and NUL.
            unsafe {
                let cq = self.ptr.add(at).cast::<EvdnsServerQuestion>();
                (*cq).type_ = c_int::from(q.qtype);
                (*cq).dns_question_class = c_int::from(q.qclass);
                let name = (*cq).name.as_mut_ptr().cast::<u8>();
                ptr::copy_nonoverlapping(text.as_ptr(), name, text.len());
                *name.add(text.len()) = 0;
                *array_ptr.add(i) = cq;
            }
            at += QuestionBlock::question_size(text);
        }
        Some(array_ptr)
    }

    fn free(&mut self) {
        crate::mm::free(self.ptr.cast());
        *self = QuestionBlock::EMPTY;
    }
}

impl ServerRequest {
    /// The request behind a C handle.
    pub fn from_handle(handle: *mut EvdnsServerRequest) -> *mut ServerRequest {
        handle.cast()
    }

    /// A request for the query of `header` and `questions` from `addr`, with its questions in
    /// C structs: a spare one of the port's, or a new one; it holds a reference on the port.
    /// Null when memory is short.
    ///
    /// # Safety
    /// `port` must be live and locked by the caller; `addrlen` at most the storage's size.
    unsafe fn new(port: *mut EvdnsServerPort, header: &wire::Header, questions: &[wire::Question], addr: &sockaddr_storage, addrlen: socklen_t) -> *mut ServerRequest {
        // SAFETY: port is live and locked (contract); the spare list is only touched under it.
        let spare = unsafe { (*(*port).spare.get()).pop() };
        let req = match spare {
            Some(req) => req,
            None => {
                let req = crate::mm::malloc(size_of::<ServerRequest>()).cast::<ServerRequest>();
                if req.is_null() {
                    return ptr::null_mut();
                }
                let value = ServerRequest {
                    public: EvdnsServerRequest { flags: 0, nquestions: 0, questions: ptr::null_mut() },
                    port,
                    id: 0,
                    nquestions: 0,
                    questions: QuestionBlock::EMPTY,
                    // SAFETY: an all-zero sockaddr_storage is valid (plain C data).
                    addr: unsafe { std::mem::zeroed() },
                    addrlen: 0,
                    records: Records::default(),
                    answered: false,
                    response: Vec::new(),
                };
                // SAFETY: fresh memory of the right size and malloc's alignment.
                unsafe { req.write(value) };
                req
            }
        };
        // SAFETY: req is a valid request that nothing else refers to (fresh or spare).
        let r = unsafe { &mut *req };
        let Some(array) = r.questions.fill(questions) else {
            // SAFETY: as above.
            unsafe { ServerRequest::free(req) };
            return ptr::null_mut();
        };
        r.public = EvdnsServerRequest {
            flags: c_int::from(header.flags & (wire::FLAG_RD | wire::FLAG_CD)),
            // At most 65535 questions (a u16 count).
            nquestions: questions.len() as c_int,
            questions: array,
        };
        r.id = header.id;
        r.nquestions = questions.len();
        r.addr = *addr;
        r.addrlen = addrlen;
        // SAFETY: port is live and locked (contract).
        unsafe { (*port).incref() };
        req
    }

    /// Frees a request's memory for good.
    ///
    /// # Safety
    /// `req` must be a valid request, not queued, and used by nobody afterwards.
    unsafe fn free(req: *mut ServerRequest) {
        // SAFETY: valid (contract): written by new() into memory from mm::malloc.
        unsafe {
            (*req).questions.free();
            ptr::drop_in_place(req);
        }
        crate::mm::free(req.cast());
    }

    /// The request's questions as the reply echoes them, read from the C structs.
    fn questions(&self) -> impl Iterator<Item = QuestionOut<'_>> {
        (0..self.nquestions).map(|i| {
                // SAFETY: new() filled nquestions entries with questions whose names are
                // NUL-terminated; C may have edited them in place, not reallocated them.
                unsafe {
                    let q = *self.public.questions.add(i);
                    let name = CStr::from_ptr((*q).name.as_ptr()).to_bytes();
                QuestionOut { name, qtype: (*q).type_ as u16, qclass: (*q).dns_question_class as u16 }
            }
        })
    }

    /// The reply for `rcode` (0..=15) under `limit` bytes: the questions echoed, the records
    /// added so far. The server uses the UDP limit; tests also build 64 KiB replies with it.
    /// The reply is written into `buf`.
    fn build_response(&self, buf: Vec<u8>, rcode: u8, limit: usize) -> Result<wire::Reply, WireError> {
        self.records.build(buf, self.id, reply_flags(self.public.flags, rcode), self.questions(), limit)
    }

    /// `evdns_server_request_add_reply` and the helpers built on it: one record per `data`,
    /// all or none; -1 with a warning when a name is invalid or the request was already
    /// answered.
    ///
    /// # Safety
    /// `req` must be a live request the caller owns.
    pub unsafe fn add_reply<'d>(
        req: *mut ServerRequest,
        section: Section,
        name: &[u8],
        rtype: u16,
        class: u16,
        ttl: u32,
        data: impl IntoIterator<Item = Data<'d>>,
    ) -> c_int {
        // SAFETY: live request (contract); its port outlives it.
        let (r, port) = unsafe { (&mut *req, &*(*req).port) };
        port.take_lock();
        let result = if r.answered {
            evdns_warn!("evdns_server_request_add_reply: the request was already answered");
            -1
        } else {
            match r.records.add(section, name, rtype, class, ttl, data) {
                Ok(()) => 0,
                Err(e) => {
                    evdns_warn!("evdns_server_request_add_reply: bad record for \"{}\": {}", String::from_utf8_lossy(name), e);
                    -1
                }
            }
        };
        port.release_lock();
        result
    }

    /// `evdns_server_request_set_flags`: AA and (upstream's) RD replaced by `flags`.
    ///
    /// # Safety
    /// `req` must be a live request the caller owns.
    pub unsafe fn set_flags(req: *mut ServerRequest, flags: c_int) {
        // SAFETY: live request (contract).
        let (r, port) = unsafe { (&mut *req, &*(*req).port) };
        port.take_lock();
        r.public.flags = (r.public.flags & !(EVDNS_FLAGS_AA | EVDNS_FLAGS_RD)) | flags;
        port.release_lock();
    }

    /// `evdns_server_request_respond`: 0 when the reply went out (or, from inside the
    /// callback, goes out with its batch as the callback returns: a failure then is logged),
    /// 1 when it waits for the socket (the request then belongs to the port); -1 with a
    /// warning when it could not be built (an rcode over 15, questions too long for a UDP
    /// reply) or sending it failed, and the request is still the caller's, to respond again
    /// or drop, as upstream's.
    ///
    /// # Safety
    /// `req` must be a live request the caller owns.
    pub unsafe fn respond(req: *mut ServerRequest, rcode: c_int) -> c_int {
        // SAFETY: live request (contract); its port outlives it.
        let (r, port) = unsafe { (&mut *req, &*(*req).port) };
        port.take_lock();
        if !r.answered {
            if !(0..=15).contains(&rcode) {
                evdns_warn!("evdns_server_request_respond: error code {} is not a DNS rcode (0-15)", rcode);
                port.release_lock();
                return -1;
            }
            let buf = std::mem::take(&mut r.response);
            match r.build_response(buf, rcode as u8, wire::UDP_MAX) {
                Ok(reply) => {
                    r.response = reply.bytes;
                    r.answered = true;
                    r.records.clear();
                }
                Err(e) => {
                    evdns_warn!("evdns_server_request_respond: cannot build the reply: {}", e);
                    port.release_lock();
                    return -1;
                }
            }
        }
        // Inside a batch of the loop's callback: sent with the batch's other replies.
        if port.in_batch.get() {
            // SAFETY: only touched under the lock, which we hold.
            unsafe { (*port.outbox.get()).push(req) };
            port.release_lock();
            return 0;
        }
        // Behind replies already waiting, to keep them in order.
        if port.with_pending(|q| !q.is_empty()) {
            port.queue(&[req]);
            port.release_lock();
            return 1;
        }
        match port.send_batch(&[req]) {
            Ok(1) => {
                // SAFETY: live and ours; if the port went with it, its lock went too.
                if !unsafe { ServerRequest::release(req) } {
                    port.release_lock();
                }
                0
            }
            Err(e) if !socket::rw_error_is_retriable(e) => {
                evdns_warn!("Error {} ({}) while sending a DNS reply", crate::log::strerror(e), e);
                port.release_lock();
                -1
            }
            _ => {
                port.queue(&[req]);
                port.release_lock();
                1
            }
        }
    }

    /// `evdns_server_request_drop`: the request goes without a reply.
    ///
    /// # Safety
    /// `req` must be a live request the caller owns; it is gone afterwards.
    pub unsafe fn drop_request(req: *mut ServerRequest) {
        // SAFETY: live request (contract); its port outlives it.
        let port = unsafe { &*(*req).port };
        port.take_lock();
        // SAFETY: live and ours.
        if !unsafe { ServerRequest::release(req) } {
            port.release_lock();
        }
    }

    /// `evdns_server_request_get_requesting_addr`: the client's address copied into `out`,
    /// and its length; -1 if `out` is too short, as upstream.
    pub fn copy_requesting_addr(&self, out: &mut [u8]) -> c_int {
        let len = self.addrlen as usize;
        let Some(out) = out.get_mut(..len) else { return -1 };
        // SAFETY: sockaddr_storage is plain bytes and len is at most its size (as recvmmsg gave it).
        let addr = unsafe { std::slice::from_raw_parts((&self.addr as *const sockaddr_storage).cast::<u8>(), len) };
        out.copy_from_slice(addr);
        len as c_int
    }

    /// Finishes the request (kept as a spare of its port's, or freed) and drops its
    /// reference on the port, with the port locked. True if that destroyed the port (and its
    /// lock); else the lock is still held.
    ///
    /// # Safety
    /// `req` must be live, not queued, and used by nobody afterwards; its port locked.
    unsafe fn release(req: *mut ServerRequest) -> bool {
        // SAFETY: live (contract); its port outlives it and is locked.
        let (r, port) = unsafe { (&mut *req, (*req).port) };
        // SAFETY: as above; the spare list is only touched under the lock.
        let spare = unsafe { &mut *(*port).spare.get() };
        if spare.len() < SPARE_REQUESTS {
            // What C saw of it goes; the buffers stay for the next request.
            r.public = EvdnsServerRequest { flags: 0, nquestions: 0, questions: ptr::null_mut() };
            r.nquestions = 0;
            r.records.clear();
            r.answered = false;
            r.response.clear();
            spare.push(req);
        } else {
            // SAFETY: live and used by nobody afterwards (contract).
            unsafe { ServerRequest::free(req) };
        }
        // SAFETY: the port is live and locked (contract).
        unsafe { EvdnsServerPort::decref(port) }
    }
}

/// Fuzz entry for the server's query path: parses `data` as the server does, answers every
/// question with a record of each kind (A, AAAA, PTR, CNAME, and an NS in authority), builds
/// the UDP reply and checks it parses back, whole records within 512 bytes. Must never panic.
pub fn fuzz_query(data: &[u8]) {
    let mut parsed_questions = Vec::new();
    let Some(header) = accept_query(data, &mut parsed_questions) else { return };
    let mut records = Records::default();
    for q in &parsed_questions {
        let name = q.name.as_bytes();
        let added = [
            records.add(Section::Answer, name, wire::TYPE_A, wire::CLASS_IN, 60, [Data::Bytes(&[127, 0, 0, 1])]),
            records.add(Section::Answer, name, wire::TYPE_AAAA, wire::CLASS_IN, 60, [Data::Bytes(&[0; 16])]),
            records.add(Section::Answer, name, wire::TYPE_PTR, wire::CLASS_IN, 60, [Data::Name(name)]),
            records.add(Section::Answer, name, wire::TYPE_CNAME, wire::CLASS_IN, 60, [Data::Name(b"target.example")]),
            records.add(Section::Authority, b"example", wire::TYPE_NS, wire::CLASS_IN, 60, [Data::Name(name)]),
        ];
        // Parsed names are always valid names.
        assert!(added.iter().all(Result::is_ok));
    }
    let questions = parsed_questions.iter().map(|q| QuestionOut { name: q.name.as_bytes(), qtype: q.qtype, qclass: q.qclass });
    let flags = reply_flags(c_int::from(header.flags & (wire::FLAG_RD | wire::FLAG_CD)), 0);
    let Ok(reply) = records.build(Vec::new(), header.id, flags, questions, wire::UDP_MAX) else {
        // Only questions too long for 512 bytes fail (the query may be up to 1500).
        return;
    };
    assert!(reply.bytes.len() <= wire::UDP_MAX);
    let parsed = wire::parse_message(&reply.bytes).expect("a built reply parses");
    assert_eq!(parsed.header.id, header.id);
    assert_eq!(parsed.header.tc(), reply.truncated);
    assert_eq!(parsed.questions, parsed_questions);
    for rr in parsed.answers.iter().chain(&parsed.authority) {
        assert!(parsed.rdata(rr).is_ok());
    }
}

#[cfg(test)]
mod tests;
