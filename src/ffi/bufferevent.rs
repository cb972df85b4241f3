//! Entry points of `event2/bufferevent.h`, `bufferevent_struct.h`, `bufferevent_compat.h`
//! and upstream's internal `bufferevent_*_` / `ev_token_bucket_*_` helpers
//! (bufferevent-internal.h, ratelim-internal.h): token-bucket configurations, the common calls,
//! socket bufferevents, pairs and filters, rate limits. Each checks its arguments and calls
//! `crate::bufferevent`.

use std::ffi::{c_char, c_int, c_short, c_void};
use std::ptr;

use libc::{sockaddr, timeval};

use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::bufferevent::core::{self, BevPrivate};
use crate::bufferevent::layout::*;
use crate::bufferevent::limits::{self, Group};
use crate::bufferevent::ratelim::{Direction, TokenBucket, TokenBucketCfg};
use crate::bufferevent::{filter, pair, socket};
use crate::event::{Event, EV_READ, EV_WRITE};
use crate::mm;

// ---- token-bucket configurations -------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const timeval,
) -> *mut TokenBucketCfg {
    // SAFETY: tick_len is NULL or points to a struct timeval (caller's contract).
    let tick_len = unsafe { tick_len.as_ref() }.copied();
    let cfg = match TokenBucketCfg::new(read_rate, read_burst, write_rate, write_burst, tick_len) {
        Ok(cfg) => cfg,
        Err(why) => {
            warnx!("ev_token_bucket_cfg_new: {why}");
            return ptr::null_mut();
        }
    };
    // Through the user's allocator: the program frees it with ev_token_bucket_cfg_free.
    let p = mm::malloc(std::mem::size_of::<TokenBucketCfg>()).cast::<TokenBucketCfg>();
    if !p.is_null() {
        // SAFETY: p is a fresh allocation of the right size; malloc aligns for any type.
        unsafe { p.write(cfg) };
    }
    p
}

