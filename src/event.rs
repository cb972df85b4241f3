//! `struct event` and `struct event_callback` as C lays them out, the flag constants whose
//! meaning C code relies on, and the small field-level helpers the core uses. The memory of a
//! `struct event` belongs to the caller (stack, static or `event_new`); the core only links it
//! into its queues through the intrusive fields upstream defines.

use std::ffi::{c_int, c_short, c_void};

use libc::timeval;

use crate::base::EventBase;

// What an event waits for (event.h).
pub const EV_TIMEOUT: c_short = 0x01;
pub const EV_READ: c_short = 0x02;
pub const EV_WRITE: c_short = 0x04;
pub const EV_SIGNAL: c_short = 0x08;
pub const EV_PERSIST: c_short = 0x10;
pub const EV_ET: c_short = 0x20;
pub const EV_FINALIZE: c_short = 0x40;
pub const EV_CLOSED: c_short = 0x80;

// Which queues an event or callback is on (event_struct.h); C code reads these in ev_flags.
pub const EVLIST_TIMEOUT: c_short = 0x01;
pub const EVLIST_INSERTED: c_short = 0x02;
pub const EVLIST_SIGNAL: c_short = 0x04;
pub const EVLIST_ACTIVE: c_short = 0x08;
pub const EVLIST_INTERNAL: c_short = 0x10;
pub const EVLIST_ACTIVE_LATER: c_short = 0x20;
pub const EVLIST_FINALIZING: c_short = 0x40;
pub const EVLIST_INIT: c_short = 0x80;
pub const EVLIST_ALL: c_short = 0xff;

// How the loop runs a callback (evcb_closure); values as upstream's so its tests read the same.
pub const EV_CLOSURE_EVENT: u8 = 0;
pub const EV_CLOSURE_EVENT_SIGNAL: u8 = 1;
pub const EV_CLOSURE_EVENT_PERSIST: u8 = 2;
pub const EV_CLOSURE_CB_SELF: u8 = 3;
pub const EV_CLOSURE_CB_FINALIZE: u8 = 4;
pub const EV_CLOSURE_EVENT_FINALIZE: u8 = 5;
pub const EV_CLOSURE_EVENT_FINALIZE_FREE: u8 = 6;

pub type EventCb = unsafe extern "C" fn(c_int, c_short, *mut c_void);
pub type SelfCb = unsafe extern "C" fn(*mut EventCallback, *mut c_void);
pub type EventFinalizeCb = unsafe extern "C" fn(*mut Event, *mut c_void);

/// The two pointers of upstream's `TAILQ_ENTRY`/`LIST_ENTRY`. We link to the previous element
/// itself (null at the head) rather than to its next-pointer, so that queue heads may move
/// (the fd table grows) without fixing up the first element; the size is the same.
pub use crate::list::Link;

/// `struct event_callback`: what the active queues hold.
#[repr(C)]
pub struct EventCallback {
    pub active_next: Link<EventCallback>,
    pub flags: c_short,
    pub pri: u8,
    pub closure: u8,
    /// One of EventCb / SelfCb / EventFinalizeCb depending on `closure` (a C union).
    pub cb: *const c_void,
    pub arg: *mut c_void,
}

/// `ev_timeout_pos`: a common-timeout queue link or the min-heap index, never both.
#[repr(C)]
#[derive(Clone, Copy)]
pub union TimeoutPos {
    pub common_next: Link<Event>,
    pub heap_idx: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct IoPart {
    /// The other events on the same fd (the fd's list in the evmap).
    pub fd_link: Link<Event>,
    /// For EV_PERSIST events: the relative timeout to re-arm after each run.
    pub persist_timeout: timeval,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SignalPart {
    /// The other events on the same signal.
    pub sig_link: Link<Event>,
    /// Callback runs still owed for the signals caught.
    pub ncalls: c_short,
    pub pncalls: *mut c_short,
}

#[repr(C)]
pub union EventUnion {
    pub io: IoPart,
    pub sig: SignalPart,
}

/// `struct event`.
#[repr(C)]
pub struct Event {
    pub cb: EventCallback,
    pub timeout_pos: TimeoutPos,
    pub fd: c_int,
    pub base: *mut EventBase,
    pub u: EventUnion,
    pub events: c_short,
    pub res: c_short,
    /// Absolute time (base's monotonic clock) at which the timeout fires.
    pub timeout: timeval,
}

// The layout is the ABI: these match upstream's x86_64 struct event exactly.
const _: () = {
    assert!(std::mem::size_of::<EventCallback>() == 40);
    assert!(std::mem::offset_of!(EventCallback, flags) == 16);
    assert!(std::mem::offset_of!(EventCallback, pri) == 18);
    assert!(std::mem::offset_of!(EventCallback, closure) == 19);
    assert!(std::mem::offset_of!(EventCallback, cb) == 24);
    assert!(std::mem::offset_of!(EventCallback, arg) == 32);
    assert!(std::mem::size_of::<Event>() == 128);
    assert!(std::mem::offset_of!(Event, timeout_pos) == 40);
    assert!(std::mem::offset_of!(Event, fd) == 56);
    assert!(std::mem::offset_of!(Event, base) == 64);
    assert!(std::mem::offset_of!(Event, u) == 72);
    assert!(std::mem::offset_of!(Event, events) == 104);
    assert!(std::mem::offset_of!(Event, res) == 106);
    assert!(std::mem::offset_of!(Event, timeout) == 112);
    assert!(std::mem::offset_of!(SignalPart, ncalls) == 16);
    assert!(std::mem::offset_of!(SignalPart, pncalls) == 24);
};

impl Event {
    /// The event that owns a callback handed out by the active queues.
    ///
    /// # Safety
    /// `cb` must be the `cb` field of a `struct event` (not a bare event_callback).
    pub unsafe fn from_callback(cb: *mut EventCallback) -> *mut Event {
        // `cb` is the first field, so the addresses coincide.
        cb.cast::<Event>()
    }

    pub fn is_signal(&self) -> bool {
        self.events & EV_SIGNAL != 0
    }

    pub fn is_io(&self) -> bool {
        self.events & (EV_READ | EV_WRITE | EV_CLOSED) != 0
    }
}

/// Whether a callback belongs to a full `struct event` (as opposed to a bare event_callback).
pub fn callback_is_event(cb: &EventCallback) -> bool {
    cb.flags & EVLIST_INIT != 0
}
