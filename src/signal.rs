//! Signal delivery, as upstream does it: a C signal handler writes the signal number into the
//! base's internal pipe; an internal read event on the pipe turns the bytes into activations of
//! the signal events. Old handlers are saved per base and restored when the last event for a
//! signal goes away or the base is freed.
//!
//! Only one base receives signals at a time (the one that most recently added a signal or
//! started its loop), which is upstream's documented limitation.

use std::ffi::{c_int, c_short, c_void};
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::Mutex;

use crate::base::EventBase;
use crate::event::{Event, EVLIST_INTERNAL, EV_PERSIST, EV_READ};

/// Signal numbers are below this (glibc's _NSIG).
pub const NSIG: c_int = 65;

/// Per-base signal state; laid out like upstream's `struct evsig_info` up to the pipe.
#[repr(C)]
pub struct SignalInfo {
    /// Internal persistent read event on `pair[0]`.
    pub ev_signal: Event,
    /// [read end, write end] of the pipe the handler writes to.
    pub pair: [c_int; 2],
    /// Is `ev_signal` added?
    pub ev_signal_added: c_int,
    /// How many signal numbers have our handler installed.
    pub n_signals_added: c_int,
    /// Handlers we replaced, by signal number.
    old_handlers: Vec<Option<Box<libc::sigaction>>>,
}

/// The base that receives signals, the write end of its pipe, and how many signals it has.
static SIG_BASE: AtomicPtr<EventBase> = AtomicPtr::new(std::ptr::null_mut());
static SIG_BASE_FD: AtomicI32 = AtomicI32::new(-1);
static SIG_BASE_LOCK: Mutex<c_int> = Mutex::new(0);

impl Default for SignalInfo {
    fn default() -> Self {
        SignalInfo {
            // SAFETY: an all-zero struct event is the unassigned state.
            ev_signal: unsafe { std::mem::zeroed() },
            pair: [-1, -1],
            ev_signal_added: 0,
            n_signals_added: 0,
            old_handlers: Vec::new(),
        }
    }
}

extern "C" fn handler(sig: c_int) {
    // Async-signal-safe: atomics and write(2) only; errno preserved for the interrupted code.
    let saved = crate::mm::errno();
    let fd = SIG_BASE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = sig as u8;
        // SAFETY: writing one byte from a local to an fd; failure (full pipe) is harmless.
        unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
    crate::mm::set_errno(saved);
}

/// Drains the pipe and activates the signal events (the internal event's callback).
unsafe extern "C" fn pipe_readable(fd: c_int, _what: c_short, arg: *mut c_void) {
    let base = arg.cast::<EventBase>();
    let mut caught = [0u32; NSIG as usize];
    let mut buf = [0u8; 1024];
    loop {
        // SAFETY: reading into a local buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            let err = crate::mm::errno();
            if n < 0 && !crate::util::socket::rw_error_is_retriable(err) {
                crate::log::errx(1, format_args!("evsig_cb: read: {}", crate::log::strerror(err)));
            }
            break;
        }
        for &b in &buf[..n as usize] {
            if (b as c_int) < NSIG {
                caught[b as usize] += 1;
            }
        }
    }
    // SAFETY: the base outlives its internal events; the loop runs callbacks unlocked.
    let base = unsafe { &mut *base };
    base.acquire_lock();
    for (sig, &n) in caught.iter().enumerate() {
        if n > 0 {
            crate::evmap::signal_active(base, sig as c_int, n.min(c_short::MAX as u32) as c_short);
        }
    }
    base.release_lock();
}

/// Creates the pipe and assigns the internal event (not yet added).
pub fn init(base: &mut EventBase) -> c_int {
    let mut fds = [-1; 2];
    // SAFETY: fds is a valid out-array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } < 0 {
        warn_errno!("evsig_init_: pipe");
        return -1;
    }
    base.sig.pair = fds;
    base.sig.old_handlers.clear();
    let basep: *mut EventBase = base;
    let ev: *mut Event = &mut base.sig.ev_signal;
    // SAFETY: ev is the base's own event storage; basep is the base.
    unsafe {
        base.assign(ev, fds[0], EV_READ | EV_PERSIST, Some(pipe_readable), basep.cast());
        (*ev).cb.flags |= EVLIST_INTERNAL;
        (*ev).cb.pri = 0;
    }
    0
}

/// Makes `base` the one that receives signals (at loop start, as upstream).
pub fn set_base(base: &mut EventBase) {
    let mut n = SIG_BASE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    SIG_BASE.store(base, Ordering::Relaxed);
    *n = base.sig.n_signals_added;
    SIG_BASE_FD.store(base.sig.pair[1], Ordering::Relaxed);
}

