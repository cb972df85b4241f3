//! The C-facing types of bufferevents, laid out exactly as upstream lays them out:
//! `struct bufferevent` and `struct event_watermark` (event2/bufferevent_struct.h, which old
//! programs read field by field), and `struct bufferevent_ops` with the argument types of its
//! members (bufferevent-internal.h), the type of the exported data objects
//! `bufferevent_ops_socket`, `bufferevent_ops_pair` and `bufferevent_ops_filter`.
//!
//! Fields keep upstream's names and meanings, since C reads them: `enabled` holds the
//! EV_READ/EV_WRITE bits the program enabled, `input`/`output` the two buffers, `ev_read`/
//! `ev_write` the events a socket bufferevent waits on (programs call `event_pending` on them),
//! the callbacks and `cbarg` what `bufferevent_setcb` stored.

use std::ffi::{c_char, c_int, c_short, c_void};

use libc::timeval;

use crate::base::EventBase;
use crate::event::Event;

pub use crate::buffer::Evbuffer;

/// `struct evdns_base`, which connect_hostname takes.
pub use crate::dns::api::evdns_base as EvdnsBase;

/// `bufferevent_data_cb`: the read or write callback.
pub type BuffereventDataCb = unsafe extern "C" fn(bev: *mut Bufferevent, ctx: *mut c_void);
/// `bufferevent_event_cb`: the event callback, with an OR of `BEV_EVENT_*` bits.
pub type BuffereventEventCb = unsafe extern "C" fn(bev: *mut Bufferevent, what: c_short, ctx: *mut c_void);

// enum bufferevent_options (bufferevent.h).
pub const BEV_OPT_CLOSE_ON_FREE: c_int = 1 << 0;
pub const BEV_OPT_THREADSAFE: c_int = 1 << 1;
pub const BEV_OPT_DEFER_CALLBACKS: c_int = 1 << 2;
pub const BEV_OPT_UNLOCK_CALLBACKS: c_int = 1 << 3;

// enum bufferevent_trigger_options: disjoint from the options except where they mean the same.
pub const BEV_TRIG_IGNORE_WATERMARKS: c_int = 1 << 16;
pub const BEV_TRIG_DEFER_CALLBACKS: c_int = BEV_OPT_DEFER_CALLBACKS;

// The "what" bits of the event callback.
pub const BEV_EVENT_READING: c_short = 0x01;
pub const BEV_EVENT_WRITING: c_short = 0x02;
pub const BEV_EVENT_EOF: c_short = 0x10;
pub const BEV_EVENT_ERROR: c_short = 0x20;
pub const BEV_EVENT_TIMEOUT: c_short = 0x40;
pub const BEV_EVENT_CONNECTED: c_short = 0x80;

/// `enum bufferevent_flush_mode` (an `unsigned int` in C: none of its values is negative).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    Normal = 0,
    Flush = 1,
    Finished = 2,
}

/// `struct event_watermark`: "enough data" (low) and "too much data" (high, 0 = no limit).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventWatermark {
    pub low: usize,
    pub high: usize,
}

/// `struct bufferevent`.
#[repr(C)]
pub struct Bufferevent {
    pub ev_base: *mut EventBase,
    pub be_ops: *const BuffereventOps,
    pub ev_read: Event,
    pub ev_write: Event,
    pub input: *mut Evbuffer,
    pub output: *mut Evbuffer,
    pub wm_read: EventWatermark,
    pub wm_write: EventWatermark,
    pub readcb: Option<BuffereventDataCb>,
    pub writecb: Option<BuffereventDataCb>,
    /// The event callback (upstream kept the 1.x name).
    pub errorcb: Option<BuffereventEventCb>,
    pub cbarg: *mut c_void,
    pub timeout_read: timeval,
    pub timeout_write: timeval,
    pub enabled: c_short,
}

/// `enum bufferevent_ctrl_op`: what [`BuffereventOps::ctrl`] is asked to do.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlOp {
    SetFd = 0,
    GetFd = 1,
    GetUnderlying = 2,
    CancelAll = 3,
}

