//! The server (`struct evhttp`): listening sockets, virtual hosts and aliases, the callbacks
//! requests are dispatched to, and the replies (`evhttp_send_*`).
//!
//! Each accepted socket becomes a server connection holding one request at a time: the
//! request is read, handed to the callback for its path (after the virtual host is chosen by
//! the request's host), answered by the program, and once the answer is written the next
//! request is read from the same connection unless either side asked to close. Pipelined
//! requests thus wait in the input buffer and are answered in order.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;

use libc::{sockaddr, timeval};

use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::bufferevent::layout::Bufferevent;
use crate::ffi::buffer::*;
use crate::ffi::bufferevent::*;
use crate::ffi::listener::{evconnlistener_free, evconnlistener_new, evconnlistener_set_cb};
use crate::http::api::*;
use crate::http::connection::{self, AfterWrite, Busy, Callbacks, Connection, State};
use crate::http::encode::{self, Plus};
use crate::http::uri::{Part, Uri};
use crate::http::{headers, parse, request};
use crate::list::List;
use crate::listener::Listener;
use crate::mm;
use crate::util::time as util_time;

/// `struct evhttp_bound_socket` (opaque to C).
pub struct BoundSocket {
    pub(crate) listener: *mut Listener,
}

/// A path callback (`evhttp_set_cb`).
struct PathCb {
    what: CString,
    cb: RequestCb,
    arg: *mut c_void,
}

/// `struct evhttp`. Upstream's regression suite reads `TAILQ_FIRST(&http->connections)`
/// through upstream's private http-internal.h, so the first 64 bytes keep that header's
/// layout: four TAILQ heads/entries (16 bytes each) with `connections` the fourth, at offset
/// 48, its first pointer NULL exactly when the server has no connection. The other three are
/// never read and stay zero; the rest of the struct is ours.
#[repr(C)]
pub struct Evhttp {
    _next_vhost: [*mut c_void; 2],
    _sockets: [*mut c_void; 2],
    _callbacks: [*mut c_void; 2],
    pub(crate) connections: List<Connection>,
    /// Connections now, and the most since there were none (see `forget_connection`).
    n_connections: usize,
    peak_connections: usize,
    sockets: Vec<*mut BoundSocket>,
    callbacks: Vec<PathCb>,
    vhosts: Vec<*mut Evhttp>,
    aliases: Vec<CString>,
    /// Set while this server is a virtual host of another.
    vhost_pattern: Option<CString>,
    pub(crate) timeout: timeval,
    pub(crate) default_max_headers_size: usize,
    pub(crate) default_max_body_size: u64,
    pub(crate) flags: c_int,
    /// The program's string, not a copy (as upstream keeps it); NULL for none.
    pub(crate) default_content_type: *const c_char,
    pub(crate) allowed_methods: u16,
    pub(crate) gencb: Option<RequestCb>,
    pub(crate) gencbarg: *mut c_void,
    pub(crate) bevcb: Option<BevCb>,
    pub(crate) bevcbarg: *mut c_void,
    pub(crate) base: *mut EventBase,
    /// The decoded path of the request being dispatched.
    path: Vec<u8>,
    /// Requests of closed connections, recycled for the next ones (see `SPARE_REQUESTS`).
    spare: Vec<*mut Request>,
}

/// Most requests a server keeps from closed connections for new ones. With `Connection: close`
/// every request is a connection's first: taking a recycled one saves its allocation and its
/// header lists' and buffers' (six allocations, three of them zeroed, and six frees: a seventh
/// of such a request's instructions). Connections come and go one by one, so a few cover any
/// rate; the bound keeps a burst's requests from staying after it.
const SPARE_REQUESTS: usize = 16;

const _: () = assert!(std::mem::offset_of!(Evhttp, connections) == 48);

/// The Content-Type of replies without one, unless the program sets another.
const DEFAULT_CONTENT_TYPE: &CStr = c"text/html; charset=ISO-8859-1";

impl Evhttp {
    /// `evhttp_new` (a NULL base: a server used only as a virtual host). NULL when out of
    /// memory.
    pub fn new(base: *mut EventBase) -> *mut Evhttp {
        let http = mm::malloc(std::mem::size_of::<Evhttp>()).cast::<Evhttp>();
        if http.is_null() {
            warnx!("evhttp_new: out of memory");
            return http;
        }
        let value = Evhttp {
            _next_vhost: [ptr::null_mut(); 2],
            _sockets: [ptr::null_mut(); 2],
            _callbacks: [ptr::null_mut(); 2],
            connections: List::default(),
            n_connections: 0,
            peak_connections: 0,
            sockets: Vec::new(),
            callbacks: Vec::new(),
            vhosts: Vec::new(),
            aliases: Vec::new(),
            vhost_pattern: None,
            timeout: timeval { tv_sec: 0, tv_usec: 0 },
            default_max_headers_size: usize::MAX,
            default_max_body_size: u64::MAX,
            flags: 0,
            default_content_type: DEFAULT_CONTENT_TYPE.as_ptr(),
            allowed_methods: DEFAULT_ALLOWED_METHODS,
            gencb: None,
            gencbarg: ptr::null_mut(),
            bevcb: None,
            bevcbarg: ptr::null_mut(),
            base,
            path: Vec::new(),
            spare: Vec::new(),
        };
        // SAFETY: fresh memory for an Evhttp, which never moves.
        unsafe { http.write(value) };
        http
    }
}

