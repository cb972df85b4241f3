//! `struct event_base`: its layout, creation and teardown, adding and deleting events, thread
//! wake-ups, introspection and `event_reinit`. The rest of the base's work lives beside it:
//!
//! - `base/queues.rs`: the active queues, activation and cancellation of callbacks, deferred
//!   callbacks, finalizers, priorities;
//! - `base/timeout.rs`: the loop's clock and time cache, the timer min-heap and the
//!   common-timeout queues;
//! - `base/dispatch.rs`: the loop itself (`event_base_loop`), running callbacks by closure,
//!   loopbreak/loopcontinue, one-shot events (`event_base_once`);
//! - `base/ready.rs`: ready fds run straight from the backend's result.
//!
//! Locking follows upstream: every public entry takes the base lock (a no-op when threads are
//! not enabled) and calls a `*_nolock` method; the loop drops the lock while it runs a
//! callback or waits in the backend. Events are C memory reached through raw pointers; a
//! `&mut EventBase` is only held while the lock is, and never across a user callback.

use std::ffi::{c_int, c_short, c_void, CStr};
use std::ptr;

use libc::timeval;

use crate::backend::{self, EventOp};
use crate::config::{self, EventConfig};
use crate::event::*;
use crate::evmap;
use crate::list::List;
use crate::minheap::MinHeap;
use crate::signal::{self, SignalInfo};
use crate::thread;
use crate::time::{self, MonotonicTimer};

mod dispatch;
mod queues;
mod ready;
mod timeout;

pub use dispatch::{EVLOOP_NONBLOCK, EVLOOP_NO_EXIT_ON_EMPTY, EVLOOP_ONCE};
pub use queues::EVENT_MAX_PRIORITIES;
pub use timeout::CommonTimeout;
use dispatch::{once_link, OnceEvent};
use queues::active_link;
use ready::ReadyList;
use timeout::{common_link, masked, TimeCache, MICROSECONDS_MASK};

pub const EVENT_BASE_COUNT_ACTIVE: u32 = 1;
pub const EVENT_BASE_COUNT_VIRTUAL: u32 = 2;
pub const EVENT_BASE_COUNT_ADDED: u32 = 4;

/// How `event_del` treats a callback running in another thread.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DelMode {
    NoBlock,
    Block,
    /// Wait unless the event has EV_FINALIZE.
    AutoBlock,
    /// Delete even an event that is being finalized (base teardown).
    EvenIfFinalizing,
}

/// Where upstream's struct event_base keeps `th_notify_fd` (x86_64), which its thread test reads.
const UPSTREAM_TH_NOTIFY_FD_OFFSET: usize = 500;
const SIG_OFFSET: usize = 40;

#[repr(C)]
pub struct EventBase {
    // The head mirrors upstream's struct event_base where upstream's own tests look inside it
    // (base->sig.ev_signal_pair, base->th_notify_fd); the padding keeps those offsets.
    evsel: *const EventOp,
    evbase: *mut c_void,
    _upstream_changelist_and_evsigsel: [usize; 3],
    pub sig: SignalInfo,
    _upstream_padding: [u8; UPSTREAM_TH_NOTIFY_FD_OFFSET - SIG_OFFSET - std::mem::size_of::<SignalInfo>()],
    pub th_notify_fd: [c_int; 2],

    pub flags: c_int,
    pub io: evmap::IoMap,
    pub sigmap: evmap::SignalMap,
    timeheap: MinHeap,
    /// Boxed: each queue's timer event points at its queue, so queues must not move.
    #[allow(clippy::vec_box)]
    common_timeouts: Vec<Box<CommonTimeout>>,
    activequeues: Vec<List<EventCallback>>,
    active_later_queue: List<EventCallback>,
    /// Ready fds not yet activated, run by the loop straight from the backend (ready.rs).
    ready: ReadyList,

    virtual_event_count: c_int,
    virtual_event_count_max: c_int,
    event_count: c_int,
    event_count_max: c_int,
    event_count_active: c_int,
    event_count_active_max: c_int,

    event_gotterm: bool,
    /// event_base_loopbreak and event_base_loopcontinue requests (LOOP_BREAK, LOOP_CONTINUE),
    /// in one byte so that the check after every callback is a single test.
    loop_requests: u8,
    event_running_priority: c_int,
    running_loop: bool,
    n_deferreds_queued: c_int,

    tv_cache: timeval,
    tv_cache_state: TimeCache,
    /// What the cache becomes after each dispatch: Due, or Empty with
    /// EVENT_BASE_FLAG_NO_CACHE_TIME.
    tv_cache_after_dispatch: TimeCache,
    monotonic_timer: MonotonicTimer,
    tv_clock_diff: timeval,
    last_updated_clock_diff: libc::time_t,

