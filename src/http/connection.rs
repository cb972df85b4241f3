//! `struct evhttp_connection`: one state machine on a bufferevent for both directions.
//!
//! A server connection (`FLAG_INCOMING`) reads a request, hands it to the server, writes the
//! reply, and on keep-alive reads the next one; a client connection (`FLAG_OUTGOING`) connects,
//! writes the first queued request, reads its response, and goes on with the next. Reading is
//! the same code for both: the head through `parse::HeadReader` over the buffered bytes, then
//! the body by `parse::body_framing` (Content-Length, chunked through `parse::ChunkedReader`
//! with trailers checked and dropped, or until close), with the size limits and upstream's
//! callbacks (`header_cb`, `chunk_cb`) on the way. Bodies move between buffers chain by chain
//! (`evbuffer_remove_buffer`), never byte by byte; heads are written from one scratch buffer per
//! thread (`with_scratch`).
//!
//! The states, the order of callbacks and the moments the bufferevent's callbacks change are
//! upstream's (its regression suite depends on them): e.g. while a message is written the read
//! callback is off (the event callback stays, to notice a close), and input that arrived early
//! is processed from a deferred callback once reading starts.
//!
//! # Lifetime
//! A connection is freed by `evhttp_connection_free`, by its server, or by the library when a
//! server connection is done or an auto-free client connection has nothing left to do. User
//! callbacks may free it (or its server) while the library is inside one of its own callbacks:
//! every entry from the event loop holds a [`Busy`] guard, and a free during that time tears the
//! connection down at once (callbacks, requests, socket, bufferevent) but leaves the memory,
//! marked `dead`, to the outermost guard. Code that calls out to the program checks [`alive`]
//! before touching the connection again.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_short, c_void, CString};
use std::ptr;

use libc::timeval;

use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::bufferevent::layout::*;
use crate::event::{Event, EventCallback};
use crate::ffi::buffer::*;
use crate::ffi::bufferevent::*;
use crate::ffi::event::{event_del, event_initialized, Locked};
use crate::ffi::internal::{event_deferred_cb_cancel_, event_deferred_cb_init_, event_deferred_cb_schedule_};
use crate::http::api::*;
use crate::http::parse::{self, BodyFraming, ChunkEvent, ChunkedReader, HeadItem, HeadKind, HeadReader, Limits, MessageKind, ParseError};
use crate::http::server::{self, Evhttp};
use crate::http::{client, headers, request};
use crate::list::Link;
use crate::mm;

// Library-internal connection flags (http-internal.h), beside the public EVHTTP_CON_* bits.
/// A server connection: requests come in.
pub const FLAG_INCOMING: c_int = 0x0001;
/// A client connection: requests go out.
pub const FLAG_OUTGOING: c_int = 0x0002;
/// Idle keep-alive client connection watching for the server's close.
pub const FLAG_CLOSEDETECT: c_int = 0x0004;
/// `evhttp_connection_free_on_completion`.
pub const FLAG_AUTOFREE: c_int = EVHTTP_CON_PUBLIC_FLAGS_END;
/// Reading the server's error answer after a write failed (READ_ON_WRITE_ERROR).
pub const FLAG_READING_ERROR: c_int = FLAG_AUTOFREE << 1;

/// Seconds a client waits to connect, and then for each read and write, without a timeout of
/// its own (http-internal.h).
pub const CONNECT_TIMEOUT: timeval = timeval { tv_sec: 45, tv_usec: 0 };
pub const READ_TIMEOUT: timeval = timeval { tv_sec: 50, tv_usec: 0 };
pub const WRITE_TIMEOUT: timeval = timeval { tv_sec: 50, tv_usec: 0 };

/// `enum evhttp_connection_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Disconnected,
    Connecting,
    Idle,
    ReadingFirstline,
    ReadingHeaders,
    ReadingBody,
    ReadingTrailer,
    Writing,
}

/// What to do once the output buffer has drained (upstream's `evcon->cb`).
#[derive(Clone, Copy)]
pub enum AfterWrite {
    Nothing,
    /// Server: the reply is out (`evhttp_send_done`).
    SendDone,
    /// Client: the request is out, read the response.
    RequestWritten,
    /// Server: `100 Continue` is out.
    ContinueSent,
    /// `evhttp_send_reply_chunk_with_cb`'s callback.
    User(ConnectionCb, *mut c_void),
}

/// Which bufferevent callbacks are installed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Callbacks {
    None,
    /// Reading a message (or idle): read, write and event callbacks.
    All,
    /// Writing: no read callback, so input waits; the event callback notices a close.
    Writing,
    /// Connecting: only the connect event callback.
    Connecting,
}

/// `struct evhttp_connection` (opaque to C).
pub struct Connection {
    /// In the server's `connections` list.
    pub(crate) link: Link<Connection>,
    pub(crate) fd: c_int,
    pub(crate) bufev: *mut Bufferevent,
    /// The client's retry timer (assigned when first needed; zeroed until then).
    pub(crate) retry_ev: Event,
    pub(crate) bind_address: Option<CString>,
    pub(crate) bind_port: u16,
    /// The peer: the server to connect to, or the client's numeric address.
    pub(crate) address: CString,
    pub(crate) port: u16,
    pub(crate) max_headers_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) flags: c_int,
    /// `evhttp_connection_set_timeout(_tv)`; all zero means the defaults.
    pub(crate) timeout: timeval,
    pub(crate) retry_cnt: c_int,
    pub(crate) retry_max: c_int,
    pub(crate) initial_retry_timeout: timeval,
    pub(crate) state: State,
    pub(crate) http_server: *mut Evhttp,
    /// The requests, the one being worked on first.
    pub(crate) requests: VecDeque<*mut Request>,
    pub(crate) after_write: AfterWrite,
    /// What `set_callbacks` installed last.
    pub(crate) callbacks: Callbacks,
    pub(crate) closecb: Option<ConnectionCb>,
    pub(crate) closecb_arg: *mut c_void,
    /// Processes input that arrived before reading started (`evhttp_start_read_`).
    read_more: EventCallback,
    pub(crate) base: *mut EventBase,
    pub(crate) dns_base: *mut EvdnsBase,
    pub(crate) ai_family: c_int,
    /// The head being read (request, response or trailer).
    head: HeadReader,
    /// The chunked body being read.
    chunks: ChunkedReader,
    /// Where heads are written before they go to the output buffer in one piece.
    /// Library callbacks running on this connection (see the module doc).
    busy: u32,
    /// Freed while busy: torn down, memory not yet released.
    dead: bool,
}