/// `evhttp_free`: listeners, connections (with their requests, answered or not), callbacks,
/// virtual hosts (freed too) and aliases.
///
/// # Safety
/// `http` is a live server, not a virtual host of another one any more.
pub unsafe fn free(http: *mut Evhttp) {
    // SAFETY: caller's contract; each connection unlinks itself when freed.
    unsafe {
        for bound in std::mem::take(&mut (*http).sockets) {
            free_bound(bound);
        }
        while !(*http).connections.is_empty() {
            connection::free((*http).connections.first());
        }
        for vhost in std::mem::take(&mut (*http).vhosts) {
            free(vhost);
        }
        for req in std::mem::take(&mut (*http).spare) {
            request::free(req);
        }
        ptr::drop_in_place(http);
    }
    mm::free(http.cast());
}

/// # Safety
/// `bound` came from `bind_listener` and is in no server's list any more.
unsafe fn free_bound(bound: *mut BoundSocket) {
    // SAFETY: caller's contract.
    unsafe {
        evconnlistener_free((*bound).listener);
        drop(Box::from_raw(bound));
    }
}

/// The most connections a server may have had before the last one's close gives memory back
/// to the system: a burst, not the ordinary coming and going of a few clients.
const BURST_CONNECTIONS: usize = 256;

/// Links a new connection to its server.
///
/// # Safety
/// `c` is a live connection in no server's list.
unsafe fn add_connection(http: *mut Evhttp, c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        (*c).http_server = http;
        (*http).connections.push_back(c, connection::link_of);
        (*http).n_connections += 1;
        (*http).peak_connections = (*http).peak_connections.max((*http).n_connections);
    }
}

/// Unlinks a connection being freed from its server. When the last connection of a burst goes,
/// the memory the burst used goes back to the system (`mm::trim`), so that a server's resident
/// size returns to what it was before the burst (2.1's stays at the peak). The trim runs from
/// the loop a little later: the connections' bufferevents are finalized (and their memory
/// freed) by the loop after they are freed.
///
/// # Safety
/// `c` is in `http`'s list.
pub unsafe fn forget_connection(http: *mut Evhttp, c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        (*http).connections.remove(c, connection::link_of);
        (*http).n_connections -= 1;
        if (*http).n_connections == 0 {
            if (*http).peak_connections >= BURST_CONNECTIONS && !(*http).base.is_null() {
                let soon = timeval { tv_sec: 0, tv_usec: 10_000 };
                crate::ffi::event::event_base_once((*http).base, -1, crate::event::EV_TIMEOUT, Some(trim_after_burst), ptr::null_mut(), &soon);
            }
            (*http).peak_connections = 0;
        }
    }
}

/// The timer `forget_connection` sets after a burst. It touches no server: the one that set it
/// may be gone.
unsafe extern "C" fn trim_after_burst(_fd: c_int, _what: std::ffi::c_short, _arg: *mut c_void) {
    mm::trim();
}

// ---- sockets --------------------------------------------------------------------------------

/// A nonblocking, close-on-exec TCP socket with SO_KEEPALIVE, bound to `address:port` (the
/// first address getaddrinfo gives for it; `address` NULL: any), SO_REUSEADDR when `reuse`.
/// With neither address nor port, an unbound socket. -1 on failure, errno kept.
pub fn bind_socket(address: Option<&CStr>, port: u16, reuse: bool) -> c_int {
    use crate::util::addrinfo::AddrInfo;
    let mut ai: *mut AddrInfo = ptr::null_mut();
    if address.is_some() || port != 0 {
        // SAFETY: an all-zero addrinfo is empty hints.
        let mut hints: AddrInfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_flags = crate::util::addrinfo::AI_PASSIVE | crate::util::addrinfo::AI_ADDRCONFIG;
        let service = CString::new(port.to_string()).unwrap_or_default();
        let node = address.map_or(ptr::null(), CStr::as_ptr);
        // SAFETY: node NULL or a C string, service a C string, hints and ai valid.
        let err = unsafe { crate::ffi::util::evutil_getaddrinfo(node, service.as_ptr(), &hints, &mut ai) };
        if err != 0 {
            // SAFETY: gai_strerror gives a static string.
            let why = unsafe { CStr::from_ptr(crate::ffi::util::evutil_gai_strerror(err)) };
            warnx!("getaddrinfo: {}", why.to_string_lossy());
            return -1;
        }
    }
    // SAFETY: ai is NULL or a list from evutil_getaddrinfo, freed below.
    unsafe {
        let family = if ai.is_null() { libc::AF_INET } else { (*ai).ai_family };
        let fd = crate::util::socket::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0);
        let ok = fd >= 0
            && crate::util::socket::enable_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE) == 0
            && (!reuse || crate::util::socket::enable_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR) == 0)
            && (ai.is_null() || libc::bind(fd, (*ai).ai_addr, (*ai).ai_addrlen as libc::socklen_t) == 0);
        if !ai.is_null() {
            crate::ffi::util::evutil_freeaddrinfo(ai);
        }
        if !ok {
            if fd >= 0 {
                crate::util::socket::close_keeping_errno(fd);
            }
            return -1;
        }
        fd
    }
}