    th_owner_id: libc::c_ulong,
    th_base_lock: thread::RawLock,
    current_event_cond: thread::RawCond,
    current_event_waiters: c_int,
    current_event: *mut EventCallback,

    max_dispatch_time: timeval,
    max_dispatch_callbacks: c_int,
    limit_callbacks_after_prio: c_int,
    /// One priority and no dispatch limits: the loop may run ready fds straight from the
    /// backend (ready.rs). Kept up to date by priority_init.
    ready_walk_allowed: bool,

    notifiable: bool,
    is_notify_pending: bool,
    th_notify: Event,

    once_events: List<OnceEvent>,
}

const _: () = {
    assert!(std::mem::offset_of!(EventBase, sig) == SIG_OFFSET);
    assert!(std::mem::offset_of!(EventBase, th_notify_fd) == UPSTREAM_TH_NOTIFY_FD_OFFSET);
    assert!(SIG_OFFSET + std::mem::offset_of!(SignalInfo, pair) == 168);
};

fn as_callback(ev: *mut Event) -> *mut EventCallback {
    ev.cast()
}

impl EventBase {
    // ---- creation and teardown -------------------------------------------------------------

    /// `event_base_new_with_config`.
    pub fn new(cfg: Option<&EventConfig>) -> *mut EventBase {
        crate::debug::note_too_late();
        let default_cfg = EventConfig::default();
        let c = cfg.unwrap_or(&default_cfg);
        let check_env = c.flags & config::EVENT_BASE_FLAG_IGNORE_ENV == 0;
        let mut flags = c.flags;
        let mut precise = flags & config::EVENT_BASE_FLAG_PRECISE_TIMER != 0;
        if check_env && !precise && config::env_is_set(c"EVENT_PRECISE_TIMER") {
            precise = true;
            flags |= config::EVENT_BASE_FLAG_PRECISE_TIMER;
        }
        if check_env && config::env_is_set(c"EVENT_EPOLL_USE_CHANGELIST") {
            flags |= config::EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST;
        }
        let mut monotonic_timer = MonotonicTimer::default();
        monotonic_timer.configure(if precise { time::EV_MONOT_PRECISE } else { 0 });

        let mut limit_after_prio = c.limit_callbacks_after_prio;
        if c.max_dispatch_callbacks == c_int::MAX && c.max_dispatch_interval.tv_sec == -1 {
            limit_after_prio = c_int::MAX;
        }
        // The base comes from the user's allocator (event_set_mem_functions), as upstream's.
        let base = crate::mm::malloc(std::mem::size_of::<EventBase>()).cast::<EventBase>();
        if base.is_null() {
            warn_errno!("event_base_new_with_config: calloc");
            return ptr::null_mut();
        }
        let value = EventBase {
            evsel: ptr::null(),
            evbase: ptr::null_mut(),
            _upstream_changelist_and_evsigsel: [0; 3],
            sig: SignalInfo::default(),
            _upstream_padding: [0; UPSTREAM_TH_NOTIFY_FD_OFFSET - SIG_OFFSET - std::mem::size_of::<SignalInfo>()],
            th_notify_fd: [-1, -1],
            flags,
            io: Default::default(),
            sigmap: Default::default(),
            timeheap: MinHeap::default(),
            common_timeouts: Vec::new(),
            activequeues: Vec::new(),
            active_later_queue: List::default(),
            virtual_event_count: 0,
            virtual_event_count_max: 0,
            event_count: 0,
            event_count_max: 0,
            event_count_active: 0,
            event_count_active_max: 0,
            event_gotterm: false,
            loop_requests: 0,
            event_running_priority: -1,
            running_loop: false,
            n_deferreds_queued: 0,
            tv_cache: time::ZERO,
            tv_cache_state: TimeCache::Empty,
            tv_cache_after_dispatch: if flags & config::EVENT_BASE_FLAG_NO_CACHE_TIME != 0 {
                TimeCache::Empty
            } else {
                TimeCache::Due
            },
            monotonic_timer,
            tv_clock_diff: time::ZERO,
            last_updated_clock_diff: 0,
            th_owner_id: 0,
            th_base_lock: ptr::null_mut(),
            current_event_cond: ptr::null_mut(),
            current_event_waiters: 0,
            current_event: ptr::null_mut(),
            max_dispatch_time: c.max_dispatch_interval,
            max_dispatch_callbacks: c.max_dispatch_callbacks,
            limit_callbacks_after_prio: limit_after_prio,
            ready_walk_allowed: false,
            notifiable: false,
            is_notify_pending: false,
            // SAFETY: an all-zero struct event is the unassigned state.
            th_notify: unsafe { std::mem::zeroed() },
            once_events: List::default(),
            ready: ReadyList::default(),
        };
        // SAFETY: base is fresh, suitably aligned memory (malloc) of the right size.
        unsafe { base.write(value) };
        // SAFETY: just allocated, exclusively ours.
        let b = unsafe { &mut *base };
        b.gettime();

        for op in backend::all() {
            if let Some(cfg) = cfg {
                if cfg.is_avoided(op.name()) || op.features & cfg.require_features != cfg.require_features {
                    continue;
                }
            }
            if check_env && method_disabled_by_env(op.name()) {
                continue;
            }
            b.evsel = op;
            let init = op.init.expect("real backends have init");
            // SAFETY: the backend initialises itself for this base.
            b.evbase = unsafe { init(base) };
            if !b.evbase.is_null() {
                if ptr::eq(op, &backend::epollops) && b.uses_changelist() {
                    b.evsel = &backend::epoll::EPOLL_CHANGELIST_OPS;
                }
                break;
            }
        }
        if b.evbase.is_null() {
            warnx!("event_base_new_with_config: no event mechanism available");
            b.evsel = ptr::null();
            // SAFETY: base is ours and not published.
            unsafe { EventBase::free(base, false) };
            return ptr::null_mut();
        }
        if config::env_is_set(c"EVENT_SHOW_METHOD") {
            msgx!("libevent using: {}", b.method_name());
        }
        b.activequeues.push(List::default());
        b.update_ready_walk_allowed();
        if signal::init(b) < 0 {
            // SAFETY: as above.
            unsafe { EventBase::free(base, false) };
            return ptr::null_mut();
        }
        crate::debug::note_base_created();
        if thread::locking_enabled() && c.flags & config::EVENT_BASE_FLAG_NOLOCK == 0 {
            // A plain mutex, as upstream's: the base never re-takes its own lock.
            b.th_base_lock = thread::alloc_lock(0);
            b.current_event_cond = thread::alloc_cond();
            if b.make_notifiable() < 0 {
                warnx!("event_base_new_with_config: Unable to make base notifiable.");
                // SAFETY: as above.
                unsafe { EventBase::free(base, false) };
                return ptr::null_mut();
            }
        }
        base
    }