/// The link of the server's connection list.
///
/// # Safety
/// `c` is a live connection.
pub(crate) unsafe fn link_of(c: *mut Connection) -> *mut Link<Connection> {
    // SAFETY: caller's contract.
    unsafe { &raw mut (*c).link }
}

/// Marks a connection in use by the library for the guard's lifetime (see the module doc).
pub struct Busy(*mut Connection);

impl Busy {
    /// # Safety
    /// `c` is a live connection (possibly dead, not yet released).
    pub unsafe fn new(c: *mut Connection) -> Busy {
        // SAFETY: caller's contract.
        unsafe { (*c).busy += 1 };
        Busy(c)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // SAFETY: the guard keeps the memory alive: it is released only here or by a free
        // that found no guard.
        unsafe {
            (*self.0).busy -= 1;
            if (*self.0).busy == 0 && (*self.0).dead {
                release(self.0);
            }
        }
    }
}

/// Whether the connection was not freed meanwhile (by a callback of the program).
///
/// # Safety
/// `c` is live or dead-but-guarded.
#[inline]
pub unsafe fn alive(c: *mut Connection) -> bool {
    // SAFETY: caller's contract.
    unsafe { !(*c).dead }
}

impl Connection {
    /// `evhttp_connection_base_bufferevent_new`: a disconnected connection to
    /// `address:port` on `bev` (a new socket bufferevent when NULL). NULL on failure.
    /// `address` is taken as a `Vec` when the caller has one (a server names each peer in a
    /// fresh one, with room for the NUL): it becomes the stored string without another copy.
    ///
    /// # Safety
    /// `base` is NULL or live, `dns_base` NULL or live, `bev` NULL or a live bufferevent the
    /// connection takes over.
    pub unsafe fn new(base: *mut EventBase, dns_base: *mut EvdnsBase, mut bev: *mut Bufferevent, address: impl Into<Vec<u8>>, port: u16) -> *mut Connection {
        let Ok(address) = CString::new(address) else {
            warnx!("evhttp_connection_base_bufferevent_new: address holds a NUL");
            return ptr::null_mut();
        };
        let c = mm::malloc(std::mem::size_of::<Connection>()).cast::<Connection>();
        if c.is_null() {
            warnx!("evhttp_connection_base_bufferevent_new: out of memory");
            return ptr::null_mut();
        }
        if bev.is_null() {
            // SAFETY: base is NULL (the current base) or live.
            bev = unsafe { bufferevent_socket_new(base, -1, 0) };
            if bev.is_null() {
                warnx!("evhttp_connection_base_bufferevent_new: bufferevent_socket_new failed");
                mm::free(c.cast());
                return ptr::null_mut();
            }
        }
        let limits = Limits::default();
        let value = Connection {
            link: Link { next: ptr::null_mut(), prev: ptr::null_mut() },
            fd: -1,
            bufev: bev,
            // SAFETY: an all-zero struct event is the unassigned state.
            retry_ev: unsafe { std::mem::zeroed() },
            bind_address: None,
            bind_port: 0,
            address,
            port,
            max_headers_size: usize::MAX,
            max_body_size: usize::MAX as u64,
            flags: 0,
            timeout: timeval { tv_sec: 0, tv_usec: 0 },
            retry_cnt: 0,
            retry_max: 0,
            initial_retry_timeout: timeval { tv_sec: 2, tv_usec: 0 },
            state: State::Disconnected,
            http_server: ptr::null_mut(),
            requests: VecDeque::new(),
            after_write: AfterWrite::Nothing,
            callbacks: Callbacks::None,
            closecb: None,
            closecb_arg: ptr::null_mut(),
            // SAFETY: all zeroes is an unscheduled event_callback; initialised below.
            read_more: unsafe { std::mem::zeroed() },
            base,
            dns_base,
            ai_family: libc::AF_UNSPEC,
            head: HeadReader::new(HeadKind::Request, &limits),
            chunks: ChunkedReader::new(&limits),
            busy: 0,
            dead: false,
        };
        // SAFETY: c is fresh memory for a Connection that never moves; bev is live.
        unsafe {
            c.write(value);
            set_callbacks(c, Callbacks::All);
            if !base.is_null() && bufferevent_get_base(bev) != base {
                bufferevent_base_set(base, bev);
            }
            let pri = u8::try_from(bufferevent_get_priority(bev)).unwrap_or(0);
            event_deferred_cb_init_(&raw mut (*c).read_more, pri, Some(on_read_more), c.cast());
        }
        c
    }

    /// The limits the parser enforces on this connection.
    fn limits(&self) -> Limits {
        Limits { max_headers: self.max_headers_size, max_body: self.max_body_size, ..Limits::default() }
    }
}

/// The first request (the one being read or written), or NULL.
///
/// # Safety
/// `c` is a live connection.
#[inline]
pub unsafe fn first_request(c: *mut Connection) -> *mut Request {
    // SAFETY: caller's contract.
    unsafe { (*c).requests.front().copied().unwrap_or(ptr::null_mut()) }
}

/// Removes `req` from the queue (no-op if it is not there).
///
/// # Safety
/// `c` is a live connection.
pub unsafe fn unqueue(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    let q = unsafe { &mut (*c).requests };
    if q.front() == Some(&req) {
        q.pop_front();
    } else if let Some(i) = q.iter().position(|&r| r == req) {
        q.remove(i);
    }
}

/// Unqueues and frees (unless owned) a request (`evhttp_request_free_`). An owned request
/// forgets the connection, so that freeing it later touches nothing of ours.
///
/// # Safety
/// `c` is live and `req` one of its requests.
pub unsafe fn free_request(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        unqueue(c, req);
        drop_request(req);
    }
}

/// The program frees a request that is still on this connection (upstream leaves the connection
/// pointing at freed memory). A queued one just leaves the queue. The one being worked on: a
/// client connection disconnects and goes on with the next request; a server connection that
/// has not been answered closes (nobody will answer), one whose answer is being written closes
/// once it is out (`server::send_done` finds no request).
///
/// # Safety
/// `c` is live and `req` one of its requests; the caller frees `req` next.
pub unsafe fn forget_request(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let _busy = Busy::new(c);
        let current = first_request(c) == req;
        unqueue(c, req);
        (*req).evcon = ptr::null_mut();
        if !current || !alive(c) {
            return;
        }
        if (*c).flags & FLAG_INCOMING != 0 {
            if !(*req).userdone() {
                free(c);
            }
        } else {
            reset(c);
            if alive(c) && !(*c).requests.is_empty() {
                client::connect(c);
            }
        }
    }
}