/// `evhttp_bind_socket_with_handle`.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn bind(http: *mut Evhttp, address: Option<&CStr>, port: u16) -> *mut BoundSocket {
    let fd = bind_socket(address, port, true);
    if fd == -1 {
        return ptr::null_mut();
    }
    // SAFETY: fd is our socket.
    if unsafe { libc::listen(fd, 128) } == -1 {
        warn_errno!("evhttp_bind_socket_with_handle: listen");
        crate::util::socket::close_keeping_errno(fd);
        return ptr::null_mut();
    }
    // SAFETY: forwarded contract; fd is a listening socket.
    let bound = unsafe { accept(http, fd) };
    if bound.is_null() {
        // Ours to close: nothing took it over (2.1 leaked it here).
        crate::util::socket::close_keeping_errno(fd);
    }
    bound
}

/// `evhttp_accept_socket_with_handle`: serve a socket that already listens.
///
/// # Safety
/// `http` is a live server, `fd` a listening socket it takes over.
pub unsafe fn accept(http: *mut Evhttp, fd: c_int) -> *mut BoundSocket {
    use crate::listener::{LEV_OPT_CLOSE_ON_EXEC, LEV_OPT_CLOSE_ON_FREE, LEV_OPT_REUSEABLE};
    let flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_CLOSE_ON_FREE;
    // SAFETY: live server (contract); backlog 0: the socket already listens.
    let listener = unsafe { evconnlistener_new((*http).base, None, ptr::null_mut(), flags, 0, fd) };
    if listener.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: a fresh listener.
    unsafe { bind_listener(http, listener) }
}

/// `evhttp_bind_listener`: serve the connections `listener` accepts.
///
/// # Safety
/// `http` is a live server, `listener` a live listener it takes over.
pub unsafe fn bind_listener(http: *mut Evhttp, listener: *mut Listener) -> *mut BoundSocket {
    let bound = Box::into_raw(Box::new(BoundSocket { listener }));
    // SAFETY: caller's contract.
    unsafe {
        (*http).sockets.push(bound);
        evconnlistener_set_cb(listener, Some(on_accept), http.cast());
    }
    bound
}

/// `evhttp_del_accept_socket`: stop listening on `bound` and free it. False if it is not one
/// of this server's.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn del_accept_socket(http: *mut Evhttp, bound: *mut BoundSocket) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        let sockets = &mut (*http).sockets;
        let Some(i) = sockets.iter().position(|&b| b == bound) else { return false };
        sockets.remove(i);
        free_bound(bound);
    }
    true
}

/// The server's bound sockets, for `evhttp_foreach_bound_socket`.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn bound_sockets(http: *mut Evhttp) -> Vec<*mut BoundSocket> {
    // SAFETY: caller's contract.
    unsafe { (*http).sockets.clone() }
}

unsafe extern "C" fn on_accept(_lev: *mut Listener, fd: c_int, sa: *mut sockaddr, socklen: c_int, arg: *mut c_void) {
    // SAFETY: arg is the live server the listener was bound to; sa holds socklen bytes.
    unsafe { accept_connection(arg.cast(), fd, sa, socklen) }
}

/// The numeric host and port of a peer address.
///
/// # Safety
/// `sa` holds `len` readable bytes of a socket address.
unsafe fn name_from_addr(sa: *const sockaddr, len: libc::socklen_t) -> Option<(Vec<u8>, u16)> {
    // SAFETY: all zeroes is an empty sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = (len as usize).min(std::mem::size_of_val(&storage));
    // SAFETY: copying len readable bytes into local storage of at least that size.
    unsafe { ptr::copy_nonoverlapping(sa.cast::<u8>(), (&raw mut storage).cast::<u8>(), len) };
    if c_int::from(storage.ss_family) == libc::AF_INET && len >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: an AF_INET address of sockaddr_in's size.
        let sin = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in>() };
        return Some((ipv4_text(sin.sin_addr.s_addr.to_ne_bytes()), u16::from_be(sin.sin_port)));
    }
    if c_int::from(storage.ss_family) == libc::AF_UNIX {
        // Upstream names Unix-socket peers by an empty path.
        // SAFETY: storage is large enough for a sockaddr_un.
        unsafe { (*(&raw mut storage).cast::<libc::sockaddr_un>()).sun_path[0] = 0 };
    }
    let mut host = [0 as c_char; 1025];
    let mut serv = [0 as c_char; 32];
    // SAFETY: storage holds len bytes of the address; the buffers are as long as given.
    let r = unsafe {
        libc::getnameinfo(
            (&raw const storage).cast(),
            len as libc::socklen_t,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr(),
            serv.len() as libc::socklen_t,
            libc::NI_NUMERICHOST | libc::NI_NUMERICSERV,
        )
    };
    if r != 0 {
        warnx!("getnameinfo failed: {}", r);
        return None;
    }
    // SAFETY: getnameinfo NUL-terminated both.
    let (host, serv) = unsafe { (CStr::from_ptr(host.as_ptr()), CStr::from_ptr(serv.as_ptr())) };
    let port = serv.to_str().ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    Some((host.to_bytes().to_vec(), port))
}

/// Largest single write of a server connection's own bufferevent. The bufferevent default
/// (64 KiB) splits a 100 KiB reply in two writes, and the second waits for writability: two
/// epoll_ctl, an epoll_wait and a writev more per reply, where the socket would have taken it
/// all at once (loopback's and most networks' send buffers grow to megabytes). A write larger
/// than the socket takes is only a partial write, so the larger cap costs nothing; 1 MiB keeps
/// one writev's vector list short. Outgoing connections keep the default: a client's request
/// body goes out in the steps upstream's tests expect (a server refusing a large body closes
/// while the client is still writing, and the client must see that as a failed write).
const MAX_REPLY_WRITE: usize = 1 << 20;