    /// `event_base_free` / `event_base_free_nofinalize`.
    ///
    /// # Safety
    /// `base` must be a live base; it is gone afterwards.
    pub unsafe fn free(base: *mut EventBase, run_finalizers: bool) {
        // SAFETY: live base (contract). No lock is taken: freeing a base in use elsewhere is a
        // caller bug upstream too.
        let b = unsafe { &mut *base };
        if b.notifiable && b.th_notify_fd[0] >= 0 {
            let ev: *mut Event = &mut b.th_notify;
            // SAFETY: the base's own internal event.
            unsafe { b.del_nolock(ev, DelMode::AutoBlock) };
            b.close_notify_fds();
            crate::debug::note_teardown(ev);
        }
        let mut n_deleted = 0;
        if !b.evsel.is_null() {
            for ev in evmap::all_events(b) {
                // SAFETY: events in the maps are live.
                if unsafe { (*ev).cb.flags } & EVLIST_INTERNAL == 0 {
                    // SAFETY: as above.
                    unsafe { b.del_nolock(ev, DelMode::EvenIfFinalizing) };
                    n_deleted += 1;
                }
            }
        }
        while let Some(ev) = b.timeheap.top() {
            // SAFETY: heap members are live events.
            unsafe { b.del_nolock(ev, DelMode::EvenIfFinalizing) };
            n_deleted += 1;
        }
        for i in 0..b.common_timeouts.len() {
            let ctl: *mut CommonTimeout = &mut *b.common_timeouts[i];
            // SAFETY: ctl is owned by the base; its events are live.
            unsafe {
                b.del_nolock(&mut (*ctl).timeout_event, DelMode::EvenIfFinalizing);
                crate::debug::note_teardown(&(*ctl).timeout_event);
                for ev in (*ctl).events.to_vec(common_link) {
                    if (*ev).cb.flags & EVLIST_INTERNAL == 0 {
                        b.del_nolock(ev, DelMode::EvenIfFinalizing);
                        n_deleted += 1;
                    }
                }
            }
        }
        loop {
            // SAFETY: base is live.
            let n = unsafe { EventBase::free_active_queues(base, run_finalizers) };
            if n == 0 {
                break;
            }
            n_deleted += n;
        }
        if n_deleted > 0 {
            debugx!("event_base_free_: {} events were still set in base", n_deleted);
        }
        // SAFETY: base is live.
        let b = unsafe { &mut *base };
        while !b.once_events.is_empty() {
            let e = b.once_events.first();
            // SAFETY: once events are Box-allocated and owned by this list.
            unsafe {
                b.once_events.remove(e, once_link);
                crate::debug::note_teardown(&(*e).ev);
                drop(Box::from_raw(e));
            }
        }
        if !b.evsel.is_null() {
            signal::dealloc(b);
            // SAFETY: evsel is a live table and evbase its state.
            if let Some(dealloc) = unsafe { (*b.evsel).dealloc } {
                // SAFETY: as above.
                unsafe { dealloc(base) };
            }
        } else {
            signal::close_pipe(b);
        }
        thread::free_cond(b.current_event_cond);
        thread::free_lock(b.th_base_lock, 0);
        crate::ffi::event::forget_current_base(base);
        // SAFETY: base was written in new() into memory from mm::malloc; dropped exactly once.
        unsafe { ptr::drop_in_place(base) };
        crate::mm::free(base.cast());
    }