/// Frees (unless owned) a request that left its connection's queue.
///
/// # Safety
/// `req` is a live request on no queue.
unsafe fn drop_request(req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        (*req).evcon = ptr::null_mut();
        request::free_auto(req);
    }
}

#[inline]
unsafe fn input(c: *mut Connection) -> *mut Evbuffer {
    // SAFETY: c is live with a live bufferevent (callers' contract).
    unsafe { (*(*c).bufev).input }
}

#[inline]
pub(crate) unsafe fn output(c: *mut Connection) -> *mut Evbuffer {
    // SAFETY: as above.
    unsafe { (*(*c).bufev).output }
}

/// Installs one of the callback sets on the bufferevent.
///
/// # Safety
/// `c` is a live connection with a bufferevent.
pub unsafe fn set_callbacks(c: *mut Connection, which: Callbacks) {
    let (r, w, e): (Option<BuffereventDataCb>, Option<BuffereventDataCb>, Option<BuffereventEventCb>) = match which {
        Callbacks::None => (None, None, None),
        Callbacks::All => (Some(on_read), Some(on_write), Some(on_event)),
        Callbacks::Writing => (None, Some(on_write), Some(on_event)),
        Callbacks::Connecting => (None, None, Some(client::on_connect)),
    };
    let arg = if which == Callbacks::None { ptr::null_mut() } else { c.cast() };
    // SAFETY: live connection and bufferevent (contract).
    unsafe {
        (*c).callbacks = which;
        bufferevent_setcb((*c).bufev, r, w, e, arg);
    }
}

/// Whether the connection is in any connected state.
///
/// # Safety
/// `c` is a live connection.
pub unsafe fn connected(c: *mut Connection) -> bool {
    // SAFETY: caller's contract.
    !matches!(unsafe { (*c).state }, State::Disconnected | State::Connecting)
}

// ---- bufferevent callbacks ------------------------------------------------------------------

unsafe extern "C" fn on_read(_bev: *mut Bufferevent, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: arg is the live connection these callbacks were installed for.
    unsafe {
        let _busy = Busy::new(c);
        read_input(c);
    }
}

unsafe extern "C" fn on_write(_bev: *mut Bufferevent, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: as above.
    unsafe {
        let _busy = Busy::new(c);
        run_after_write(c);
    }
}

unsafe extern "C" fn on_event(bev: *mut Bufferevent, what: c_short, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: as above.
    unsafe {
        let _busy = Busy::new(c);
        handle_event(c, bev, what);
    }
}

/// The deferred `read_more` callback: runs the read callback if reading is on.
unsafe extern "C" fn on_read_more(_cb: *mut EventCallback, arg: *mut c_void) {
    let c = arg.cast::<Connection>();
    // SAFETY: the callback is cancelled before the connection goes away, so c is live.
    unsafe {
        let bev = (*c).bufev;
        if let Some(readcb) = (*bev).readcb {
            readcb(bev, c.cast());
        }
    }
}

/// Runs what was to happen once the output drained.
///
/// # Safety
/// `c` is a live, guarded connection.
unsafe fn run_after_write(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        match (*c).after_write {
            AfterWrite::Nothing => {}
            AfterWrite::SendDone => server::send_done(c),
            AfterWrite::RequestWritten => client::request_written(c),
            AfterWrite::ContinueSent => {
                bufferevent_disable((*c).bufev, EV_WRITE_BIT);
            }
            AfterWrite::User(cb, arg) => cb(c, arg),
        }
    }
}

const EV_READ_BIT: c_short = crate::event::EV_READ;
const EV_WRITE_BIT: c_short = crate::event::EV_WRITE;

/// The read callback: advances whatever is being read.
///
/// # Safety
/// `c` is a live, guarded connection.
unsafe fn read_input(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        event_deferred_cb_cancel_((*c).base, &raw mut (*c).read_more);
        let req = first_request(c);
        match (*c).state {
            State::ReadingFirstline | State::ReadingHeaders => read_head(c, req),
            State::ReadingBody => read_body(c, req),
            State::ReadingTrailer => read_trailer(c, req),
            // Data on an idle client connection: the server is not speaking HTTP to us.
            State::Idle => reset(c),
            state => warnx!("evhttp: read callback in connection state {:?}", state),
        }
    }
}

/// The event callback of a connected connection (upstream's `evhttp_error_cb`).
///
/// # Safety
/// `c` is a live, guarded connection.
pub unsafe fn handle_event(c: *mut Connection, bev: *mut Bufferevent, what: c_short) {
    // SAFETY: caller's contract.
    unsafe {
        if (*c).fd == -1 {
            (*c).fd = bufferevent_getfd(bev);
        }
        let req = first_request(c);
        match (*c).state {
            State::Connecting if what & BEV_EVENT_TIMEOUT != 0 => {
                client::connect_failed(c);
                return;
            }
            // A body framed by the close: the close ends it.
            State::ReadingBody
                if !req.is_null() && !(*req).chunked() && (*req).ntoread < 0 && what == (BEV_EVENT_READING | BEV_EVENT_EOF) =>
            {
                done(c);
                return;
            }
            _ => {}
        }
        if (*c).flags & FLAG_CLOSEDETECT != 0 {
            // The server closed an idle keep-alive connection: disconnect, maybe free.
            (*c).flags &= !FLAG_CLOSEDETECT;
            reset(c);
            if alive(c) && (*c).requests.is_empty() && (*c).flags & FLAG_OUTGOING != 0 && (*c).flags & FLAG_AUTOFREE != 0 {
                free(c);
            }
            return;
        }
        if what & BEV_EVENT_TIMEOUT != 0 {
            fail(c, RequestError::Timeout);
        } else if what & (BEV_EVENT_EOF | BEV_EVENT_ERROR) != 0 {
            if (*c).flags & EVHTTP_CON_READ_ON_WRITE_ERROR != 0 && !req.is_null() {
                if what & BEV_EVENT_WRITING != 0 {
                    read_on_write_error(c, req);
                    return;
                }
                if what & BEV_EVENT_READING != 0 && evbuffer_get_length(input(c)) > 0 {
                    // Answer what was read before the close first.
                    event_deferred_cb_schedule_((*c).base, &raw mut (*c).read_more);
                    return;
                }
            }
            fail(c, RequestError::Eof);
        } else if what != BEV_EVENT_CONNECTED {
            fail(c, RequestError::BufferError);
        }
    }
}