/// An IPv4 address in dotted decimal, as getnameinfo's NI_NUMERICHOST writes it: without the
/// C library's formatting, which cost a tenth of a `Connection: close` request (each one a new
/// connection, named before anything else).
fn ipv4_text(octets: [u8; 4]) -> Vec<u8> {
    // Room for the longest text and the NUL the connection's CString adds to it.
    let mut text = Vec::with_capacity(16);
    for (i, octet) in octets.into_iter().enumerate() {
        if i > 0 {
            text.push(b'.');
        }
        text.extend_from_slice(parse::decimal(u64::from(octet), &mut [0u8; 20]));
    }
    text
}

/// A new connection from a listener: wrap it and read its first request.
///
/// # Safety
/// `http` is a live server, `fd` the accepted socket, `sa` its peer's address.
unsafe fn accept_connection(http: *mut Evhttp, fd: c_int, sa: *mut sockaddr, socklen: c_int) {
    // SAFETY: caller's contract.
    unsafe {
        let c = new_incoming(http, fd, sa, socklen as libc::socklen_t);
        if c.is_null() {
            warnx!("evhttp: cannot get a connection for socket {}", fd);
            libc::close(fd);
            return;
        }
        let _busy = Busy::new(c);
        if util_time_is_set(&(*http).timeout) {
            crate::http::client::set_timeout(c, Some(&(*http).timeout));
        }
        add_connection(http, c);
        if !associate_new_request(c) {
            connection::free(c);
        }
    }
}

fn util_time_is_set(tv: &timeval) -> bool {
    tv.tv_sec != 0 || tv.tv_usec != 0
}

/// The server side of an accepted socket (`evhttp_get_request_connection`).
///
/// # Safety
/// As for `accept_connection`.
unsafe fn new_incoming(http: *mut Evhttp, fd: c_int, sa: *mut sockaddr, salen: libc::socklen_t) -> *mut Connection {
    // SAFETY: caller's contract.
    unsafe {
        let Some((host, port)) = name_from_addr(sa, salen) else { return ptr::null_mut() };
        let bev: *mut Bufferevent = match (*http).bevcb {
            Some(bevcb) => bevcb((*http).base, (*http).bevcbarg),
            None => ptr::null_mut(),
        };
        let own_bev = bev.is_null();
        let c = Connection::new((*http).base, ptr::null_mut(), bev, host, port);
        if c.is_null() {
            return c;
        }
        if own_bev {
            // A bufferevent from the program's bevcb keeps the size the program chose.
            bufferevent_set_max_single_write((*c).bufev, MAX_REPLY_WRITE);
        }
        (*c).max_headers_size = (*http).default_max_headers_size;
        (*c).max_body_size = (*http).default_max_body_size;
        if (*http).flags & EVHTTP_SERVER_LINGERING_CLOSE != 0 {
            (*c).flags |= EVHTTP_CON_LINGERING_CLOSE;
        }
        (*c).flags |= connection::FLAG_INCOMING;
        (*c).state = State::ReadingFirstline;
        (*c).fd = fd;
        let bev = (*c).bufev;
        // Writing is off while the socket is set (a new bufferevent has it on, and setfd
        // would watch the socket for writability), then on without watching (see
        // connection::start_read): the first reply is written as soon as it is added.
        if bufferevent_disable(bev, crate::event::EV_WRITE) != 0
            || bufferevent_setfd(bev, fd) != 0
            || bufferevent_enable(bev, crate::event::EV_READ) != 0
        {
            // The socket is the caller's to close on failure.
            (*c).fd = -1;
            bufferevent_setfd(bev, -1);
            connection::free(c);
            return ptr::null_mut();
        }
        bufferevent_socket_set_conn_address_(bev, sa, salen as usize);
        connection::enable(c, crate::event::EV_WRITE);
        c
    }
}

/// Puts a fresh request on a server connection and reads it. False when out of memory.
///
/// # Safety
/// `c` is a live server connection without requests.
pub unsafe fn associate_new_request(c: *mut Connection) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        let http = (*c).http_server;
        let req = match (*http).spare.pop() {
            Some(req) => req,
            None => request::new(Some(handle_request), http.cast()),
        };
        if req.is_null() {
            return false;
        }
        let r = &mut *req;
        let address = (*c).address.as_bytes();
        // A recycled request keeps its peer's name: the same one again (every loopback client)
        // is kept as it is.
        if r.remote_host.is_null() || CStr::from_ptr(r.remote_host).to_bytes() != address {
            mm::free(r.remote_host.cast());
            r.remote_host = mm::strdup_bytes(address);
        }
        if r.remote_host.is_null() {
            warnx!("evhttp: out of memory");
            request::free(req);
            return false;
        }
        r.remote_port = (*c).port;
        r.evcon = c;
        r.flags |= EVHTTP_REQ_OWN_CONNECTION;
        // Not shown to the program yet: a client that goes away now frees it with the
        // connection.
        r.set_userdone(true);
        r.kind = EVHTTP_REQUEST;
        (*c).requests.push_back(req);
        connection::start_read(c);
    }
    true
}

// ---- virtual hosts and dispatch -------------------------------------------------------------

/// `evhttp_add_virtual_host`: false if `vhost` is already one or listens itself.
///
/// # Safety
/// Both are live servers.
pub unsafe fn add_virtual_host(http: *mut Evhttp, pattern: &CStr, vhost: *mut Evhttp) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        if (*vhost).vhost_pattern.is_some() || !(*vhost).sockets.is_empty() {
            return false;
        }
        (*vhost).vhost_pattern = Some(pattern.to_owned());
        (*http).vhosts.push(vhost);
    }
    true
}

