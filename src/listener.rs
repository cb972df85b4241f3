//! Connection listeners (`struct evconnlistener`, event2/listener.h): a listening socket
//! watched by one persistent read event; each time it is readable, every pending connection is
//! accepted and handed to the user's callback.
//!
//! Lifetime: a listener is reference-counted. The user holds one reference until
//! `evconnlistener_free`; each callback into user code (accept or error) holds another for its
//! duration, with the listener's lock released. So a callback may free or disable its own
//! listener: freeing only clears the callbacks and drops the user's reference, and the
//! listener is destroyed when the last reference goes, after the callback has returned.
//!
//! Locking: with LEV_OPT_THREADSAFE (and locking enabled) every field is read and written under
//! a recursive lock from the thread module; otherwise the lock is null and taking it does
//! nothing, and the listener belongs to one thread, as upstream's does. The fields are `Cell`s
//! behind shared references: the lock, not the borrow checker, serialises them.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_int, c_uint, c_void};
use std::mem::{size_of, MaybeUninit};
use std::ptr;

use libc::{sockaddr, sockaddr_storage, socklen_t, timeval};

use crate::base::{DelMode, EventBase};
use crate::event::{Event, EV_PERSIST, EV_READ};
use crate::ffi::event::Locked;
use crate::mm::{errno, set_errno};
use crate::thread;
use crate::util::socket;

pub const LEV_OPT_LEAVE_SOCKETS_BLOCKING: c_uint = 1 << 0;
pub const LEV_OPT_CLOSE_ON_FREE: c_uint = 1 << 1;
pub const LEV_OPT_CLOSE_ON_EXEC: c_uint = 1 << 2;
pub const LEV_OPT_REUSEABLE: c_uint = 1 << 3;
pub const LEV_OPT_THREADSAFE: c_uint = 1 << 4;
pub const LEV_OPT_DISABLED: c_uint = 1 << 5;
pub const LEV_OPT_DEFERRED_ACCEPT: c_uint = 1 << 6;
pub const LEV_OPT_REUSEABLE_PORT: c_uint = 1 << 7;
pub const LEV_OPT_BIND_IPV6ONLY: c_uint = 1 << 8;

/// listen()'s backlog when the caller asks for a default (a negative backlog), as upstream.
const DEFAULT_BACKLOG: c_int = 128;

/// The first pause in accepting after the descriptor table filled up, and the longest one
/// (see `pause_accepting`).
const BACKOFF_FIRST_MS: u32 = 100;
const BACKOFF_MAX_MS: u32 = 1000;

/// `evconnlistener_cb`: a new connection (its fd, the peer's address and its length).
pub type ListenerCb = unsafe extern "C" fn(*mut Listener, c_int, *mut sockaddr, c_int, *mut c_void);
/// `evconnlistener_errorcb`: accept() failed with a non-retriable error (errno tells which).
pub type ListenerErrorCb = unsafe extern "C" fn(*mut Listener, *mut c_void);

/// `struct evconnlistener`, opaque to C.
pub struct Listener {
    /// Persistent EV_READ on the listening socket. The base links and updates it through raw
    /// pointers, hence the UnsafeCell.
    accept_ev: UnsafeCell<Event>,
    /// The timer that ends a pause in accepting (see `pause_accepting`).
    backoff_ev: UnsafeCell<Event>,
    lock: thread::RawLock,
    flags: c_uint,
    /// SOCK_NONBLOCK / SOCK_CLOEXEC for accept4, from the options.
    accept4_flags: c_int,
    cb: Cell<Option<ListenerCb>>,
    errorcb: Cell<Option<ListenerErrorCb>>,
    user_data: Cell<*mut c_void>,
    /// The user's reference (until evconnlistener_free) plus one per callback running.
    refcnt: Cell<u32>,
    /// What the user asked for with enable/disable. The accept event is added only while the
    /// listener is enabled, has a callback and is not pausing.
    enabled: Cell<bool>,
    /// The length of the next pause; 0 until accepting first fails for lack of descriptors,
    /// and again after each successful accept.
    next_backoff_ms: Cell<u32>,
    /// Wakeups left that take one connection without trying accept() again (see TRICKLE).
    trickle: Cell<u8>,
}