/// A write failed on a READ_ON_WRITE_ERROR client connection: the server probably answered
/// (413, 400) and closed; read that answer instead of failing. The second time, fail.
///
/// # Safety
/// `c` is live and guarded, `req` its first request.
unsafe fn read_on_write_error(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        if (*c).flags & FLAG_READING_ERROR != 0 {
            (*c).flags &= !FLAG_READING_ERROR;
            fail(c, RequestError::Eof);
            return;
        }
        (*req).kind = EVHTTP_RESPONSE;
        let out = output(c);
        evbuffer_unfreeze(out, 1);
        evbuffer_drain(out, evbuffer_get_length(out));
        evbuffer_freeze(out, 1);
        start_read(c);
        (*c).flags |= FLAG_READING_ERROR;
    }
}

// ---- reading --------------------------------------------------------------------------------

/// The buffered input from its start, contiguous, at least `want` bytes of it when there are
/// that many (the first chain otherwise, which usually holds a whole head).
///
/// # Safety
/// `buf` is a live buffer; the slice is valid until the buffer changes.
unsafe fn contiguous<'a>(buf: *mut Evbuffer, want: usize) -> &'a [u8] {
    // SAFETY: caller's contract; pullup returns `n` readable bytes (or NULL for 0).
    unsafe {
        let n = evbuffer_get_contiguous_space(buf).max(want.min(evbuffer_get_length(buf)));
        if n == 0 {
            return &[];
        }
        let p = evbuffer_pullup(buf, n as isize);
        if p.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(p, n)
    }
}

/// Reads head lines with `reader` from the start of `buf` into `req` until the head is complete
/// (`Ok(true)`) or the buffered bytes run out (`Ok(false)`); consumed lines are drained.
/// Shared by connections and `evhttp_parse_firstline_` / `evhttp_parse_headers_`.
///
/// # Safety
/// `req` is a live request, `buf` a live buffer, `server` NULL or the live server `req`
/// came to (for the proxy-request check of absolute URIs).
pub unsafe fn read_head_lines(req: *mut Request, buf: *mut Evbuffer, reader: &mut HeadReader, server: *mut Evhttp, stop_after_first_line: bool) -> Result<bool, ParseError> {
    let mut want = 0;
    loop {
        // SAFETY: caller's contract; the slice is used before the buffer changes (the drain).
        let data = unsafe { contiguous(buf, want) };
        let mut at = 0;
        let mut complete = false;
        let mut outcome = Ok(());
        loop {
            match reader.next(&data[at..]) {
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
                Ok(None) => break,
                Ok(Some((item, used))) => {
                    at += used;
                    let first_line = matches!(item, HeadItem::Request(_) | HeadItem::Status(_));
                    // SAFETY: live request and server (contract).
                    if let Err(e) = unsafe { apply_head_item(req, item, server) } {
                        outcome = Err(e);
                        break;
                    }
                    if matches!(item, HeadItem::End) || (first_line && stop_after_first_line) {
                        complete = true;
                        break;
                    }
                }
            }
        }
        // SAFETY: live request and buffer (contract); the slice is not used after the drain.
        unsafe {
            (*req).headers_size = reader.size();
            evbuffer_drain(buf, at);
        }
        outcome?;
        if complete {
            return Ok(true);
        }
        // The line may go on past the contiguous bytes: look at more of the buffer.
        let seen = data.len() - at;
        // SAFETY: live buffer.
        let total = unsafe { evbuffer_get_length(buf) };
        if seen >= total {
            return Ok(false);
        }
        want = total.min(seen.saturating_mul(2).max(4096));
    }
}

/// Records one head line in the request.
///
/// # Safety
/// As for `read_head_lines`.
unsafe fn apply_head_item(req: *mut Request, item: HeadItem<'_>, server: *mut Evhttp) -> Result<(), ParseError> {
    // SAFETY: live request (contract); its lists are live.
    unsafe {
        let r = &mut *req;
        match item {
            HeadItem::Request(line) => {
                r.type_ = line.method_bit.map_or(EVHTTP_REQ_UNKNOWN, u32::from);
                r.major = line.major as c_char;
                r.minor = line.minor as c_char;
                request::set_string(&mut r.uri, line.uri);
                if r.uri.is_null() {
                    return Err(ParseError::RequestLine);
                }
                request::free_uri(r.uri_elems);
                r.uri_elems = request::parse_target(line.uri, r.type_ == EVHTTP_REQ_CONNECT);
                if r.uri_elems.is_null() {
                    return Err(ParseError::BadTarget);
                }
                if server::is_proxy_request(server, r.uri_elems) {
                    r.flags |= EVHTTP_PROXY_REQUEST;
                }
            }
            HeadItem::Status(line) => {
                r.major = line.major as c_char;
                r.minor = line.minor as c_char;
                r.response_code = c_int::from(line.code);
                request::set_string(&mut r.response_code_line, line.reason);
                if r.response_code_line.is_null() {
                    return Err(ParseError::StatusLine);
                }
            }
            // The parser's fields hold no CR (refused) and no LF (a line ends at the first):
            // nothing for add's line-break scans to find.
            HeadItem::Field { name, value } => {
                headers::push(r.input_headers, name, value).map_err(|_| ParseError::CrInHeader)?;
            }
            HeadItem::Continuation(more) => {
                if !more.is_empty() {
                    headers::append_to_last(r.input_headers, more).map_err(|_| ParseError::OrphanContinuation)?;
                }
            }
            HeadItem::Trailer | HeadItem::End => {}
        }
    }
    Ok(())
}

/// The head of the next message: start a fresh reader for it.
///
/// # Safety
/// `c` is a live connection; `req` its first request.
unsafe fn begin_head(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let kind = if (*req).kind == EVHTTP_REQUEST { HeadKind::Request } else { HeadKind::Response };
        (*c).head = HeadReader::new(kind, &(*c).limits());
    }
}