/// `evhttp_remove_virtual_host`: false if `vhost` is no virtual host of `http`.
///
/// # Safety
/// Both are live servers.
pub unsafe fn remove_virtual_host(http: *mut Evhttp, vhost: *mut Evhttp) -> bool {
    // SAFETY: caller's contract.
    unsafe {
        let Some(i) = (*http).vhosts.iter().position(|&v| v == vhost) else { return false };
        (*http).vhosts.remove(i);
        (*vhost).vhost_pattern = None;
    }
    true
}

/// `evhttp_add_server_alias`.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn add_alias(http: *mut Evhttp, alias: &CStr) {
    // SAFETY: caller's contract.
    unsafe { (*http).aliases.push(alias.to_owned()) };
}

/// `evhttp_remove_server_alias` (names compare case-insensitively).
///
/// # Safety
/// `http` is a live server.
pub unsafe fn remove_alias(http: *mut Evhttp, alias: &[u8]) -> bool {
    // SAFETY: caller's contract.
    let aliases = unsafe { &mut (*http).aliases };
    let Some(i) = aliases.iter().position(|a| a.as_bytes().eq_ignore_ascii_case(alias)) else { return false };
    aliases.remove(i);
    true
}

/// `evhttp_set_cb`: false when `path` has a callback already.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn set_cb(http: *mut Evhttp, path: &CStr, cb: RequestCb, arg: *mut c_void) -> bool {
    // SAFETY: caller's contract.
    let callbacks = unsafe { &mut (*http).callbacks };
    if callbacks.iter().any(|p| p.what.as_c_str() == path) {
        return false;
    }
    callbacks.push(PathCb { what: path.to_owned(), cb, arg });
    true
}

/// `evhttp_del_cb`: false when `path` has no callback.
///
/// # Safety
/// `http` is a live server.
pub unsafe fn del_cb(http: *mut Evhttp, path: &CStr) -> bool {
    // SAFETY: caller's contract.
    let callbacks = unsafe { &mut (*http).callbacks };
    let Some(i) = callbacks.iter().position(|p| p.what.as_c_str() == path) else { return false };
    callbacks.remove(i);
    true
}

/// Whether `name` matches `pattern`, where `*` stands for any run of bytes (case-insensitive
/// ASCII, as upstream matches virtual hosts).
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| wildcard_match(rest, &name[skip..])),
        Some((&p, rest)) => name.split_first().is_some_and(|(&n, tail)| p.eq_ignore_ascii_case(&n) && wildcard_match(rest, tail)),
    }
}

/// The server (this one or a virtual host below it) with an alias equal to `host`.
///
/// # Safety
/// `http` is a live server.
unsafe fn find_alias(http: *mut Evhttp, host: &[u8]) -> Option<*mut Evhttp> {
    // SAFETY: caller's contract; virtual hosts are live servers.
    unsafe {
        if (*http).aliases.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(host)) {
            return Some(http);
        }
        (*http).vhosts.iter().find_map(|&v| find_alias(v, host))
    }
}

/// The server that handles requests for `host`: one with that alias, else the deepest chain
/// of virtual hosts whose patterns match it; `Err(http)` when nothing matches.
///
/// # Safety
/// `http` is a live server.
unsafe fn find_vhost(http: *mut Evhttp, host: &[u8]) -> Result<*mut Evhttp, *mut Evhttp> {
    // SAFETY: caller's contract.
    unsafe {
        if let Some(found) = find_alias(http, host) {
            return Ok(found);
        }
        let mut current = http;
        let mut matched = false;
        while let Some(&v) = (*current).vhosts.iter().find(|&&v| (*v).vhost_pattern.as_ref().is_some_and(|p| wildcard_match(p.as_bytes(), host))) {
            current = v;
            matched = true;
        }
        if matched {
            Ok(current)
        } else {
            Err(http)
        }
    }
}

/// Whether a request URI is absolute (`http://` or `https://`) for a host this server does
/// not serve: then it came through a proxy.
///
/// # Safety
/// `http` is NULL or a live server; `u` NULL or a live URI.
pub unsafe fn is_proxy_request(http: *mut Evhttp, u: *const Uri) -> bool {
    // SAFETY: caller's contract.
    let Some(u) = (unsafe { u.as_ref() }) else { return false };
    let (Some(scheme), Some(host)) = (u.get(Part::Scheme), u.get(Part::Host)) else { return false };
    // SAFETY: http is NULL or live (contract).
    (scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https")) && !http.is_null() && unsafe { find_vhost(http, host) }.is_err()
}

/// The request callback of every server request: pick the virtual host and the path's
/// callback, or answer the errors the library answers itself.
///
/// # Safety
/// Called by a connection with a live request of the live server `arg`.
pub unsafe extern "C" fn handle_request(req: *mut Request, arg: *mut c_void) {
    // SAFETY: see above.
    unsafe {
        (*req).set_userdone(false);
        let c = (*req).evcon;
        if c.is_null() {
            return;
        }
        let _busy = Busy::new(c);
        dispatch_request(arg.cast(), req);
        // Nothing more is read while the program answers (pipelined requests wait in the
        // socket), as upstream, which disables reading before it calls the program. Disabling
        // only when the answer did not start in the callback saves enabling again at once.
        if connection::alive(c) && (*c).callbacks != Callbacks::Writing && (*c).state == State::Writing {
            bufferevent_disable((*c).bufev, crate::event::EV_READ);
        }
    }
}

/// Hands a request to its callback, or answers it (error, 501, 404).
///
/// # Safety
/// `http` is a live server, `req` a live request of one of its connections.
unsafe fn dispatch_request(mut http: *mut Evhttp, req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let r = &mut *req;
        if r.type_ == 0 || r.uri.is_null() {
            // A failed request (connection::incoming_fail): answer its error.
            send_error(req, r.response_code, None);
            return;
        }
        if u32::from((*http).allowed_methods) & r.type_ == 0 {
            debugx!("evhttp: rejecting method {:#x} (allowed: {:#x})", r.type_, (*http).allowed_methods);
            send_error(req, HTTP_NOTIMPLEMENTED, None);
            return;
        }
        // A server without aliases or virtual hosts serves every host itself: no need to work
        // out (and copy) the request's host; evhttp_request_get_host still does when asked.
        if !(*http).aliases.is_empty() || !(*http).vhosts.is_empty() {
            let host = request::host(req);
            if !host.is_null() {
                http = find_vhost(http, CStr::from_ptr(host).to_bytes()).unwrap_or_else(|root| root);
            }
        }
        if let Some((cb, cbarg)) = path_callback(http, req) {
            cb(req, cbarg);
            return;
        }
        if let Some(gencb) = (*http).gencb {
            gencb(req, (*http).gencbarg);
            return;
        }
        send_not_found(req);
    }
}