/// `union bufferevent_ctrl_data`: the argument or result of a ctrl operation.
#[repr(C)]
#[derive(Clone, Copy)]
pub union CtrlData {
    pub ptr: *mut c_void,
    pub fd: c_int,
}

/// `struct bufferevent_ops`: what makes a bufferevent a socket, pair or filter one. The
/// common code calls through it; NULL members mean "nothing to do" (or "unsupported" for
/// ctrl).
#[repr(C)]
pub struct BuffereventOps {
    /// Upstream's names: "socket", "pair_elt", "filter" (programs may print or compare them).
    pub type_name: *const c_char,
    /// Where `struct bufferevent` sits in the kind's allocation: freeing subtracts it.
    pub mem_offset: libc::off_t,
    /// Start / stop reading and/or writing at the I/O level (the common code keeps `enabled`).
    pub enable: Option<unsafe extern "C" fn(*mut Bufferevent, c_short) -> c_int>,
    pub disable: Option<unsafe extern "C" fn(*mut Bufferevent, c_short) -> c_int>,
    /// Detach from whatever else refers to it (the partner, the underlying bufferevent), at
    /// bufferevent_free() time, before the last reference goes.
    pub unlink: Option<unsafe extern "C" fn(*mut Bufferevent)>,
    /// Release the kind's own resources when the bufferevent is finalized.
    pub destruct: Option<unsafe extern "C" fn(*mut Bufferevent)>,
    /// Re-apply changed timeouts to pending events.
    pub adj_timeouts: Option<unsafe extern "C" fn(*mut Bufferevent) -> c_int>,
    pub flush: Option<unsafe extern "C" fn(*mut Bufferevent, c_short, FlushMode) -> c_int>,
    pub ctrl: Option<unsafe extern "C" fn(*mut Bufferevent, CtrlOp, *mut CtrlData) -> c_int>,
}

// SAFETY: an operations table is immutable once defined (the exported tables are plain
// statics of function pointers and a string literal), so sharing it between threads is safe.
unsafe impl Sync for BuffereventOps {}

// Upstream's x86_64 layouts.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<EventWatermark>() == 16 && offset_of!(EventWatermark, high) == 8);

    assert!(size_of::<Bufferevent>() == 392 && align_of::<Bufferevent>() == 8);
    assert!(offset_of!(Bufferevent, be_ops) == 8);
    assert!(offset_of!(Bufferevent, ev_read) == 16);
    assert!(offset_of!(Bufferevent, ev_write) == 144);
    assert!(offset_of!(Bufferevent, input) == 272);
    assert!(offset_of!(Bufferevent, output) == 280);
    assert!(offset_of!(Bufferevent, wm_read) == 288);
    assert!(offset_of!(Bufferevent, wm_write) == 304);
    assert!(offset_of!(Bufferevent, readcb) == 320);
    assert!(offset_of!(Bufferevent, writecb) == 328);
    assert!(offset_of!(Bufferevent, errorcb) == 336);
    assert!(offset_of!(Bufferevent, cbarg) == 344);
    assert!(offset_of!(Bufferevent, timeout_read) == 352);
    assert!(offset_of!(Bufferevent, timeout_write) == 368);
    assert!(offset_of!(Bufferevent, enabled) == 384);

    assert!(size_of::<BuffereventOps>() == 72 && align_of::<BuffereventOps>() == 8);
    assert!(offset_of!(BuffereventOps, mem_offset) == 8);
    assert!(offset_of!(BuffereventOps, enable) == 16);
    assert!(offset_of!(BuffereventOps, disable) == 24);
    assert!(offset_of!(BuffereventOps, unlink) == 32);
    assert!(offset_of!(BuffereventOps, destruct) == 40);
    assert!(offset_of!(BuffereventOps, adj_timeouts) == 48);
    assert!(offset_of!(BuffereventOps, flush) == 56);
    assert!(offset_of!(BuffereventOps, ctrl) == 64);

    assert!(size_of::<CtrlOp>() == 4 && size_of::<FlushMode>() == 4);
    assert!(size_of::<CtrlData>() == 8);
};