/// Reads the first line and the header lines.
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn read_head(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        if req.is_null() {
            return;
        }
        let mut reader = std::mem::replace(&mut (*c).head, HeadReader::new(HeadKind::Trailer, &Limits::default()));
        let server = if (*c).flags & FLAG_INCOMING != 0 { (*c).http_server } else { ptr::null_mut() };
        let result = read_head_lines(req, input(c), &mut reader, server, false);
        (*c).head = reader;
        match result {
            Err(e) => {
                debugx!("evhttp: bad head from {}: {}", (*c).address.to_string_lossy(), e);
                fail_with_status(c, RequestError::InvalidHeader, e.status());
            }
            Ok(false) => {
                if (*c).head.size() > 0 {
                    (*c).state = State::ReadingHeaders;
                }
            }
            Ok(true) => {
                (*c).state = State::ReadingHeaders;
                head_complete(c, req);
            }
        }
    }
}

/// The head is read: call the header callback, then read the body or finish.
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn head_complete(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        if let Some(header_cb) = (*req).header_cb {
            if header_cb(req, (*req).cb_arg) < 0 {
                if alive(c) {
                    fail(c, RequestError::Eof);
                }
                return;
            }
            if !alive(c) {
                return;
            }
        }
        if (*req).kind == EVHTTP_REQUEST {
            get_body(c, req);
            return;
        }
        if (*req).response_code == 100 {
            // 100 Continue: now send the body held back for it, then read the real response.
            evbuffer_add_buffer(output(c), (*req).output_buffer);
            start_write(c);
            return;
        }
        if !request::response_needs_body(req) {
            // The framing headers are still checked: a bodiless response with contradicting
            // ones is as suspect as any.
            if let Err(e) = framing(req) {
                debugx!("evhttp: bad framing from {}: {}", (*c).address.to_string_lossy(), e);
                fail(c, RequestError::InvalidHeader);
                return;
            }
            done(c);
            return;
        }
        get_body(c, req);
    }
}

/// The body framing of the message in `req`.
///
/// # Safety
/// `req` is a live request.
unsafe fn framing(req: *mut Request) -> Result<BodyFraming, ParseError> {
    // SAFETY: caller's contract; the list is not changed while iterated.
    unsafe {
        let r = &*req;
        let kind = if r.kind == EVHTTP_REQUEST {
            MessageKind::Request
        } else {
            MessageKind::Response { status: u16::try_from(r.response_code).unwrap_or(0), request_method: r.type_ as u16 }
        };
        parse::body_framing(headers::iter(r.input_headers), kind)
    }
}

/// Whether the request asks for `100 Continue` (`Some(true)`), expects something else
/// (`Some(false)`), or expects nothing (None). Only requests of HTTP/1.1 and later count.
///
/// # Safety
/// `req` is a live request.
pub unsafe fn expectation(req: *const Request, incoming: bool) -> Option<bool> {
    // SAFETY: caller's contract.
    unsafe {
        let r = &*req;
        if r.kind != EVHTTP_REQUEST || r.version_before(1, 1) {
            return None;
        }
        let list = if incoming { r.input_headers } else { r.output_headers };
        headers::value(list, b"Expect").map(|v| v.eq_ignore_ascii_case(b"100-continue"))
    }
}

/// Starts reading the body by its framing (`evhttp_get_body`).
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn get_body(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        (*c).state = State::ReadingBody;
        let framing = match framing(req) {
            Ok(f) => f,
            Err(e) => {
                debugx!("evhttp: bad framing from {}: {}", (*c).address.to_string_lossy(), e);
                fail_with_status(c, RequestError::InvalidHeader, e.status());
                return;
            }
        };
        let r = &mut *req;
        match framing {
            BodyFraming::None => {
                r.ntoread = 0;
                if r.kind == EVHTTP_REQUEST {
                    done(c);
                    return;
                }
            }
            BodyFraming::ContentLength(n) => r.ntoread = n as i64,
            BodyFraming::Chunked => {
                r.set_chunked(true);
                r.ntoread = -1;
                (*c).chunks = ChunkedReader::new(&(*c).limits());
            }
            BodyFraming::UntilClose => r.ntoread = -1,
        }
        match expectation(req, true) {
            Some(true) => {
                let r = &*req;
                if r.ntoread > 0 && (*c).max_body_size <= i64::MAX as u64 && r.ntoread as u64 > (*c).max_body_size {
                    lingering_fail(c, req);
                    return;
                }
                if evbuffer_get_length(input(c)) == 0 {
                    send_continue(c, req);
                }
            }
            Some(false) => {
                server::send_error(req, HTTP_EXPECTATIONFAILED, None);
                return;
            }
            None => {}
        }
        read_body(c, req);
    }
}

/// Writes `100 Continue` (the client waits for it before sending the body).
///
/// # Safety
/// `c` is a live connection; `req` its first request.
unsafe fn send_continue(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        bufferevent_enable((*c).bufev, EV_WRITE_BIT);
        let line: &[u8] = if (*req).version() == (1, 0) { b"HTTP/1.0 100 Continue\r\n\r\n" } else { b"HTTP/1.1 100 Continue\r\n\r\n" };
        evbuffer_add(output(c), line.as_ptr().cast(), line.len());
        (*c).after_write = AfterWrite::ContinueSent;
        set_callbacks(c, Callbacks::All);
    }
}

/// What reading the chunked body came to.
enum Chunked {
    More,
    Last,
    Cancelled,
    Failed(ParseError),
}

/// Reads as much of a chunked body as is buffered, handing each chunk to `chunk_cb`.
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn read_chunks(c: *mut Connection, req: *mut Request) -> Chunked {
    // SAFETY: caller's contract; each slice is used before the buffer changes.
    unsafe {
        let buf = input(c);
        let mut want = 0;
        loop {
            let data = contiguous(buf, want);
            let total = evbuffer_get_length(buf);
            let (event, used) = match (*c).chunks.step(data) {
                Ok(step) => step,
                Err(e) => return Chunked::Failed(e),
            };
            (*req).body_size = (*c).chunks.body_size() as usize;
            match event {
                ChunkEvent::NeedMore => {
                    if data.len() >= total {
                        return Chunked::More;
                    }
                    want = total.min(data.len().saturating_mul(2).max(256));
                }
                ChunkEvent::Framing => {
                    evbuffer_drain(buf, used);
                    want = 0;
                }
                ChunkEvent::Data { len, end_of_chunk } => {
                    evbuffer_remove_buffer(buf, (*req).input_buffer, len);
                    want = 0;
                    if end_of_chunk && (*req).chunk_cb.is_some() && run_chunk_cb(c, req) {
                        return Chunked::Cancelled;
                    }
                }
                ChunkEvent::LastChunk => {
                    evbuffer_drain(buf, used);
                    return Chunked::Last;
                }
            }
        }
    }
}