/// The callback registered for the request's (percent-decoded) path.
///
/// # Safety
/// `http` is a live server, `req` a live request with a URI.
unsafe fn path_callback(http: *mut Evhttp, req: *mut Request) -> Option<(RequestCb, *mut c_void)> {
    // SAFETY: caller's contract.
    unsafe {
        let path = (*req).uri_elems.as_ref().and_then(|u| u.get(Part::Path)).unwrap_or_default();
        let decoded = &mut (*http).path;
        decoded.resize(path.len(), 0);
        // A path that decodes to a NUL names no callback (upstream's C string would end there,
        // so "/a%00b" would reach the callback of "/a").
        let n = encode::decode_text_into(path, Plus::Keep, decoded).ok()?;
        (*http).callbacks.iter().find(|p| p.what.as_bytes() == &decoded[..n]).map(|p| (p.cb, p.arg))
    }
}

/// The 404 page upstream sends when no callback takes a request.
///
/// # Safety
/// `req` is a live server request.
unsafe fn send_not_found(req: *mut Request) {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL ");
    // SAFETY: live request with a URI (contract).
    let uri = unsafe { CStr::from_ptr((*req).uri) }.to_bytes();
    let Some(escaped) = encode::html_escaped_len(uri) else { return };
    let at = body.len();
    body.resize(at + escaped, 0);
    encode::html_escape_into(uri, &mut body[at..]);
    body.extend_from_slice(b" was not found on this server.</p></body></html>\n");
    // SAFETY: forwarded contract.
    unsafe {
        request::set_response_code(req, HTTP_NOTFOUND, Some(b"Not Found"));
        send_page_bytes(req, &body);
    }
}

// ---- replies --------------------------------------------------------------------------------

/// `evhttp_send_error`: the status with upstream's small HTML page, then close.
///
/// # Safety
/// `req` is a live server request.
pub unsafe fn send_error(req: *mut Request, code: c_int, reason: Option<&[u8]>) {
    let reason = reason.unwrap_or_else(|| reason_phrase(code).as_bytes());
    let mut body = Vec::with_capacity(128 + 2 * reason.len());
    body.extend_from_slice(b"<HTML><HEAD>\n<TITLE>");
    body.extend_from_slice(code.to_string().as_bytes());
    body.push(b' ');
    body.extend_from_slice(reason);
    body.extend_from_slice(b"</TITLE>\n</HEAD><BODY>\n<H1>");
    body.extend_from_slice(reason);
    body.extend_from_slice(b"</H1>\n</BODY></HTML>\n");
    // SAFETY: caller's contract.
    unsafe {
        request::set_response_code(req, code, Some(reason));
        send_page_bytes(req, &body);
    }
}

/// `evhttp_send_page_` with the page as bytes.
///
/// # Safety
/// `req` is a live server request.
unsafe fn send_page_bytes(req: *mut Request, page: &[u8]) {
    // SAFETY: caller's contract; the buffer is ours for the call.
    unsafe {
        let buf = evbuffer_new();
        if buf.is_null() {
            // Out of memory: nothing can be answered.
            if !(*req).evcon.is_null() {
                connection::free((*req).evcon);
            }
            return;
        }
        evbuffer_add(buf, page.as_ptr().cast(), page.len());
        send_page(req, buf);
        evbuffer_free(buf);
    }
}

/// `evhttp_send_page_`: an HTML page that closes the connection.
///
/// # Safety
/// `req` is a live server request, `page` a live buffer.
pub unsafe fn send_page(req: *mut Request, page: *mut Evbuffer) {
    // SAFETY: caller's contract.
    unsafe {
        let r = &mut *req;
        // Upstream's condition, which answers HTTP/1.0 requests as 1.1 too.
        if r.major == 0 || r.minor == 0 {
            r.major = 1;
            r.minor = 1;
        }
        if r.kind != EVHTTP_RESPONSE {
            request::set_response_code(req, HTTP_OK, Some(b"OK"));
        }
        headers::clear(r.output_headers);
        let _ = headers::add(r.output_headers, b"Content-Type", b"text/html");
        let _ = headers::add(r.output_headers, b"Connection", b"close");
        send(req, page);
    }
}