#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_free(cfg: *mut TokenBucketCfg) {
    mm::free(cfg.cast::<c_void>());
}

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_init_(
    bucket: *mut TokenBucket,
    cfg: *const TokenBucketCfg,
    current_tick: u32,
    reinitialize: c_int,
) -> c_int {
    ensure_arg!(!bucket.is_null() && !cfg.is_null(), -1, "ev_token_bucket_init_: NULL bucket or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (bucket, cfg) = unsafe { (&mut *bucket, &*cfg) };
    if reinitialize != 0 {
        bucket.clip_to(cfg);
    } else {
        *bucket = TokenBucket::new(cfg, current_tick);
    }
    0
}

/// 1 if ticks passed and the bucket was refilled, 0 if not.
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_update_(
    bucket: *mut TokenBucket,
    cfg: *const TokenBucketCfg,
    current_tick: u32,
) -> c_int {
    ensure_arg!(!bucket.is_null() && !cfg.is_null(), -1, "ev_token_bucket_update_: NULL bucket or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (bucket, cfg) = unsafe { (&mut *bucket, &*cfg) };
    c_int::from(bucket.refill(cfg, current_tick))
}

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_get_tick_(tv: *const timeval, cfg: *const TokenBucketCfg) -> u32 {
    ensure_arg!(!tv.is_null() && !cfg.is_null(), 0, "ev_token_bucket_get_tick_: NULL time or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (tv, cfg) = unsafe { (&*tv, &*cfg) };
    cfg.tick_of(tv)
}

// ---- bufferevents: the common calls ------------------------------------------------------------

/// The argument check of every call taking a bufferevent.
macro_rules! ensure_bev {
    ($bev:expr, (), $func:literal) => {
        ensure_arg!(!$bev.is_null(), (), concat!($func, ": NULL bufferevent"))
    };
    ($bev:expr, $ret:expr, $func:literal) => {
        ensure_arg!(!$bev.is_null(), $ret, concat!($func, ": NULL bufferevent"))
    };
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_free(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_free");
    ensure_arg!(core::debug_forget(bev), (), "bufferevent_free: {:p} is not a live bufferevent (freed twice?)", bev);
    // SAFETY: a live bufferevent (checked in debug mode; the caller's contract otherwise).
    unsafe { core::free(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setcb(
    bev: *mut Bufferevent,
    readcb: Option<BuffereventDataCb>,
    writecb: Option<BuffereventDataCb>,
    eventcb: Option<BuffereventEventCb>,
    cbarg: *mut c_void,
) {
    ensure_bev!(bev, (), "bufferevent_setcb");
    // SAFETY: live bufferevent (caller's contract; so for every call below).
    unsafe { core::setcb(bev, readcb, writecb, eventcb, cbarg) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getcb(
    bev: *mut Bufferevent,
    readcb: *mut Option<BuffereventDataCb>,
    writecb: *mut Option<BuffereventDataCb>,
    eventcb: *mut Option<BuffereventEventCb>,
    cbarg: *mut *mut c_void,
) {
    ensure_bev!(bev, (), "bufferevent_getcb");
    // SAFETY: live bufferevent; each out pointer NULL or writable.
    unsafe {
        core::lock(bev);
        if !readcb.is_null() {
            *readcb = (*bev).readcb;
        }
        if !writecb.is_null() {
            *writecb = (*bev).writecb;
        }
        if !eventcb.is_null() {
            *eventcb = (*bev).errorcb;
        }
        if !cbarg.is_null() {
            *cbarg = (*bev).cbarg;
        }
        core::unlock(bev);
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_enable(bev: *mut Bufferevent, event: c_short) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_enable");
    // SAFETY: live bufferevent.
    unsafe { core::enable(bev, event) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_disable(bev: *mut Bufferevent, event: c_short) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_disable");
    // SAFETY: live bufferevent.
    unsafe { core::disable(bev, event) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_disable_hard_(bev: *mut Bufferevent, event: c_short) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_disable_hard_");
    // SAFETY: live bufferevent.
    unsafe { core::disable_hard(bev, event) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_enabled(bev: *mut Bufferevent) -> c_short {
    ensure_bev!(bev, 0, "bufferevent_get_enabled");
    // SAFETY: live bufferevent.
    unsafe {
        core::lock(bev);
        let e = (*bev).enabled;
        core::unlock(bev);
        e
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_input(bev: *mut Bufferevent) -> *mut Evbuffer {
    ensure_bev!(bev, ptr::null_mut(), "bufferevent_get_input");
    // SAFETY: live bufferevent.
    unsafe { (*bev).input }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_output(bev: *mut Bufferevent) -> *mut Evbuffer {
    ensure_bev!(bev, ptr::null_mut(), "bufferevent_get_output");
    // SAFETY: live bufferevent.
    unsafe { (*bev).output }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_base(bev: *mut Bufferevent) -> *mut EventBase {
    ensure_bev!(bev, ptr::null_mut(), "bufferevent_get_base");
    // SAFETY: live bufferevent.
    unsafe { (*bev).ev_base }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write(bev: *mut Bufferevent, data: *const c_void, size: usize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_write");
    // SAFETY: live bufferevent; evbuffer_add checks data and size.
    if unsafe { crate::ffi::buffer::evbuffer_add((*bev).output, data, size) } == -1 {
        return -1;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write_buffer(bev: *mut Bufferevent, buf: *mut Evbuffer) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_write_buffer");
    // SAFETY: live bufferevent; evbuffer_add_buffer checks buf.
    if unsafe { crate::ffi::buffer::evbuffer_add_buffer((*bev).output, buf) } == -1 {
        return -1;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read(bev: *mut Bufferevent, data: *mut c_void, size: usize) -> usize {
    ensure_bev!(bev, 0, "bufferevent_read");
    // SAFETY: live bufferevent; evbuffer_remove checks data and size.
    let n = unsafe { crate::ffi::buffer::evbuffer_remove((*bev).input, data, size) };
    n.max(0) as usize
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read_buffer(bev: *mut Bufferevent, buf: *mut Evbuffer) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_read_buffer");
    // SAFETY: live bufferevent; evbuffer_add_buffer checks buf.
    unsafe { crate::ffi::buffer::evbuffer_add_buffer(buf, (*bev).input) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setwatermark(bev: *mut Bufferevent, events: c_short, lowmark: usize, highmark: usize) {
    ensure_bev!(bev, (), "bufferevent_setwatermark");
    // SAFETY: live bufferevent.
    unsafe { core::setwatermark(bev, events, lowmark, highmark) }
}

/// One direction only: EV_READ or EV_WRITE, not both.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_getwatermark(bev: *mut Bufferevent, events: c_short, lowmark: *mut usize, highmark: *mut usize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_getwatermark");
    ensure_arg!(events == EV_READ || events == EV_WRITE, -1, "bufferevent_getwatermark: events must be EV_READ or EV_WRITE");
    // SAFETY: live bufferevent; the out pointers NULL or writable.
    unsafe {
        core::lock(bev);
        let wm = if events == EV_READ { (*bev).wm_read } else { (*bev).wm_write };
        core::unlock(bev);
        if !lowmark.is_null() {
            *lowmark = wm.low;
        }
        if !highmark.is_null() {
            *highmark = wm.high;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_timeouts(bev: *mut Bufferevent, tv_read: *const timeval, tv_write: *const timeval) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_set_timeouts");
    // SAFETY: live bufferevent; the timevals NULL or valid.
    unsafe { core::set_timeouts(bev, tv_read, tv_write) }
}

/// The 1.x call: whole seconds, 0 for none.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_settimeout(bev: *mut Bufferevent, timeout_read: c_int, timeout_write: c_int) {
    ensure_bev!(bev, (), "bufferevent_settimeout");
    let tv = |s: c_int| timeval { tv_sec: s.into(), tv_usec: 0 };
    let (r, w) = (tv(timeout_read), tv(timeout_write));
    // SAFETY: live bufferevent; the timevals live on this stack.
    unsafe {
        core::set_timeouts(bev, if timeout_read != 0 { &r } else { ptr::null() }, if timeout_write != 0 { &w } else { ptr::null() });
    }
}

/// `enum bufferevent_flush_mode` arrives as an integer: anything else is refused.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_flush(bev: *mut Bufferevent, iotype: c_short, mode: u32) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_flush");
    let mode = match mode {
        0 => FlushMode::Normal,
        1 => FlushMode::Flush,
        2 => FlushMode::Finished,
        _ => {
            warnx!("bufferevent_flush: bad flush mode {}", mode);
            return -1;
        }
    };
    // SAFETY: live bufferevent.
    unsafe { core::flush(bev, iotype, mode) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger(bev: *mut Bufferevent, iotype: c_short, options: c_int) {
    ensure_bev!(bev, (), "bufferevent_trigger");
    // SAFETY: live bufferevent.
    unsafe { core::trigger(bev, iotype, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger_event(bev: *mut Bufferevent, what: c_short, options: c_int) {
    ensure_bev!(bev, (), "bufferevent_trigger_event");
    // SAFETY: live bufferevent.
    unsafe { core::trigger_event(bev, what, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_lock(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_lock");
    // SAFETY: live bufferevent.
    unsafe { core::incref_and_lock(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_unlock(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_unlock");
    // SAFETY: live bufferevent, locked by bufferevent_lock (which took a reference).
    unsafe { core::decref_and_unlock(bev) };
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_incref(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_incref");
    // SAFETY: live bufferevent.
    unsafe { core::incref(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decref(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_decref");
    // SAFETY: live bufferevent the caller holds a reference on.
    unsafe { core::decref(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_incref_and_lock_(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_incref_and_lock_");
    // SAFETY: live bufferevent.
    unsafe { core::incref_and_lock(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decref_and_unlock_(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_decref_and_unlock_");
    // SAFETY: live, locked bufferevent the caller holds a reference on.
    unsafe { core::decref_and_unlock(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getfd(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_getfd");
    // SAFETY: live bufferevent.
    unsafe {
        core::lock(bev);
        let fd = core::getfd(bev);
        core::unlock(bev);
        fd
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setfd(bev: *mut Bufferevent, fd: c_int) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_setfd");
    let mut d = CtrlData { fd };
    // SAFETY: live bufferevent.
    unsafe {
        core::lock(bev);
        let r = core::ctrl(bev, CtrlOp::SetFd, &mut d);
        core::unlock(bev);
        r
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_underlying(bev: *mut Bufferevent) -> *mut Bufferevent {
    ensure_bev!(bev, ptr::null_mut(), "bufferevent_get_underlying");
    // SAFETY: live bufferevent.
    unsafe {
        core::lock(bev);
        let u = core::get_underlying(bev);
        core::unlock(bev);
        u
    }
}

/// Only socket bufferevents have events of their own whose priority can change.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_priority_set(bev: *mut Bufferevent, pri: c_int) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_priority_set");
    // SAFETY: live bufferevent.
    unsafe {
        if !socket::is_socket(bev) {
            return -1;
        }
        core::priority_set(bev, pri)
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_priority(bev: *const Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_get_priority");
    // SAFETY: live bufferevent; its read event is assigned.
    c_int::from(unsafe { (*bev).ev_read.cb.pri })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_options_(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, 0, "bufferevent_get_options_");
    // SAFETY: live bufferevent.
    unsafe { core::options(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_run_readcb_(bev: *mut Bufferevent, options: c_int) {
    ensure_bev!(bev, (), "bufferevent_run_readcb_");
    // SAFETY: live bufferevent, locked and referenced by the caller.
    unsafe { core::run_readcb(bev, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_run_writecb_(bev: *mut Bufferevent, options: c_int) {
    ensure_bev!(bev, (), "bufferevent_run_writecb_");
    // SAFETY: as above.
    unsafe { core::run_writecb(bev, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_run_eventcb_(bev: *mut Bufferevent, what: c_short, options: c_int) {
    ensure_bev!(bev, (), "bufferevent_run_eventcb_");
    // SAFETY: as above.
    unsafe { core::run_eventcb(bev, what, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_suspend_read_(bev: *mut Bufferevent, what: u16) {
    ensure_bev!(bev, (), "bufferevent_suspend_read_");
    // SAFETY: live bufferevent.
    unsafe { core::suspend_read(bev, what) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_unsuspend_read_(bev: *mut Bufferevent, what: u16) {
    ensure_bev!(bev, (), "bufferevent_unsuspend_read_");
    // SAFETY: live bufferevent.
    unsafe { core::unsuspend_read(bev, what) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_suspend_write_(bev: *mut Bufferevent, what: u16) {
    ensure_bev!(bev, (), "bufferevent_suspend_write_");
    // SAFETY: live bufferevent.
    unsafe { core::suspend_write(bev, what) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_unsuspend_write_(bev: *mut Bufferevent, what: u16) {
    ensure_bev!(bev, (), "bufferevent_unsuspend_write_");
    // SAFETY: live bufferevent.
    unsafe { core::unsuspend_write(bev, what) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_add_event_(ev: *mut Event, tv: *const timeval) -> c_int {
    ensure_arg!(!ev.is_null(), -1, "bufferevent_add_event_: NULL event");
    // SAFETY: an assigned event; tv NULL or valid.
    unsafe { core::add_event(ev, tv) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_init_common_(p: *mut BevPrivate, base: *mut EventBase, ops: *const BuffereventOps, options: c_int) -> c_int {
    ensure_arg!(!p.is_null() && !base.is_null() && !ops.is_null(), -1, "bufferevent_init_common_: NULL argument");
    // SAFETY: zeroed private memory, a live base and a static table (the caller's contract).
    unsafe { core::init_common(p, base, ops, options) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_enable_locking_(bev: *mut Bufferevent, lock: *mut c_void) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_enable_locking_");
    // SAFETY: live bufferevent; lock NULL or a recursive lock outliving it.
    unsafe { core::enable_locking(bev, lock) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_init_generic_timeout_cbs_(bev: *mut Bufferevent) {
    ensure_bev!(bev, (), "bufferevent_init_generic_timeout_cbs_");
    // SAFETY: a bufferevent being set up.
    unsafe { core::init_generic_timeout_cbs(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_generic_adj_timeouts_(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_generic_adj_timeouts_");
    // SAFETY: live bufferevent with generic timeout events.
    unsafe { core::generic_adj_timeouts(bev, false) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_generic_adj_existing_timeouts_(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_generic_adj_existing_timeouts_");
    // SAFETY: as above.
    unsafe { core::generic_adj_timeouts(bev, true) }
}

// ---- socket bufferevents ----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_new(base: *mut EventBase, fd: c_int, options: c_int) -> *mut Bufferevent {
    // NULL is the current base (event_init's), as for events.
    let base = crate::ffi::event::current_base_or(base);
    ensure_arg!(!base.is_null(), ptr::null_mut(), "bufferevent_socket_new: no event base");
    // SAFETY: live base (caller's contract).
    unsafe { socket::new(base, fd, options) }
}

/// Only for socket bufferevents, and TLS ones (which connect like them, as upstream's do).
macro_rules! ensure_connectable {
    ($bev:expr, $ret:expr, $func:literal) => {
        ensure_bev!($bev, $ret, $func);
        // SAFETY: live bufferevent (caller's contract).
        ensure_arg!(unsafe { socket::is_socket($bev) || crate::ssl::is_ssl($bev) }, $ret, concat!($func, ": not a socket or TLS bufferevent"));
    };
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect(bev: *mut Bufferevent, sa: *const sockaddr, socklen: c_int) -> c_int {
    ensure_connectable!(bev, -1, "bufferevent_socket_connect");
    ensure_arg!(sa.is_null() || socklen > 0, -1, "bufferevent_socket_connect: bad address length");
    // SAFETY: live socket bufferevent; sa NULL or socklen bytes.
    unsafe { socket::connect(bev, sa, socklen) }
}

/// The lookup goes through `evdns_base` when given, else through the system resolver.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut Bufferevent,
    evdns_base: *mut EvdnsBase,
    family: c_int,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    ensure_connectable!(bev, -1, "bufferevent_socket_connect_hostname");
    ensure_arg!(!hostname.is_null(), -1, "bufferevent_socket_connect_hostname: NULL hostname");
    ensure_arg!(
        matches!(family, libc::AF_INET | libc::AF_INET6 | libc::AF_UNSPEC),
        -1,
        "bufferevent_socket_connect_hostname: bad address family {}",
        family
    );
    ensure_arg!((1..=65535).contains(&port), -1, "bufferevent_socket_connect_hostname: bad port {}", port);
    // SAFETY: live socket bufferevent; hostname a C string; evdns_base NULL or live.
    unsafe { socket::connect_hostname(bev, evdns_base, family, hostname, port) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_get_dns_error(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_socket_get_dns_error");
    // SAFETY: live bufferevent.
    unsafe { core::dns_error(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_get_conn_address_(bev: *mut Bufferevent) -> *const sockaddr {
    ensure_bev!(bev, ptr::null(), "bufferevent_socket_get_conn_address_");
    socket::conn_address(bev)
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_set_conn_address_fd_(bev: *mut Bufferevent, fd: c_int) {
    ensure_bev!(bev, (), "bufferevent_socket_set_conn_address_fd_");
    // SAFETY: live bufferevent.
    unsafe { socket::set_conn_address_fd(bev, fd) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_set_conn_address_(bev: *mut Bufferevent, addr: *const sockaddr, addrlen: usize) {
    ensure_bev!(bev, (), "bufferevent_socket_set_conn_address_");
    ensure_arg!(!addr.is_null(), (), "bufferevent_socket_set_conn_address_: NULL address");
    // SAFETY: live bufferevent; addr has addrlen bytes (caller's contract).
    unsafe { socket::set_conn_address(bev, addr.cast(), addrlen.min(u32::MAX as usize) as libc::socklen_t) }
}

/// The 1.x constructor: a socket bufferevent on the current base with the callbacks set and
/// reading and writing enabled... as upstream: writing only (the default), reading when asked.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_new(
    fd: c_int,
    readcb: Option<BuffereventDataCb>,
    writecb: Option<BuffereventDataCb>,
    eventcb: Option<BuffereventEventCb>,
    cbarg: *mut c_void,
) -> *mut Bufferevent {
    let base = crate::ffi::event::current_base_or(ptr::null_mut());
    ensure_arg!(!base.is_null(), ptr::null_mut(), "bufferevent_new: no current event base (event_init)");
    // SAFETY: the current base is live.
    unsafe {
        let bev = socket::new(base, fd, 0);
        if !bev.is_null() {
            core::setcb(bev, readcb, writecb, eventcb, cbarg);
        }
        bev
    }
}

/// Moves a socket bufferevent that has nothing pending to another base.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_base_set(base: *mut EventBase, bev: *mut Bufferevent) -> c_int {
    ensure_arg!(!base.is_null(), -1, "bufferevent_base_set: NULL base");
    ensure_bev!(bev, -1, "bufferevent_base_set");
    // SAFETY: live bufferevent (caller's contract).
    ensure_arg!(unsafe { socket::is_socket(bev) }, -1, "bufferevent_base_set: not a socket bufferevent");
    // SAFETY: live socket bufferevent and base.
    unsafe {
        core::lock(bev);
        (*bev).ev_base = base;
        let mut r = crate::ffi::event::event_base_set(base, &raw mut (*bev).ev_read);
        if r == 0 {
            r = crate::ffi::event::event_base_set(base, &raw mut (*bev).ev_write);
        }
        core::unlock(bev);
        r
    }
}

// ---- pairs and filters -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_new(base: *mut EventBase, options: c_int, pair: *mut *mut Bufferevent) -> c_int {
    ensure_arg!(!pair.is_null(), -1, "bufferevent_pair_new: NULL pair");
    // SAFETY: NULL (the current base) or a live base; pair has room for two pointers (caller's contract).
    unsafe { pair::new(base, options, &mut *pair.cast::<[*mut Bufferevent; 2]>()) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_get_partner(bev: *mut Bufferevent) -> *mut Bufferevent {
    ensure_bev!(bev, ptr::null_mut(), "bufferevent_pair_get_partner");
    // SAFETY: live bufferevent.
    unsafe { pair::get_partner(bev) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_filter_new(
    underlying: *mut Bufferevent,
    input_filter: Option<filter::FilterCb>,
    output_filter: Option<filter::FilterCb>,
    options: c_int,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
) -> *mut Bufferevent {
    ensure_bev!(underlying, ptr::null_mut(), "bufferevent_filter_new");
    // SAFETY: live underlying bufferevent (caller's contract).
    unsafe { filter::new(underlying, input_filter, output_filter, options, free_context, ctx) }
}

// ---- rate limits -------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_ratelim_init_(p: *mut BevPrivate) -> c_int {
    ensure_arg!(!p.is_null(), -1, "bufferevent_ratelim_init_: NULL bufferevent");
    // SAFETY: a bufferevent being set up (no rate limit state yet).
    unsafe { limits::init(p) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_rate_limit(bev: *mut Bufferevent, cfg: *mut TokenBucketCfg) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_set_rate_limit");
    // SAFETY: live bufferevent; cfg NULL or the program's configuration.
    unsafe { limits::set_rate_limit(bev, cfg) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_token_bucket_cfg(bev: *const Bufferevent) -> *const TokenBucketCfg {
    ensure_bev!(bev, ptr::null(), "bufferevent_get_token_bucket_cfg");
    // SAFETY: live bufferevent.
    unsafe { limits::get_cfg(bev.cast_mut()) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_read_limit(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_read_limit");
    // SAFETY: live bufferevent.
    unsafe { limits::get_limit(bev, Direction::Read) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_write_limit(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_write_limit");
    // SAFETY: live bufferevent.
    unsafe { limits::get_limit(bev, Direction::Write) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_read(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_max_to_read");
    // SAFETY: live bufferevent.
    unsafe { limits::get_max_to(bev, Direction::Read) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_write(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_max_to_write");
    // SAFETY: live bufferevent.
    unsafe { limits::get_max_to(bev, Direction::Write) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_read_limit(bev: *mut Bufferevent, decr: isize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_decrement_read_limit");
    // SAFETY: live bufferevent.
    unsafe { limits::decrement_limit(bev, Direction::Read, decr) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_write_limit(bev: *mut Bufferevent, decr: isize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_decrement_write_limit");
    // SAFETY: live bufferevent.
    unsafe { limits::decrement_limit(bev, Direction::Write, decr) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_read(bev: *mut Bufferevent, size: usize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_set_max_single_read");
    // SAFETY: live bufferevent.
    unsafe { limits::set_max_single(bev, Direction::Read, size) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_write(bev: *mut Bufferevent, size: usize) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_set_max_single_write");
    // SAFETY: live bufferevent.
    unsafe { limits::set_max_single(bev, Direction::Write, size) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_read(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_max_single_read");
    // SAFETY: live bufferevent.
    unsafe { limits::get_max_single(bev, Direction::Read) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_write(bev: *mut Bufferevent) -> isize {
    ensure_bev!(bev, -1, "bufferevent_get_max_single_write");
    // SAFETY: live bufferevent.
    unsafe { limits::get_max_single(bev, Direction::Write) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_read_max_(p: *mut BevPrivate) -> isize {
    ensure_arg!(!p.is_null(), -1, "bufferevent_get_read_max_: NULL bufferevent");
    limits::get_read_max(p)
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_write_max_(p: *mut BevPrivate) -> isize {
    ensure_arg!(!p.is_null(), -1, "bufferevent_get_write_max_: NULL bufferevent");
    limits::get_write_max(p)
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_read_buckets_(p: *mut BevPrivate, bytes: isize) -> c_int {
    ensure_arg!(!p.is_null(), -1, "bufferevent_decrement_read_buckets_: NULL bufferevent");
    limits::decrement_read_buckets(p, bytes)
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_write_buckets_(p: *mut BevPrivate, bytes: isize) -> c_int {
    ensure_arg!(!p.is_null(), -1, "bufferevent_decrement_write_buckets_: NULL bufferevent");
    limits::decrement_write_buckets(p, bytes)
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_new(base: *mut EventBase, cfg: *const TokenBucketCfg) -> *mut Group {
    ensure_arg!(!base.is_null() && !cfg.is_null(), ptr::null_mut(), "bufferevent_rate_limit_group_new: NULL argument");
    // SAFETY: live base; cfg points to a configuration (copied).
    unsafe { limits::group_new(base, &*cfg) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_cfg(g: *mut Group, cfg: *const TokenBucketCfg) -> c_int {
    ensure_arg!(!g.is_null() && !cfg.is_null(), -1, "bufferevent_rate_limit_group_set_cfg: NULL argument");
    // SAFETY: live group; cfg points to a configuration (copied).
    unsafe { limits::group_set_cfg(g, &*cfg) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_min_share(g: *mut Group, share: usize) -> c_int {
    ensure_arg!(!g.is_null(), -1, "bufferevent_rate_limit_group_set_min_share: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_set_min_share(g, share) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_free(g: *mut Group) {
    ensure_arg!(!g.is_null(), (), "bufferevent_rate_limit_group_free: NULL group");
    // SAFETY: live group, not used by the caller afterwards.
    unsafe { limits::group_free(g) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_read_limit(g: *mut Group) -> isize {
    ensure_arg!(!g.is_null(), -1, "bufferevent_rate_limit_group_get_read_limit: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_get_limit(g, Direction::Read) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_write_limit(g: *mut Group) -> isize {
    ensure_arg!(!g.is_null(), -1, "bufferevent_rate_limit_group_get_write_limit: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_get_limit(g, Direction::Write) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_read(g: *mut Group, decr: isize) -> c_int {
    ensure_arg!(!g.is_null(), -1, "bufferevent_rate_limit_group_decrement_read: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_decrement(g, Direction::Read, decr) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_write(g: *mut Group, decr: isize) -> c_int {
    ensure_arg!(!g.is_null(), -1, "bufferevent_rate_limit_group_decrement_write: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_decrement(g, Direction::Write, decr) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_totals(g: *mut Group, total_read: *mut u64, total_written: *mut u64) {
    ensure_arg!(!g.is_null(), (), "bufferevent_rate_limit_group_get_totals: NULL group");
    // SAFETY: live group; the out pointers NULL or writable.
    unsafe {
        let (r, w) = limits::group_totals(g);
        if !total_read.is_null() {
            *total_read = r;
        }
        if !total_written.is_null() {
            *total_written = w;
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_reset_totals(g: *mut Group) {
    ensure_arg!(!g.is_null(), (), "bufferevent_rate_limit_group_reset_totals: NULL group");
    // SAFETY: live group.
    unsafe { limits::group_reset_totals(g) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_add_to_rate_limit_group(bev: *mut Bufferevent, g: *mut Group) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_add_to_rate_limit_group");
    ensure_arg!(!g.is_null(), -1, "bufferevent_add_to_rate_limit_group: NULL group");
    // SAFETY: live bufferevent and group.
    unsafe { limits::add_to_group(bev, g) }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut Bufferevent) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_remove_from_rate_limit_group");
    // SAFETY: live bufferevent.
    unsafe { limits::remove_from_group(bev, true) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_remove_from_rate_limit_group_internal_(bev: *mut Bufferevent, unsuspend: c_int) -> c_int {
    ensure_bev!(bev, -1, "bufferevent_remove_from_rate_limit_group_internal_");
    // SAFETY: live bufferevent.
    unsafe { limits::remove_from_group(bev, unsuspend != 0) };
    0
}