/// After a wakeup whose accept() loop found one connection and then EAGAIN, this many wakeups
/// take one connection each and return without the accept() that would most likely fail: the
/// accept event is level-triggered, so a listener with more connections queued is reported
/// again by the loop's next wait, and the next full loop comes at most this many wakeups
/// later. Connections arriving one at a time (`wrk -c 1`, Connection: close) then cost 1.25
/// accept() calls instead of 2, and 8.25 system calls a request instead of 9. With 50 and 500
/// connections, accept() calls fell from 1.3-1.6 to 1.15-1.2 a request and epoll_wait rose by
/// up to 0.15, the totals the same or lower (6.7-7.3 before, 6.7-6.9 after). 1 (alternate
/// wakeups) gave 1.5 accept() calls with 1 connection.
const TRICKLE: u8 = 3;

/// accept() failures that say nothing about the listener: try again on the next readiness.
/// EPROTO is a pending connection that failed before it was accepted (accept(2) on Linux).
fn accept_error_is_retriable(err: c_int) -> bool {
    matches!(err, libc::EAGAIN | libc::EINTR | libc::ECONNABORTED | libc::EPROTO)
}

/// accept() failures that mean the process or the system is out of descriptors or memory:
/// the connection stays queued and the socket stays readable until something is freed.
fn accept_error_is_exhaustion(err: c_int) -> bool {
    matches!(err, libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
}

/// Adds one of a listener's events to its base (with a timeout for the back-off timer).
fn add_event(ev: &UnsafeCell<Event>, tv: Option<&timeval>) -> c_int {
    let ev = ev.get();
    // SAFETY: a listener's events are assigned to its live base from creation to destruction.
    unsafe { Locked::new((*ev).base).add_nolock(ev, tv, false) }
}

/// Deletes one of a listener's events from its base.
fn del_event(ev: &UnsafeCell<Event>, mode: DelMode) -> c_int {
    let ev = ev.get();
    // SAFETY: as in add_event.
    unsafe { Locked::new((*ev).base).del_nolock(ev, mode) }
}

impl Listener {
    /// `evconnlistener_new` on a checked base and open socket: listen() unless `backlog` is 0
    /// (negative: a default), then watch the socket (unless LEV_OPT_DISABLED). Null when
    /// listen() or the allocation fails, with errno set.
    ///
    /// # Safety
    /// `base` must be a live base and `fd` an open socket.
    pub unsafe fn new(base: *mut EventBase, cb: Option<ListenerCb>, arg: *mut c_void, flags: c_uint, backlog: c_int, fd: c_int) -> *mut Listener {
        if backlog != 0 {
            let n = if backlog < 0 { DEFAULT_BACKLOG } else { backlog };
            // SAFETY: listen takes no pointers.
            if unsafe { libc::listen(fd, n) } < 0 {
                return ptr::null_mut();
            }
        }
        // From the user's allocator (event_set_mem_functions), as everything handed to them.
        let lev = crate::mm::malloc(size_of::<Listener>()).cast::<Listener>();
        if lev.is_null() {
            return ptr::null_mut();
        }
        let mut accept4_flags = 0;
        if flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING == 0 {
            accept4_flags |= socket::SOCK_NONBLOCK;
        }
        if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
            accept4_flags |= socket::SOCK_CLOEXEC;
        }
        let lock = if flags & LEV_OPT_THREADSAFE != 0 { thread::alloc_lock(thread::LOCKTYPE_RECURSIVE) } else { ptr::null_mut() };
        let value = Listener {
            // SAFETY: an all-zero struct event is the unassigned state.
            accept_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            // SAFETY: as above.
            backoff_ev: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            lock,
            flags,
            accept4_flags,
            cb: Cell::new(cb),
            errorcb: Cell::new(None),
            user_data: Cell::new(arg),
            refcnt: Cell::new(1),
            enabled: Cell::new(false),
            next_backoff_ms: Cell::new(0),
            trickle: Cell::new(0),
        };
        // SAFETY: lev is fresh memory of the right size and malloc's alignment; nothing else
        // sees it before the events are assigned below.
        unsafe {
            lev.write(value);
            let mut b = Locked::new(base);
            b.assign((*lev).accept_ev.get(), fd, EV_READ | EV_PERSIST, Some(on_acceptable), lev.cast());
            b.assign((*lev).backoff_ev.get(), -1, 0, Some(on_backoff_done), lev.cast());
        }
        if flags & LEV_OPT_DISABLED == 0 {
            // SAFETY: lev was just initialised. As upstream, a failure to add the event (an fd
            // the backend cannot watch) still leaves a listener, which enable can retry.
            unsafe { (*lev).enable() };
        }
        lev
    }

    /// `evconnlistener_new_bind`: a new nonblocking stream socket with the options' socket
    /// options, bound to `addr` (a whole sockaddr; EINVAL if shorter than its family field), then
    /// `new`. Null with errno set when any step fails; the socket is closed then.
    ///
    /// # Safety
    /// `base` must be a live base.
    pub unsafe fn new_bind(base: *mut EventBase, cb: Option<ListenerCb>, arg: *mut c_void, flags: c_uint, backlog: c_int, addr: &[u8]) -> *mut Listener {
        let family = match addr {
            [a, b, ..] => c_int::from(libc::sa_family_t::from_ne_bytes([*a, *b])),
            _ => {
                set_errno(libc::EINVAL);
                return ptr::null_mut();
            }
        };
        let mut ty = libc::SOCK_STREAM | socket::SOCK_NONBLOCK;
        if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
            ty |= socket::SOCK_CLOEXEC;
        }
        let fd = socket::socket(family, ty, 0);
        if fd < 0 {
            return ptr::null_mut();
        }
        let options = [
            (true, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
            (flags & LEV_OPT_REUSEABLE != 0, libc::SOL_SOCKET, libc::SO_REUSEADDR),
            (flags & LEV_OPT_REUSEABLE_PORT != 0, libc::SOL_SOCKET, libc::SO_REUSEPORT),
            (flags & LEV_OPT_DEFERRED_ACCEPT != 0, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT),
            (flags & LEV_OPT_BIND_IPV6ONLY != 0, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
        ];
        let options_set = options.iter().all(|&(wanted, level, name)| !wanted || socket::enable_option(fd, level, name) == 0);
        // SAFETY: addr holds addr.len() readable bytes of a sockaddr; bind only reads them.
        if !options_set || unsafe { libc::bind(fd, addr.as_ptr().cast(), addr.len() as socklen_t) } < 0 {
            socket::close_keeping_errno(fd);
            return ptr::null_mut();
        }
        // SAFETY: live base (contract), fd just created.
        let lev = unsafe { Listener::new(base, cb, arg, flags, backlog, fd) };
        if lev.is_null() {
            socket::close_keeping_errno(fd);
        }
        lev
    }

    /// `evconnlistener_free`: no callback runs any more; the listener goes away now, or when
    /// the callback that is running returns.
    ///
    /// # Safety
    /// `lev` must be a live listener; the caller's reference to it is gone afterwards.
    pub unsafe fn free(lev: *mut Listener) {
        // SAFETY: live listener (contract).
        unsafe {
            (*lev).take_lock();
            (*lev).cb.set(None);
            (*lev).errorcb.set(None);
            if !Listener::decref(lev) {
                (*lev).release_lock();
            }
        }
    }

    /// `evconnlistener_enable`.
    pub fn enable(&self) -> c_int {
        self.take_lock();
        self.enabled.set(true);
        let r = if self.cb.get().is_some() { self.resume_accepting() } else { 0 };
        self.release_lock();
        r
    }

    /// `evconnlistener_disable`.
    pub fn disable(&self) -> c_int {
        self.take_lock();
        self.enabled.set(false);
        let r = self.stop_accepting();
        self.release_lock();
        r
    }

    /// `evconnlistener_set_cb`: a listener enabled without a callback starts accepting now.
    pub fn set_cb(&self, cb: Option<ListenerCb>, arg: *mut c_void) {
        self.take_lock();
        let start = self.enabled.get() && self.cb.get().is_none() && cb.is_some();
        self.cb.set(cb);
        self.user_data.set(arg);
        if start {
            self.resume_accepting();
        }
        self.release_lock();
    }

    /// `evconnlistener_set_error_cb`.
    pub fn set_error_cb(&self, errorcb: Option<ListenerErrorCb>) {
        self.take_lock();
        self.errorcb.set(errorcb);
        self.release_lock();
    }

    /// `evconnlistener_get_fd`.
    pub fn fd(&self) -> c_int {
        self.take_lock();
        // SAFETY: the accept event is assigned for the listener's whole life; fd never changes.
        let fd = unsafe { (*self.accept_ev.get()).fd };
        self.release_lock();
        fd
    }

    /// `evconnlistener_get_base`.
    pub fn base(&self) -> *mut EventBase {
        self.take_lock();
        // SAFETY: as in fd().
        let base = unsafe { (*self.accept_ev.get()).base };
        self.release_lock();
        base
    }

    fn take_lock(&self) {
        thread::lock(self.lock, 0);
    }

    fn release_lock(&self) {
        thread::unlock(self.lock, 0);
    }

    /// Watches the socket again, ending any pause. Lock held.
    fn resume_accepting(&self) -> c_int {
        del_event(&self.backoff_ev, DelMode::NoBlock);
        add_event(&self.accept_ev, None)
    }

    /// Stops watching the socket and ends any pause. Lock held. Non-blocking deletes: a
    /// callback of ours running in the loop's thread may be waiting for the lock we hold, and
    /// finds the listener disabled when it gets it (upstream's blocking delete can deadlock
    /// there).
    fn stop_accepting(&self) -> c_int {
        del_event(&self.backoff_ev, DelMode::NoBlock);
        del_event(&self.accept_ev, DelMode::NoBlock)
    }

    /// Why a pause: accept() failing with EMFILE/ENFILE (or out of buffer memory) leaves the
    /// connection queued, so the socket stays readable and a level-triggered loop would call
    /// us again at once, forever, at full CPU, reporting the same error each time (upstream
    /// does). Instead the socket is left unwatched for a while, the error callback having
    /// already been told: 100 ms, doubling on each failure in a row up to 1 s, back to
    /// 100 ms after a connection is accepted. Descriptors usually free up as the program
    /// closes connections, and the next try after the pause accepts what waited. Disabling
    /// or freeing the listener meanwhile cancels the timer; enabling it resumes at once.
    /// Lock held.
    fn pause_accepting(&self) {
        let delay = match self.next_backoff_ms.get() {
            0 => BACKOFF_FIRST_MS,
            d => d,
        };
        self.next_backoff_ms.set((delay * 2).min(BACKOFF_MAX_MS));
        del_event(&self.accept_ev, DelMode::NoBlock);
        let tv = crate::time::from_ms(delay.into());
        add_event(&self.backoff_ev, Some(&tv));
    }

    /// Takes a reference for a callback into user code. Lock held.
    fn incref(&self) {
        self.refcnt.set(self.refcnt.get() + 1);
    }

    /// Drops a reference, with the lock held. Returns true if it was the last one: the
    /// listener is then destroyed and the lock released; else the lock is still held.
    ///
    /// # Safety
    /// `lev` must be live and locked by the caller, and no reference into it may be used
    /// after a true result.
    unsafe fn decref(lev: *mut Listener) -> bool {
        // SAFETY: live and locked (contract).
        let l = unsafe { &*lev };
        let n = l.refcnt.get() - 1;
        l.refcnt.set(n);
        if n > 0 {
            return false;
        }
        // Only free() drops the user's reference and it cleared both callbacks, so a callback
        // of ours that the loop runs in another thread before the deletes below finds nothing
        // to do. The deletes wait for such a callback to finish, so they must not hold the lock
        // it is taking.
        l.enabled.set(false);
        l.release_lock();
        del_event(&l.accept_ev, DelMode::AutoBlock);
        del_event(&l.backoff_ev, DelMode::AutoBlock);
        crate::debug::note_teardown(l.accept_ev.get());
        crate::debug::note_teardown(l.backoff_ev.get());
        if l.flags & LEV_OPT_CLOSE_ON_FREE != 0 {
            // SAFETY: the listener owns its socket with this option; nothing watches it now.
            unsafe { libc::close((*l.accept_ev.get()).fd) };
        }
        thread::free_lock(l.lock, thread::LOCKTYPE_RECURSIVE);
        // SAFETY: written in new() into memory from mm::malloc; nothing refers to it any more
        // (the events are off the base, the references are gone).
        unsafe { ptr::drop_in_place(lev) };
        crate::mm::free(lev.cast());
        true
    }

    /// The accept event's work: accept every pending connection, each handed to the callback
    /// with the lock released and a reference held; then deal with the failure that ended the
    /// run. Returns with the lock released.
    ///
    /// # Safety
    /// `lev` must be a live listener, not locked by this thread.
    unsafe fn accept_pending(lev: *mut Listener, fd: c_int) {
        // SAFETY: live listener (contract); re-derived after each callback, which may free it.
        let l = unsafe { &*lev };
        l.take_lock();
        let left = l.trickle.get();
        let single = left > 0;
        l.trickle.set(left.saturating_sub(1));
        let mut accepted = 0;
        let err = loop {
            if single && accepted == 1 {
                l.release_lock();
                return;
            }
            // Disabled (or freed) by another thread while this callback waited for the lock.
            if !l.enabled.get() {
                l.release_lock();
                return;
            }
            let mut ss = MaybeUninit::<sockaddr_storage>::zeroed();
            let mut socklen = size_of::<sockaddr_storage>() as socklen_t;
            // SAFETY: ss has room for socklen bytes of address.
            let new_fd = unsafe { socket::accept4(fd, ss.as_mut_ptr().cast(), &mut socklen, l.accept4_flags) };
            if new_fd < 0 {
                break errno();
            }
            l.next_backoff_ms.set(0);
            if socklen == 0 {
                // Some kernels accept a connection that is already gone, without an address.
                // SAFETY: new_fd is ours.
                unsafe { libc::close(new_fd) };
                continue;
            }
            let Some(cb) = l.cb.get() else {
                // SAFETY: as above: nobody wants the connection.
                unsafe { libc::close(new_fd) };
                l.release_lock();
                return;
            };
            accepted += 1;
            l.incref();
            let arg = l.user_data.get();
            l.release_lock();
            // SAFETY: the user's callback with the listener, the new fd it now owns, and the
            // peer's address; our reference keeps the listener alive through it.
            unsafe { cb(lev, new_fd, ss.as_mut_ptr().cast(), socklen as c_int, arg) };
            l.take_lock();
            // SAFETY: live and locked; if freed, l is not used again.
            if unsafe { Listener::decref(lev) } {
                return;
            }
        };
        if accept_error_is_retriable(err) {
            if !single && accepted == 1 {
                l.trickle.set(TRICKLE);
            }
            l.release_lock();
            return;
        }
        match l.errorcb.get() {
            Some(errorcb) => {
                l.incref();
                let arg = l.user_data.get();
                l.release_lock();
                // The callback reads accept's error through errno (EVUTIL_SOCKET_ERROR()).
                set_errno(err);
                // SAFETY: the user's error callback; our reference keeps the listener alive.
                unsafe { errorcb(lev, arg) };
                l.take_lock();
                // SAFETY: live and locked; if freed, l is not used again.
                if unsafe { Listener::decref(lev) } {
                    return;
                }
            }
            None => warnx!("Error from accept() call: {}", crate::log::strerror(err)),
        }
        // Unless the error callback disabled the listener (or took its callback away).
        if accept_error_is_exhaustion(err) && l.enabled.get() && l.cb.get().is_some() {
            l.pause_accepting();
        }
        l.release_lock();
    }
}

/// Callback of the accept event.
unsafe extern "C" fn on_acceptable(fd: c_int, _what: std::ffi::c_short, arg: *mut c_void) {
    // SAFETY: arg is the live listener that owns this event; the loop holds no lock of ours.
    unsafe { Listener::accept_pending(arg.cast(), fd) };
}

/// Callback of the back-off timer: the pause is over.
unsafe extern "C" fn on_backoff_done(_fd: c_int, _what: std::ffi::c_short, arg: *mut c_void) {
    // SAFETY: arg is the live listener that owns this event (freeing it deletes the timer and
    // waits for this callback first).
    let l = unsafe { &*arg.cast::<Listener>() };
    l.take_lock();
    if l.enabled.get() && l.cb.get().is_some() {
        add_event(&l.accept_ev, None);
    }
    l.release_lock();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retriable_and_exhaustion_errors_are_disjoint() {
        for err in [libc::EAGAIN, libc::EINTR, libc::ECONNABORTED, libc::EPROTO] {
            assert!(accept_error_is_retriable(err) && !accept_error_is_exhaustion(err));
        }
        for err in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(accept_error_is_exhaustion(err) && !accept_error_is_retriable(err));
        }
        // A socket that is not listening: reported, not retried, no pause.
        assert!(!accept_error_is_retriable(libc::EINVAL) && !accept_error_is_exhaustion(libc::EINVAL));
    }

    /// Counts accepted connections and closes them.
    unsafe extern "C" fn count_accept(_l: *mut Listener, fd: c_int, _sa: *mut libc::sockaddr, _len: c_int, arg: *mut c_void) {
        // SAFETY: arg is the test's counter; fd is ours now.
        unsafe {
            *arg.cast::<u32>() += 1;
            libc::close(fd);
        }
    }

    /// Loopback connections to `port`, left open.
    fn connect_many(port: u16, n: usize) -> Vec<std::net::TcpStream> {
        (0..n).map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect")).collect()
    }

    #[test]
    fn after_a_trickle_queued_connections_are_still_all_accepted() {
        use crate::ffi::event::{event_base_free, event_base_loop, event_base_new};
        use crate::ffi::listener::{evconnlistener_free, evconnlistener_get_fd, evconnlistener_new_bind};
        let mut accepted = 0u32;
        // SAFETY: a fresh base and listener of the test's, freed at the end; the counter
        // outlives them.
        unsafe {
            let base = event_base_new();
            assert!(!base.is_null());
            let mut sin: libc::sockaddr_in = std::mem::zeroed();
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
            let lev = evconnlistener_new_bind(base, Some(count_accept), (&raw mut accepted).cast(),
                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (&raw const sin).cast(), size_of::<libc::sockaddr_in>() as c_int);
            assert!(!lev.is_null());
            let mut bound: libc::sockaddr_in = std::mem::zeroed();
            let mut len = size_of::<libc::sockaddr_in>() as socklen_t;
            assert_eq!(libc::getsockname(evconnlistener_get_fd(lev), (&raw mut bound).cast(), &mut len), 0);
            let port = u16::from_be(bound.sin_port);
            let once = crate::base::EVLOOP_ONCE | crate::base::EVLOOP_NONBLOCK;
            // One connection: found alone, so the next wakeups take one each without asking
            // again.
            let _first = connect_many(port, 1);
            assert_eq!(event_base_loop(base, once), 0);
            assert_eq!(accepted, 1);
            // Then a burst: the level-triggered accept event reports the listener as long as
            // connections are queued, so every one is accepted within a few turns.
            let _burst = connect_many(port, 10);
            assert_eq!(event_base_loop(base, once), 0);
            assert_eq!(accepted, 2, "a wakeup after a trickle takes one connection");
            for _ in 0..20 {
                if accepted == 11 {
                    break;
                }
                assert_eq!(event_base_loop(base, once), 0);
            }
            assert_eq!(accepted, 11);
            evconnlistener_free(lev);
            event_base_free(base);
        }
    }
}