/// `evhttp_send_reply`.
///
/// # Safety
/// `req` is a live server request; `body` NULL or a live buffer.
pub unsafe fn send_reply(req: *mut Request, code: c_int, reason: Option<&[u8]>, body: *mut Evbuffer) {
    // SAFETY: caller's contract.
    unsafe {
        request::set_response_code(req, code, reason);
        send(req, body);
    }
}

/// Writes the reply whose status and headers are set up (`evhttp_send`); a request whose
/// connection is gone is just freed.
///
/// # Safety
/// `req` is a live server request; `body` NULL or a live buffer.
unsafe fn send(req: *mut Request, body: *mut Evbuffer) {
    // SAFETY: caller's contract.
    unsafe {
        let c = (*req).evcon;
        if c.is_null() {
            request::free(req);
            return;
        }
        if connection::first_request(c) != req {
            warnx!("evhttp_send_reply: the request is not the one its connection answers");
            return;
        }
        (*req).set_userdone(true);
        if !body.is_null() {
            evbuffer_add_buffer((*req).output_buffer, body);
        }
        connection::make_header(c, req);
        connection::write_buffer(c, AfterWrite::SendDone);
    }
}

/// The reply is written (`evhttp_send_done`): the request goes, then the connection closes or
/// reads the next request.
///
/// # Safety
/// `c` is a live, guarded server connection.
pub unsafe fn send_done(c: *mut Connection) {
    // SAFETY: caller's contract.
    unsafe {
        // No request: the program freed the one whose answer this was; close.
        let Some(req) = (*c).requests.pop_front() else {
            connection::free(c);
            return;
        };
        if let Some(done) = (*req).on_complete_cb {
            done(req, (*req).on_complete_cb_arg);
        }
        let r = &*req;
        let need_close = (r.version_before(1, 1) && !connection::wants_keepalive(r.input_headers)) || connection::request_wants_close(req);
        if !connection::alive(c) || need_close {
            if connection::alive(c) {
                keep_spare((*c).http_server, req);
                connection::free(c);
            } else {
                request::free(req);
            }
            return;
        }
        if request::recycle(req) {
            (*c).requests.push_back(req);
            connection::start_read(c);
            return;
        }
        request::free(req);
        if !associate_new_request(c) {
            connection::free(c);
        }
    }
}

/// Keeps the answered request of a connection about to close for the server's next
/// connection (`associate_new_request`), or frees it.
///
/// # Safety
/// `http` is a live server; `req` an answered request no connection holds any more.
unsafe fn keep_spare(http: *mut Evhttp, req: *mut Request) {
    // SAFETY: caller's contract. Every request of an incoming connection was made by
    // associate_new_request for that connection's server, with handle_request and the server
    // as its callback, which recycle keeps; recycle refuses one the program marked.
    unsafe {
        if (*http).spare.len() < SPARE_REQUESTS && request::recycle(req) {
            (*req).evcon = ptr::null_mut();
            (*http).spare.push(req);
        } else {
            request::free(req);
        }
    }
}

/// `evhttp_send_reply_start`: the head of a reply whose body follows in pieces, chunked when
/// the client speaks 1.1 and no Content-Length is set.
///
/// # Safety
/// `req` is a live server request.
pub unsafe fn reply_start(req: *mut Request, code: c_int, reason: Option<&[u8]>) {
    // SAFETY: caller's contract.
    unsafe {
        request::set_response_code(req, code, reason);
        let c = (*req).evcon;
        if c.is_null() {
            return;
        }
        let r = &mut *req;
        let chunked = headers::find(r.output_headers, b"Content-Length").is_null() && !r.version_before(1, 1) && request::response_needs_body(req);
        if chunked {
            let _ = headers::add(r.output_headers, b"Transfer-Encoding", b"chunked");
        }
        r.set_chunked(chunked);
        connection::make_header(c, req);
        connection::write_buffer(c, AfterWrite::Nothing);
    }
}

/// `evhttp_send_reply_chunk_with_cb`: one piece of the body (a chunk when chunked); `after`
/// runs once it is written.
///
/// # Safety
/// `req` is a live server request, `data` a live buffer.
pub unsafe fn reply_chunk(req: *mut Request, data: *mut Evbuffer, after: AfterWrite) {
    // SAFETY: caller's contract.
    unsafe {
        let c = (*req).evcon;
        if c.is_null() {
            return;
        }
        let len = evbuffer_get_length(data);
        if len == 0 || !request::response_needs_body(req) {
            return;
        }
        let out = connection::output(c);
        if (*req).chunked() {
            connection::with_scratch(|line| {
                parse::write_chunk_header(line, len as u64);
                evbuffer_add(out, line.as_ptr().cast(), line.len());
            });
        }
        evbuffer_add_buffer(out, data);
        if (*req).chunked() {
            evbuffer_add(out, parse::CHUNK_END.as_ptr().cast(), parse::CHUNK_END.len());
        }
        connection::write_buffer(c, after);
    }
}

/// `evhttp_send_reply_end`: the last chunk, then the reply is done once all is written.
///
/// # Safety
/// `req` is a live server request.
pub unsafe fn reply_end(req: *mut Request) {
    // SAFETY: caller's contract.
    unsafe {
        let c = (*req).evcon;
        if c.is_null() {
            request::free(req);
            return;
        }
        let _busy = Busy::new(c);
        (*req).set_userdone(true);
        let out = connection::output(c);
        if (*req).chunked() {
            evbuffer_add(out, parse::LAST_CHUNK.as_ptr().cast(), parse::LAST_CHUNK.len());
            connection::write_buffer(c, AfterWrite::SendDone);
            (*req).set_chunked(false);
        } else if evbuffer_get_length(out) == 0 {
            send_done(c);
        } else {
            (*c).after_write = AfterWrite::SendDone;
        }
    }
}