/// Runs `chunk_cb` on what `input_buffer` holds, then empties it. True when the request was
/// freed or cancelled meanwhile (the caller stops; the request is freed if it must be).
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request, with a chunk callback.
unsafe fn run_chunk_cb(c: *mut Connection, req: *mut Request) -> bool {
    // SAFETY: caller's contract; DEFER_FREE keeps req alive through the callback.
    unsafe {
        let Some(chunk_cb) = (*req).chunk_cb else { return false };
        (*req).flags |= EVHTTP_REQ_DEFER_FREE;
        chunk_cb(req, (*req).cb_arg);
        (*req).flags &= !EVHTTP_REQ_DEFER_FREE;
        evbuffer_drain((*req).input_buffer, evbuffer_get_length((*req).input_buffer));
        if (*req).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
            // Freed from the callback (a cancel unqueued it already). A request freed while
            // still queued leaves a half-read message behind: disconnect.
            let queued = alive(c) && first_request(c) == req;
            if queued {
                unqueue(c, req);
            }
            request::free_auto(req);
            if queued {
                reset(c);
            }
            return true;
        }
        !alive(c)
    }
}

/// Reads the body (`evhttp_read_body`).
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn read_body(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        if req.is_null() {
            return;
        }
        let buf = input(c);
        if (*req).chunked() {
            match read_chunks(c, req) {
                Chunked::Last => {
                    (*c).state = State::ReadingTrailer;
                    (*c).head = HeadReader::new(HeadKind::Trailer, &(*c).limits());
                    read_trailer(c, req);
                }
                Chunked::Failed(e) => {
                    debugx!("evhttp: bad chunked body from {}: {}", (*c).address.to_string_lossy(), e);
                    fail_with_status(c, RequestError::DataTooLong, e.status());
                }
                Chunked::Cancelled | Chunked::More => {}
            }
            return;
        }
        let r = &mut *req;
        if r.ntoread < 0 {
            // Until close: everything is body.
            let n = evbuffer_get_length(buf);
            r.body_size = r.body_size.saturating_add(n);
            evbuffer_add_buffer(r.input_buffer, buf);
        } else if r.chunk_cb.is_some() || evbuffer_get_length(buf) as u64 >= r.ntoread as u64 {
            // Take what is there (streaming to chunk_cb) or the whole rest of the body.
            let n = (evbuffer_get_length(buf) as u64).min(r.ntoread as u64) as usize;
            r.ntoread -= n as i64;
            r.body_size += n;
            evbuffer_remove_buffer(buf, r.input_buffer, n);
        }
        if r.body_size as u64 > (*c).max_body_size || (r.ntoread >= 0 && r.ntoread as u64 > (*c).max_body_size) {
            lingering_fail(c, req);
            return;
        }
        if evbuffer_get_length(r.input_buffer) > 0 && r.chunk_cb.is_some() && run_chunk_cb(c, req) {
            return;
        }
        if (*req).ntoread == 0 {
            bufferevent_disable((*c).bufev, EV_READ_BIT);
            done(c);
        }
    }
}

/// Reads the trailer section after the last chunk: checked line by line, never stored
/// (CVE-2026-63379: a trailer must not reach the request's headers).
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn read_trailer(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let mut reader = std::mem::replace(&mut (*c).head, HeadReader::new(HeadKind::Trailer, &Limits::default()));
        let result = read_head_lines(req, input(c), &mut reader, ptr::null_mut(), false);
        (*c).head = reader;
        match result {
            Err(e) => {
                debugx!("evhttp: bad trailer from {}: {}", (*c).address.to_string_lossy(), e);
                fail_with_status(c, RequestError::DataTooLong, e.status());
            }
            Ok(false) => {}
            Ok(true) => {
                bufferevent_disable((*c).bufev, EV_READ_BIT);
                done(c);
            }
        }
    }
}

/// The body is over the limit: answer 413 now, or (LINGERING_CLOSE) once the client has sent
/// the whole body, so that it reads the answer instead of a reset.
///
/// # Safety
/// `c` is a live, guarded connection; `req` its first request.
unsafe fn lingering_fail(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        if (*c).flags & EVHTTP_CON_LINGERING_CLOSE == 0 {
            fail(c, RequestError::DataTooLong);
            return;
        }
        let buf = input(c);
        let r = &mut *req;
        let n = (evbuffer_get_length(buf) as u64).min(r.ntoread as u64) as usize;
        r.ntoread -= n as i64;
        r.body_size += n;
        evbuffer_drain(buf, n);
        if r.ntoread == 0 {
            fail(c, RequestError::DataTooLong);
        }
    }
}

/// A whole message was read (`evhttp_connection_done`). Client: the request leaves the queue
/// and the connection idles, closes or goes on with the next request, then the request's
/// callback runs and the request is freed. Server: the request goes to the server.
///
/// # Safety
/// `c` is a live, guarded connection with a first request.
pub unsafe fn done(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        let req = first_request(c);
        if req.is_null() {
            return;
        }
        let outgoing = (*c).flags & FLAG_OUTGOING != 0;
        let mut free_after = false;
        if outgoing {
            let need_close = request_wants_close(req);
            unqueue(c, req);
            (*req).evcon = ptr::null_mut();
            (*c).state = State::Idle;
            if need_close {
                reset(c);
            }
            if !alive(c) {
                // A close callback freed the connection.
            } else if !(*c).requests.is_empty() {
                if connected(c) {
                    client::dispatch(c);
                } else {
                    client::connect(c);
                }
            } else if !need_close {
                start_detectclose(c);
            } else if (*c).flags & FLAG_AUTOFREE != 0 {
                free_after = true;
            }
        } else {
            (*c).state = State::Writing;
        }
        if outgoing {
            request::complete(req);
        } else if let Some(cb) = (*req).cb {
            cb(req, (*req).cb_arg);
        }
        if free_after && alive(c) && (*c).requests.is_empty() {
            free(c);
        }
    }
}

/// Whether headers ask to close the connection after this message: `Connection: close`, or
/// for a proxy request anything but `Proxy-Connection: keep-alive`.
///
/// # Safety
/// `list` is a live header list.
pub unsafe fn wants_close(flags: c_int, list: *const headers::KeyValQ) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        if flags & EVHTTP_PROXY_REQUEST != 0 {
            !headers::value(list, b"Proxy-Connection").is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive"))
        } else {
            headers::value(list, b"Connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
        }
    }
}