    // ---- small accessors used by backends and the ffi layer --------------------------------

    pub fn backend_state(&self) -> *mut c_void {
        self.evbase
    }

    pub fn evsel(&self) -> &'static EventOp {
        // SAFETY: evsel always points to one of the static tables once the base is built.
        unsafe { &*self.evsel }
    }

    pub fn method_name(&self) -> &'static str {
        self.evsel().name().to_str().unwrap_or("?")
    }

    pub fn method_cstr(&self) -> &'static CStr {
        self.evsel().name()
    }

    pub fn features(&self) -> c_int {
        self.evsel().features
    }

    pub fn uses_changelist(&self) -> bool {
        self.flags & config::EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST != 0
    }

    /// Precise timers need the backend's help (a timerfd) only on the precise monotonic clock.
    pub fn wants_precise_timer(&self) -> bool {
        self.flags & config::EVENT_BASE_FLAG_PRECISE_TIMER != 0 && self.monotonic_timer.clock == libc::CLOCK_MONOTONIC
    }

    pub fn npriorities(&self) -> c_int {
        self.activequeues.len() as c_int
    }

    #[inline]
    pub fn acquire_lock(&self) {
        thread::lock(self.th_base_lock, 0);
    }

    #[inline]
    pub fn release_lock(&self) {
        thread::unlock(self.th_base_lock, 0);
    }

    /// Is the caller the thread running this base's loop (or are threads not in use)?
    fn in_loop_thread(&self) -> bool {
        self.th_base_lock.is_null() || self.th_owner_id == thread::current_thread_id()
    }

    /// Must a change made now wake the loop, which is blocked in another thread?
    #[inline]
    fn need_notify(&self) -> bool {
        self.running_loop && !self.th_base_lock.is_null() && self.th_owner_id != thread::current_thread_id()
    }

    pub fn backend_add(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        let me: *mut EventBase = self;
        match self.evsel().add {
            // SAFETY: the table's own state is behind evbase.
            Some(add) => unsafe { add(me, fd, old, events, ptr::null_mut()) },
            None => 0,
        }
    }

    pub fn backend_del(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        let me: *mut EventBase = self;
        match self.evsel().del {
            // SAFETY: as in backend_add.
            Some(del) => unsafe { del(me, fd, old, events, ptr::null_mut()) },
            None => 0,
        }
    }

    /// Called by backends, from the loop's own thread during dispatch, for each ready fd.
    #[inline(always)]
    pub fn fd_ready(&mut self, fd: c_int, events: c_short) {
        evmap::io_active::<true>(self, fd, events);
    }

    /// Activates the events on `fd` from outside dispatch (event_base_active_by_fd).
    pub fn activate_fd(&mut self, fd: c_int, events: c_short) {
        evmap::io_active::<false>(self, fd, events);
        self.note_count_maxima();
    }

    // ---- counting --------------------------------------------------------------------------

    #[inline]
    fn count_in(&mut self, flags: c_short) {
        if flags & EVLIST_INTERNAL == 0 {
            self.event_count += 1;
            self.event_count_max = self.event_count_max.max(self.event_count);
        }
    }

    #[inline]
    fn count_out(&mut self, flags: c_short) {
        if flags & EVLIST_INTERNAL == 0 {
            self.event_count -= 1;
        }
    }

    fn have_events(&self) -> bool {
        self.virtual_event_count > 0 || self.event_count > 0
    }

    pub fn num_events(&self, which: u32) -> c_int {
        let mut r = 0;
        if which & EVENT_BASE_COUNT_ACTIVE != 0 {
            r += self.event_count_active;
        }
        if which & EVENT_BASE_COUNT_VIRTUAL != 0 {
            r += self.virtual_event_count;
        }
        if which & EVENT_BASE_COUNT_ADDED != 0 {
            r += self.event_count;
        }
        r
    }

    pub fn max_events(&mut self, which: u32, clear: bool) -> c_int {
        let mut r = 0;
        if which & EVENT_BASE_COUNT_ACTIVE != 0 {
            r += self.event_count_active_max;
            if clear {
                self.event_count_active_max = 0;
            }
        }
        if which & EVENT_BASE_COUNT_VIRTUAL != 0 {
            r += self.virtual_event_count_max;
            if clear {
                self.virtual_event_count_max = 0;
            }
        }
        if which & EVENT_BASE_COUNT_ADDED != 0 {
            r += self.event_count_max;
            if clear {
                self.event_count_max = 0;
            }
        }
        r
    }

    /// `event_base_add_virtual_`: keeps the loop alive without any real event.
    pub fn add_virtual(&mut self) {
        self.virtual_event_count += 1;
        self.virtual_event_count_max = self.virtual_event_count_max.max(self.virtual_event_count);
    }

    pub fn del_virtual(&mut self) {
        crate::ev_assert!(self.virtual_event_count > 0);
        self.virtual_event_count -= 1;
        if self.virtual_event_count == 0 && self.need_notify() {
            self.notify();
        }
    }

    // ---- adding and deleting events --------------------------------------------------------

    /// `event_assign` on this base (callers checked the arguments).
    ///
    /// # Safety
    /// `ev` must point to writable memory for a struct event that is not added anywhere.
    pub unsafe fn assign(&mut self, ev: *mut Event, fd: c_int, events: c_short, cb: Option<EventCb>, arg: *mut c_void) -> c_int {
        let npri = self.activequeues.len().max(1) as c_int;
        // SAFETY: forwarded contract.
        unsafe { assign_event(ev, self, npri, fd, events, cb, arg) }
    }

    unsafe fn queue_insert_inserted(&mut self, ev: *mut Event) {
        // SAFETY: ev is live (contract).
        let (flags, fd) = unsafe { ((*ev).cb.flags, (*ev).fd) };
        if flags & EVLIST_INSERTED != 0 {
            crate::log::errx(1, format_args!("event_queue_insert_inserted: {:p}(fd {}) already inserted", ev, fd));
        }
        self.count_in(flags);
        // SAFETY: as above.
        unsafe { (*ev).cb.flags |= EVLIST_INSERTED };
    }

    unsafe fn queue_remove_inserted(&mut self, ev: *mut Event) {
        // SAFETY: ev is live (contract).
        let flags = unsafe { (*ev).cb.flags };
        self.count_out(flags);
        // SAFETY: as above.
        unsafe { (*ev).cb.flags &= !EVLIST_INSERTED };
    }

    /// `event_add_nolock_`.
    ///
    /// # Safety
    /// `ev` must be a live event assigned to this base; the base lock must be held.
    pub unsafe fn add_nolock(&mut self, ev: *mut Event, tv: Option<&timeval>, tv_is_absolute: bool) -> c_int {
        crate::debug::assert_is_setup(ev, "event_add");
        // SAFETY: ev is live (contract) for all field accesses below.
        unsafe {
            if (*ev).cb.flags & EVLIST_FINALIZING != 0 {
                return -1;
            }
            if tv.is_some() && (*ev).cb.flags & EVLIST_TIMEOUT == 0 && !self.timeheap.reserve_one() {
                return -1;
            }
            // A signal callback running in the loop thread owns ncalls: wait for it.
            if self.current_event == as_callback(ev) && (*ev).is_signal() && !self.in_loop_thread() {
                self.wait_for_current_event();
            }
            let mut res = 0;
            let mut notify = false;
            let events = (*ev).events;
            if events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL) != 0
                && (*ev).cb.flags & (EVLIST_INSERTED | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) == 0
            {
                res = if events & (EV_READ | EV_WRITE | EV_CLOSED) != 0 {
                    evmap::io_add(self, ev)
                } else {
                    evmap::signal_add(self, ev)
                };
                if res != -1 {
                    self.queue_insert_inserted(ev);
                }
                if res == 1 {
                    notify = true;
                    res = 0;
                }
            }
            if res != -1 {
                if let Some(tv) = tv {
                    if (*ev).cb.closure == EV_CLOSURE_EVENT_PERSIST && !tv_is_absolute {
                        (*ev).u.io.persist_timeout = *tv;
                    }
                    let common = self.common_timeout_index(tv);
                    // Re-arming a timer that stays on the heap moves it in place.
                    let in_heap = (*ev).cb.flags & EVLIST_TIMEOUT != 0 && self.common_timeout_index(&(*ev).timeout).is_none();
                    let reschedule = in_heap && common.is_none();
                    if (*ev).cb.flags & EVLIST_TIMEOUT != 0 && !reschedule {
                        self.queue_remove_timeout(ev);
                    }
                    // Re-arming a timeout that already fired cancels the pending activation.
                    if (*ev).cb.flags & EVLIST_ACTIVE != 0 && (*ev).res & EV_TIMEOUT != 0 {
                        if (*ev).is_signal() && (*ev).u.sig.ncalls != 0 && !(*ev).u.sig.pncalls.is_null() {
                            *(*ev).u.sig.pncalls = 0;
                        }
                        self.queue_remove_active(as_callback(ev));
                    }
                    let now = self.gettime();
                    (*ev).timeout = if tv_is_absolute {
                        *tv
                    } else if common.is_some() {
                        let mut t = time::add(&now, &masked(tv));
                        t.tv_usec |= tv.tv_usec & !MICROSECONDS_MASK;
                        t
                    } else {
                        time::add(&now, tv)
                    };
                    if reschedule {
                        self.timeheap.reschedule(ev);
                    } else {
                        self.queue_insert_timeout(ev);
                    }
                    match common {
                        Some(idx) => {
                            let ctl: *mut CommonTimeout = &mut *self.common_timeouts[idx];
                            if (*ctl).events.first() == ev {
                                self.common_timeout_schedule(ctl, ev);
                            }
                        }
                        None => {
                            if self.timeheap.is_top(ev) {
                                notify = true;
                            } else if let Some(top) = self.timeheap.top() {
                                if time::cmp(&(*top).timeout, &now).is_lt() {
                                    notify = true;
                                }
                            }
                        }
                    }
                }
            }
            if res != -1 && notify && self.need_notify() {
                self.notify();
            }
            crate::debug::note_add(ev);
            res
        }
    }

    /// `event_del_nolock_`.
    ///
    /// # Safety
    /// `ev` must be a live event assigned to this base; the base lock must be held.
    pub unsafe fn del_nolock(&mut self, ev: *mut Event, mode: DelMode) -> c_int {
        // SAFETY: ev is live (contract) for all field accesses below.
        unsafe {
            if mode != DelMode::EvenIfFinalizing && (*ev).cb.flags & EVLIST_FINALIZING != 0 {
                return 0;
            }
            if (*ev).is_signal() && (*ev).u.sig.ncalls != 0 && !(*ev).u.sig.pncalls.is_null() {
                *(*ev).u.sig.pncalls = 0;
            }
            let flags = (*ev).cb.flags;
            if flags & EVLIST_TIMEOUT != 0 {
                self.queue_remove_timeout(ev);
            }
            if flags & EVLIST_ACTIVE != 0 {
                self.queue_remove_active(as_callback(ev));
            } else if flags & EVLIST_ACTIVE_LATER != 0 {
                self.queue_remove_active_later(as_callback(ev));
            }
            let mut res = 0;
            let mut notify = false;
            if flags & EVLIST_INSERTED != 0 {
                self.queue_remove_inserted(ev);
                res = if (*ev).is_io() { evmap::io_del(self, ev) } else { evmap::signal_del(self, ev) };
                if res == 1 {
                    notify = true;
                    res = 0;
                }
                // With nothing left, wake the loop so that it can exit.
                if !self.have_events() && self.event_count_active == 0 {
                    notify = true;
                }
            }
            if res != -1 && notify && self.need_notify() {
                self.notify();
            }
            crate::debug::note_del(ev);
            // Upstream's guarantee: after event_del returns, the callback is not running in
            // another thread (unless asked not to wait, or EV_FINALIZE says so).
            if mode != DelMode::NoBlock
                && self.current_event == as_callback(ev)
                && !self.in_loop_thread()
                && (mode == DelMode::Block || (*ev).events & EV_FINALIZE == 0)
            {
                self.wait_for_current_event();
            }
            res
        }
    }

    fn wait_for_current_event(&mut self) {
        self.current_event_waiters += 1;
        thread::cond_wait(self.current_event_cond, self.th_base_lock, None);
    }

    // ---- thread wake-ups -------------------------------------------------------------------

    /// `evthread_make_base_notifiable`: an eventfd the loop watches, written by other threads.
    pub fn make_notifiable(&mut self) -> c_int {
        if self.notifiable {
            return 0;
        }
        // SAFETY: plain syscall.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return -1;
        }
        self.th_notify_fd = [fd, -1];
        let me: *mut EventBase = self;
        let ev: *mut Event = &mut self.th_notify;
        // SAFETY: the base's own internal event.
        unsafe {
            self.assign(ev, fd, EV_READ | EV_PERSIST, Some(drain_notify), me.cast());
            (*ev).cb.flags |= EVLIST_INTERNAL;
            (*ev).cb.pri = 0;
            if self.add_nolock(ev, None, false) < 0 {
                return -1;
            }
        }
        self.notifiable = true;
        0
    }

    fn notify(&mut self) {
        if !self.notifiable || self.is_notify_pending {
            return;
        }
        self.is_notify_pending = true;
        let one: u64 = 1;
        // SAFETY: writing 8 bytes to our eventfd.
        unsafe { libc::write(self.th_notify_fd[0], (&raw const one).cast(), 8) };
    }

    fn close_notify_fds(&mut self) {
        crate::util::file::close_owned(&mut self.th_notify_fd);
    }

    // ---- introspection ---------------------------------------------------------------------

    /// Every non-internal event that is added or active, for dump/foreach.
    pub fn visible_events(&self) -> Vec<*mut Event> {
        let mut out = evmap::all_events(self);
        out.extend(self.timeout_events());
        for q in self.activequeues.iter().chain(std::iter::once(&self.active_later_queue)) {
            // SAFETY: queued callbacks are live.
            for cb in unsafe { q.to_vec(active_link) } {
                // SAFETY: as above.
                if callback_is_event(unsafe { &*cb }) {
                    out.push(cb.cast());
                }
            }
        }
        // SAFETY: all collected events are live.
        out.retain(|&e| unsafe { (*e).cb.flags } & EVLIST_INTERNAL == 0);
        let mut seen = std::collections::HashSet::new();
        out.retain(|&e| seen.insert(e as usize));
        out
    }

    /// `event_pending`'s answer for one event.
    ///
    /// # Safety
    /// `ev` must be a live event of this base.
    pub unsafe fn pending(&self, ev: *const Event, events: c_short, tv: Option<&mut timeval>) -> c_int {
        // SAFETY: ev is live (contract).
        unsafe {
            let mut flags: c_short = 0;
            let evflags = (*ev).cb.flags;
            if evflags & EVLIST_INSERTED != 0 {
                flags |= (*ev).events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
            }
            if evflags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 {
                flags |= (*ev).res;
            }
            if evflags & EVLIST_TIMEOUT != 0 {
                flags |= EV_TIMEOUT;
            }
            let want = events & (EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
            if let Some(tv) = tv {
                if want & flags & EV_TIMEOUT != 0 {
                    *tv = self.expiry_to_wall(&(*ev).timeout);
                }
            }
            (flags & want) as c_int
        }
    }

    // ---- fork ------------------------------------------------------------------------------

    /// `event_reinit`: new backend state, signal pipe and wake-up fd in a forked child.
    ///
    /// # Safety
    /// `base` must be live and locked by the caller.
    pub unsafe fn reinit(&mut self) -> c_int {
        let evsel = self.evsel;
        let need_reinit = self.evsel().need_reinit != 0;
        // Unlink our internal events without touching kernel state shared with the parent.
        if need_reinit {
            self.evsel = &backend::nil_eventop;
        }
        let had_signal_added = self.sig.ev_signal_added != 0;
        if had_signal_added {
            let ev: *mut Event = &mut self.sig.ev_signal;
            // SAFETY: the base's own internal event.
            unsafe { self.del_nolock(ev, DelMode::AutoBlock) };
            self.sig.ev_signal_added = 0;
        }
        crate::debug::note_teardown(&self.sig.ev_signal);
        signal::close_pipe(self);
        let was_notifiable = self.notifiable;
        if was_notifiable {
            let ev: *mut Event = &mut self.th_notify;
            // SAFETY: the base's own internal event.
            unsafe { self.del_nolock(ev, DelMode::AutoBlock) };
            self.close_notify_fds();
            crate::debug::note_teardown(ev);
            self.notifiable = false;
            self.is_notify_pending = false;
        }
        self.evsel = evsel;
        let mut res = 0;
        let me: *mut EventBase = self;
        if need_reinit {
            // SAFETY: the table's own dealloc/init pair on this base.
            unsafe {
                if let Some(dealloc) = (*evsel).dealloc {
                    dealloc(me);
                }
                self.evbase = ((*evsel).init.expect("real backends have init"))(me);
            }
            if self.evbase.is_null() {
                crate::log::errx(1, format_args!("event_reinit: could not reinitialize event mechanism"));
            }
            if signal::init(self) < 0 {
                res = -1;
            }
            // Re-registers every fd, and re-catches every signal (which re-adds the pipe event).
            if evmap::reinit(self) < 0 {
                res = -1;
            }
        } else {
            res = signal::init(self);
            if res == 0 && had_signal_added {
                let ev: *mut Event = &mut self.sig.ev_signal;
                // SAFETY: the base's own internal event, freshly assigned.
                res = unsafe { self.add_nolock(ev, None, false) };
                if res == 0 {
                    self.sig.ev_signal_added = 1;
                }
            }
            if res == 0 && self.sig.ev_signal_added != 0 {
                signal::set_base(self);
            }
        }
        if was_notifiable && res == 0 {
            res = self.make_notifiable();
        }
        res
    }

    /// `event_base_assert_ok_nolock_`: every internal structure is consistent, or abort.
    pub fn assert_ok(&self) {
        crate::ev_assert!(evmap::check_integrity(self));
        crate::ev_assert!(self.timeheap.is_valid());
        for ev in self.timeheap.iter() {
            // SAFETY: heap members are live.
            crate::ev_assert!(unsafe { (*ev).cb.flags } & EVLIST_TIMEOUT != 0);
        }
        for (i, ctl) in self.common_timeouts.iter().enumerate() {
            // SAFETY: common-queue members are live.
            let evs = unsafe { ctl.events.to_vec(common_link) };
            for (k, &ev) in evs.iter().enumerate() {
                // SAFETY: as above.
                let (flags, t) = unsafe { ((*ev).cb.flags, (*ev).timeout) };
                crate::ev_assert!(flags & EVLIST_TIMEOUT != 0);
                crate::ev_assert!(self.common_timeout_index(&t) == Some(i));
                // SAFETY: as above.
                crate::ev_assert!(k == 0 || !time::cmp(unsafe { &(*evs[k - 1]).timeout }, &t).is_gt());
            }
        }
        let mut count = 0;
        for (i, q) in self.activequeues.iter().enumerate() {
            // SAFETY: queued callbacks are live.
            for cb in unsafe { q.to_vec(active_link) } {
                // SAFETY: as above.
                let (flags, pri) = unsafe { ((*cb).flags, (*cb).pri) };
                crate::ev_assert!(flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) == EVLIST_ACTIVE);
                crate::ev_assert!(pri as usize == i);
                count += 1;
            }
        }
        // SAFETY: queued callbacks are live.
        for cb in unsafe { self.active_later_queue.to_vec(active_link) } {
            // SAFETY: as above.
            crate::ev_assert!(unsafe { (*cb).flags } & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) == EVLIST_ACTIVE_LATER);
            count += 1;
        }
        crate::ev_assert!(count == self.event_count_active);
    }
}