/// Today's `Date` header value, formatted once a second.
fn date_header() -> [u8; 29] {
    use std::cell::Cell;
    thread_local! {
        static CACHE: Cell<(libc::time_t, [u8; 29])> = const { Cell::new((0, [0; 29])) };
    }
    // SAFETY: time(NULL) only returns the time.
    let now = unsafe { libc::time(ptr::null_mut()) };
    CACHE.with(|cache| {
        let (when, text) = cache.get();
        if when == now {
            return text;
        }
        let mut out = [0u8; 29];
        if let Some(s) = util_time::date_rfc1123(&util_time::utc_now()) {
            let n = s.len().min(out.len());
            out[..n].copy_from_slice(&s.as_bytes()[..n]);
        }
        cache.set((now, out));
        out
    })
}

/// Adds the headers a reply needs as upstream adds them (Date for 1.1, Content-Length for
/// persistent connections, the server's default Content-Type, `Connection: close` when the
/// client asked for it) and writes the reply's head (`evhttp_make_header_response`).
///
/// # Safety
/// `c` is a live server connection, `req` its first request.
pub unsafe fn write_response_head(c: *mut Connection, req: *mut Request, out: &mut Vec<u8>) {
    // SAFETY: caller's contract.
    unsafe {
        let r = &mut *req;
        let keepalive = connection::wants_keepalive(r.input_headers);
        let needs_body = request::response_needs_body(req);
        let outh = r.output_headers;
        let (major, minor) = r.version();
        if major == 1 {
            // The values this function writes itself are letters, digits and spaces: they go in
            // with `push`, without `add`'s two scans for line breaks.
            if minor >= 1 && headers::find(outh, b"Date").is_null() {
                let _ = headers::push(outh, b"Date", &date_header());
            }
            if minor == 0 && keepalive {
                let _ = headers::push(outh, b"Connection", b"keep-alive");
            }
            if (minor >= 1 || keepalive) && needs_body && headers::find(outh, b"Transfer-Encoding").is_null() && headers::find(outh, b"Content-Length").is_null() {
                let mut digits = [0u8; 20];
                let _ = headers::push(outh, b"Content-Length", parse::decimal(evbuffer_get_length(r.output_buffer) as u64, &mut digits));
            }
        }
        let http = (*c).http_server;
        if needs_body && headers::find(outh, b"Content-Type").is_null() && !http.is_null() && !(*http).default_content_type.is_null() {
            let content_type = (*http).default_content_type;
            // Ours has no line break; a program's string is checked every time (it is the
            // program's memory, not a copy).
            if content_type == DEFAULT_CONTENT_TYPE.as_ptr() {
                let _ = headers::push(outh, b"Content-Type", DEFAULT_CONTENT_TYPE.to_bytes());
            } else {
                let _ = headers::add(outh, b"Content-Type", CStr::from_ptr(content_type).to_bytes());
            }
        }
        if connection::wants_close(r.flags, r.input_headers) {
            headers::remove(outh, b"Connection");
            if r.flags & EVHTTP_PROXY_REQUEST == 0 {
                let _ = headers::push(outh, b"Connection", b"close");
            }
            headers::remove(outh, b"Proxy-Connection");
        }
        let reason = if r.response_code_line.is_null() { &b""[..] } else { CStr::from_ptr(r.response_code_line).to_bytes() };
        let code = u16::try_from(r.response_code).unwrap_or(500);
        parse::write_response_head(out, major, minor, code, reason, headers::iter(outh));
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_peers_are_named_as_getnameinfo_names_them() {
        for (octets, text) in [([127, 0, 0, 1], "127.0.0.1"), ([0, 0, 0, 0], "0.0.0.0"), ([255, 255, 255, 255], "255.255.255.255"), ([10, 200, 3, 40], "10.200.3.40")] {
            assert_eq!(ipv4_text(octets), text.as_bytes());
            assert_eq!(std::net::Ipv4Addr::from(octets).to_string(), text);
            let addr = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 8080u16.to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(octets) },
                sin_zero: [0; 8],
            };
            // SAFETY: a whole sockaddr_in.
            let named = unsafe { name_from_addr((&raw const addr).cast(), std::mem::size_of_val(&addr) as libc::socklen_t) };
            assert_eq!(named, Some((text.as_bytes().to_vec(), 8080)));
        }
    }

    #[test]
    fn virtual_host_patterns_match_as_upstream() {
        assert!(wildcard_match(b"foo.com", b"foo.com"));
        assert!(wildcard_match(b"foo.com", b"FOO.com"));
        assert!(!wildcard_match(b"foo.com", b"foo.comx"));
        assert!(wildcard_match(b"bar.*.foo.com", b"bar.magic.foo.com"));
        assert!(wildcard_match(b"bar.*.foo.com", b"bar..foo.com"));
        assert!(!wildcard_match(b"bar.*.foo.com", b"bar.foo.com"));
        assert!(wildcard_match(b"*", b""));
        assert!(wildcard_match(b"*.example", b"a.b.example"));
        assert!(!wildcard_match(b"", b"a"));
        assert!(wildcard_match(b"", b""));
    }
}