/// Whether either side of the exchange asked to close (CONNECT never closes: it is a tunnel).
///
/// # Safety
/// `req` is a live request.
pub unsafe fn request_wants_close(req: *const Request) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        let r = &*req;
        r.type_ != EVHTTP_REQ_CONNECT && (wants_close(r.flags, r.input_headers) || wants_close(r.flags, r.output_headers))
    }
}

/// Whether the list says `Connection: keep-alive` (upstream compares its first 10 bytes).
///
/// # Safety
/// `list` is a live header list.
pub unsafe fn wants_keepalive(list: *const headers::KeyValQ) -> bool {
    // SAFETY: caller's contract.
    unsafe { headers::value(list, b"Connection") }.is_some_and(|v| v.len() >= 10 && v[..10].eq_ignore_ascii_case(b"keep-alive"))
}

/// Idle client connection: read, so that the server's close is noticed.
///
/// # Safety
/// `c` is a live connection.
unsafe fn start_detectclose(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        (*c).flags |= FLAG_CLOSEDETECT;
        bufferevent_enable((*c).bufev, EV_READ_BIT);
    }
}

/// Enables `events` on the bufferevent unless they are enabled already: enabling re-adds the
/// events, which costs a system call per change; writing is enabled without watching the
/// socket while there is nothing to write (see `start_read`).
///
/// # Safety
/// `c` is a live connection.
pub(crate) unsafe fn enable(c: *mut Connection, events: c_short) {
    // SAFETY: caller's contract.
    unsafe {
        let bev = (*c).bufev;
        let missing = events & !(*bev).enabled;
        if missing & EV_READ_BIT != 0 {
            bufferevent_enable(bev, EV_READ_BIT);
        }
        if missing & EV_WRITE_BIT != 0 {
            crate::bufferevent::socket::enable_write_idle(bev);
        }
    }
}

/// `evhttp_start_read_`: read the next message; input that is already there is processed from
/// the loop, not from inside this call (that could recurse).
///
/// Writing stays enabled, unlike upstream, which disables it here and enables it again for the
/// next message. With nothing to write, an enabled socket bufferevent waits for nothing; and
/// when the next reply or request is added to its output, it writes at once in the same loop
/// iteration instead of first registering for, and waiting on, writability: one epoll_wait and
/// two epoll_ctl fewer per message.
///
/// # Safety
/// `c` is a live connection with a first request.
pub unsafe fn start_read(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        enable(c, EV_READ_BIT);
        (*c).state = State::ReadingFirstline;
        let req = first_request(c);
        if !req.is_null() {
            begin_head(c, req);
        }
        set_callbacks(c, Callbacks::All);
        if evbuffer_get_length(input(c)) > 0 {
            event_deferred_cb_schedule_((*c).base, &raw mut (*c).read_more);
        }
    }
}

/// `evhttp_start_write_`: write what the output buffer holds, then read the response.
///
/// # Safety
/// `c` is a live connection with a first request.
pub unsafe fn start_write(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        bufferevent_disable((*c).bufev, EV_WRITE_BIT);
        bufferevent_enable((*c).bufev, EV_READ_BIT);
        (*c).state = State::Writing;
        write_buffer(c, AfterWrite::RequestWritten);
    }
}

/// Writes what was added to the output buffer, then does `after`. Only the close is watched
/// meanwhile: the read callback is off.
///
/// # Safety
/// `c` is a live connection.
pub unsafe fn write_buffer(c: *mut Connection, after: AfterWrite) {
    // SAFETY: caller's contract.
    unsafe {
        (*c).after_write = after;
        set_callbacks(c, Callbacks::Writing);
        enable(c, EV_READ_BIT | EV_WRITE_BIT);
    }
}

/// `evhttp_connection_reset_`: disconnect (close the socket, drop buffered data) so that the
/// connection can connect again. The close callback runs if it was connected.
///
/// # Safety
/// `c` is a live connection.
pub unsafe fn reset(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        let bev = (*c).bufev;
        set_callbacks(c, Callbacks::None);
        // disable_hard: a connect in progress cannot be stopped by a plain disable.
        bufferevent_disable_hard_(bev, EV_READ_BIT | EV_WRITE_BIT);
        if (*c).fd == -1 {
            (*c).fd = bufferevent_getfd(bev);
        }
        if (*c).fd != -1 {
            if connected(c) {
                if let Some(closecb) = (*c).closecb {
                    closecb(c, (*c).closecb_arg);
                    if !alive(c) {
                        return;
                    }
                }
            }
            libc::shutdown((*c).fd, libc::SHUT_WR);
            libc::close((*c).fd);
            (*c).fd = -1;
        }
        bufferevent_setfd(bev, -1);
        let out = output(c);
        evbuffer_drain(out, evbuffer_get_length(out));
        let inp = input(c);
        evbuffer_drain(inp, evbuffer_get_length(inp));
        (*c).flags &= !FLAG_READING_ERROR;
        (*c).state = State::Disconnected;
    }
}

/// `evhttp_connection_fail_` with upstream's status for the error.
///
/// # Safety
/// `c` is a live, guarded connection.
pub unsafe fn fail(c: *mut Connection, error: RequestError) {
    let status = if error == RequestError::DataTooLong { 413 } else { 400 };
    // SAFETY: forwarded contract.
    unsafe { fail_with_status(c, error, status) }
}