fn install(base: &mut EventBase, sig: c_int) -> c_int {
    install_handler(base, sig, handler)
}

/// Installs `f` for `sig`, remembering the handler it replaces (evsig_set_handler_).
pub fn install_handler(base: &mut EventBase, sig: c_int, f: extern "C" fn(c_int)) -> c_int {
    if !(1..NSIG).contains(&sig) {
        return -1;
    }
    // SAFETY: sigaction structs are plain data; zeroed is a valid starting point.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = f as usize;
    sa.sa_flags = libc::SA_RESTART;
    // SAFETY: sa_mask is a valid sigset_t.
    unsafe { libc::sigfillset(&mut sa.sa_mask) };
    // SAFETY: as above.
    let mut old: Box<libc::sigaction> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: valid sigaction pointers.
    if unsafe { libc::sigaction(sig, &sa, &mut *old) } == -1 {
        warn_errno!("sigaction");
        return -1;
    }
    let handlers = &mut base.sig.old_handlers;
    if handlers.len() <= sig as usize {
        handlers.resize_with(sig as usize + 1, || None);
    }
    handlers[sig as usize] = Some(old);
    0
}

/// Puts back the handler `sig` had before we installed ours (evsig_restore_handler_).
pub fn restore_handler(base: &mut EventBase, sig: c_int) -> c_int {
    let Some(old) = base.sig.old_handlers.get_mut(sig as usize).and_then(Option::take) else { return 0 };
    // SAFETY: restoring a sigaction we saved.
    if unsafe { libc::sigaction(sig, &*old, std::ptr::null_mut()) } == -1 {
        warn_errno!("sigaction");
        return -1;
    }
    0
}

/// The first event for `sig` was added: catch it.
pub fn add(base: &mut EventBase, sig: c_int) -> c_int {
    {
        let mut n = SIG_BASE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let current = SIG_BASE.load(Ordering::Relaxed);
        if !current.is_null() && !std::ptr::eq(current, base) && *n > 0 {
            warnx!(
                "Added a signal to event base {:p} with signals already added to event_base {:p}.  Only one can have signals at a time with the {} backend.  The base with the most recently added signal or the most recent event_base_loop() call gets preference; do not rely on this behavior in future Libevent versions.",
                base as *const EventBase, current, base.method_name()
            );
        }
        SIG_BASE.store(base, Ordering::Relaxed);
        base.sig.n_signals_added += 1;
        *n = base.sig.n_signals_added;
        SIG_BASE_FD.store(base.sig.pair[1], Ordering::Relaxed);
    }
    if install(base, sig) == -1 {
        undo_count(base);
        return -1;
    }
    if base.sig.ev_signal_added == 0 {
        let ev: *mut Event = &mut base.sig.ev_signal;
        // SAFETY: the internal event is assigned to this base.
        if unsafe { base.add_nolock(ev, None, false) } != 0 {
            undo_count(base);
            return -1;
        }
        base.sig.ev_signal_added = 1;
    }
    0
}

fn undo_count(base: &mut EventBase) {
    let mut n = SIG_BASE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    base.sig.n_signals_added -= 1;
    if std::ptr::eq(SIG_BASE.load(Ordering::Relaxed), base) {
        *n -= 1;
    }
}

/// The last event for `sig` was deleted: give the signal back to its old handler.
pub fn del(base: &mut EventBase, sig: c_int) -> c_int {
    undo_count(base);
    restore_handler(base, sig)
}

/// Tears down the base's signal state: internal event, saved handlers, pipe.
pub fn dealloc(base: &mut EventBase) {
    if base.sig.ev_signal_added != 0 {
        let ev: *mut Event = &mut base.sig.ev_signal;
        // SAFETY: the internal event is added to this base.
        unsafe { base.del_nolock(ev, crate::base::DelMode::AutoBlock) };
        base.sig.ev_signal_added = 0;
    }
    crate::debug::note_teardown(&base.sig.ev_signal);
    for sig in 0..base.sig.old_handlers.len() {
        restore_handler(base, sig as c_int);
    }
    {
        let mut n = SIG_BASE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if std::ptr::eq(SIG_BASE.load(Ordering::Relaxed), base) {
            SIG_BASE.store(std::ptr::null_mut(), Ordering::Relaxed);
            SIG_BASE_FD.store(-1, Ordering::Relaxed);
            *n = 0;
        }
    }
    close_pipe(base);
}

pub fn close_pipe(base: &mut EventBase) {
    crate::util::file::close_owned(&mut base.sig.pair);
}