/// Fills in a struct event (the body of `event_assign`).
///
/// # Safety
/// `ev` must point to writable memory for a struct event; `base` may be null.
pub unsafe fn assign_event(
    ev: *mut Event,
    base: *mut EventBase,
    npriorities: c_int,
    fd: c_int,
    events: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> c_int {
    if events & EV_SIGNAL == 0 {
        crate::debug::assert_socket_nonblocking(fd);
    }
    crate::debug::assert_not_added(ev, "event_assign");
    // SAFETY: ev is writable (contract).
    unsafe {
        (*ev).base = base;
        (*ev).cb.cb = cb.map_or(ptr::null(), |f| f as *const c_void);
        (*ev).cb.arg = arg;
        (*ev).fd = fd;
        (*ev).events = events;
        (*ev).res = 0;
        (*ev).cb.flags = EVLIST_INIT;
        (*ev).u.sig.ncalls = 0;
        (*ev).u.sig.pncalls = ptr::null_mut();
        if events & EV_SIGNAL != 0 {
            if events & (EV_READ | EV_WRITE | EV_CLOSED) != 0 {
                warnx!("event_assign: EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED");
                return -1;
            }
            (*ev).cb.closure = EV_CLOSURE_EVENT_SIGNAL;
        } else if events & EV_PERSIST != 0 {
            (*ev).u.io.persist_timeout = time::ZERO;
            (*ev).cb.closure = EV_CLOSURE_EVENT_PERSIST;
        } else {
            (*ev).cb.closure = EV_CLOSURE_EVENT;
        }
        MinHeap::elem_init(ev);
        if !base.is_null() {
            // New events go in the middle priority.
            (*ev).cb.pri = (npriorities / 2) as u8;
        }
    }
    crate::debug::note_setup(ev);
    0
}

fn method_disabled_by_env(name: &CStr) -> bool {
    let mut var = b"EVENT_NO".to_vec();
    var.extend(name.to_bytes().iter().map(|c| c.to_ascii_uppercase()));
    var.push(0);
    let var = CStr::from_bytes_with_nul(&var).expect("built with one trailing NUL");
    config::env_is_set(var)
}

/// Internal callback of the wake-up eventfd: drain it.
unsafe extern "C" fn drain_notify(fd: c_int, _what: c_short, arg: *mut c_void) {
    let mut buf = 0u64;
    // SAFETY: reading 8 bytes into a local from our eventfd.
    unsafe { libc::read(fd, (&raw mut buf).cast(), 8) };
    // SAFETY: arg is the live base that owns this internal event.
    let base = unsafe { &mut *arg.cast::<EventBase>() };
    base.acquire_lock();
    base.is_notify_pending = false;
    base.release_lock();
}