/// The message failed with `error`. A server answers `status` when it still can (HTTP errors;
/// network errors just drop the connection). A client gives up on the request (its error and
/// request callbacks run, the latter with NULL), disconnects, and goes on with the next one.
///
/// # Safety
/// `c` is a live, guarded connection.
pub unsafe fn fail_with_status(c: *mut Connection, error: RequestError, status: u16) {
    // SAFETY: caller's contract.
    unsafe {
        let errsave = mm::errno();
        let req = first_request(c);
        if req.is_null() {
            // The program freed the request it was answering (or a client connection failed
            // between requests): nothing to report, only the connection to end.
            if (*c).flags & FLAG_INCOMING != 0 {
                free(c);
            } else {
                reset(c);
            }
            return;
        }
        bufferevent_disable((*c).bufev, EV_READ_BIT | EV_WRITE_BIT);
        if (*c).flags & FLAG_INCOMING != 0 {
            if !incoming_fail(c, req, error, status) {
                free(c);
            }
            return;
        }
        let error_cb = (*req).error_cb;
        let cb_arg = (*req).cb_arg;
        // A cancelled request's callback does not run.
        let cb = if error == RequestError::RequestCancel { None } else { (*req).cb };
        free_request(c, req);
        reset(c);
        if alive(c) {
            if !(*c).requests.is_empty() {
                client::connect(c);
            } else if (*c).flags & FLAG_OUTGOING != 0 && (*c).flags & FLAG_AUTOFREE != 0 {
                free(c);
            }
        }
        // The reset overwrote errno; the callbacks see the error's.
        mm::set_errno(errsave);
        if let Some(error_cb) = error_cb {
            error_cb(error, cb_arg);
        }
        if let Some(cb) = cb {
            cb(ptr::null_mut(), cb_arg);
        }
    }
}

/// A server connection's request failed. Network errors (timeout, EOF): false, the caller
/// drops the connection; a request the program still answers is detached from it first.
/// HTTP errors: the request goes to the server without its URI, which answers `status`.
///
/// # Safety
/// `c` is a live, guarded server connection; `req` its first request.
unsafe fn incoming_fail(c: *mut Connection, req: *mut Request, error: RequestError, status: u16) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        let r = &mut *req;
        r.response_code = c_int::from(status);
        if error == RequestError::Timeout || error == RequestError::Eof {
            if !r.userdone() {
                unqueue(c, req);
                r.evcon = ptr::null_mut();
            }
            return false;
        }
        mm::free(r.uri.cast());
        r.uri = ptr::null_mut();
        request::free_uri(r.uri_elems);
        r.uri_elems = ptr::null_mut();
        if let Some(cb) = r.cb {
            cb(req, r.cb_arg);
        }
        true
    }
}

// ---- writing --------------------------------------------------------------------------------

/// Adds the headers a message needs and writes its head, then its body (unless the request
/// waits for `100 Continue`), to the output buffer (`evhttp_make_header`).
///
/// # Safety
/// `c` is a live connection; `req` its first request.
pub unsafe fn make_header(c: *mut Connection, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        with_scratch(|head| {
            if (*req).kind == EVHTTP_REQUEST {
                client::write_request_head(req, head);
            } else {
                server::write_response_head(c, req, head);
            }
            evbuffer_add(output(c), head.as_ptr().cast(), head.len());
        });
        let body = (*req).output_buffer;
        if (*req).kind == EVHTTP_RESPONSE && !request::response_needs_body(req) {
            // A reply to HEAD, or a 1xx, 204 or 304, has no body whatever the program gave it:
            // the client reads none, so those bytes would be taken for the next response (2.1
            // sent them).
            evbuffer_drain(body, evbuffer_get_length(body));
        } else if expectation(req, false) != Some(true) && evbuffer_get_length(body) > 0 {
            evbuffer_add_buffer(output(c), body);
        }
    }
}

/// Runs `f` on this thread's empty scratch buffer, where heads and chunk lines are built
/// before they are copied into a connection's output. One buffer for all connections: a new
/// connection (one per request with `Connection: close`) allocates and grows none of its own,
/// and ten thousand idle connections hold no head-sized buffer each. A nested call (none is
/// expected: `f` only formats) gets a fresh buffer and nothing breaks.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    use std::cell::Cell;
    /// Room for a usual head from the start (no growing step by step), and the most kept
    /// between calls: a huge head's memory goes back.
    const USUAL: usize = 512;
    const KEPT: usize = 64 * 1024;
    thread_local! {
        static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }
    let mut buf = SCRATCH.take();
    buf.clear();
    buf.reserve(USUAL);
    let r = f(&mut buf);
    if buf.capacity() <= KEPT {
        SCRATCH.set(buf);
    }
    r
}

// ---- freeing --------------------------------------------------------------------------------

/// `evhttp_connection_free`: the close callback (if connected), then every request, the link
/// to the server, the retry timer, the bufferevent and the socket go. While a library callback
/// runs on the connection the memory stays until it returns (see the module doc).
///
/// # Safety
/// `c` is a live connection (a second free while dead is ignored).
pub unsafe fn free(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        if (*c).dead {
            return;
        }
        (*c).dead = true;
        let bev = (*c).bufev;
        if (*c).fd != -1 && connected(c) {
            if let Some(closecb) = (*c).closecb {
                closecb(c, (*c).closecb_arg);
            }
        }
        while let Some(req) = (*c).requests.pop_front() {
            drop_request(req);
        }
        if !(*c).http_server.is_null() {
            server::forget_connection((*c).http_server, c);
            (*c).http_server = ptr::null_mut();
        }
        if event_initialized(&raw const (*c).retry_ev) != 0 {
            event_del(&raw mut (*c).retry_ev);
        }
        event_deferred_cb_cancel_((*c).base, &raw mut (*c).read_more);
        // The base of the bufferevent's events, when evhttp closes the socket itself.
        let mut closing_base = None;
        if !bev.is_null() {
            if bufferevent_get_options_(bev) & BEV_OPT_CLOSE_ON_FREE == 0 {
                closing_base = Some(bufferevent_get_base(bev));
            }
            if (*c).fd == -1 {
                (*c).fd = bufferevent_getfd(bev);
            }
            bufferevent_free(bev);
            (*c).bufev = ptr::null_mut();
        }
        if (*c).fd != -1 {
            libc::shutdown((*c).fd, libc::SHUT_WR);
            if let Some(base) = closing_base {
                // Freed from one of its callbacks, the bufferevent still holds its events on
                // the fd, deleted when the callback returns: the backend forgets the fd
                // instead, for no epoll_ctl DEL failing on the closed number. The base stays
                // locked until the close, so that no other thread adds an event for the fd
                // meanwhile.
                let mut b = Locked::new(base);
                crate::evmap::io_fd_closed(&mut b, (*c).fd);
                libc::close((*c).fd);
            }
            (*c).fd = -1;
        }
        if (*c).busy == 0 {
            release(c);
        }
    }
}

/// Releases the memory of a torn-down connection.
///
/// # Safety
/// `c` is dead, unguarded and not referred to any more.
unsafe fn release(c: *mut Connection) {
    // SAFETY: caller's contract: the value is dropped once and its memory came from mm.
    unsafe { ptr::drop_in_place(c) };
    mm::free(c.cast());
}
