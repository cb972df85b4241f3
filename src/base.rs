//! `struct event_base` and everything that works on it: adding, deleting and activating
//! events, timeouts (the min-heap and the common-timeout queues), priorities, deferred
//! callbacks, finalizers, one-shot events, thread wake-ups, and the loop itself.
//!
//! Locking follows upstream: every public entry takes the base lock (a no-op when threads are
//! not enabled) and calls a `*_nolock` method here; the loop drops the lock while it runs a
//! callback or waits in the backend. Events are C memory reached through raw pointers; a
//! `&mut EventBase` is only held while the lock is, and never across a user callback.

use std::ffi::{c_int, c_short, c_void, CStr};
use std::ptr;

use libc::timeval;

use crate::backend::{self, EventOp};
use crate::config::{self, EventConfig};
use crate::event::*;
use crate::evmap;
use crate::list::{Link, List};
use crate::minheap::MinHeap;
use crate::signal::{self, SignalInfo};
use crate::thread;
use crate::time::{self, MonotonicTimer};

mod ready;
use ready::ReadyList;

/// What the loop's time cache (`EventBase::tv_cache`) holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TimeCache {
    /// Nothing: readers use the clock.
    Empty,
    /// Nothing yet, but the first reader's time is to be kept for the rest of the loop
    /// iteration (see `refresh_time_cache_lazily`).
    Due,
    /// The time readers get until the cache is cleared.
    Filled,
}

/// Bits of `EventBase::loop_requests`.
const LOOP_BREAK: u8 = 1;
const LOOP_CONTINUE: u8 = 2;

pub const EVLOOP_ONCE: c_int = 0x01;
pub const EVLOOP_NONBLOCK: c_int = 0x02;
pub const EVLOOP_NO_EXIT_ON_EMPTY: c_int = 0x04;

pub const EVENT_BASE_COUNT_ACTIVE: u32 = 1;
pub const EVENT_BASE_COUNT_VIRTUAL: u32 = 2;
pub const EVENT_BASE_COUNT_ADDED: u32 = 4;

pub const EVENT_MAX_PRIORITIES: c_int = 256;

// Common timeouts: the tv_usec of a duration handed out by event_base_init_common_timeout
// carries a magic tag and the queue index above the microseconds.
const MICROSECONDS_MASK: libc::suseconds_t = 0x000f_ffff;
const COMMON_TIMEOUT_IDX_MASK: libc::suseconds_t = 0x0ff0_0000;
const COMMON_TIMEOUT_IDX_SHIFT: u32 = 20;
const COMMON_TIMEOUT_MASK: libc::suseconds_t = 0xf000_0000;
const COMMON_TIMEOUT_MAGIC: libc::suseconds_t = 0x5000_0000;
const MAX_COMMON_TIMEOUTS: usize = 256;

/// How often the wall-clock offset of the monotonic clock is re-measured (seconds).
const CLOCK_SYNC_INTERVAL: libc::time_t = 5;

/// More deferred callbacks than this per iteration wait for the next one (fairness with I/O).
const MAX_DEFERREDS_QUEUED: c_int = 32;

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

/// A queue of common-timeout events of one duration, driven by one internal timer event.
pub struct CommonTimeout {
    events: List<Event>,
    /// The duration, tagged (what event_base_init_common_timeout returns).
    pub duration: timeval,
    timeout_event: Event,
    base: *mut EventBase,
}

/// A one-shot event from `event_base_once`, owned by the base until it runs.
#[repr(C)]
struct OnceEvent {
    ev: Event,
    link: Link<OnceEvent>,
    cb: Option<EventCb>,
    arg: *mut c_void,
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

/// Link accessor for the active queues.
unsafe fn active_link(cb: *mut EventCallback) -> *mut Link<EventCallback> {
    // SAFETY: cb is a live callback (list contract).
    unsafe { &raw mut (*cb).active_next }
}

/// Link accessor for the common-timeout queues.
unsafe fn common_link(ev: *mut Event) -> *mut Link<Event> {
    // SAFETY: ev is a live event; common_next is the active member while queued.
    unsafe { &raw mut (*ev).timeout_pos.common_next }
}

unsafe fn once_link(e: *mut OnceEvent) -> *mut Link<OnceEvent> {
    // SAFETY: e is a live once-event (list contract).
    unsafe { &raw mut (*e).link }
}

fn as_callback(ev: *mut Event) -> *mut EventCallback {
    ev.cast()
}

fn masked(tv: &timeval) -> timeval {
    timeval { tv_sec: tv.tv_sec, tv_usec: tv.tv_usec & MICROSECONDS_MASK }
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

    /// Cancels everything on the active queues; returns how many user callbacks went away.
    unsafe fn free_active_queues(base: *mut EventBase, run_finalizers: bool) -> c_int {
        let mut n = 0;
        // SAFETY: base is live (contract).
        let nq = unsafe { (*base).activequeues.len() };
        for i in 0..=nq {
            // SAFETY: as above; the queue is snapshotted because cancelling unlinks.
            let cbs = unsafe {
                let b = &*base;
                let q = if i < nq { &b.activequeues[i] } else { &b.active_later_queue };
                q.to_vec(active_link)
            };
            for cb in cbs {
                // SAFETY: queued callbacks are live.
                n += unsafe { EventBase::cancel_single_callback(base, cb, run_finalizers) };
            }
        }
        n
    }

    unsafe fn cancel_single_callback(base: *mut EventBase, cb: *mut EventCallback, run_finalizers: bool) -> c_int {
        let mut result = 0;
        // SAFETY: cb is live (contract); base is live.
        unsafe {
            if callback_is_event(&*cb) {
                let ev = Event::from_callback(cb);
                if (*ev).cb.flags & EVLIST_INTERNAL == 0 {
                    (*base).del_nolock(ev, DelMode::EvenIfFinalizing);
                    result = 1;
                }
            } else {
                (*base).callback_cancel_nolock(cb, true);
                result = 1;
            }
            if run_finalizers && (*cb).flags & EVLIST_FINALIZING != 0 {
                match (*cb).closure {
                    EV_CLOSURE_EVENT_FINALIZE | EV_CLOSURE_EVENT_FINALIZE_FREE => {
                        let ev = Event::from_callback(cb);
                        let closure = (*cb).closure;
                        let f: EventFinalizeCb = std::mem::transmute::<*const c_void, EventFinalizeCb>((*cb).cb);
                        f(ev, (*cb).arg);
                        if closure == EV_CLOSURE_EVENT_FINALIZE_FREE {
                            crate::mm::free(ev.cast());
                        }
                    }
                    EV_CLOSURE_CB_FINALIZE => {
                        let f: SelfCb = std::mem::transmute::<*const c_void, SelfCb>((*cb).cb);
                        f(cb, (*cb).arg);
                    }
                    _ => {}
                }
            }
        }
        result
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

    // ---- time ------------------------------------------------------------------------------

    /// The loop's notion of now: the cached time while callbacks run, else the clock.
    pub fn gettime(&mut self) -> timeval {
        if self.tv_cache_state == TimeCache::Filled {
            return self.tv_cache;
        }
        let now = self.monotonic_timer.now();
        if self.last_updated_clock_diff + CLOCK_SYNC_INTERVAL < now.tv_sec {
            let wall = time::wall_now();
            self.tv_clock_diff = time::sub(&wall, &now);
            self.last_updated_clock_diff = now.tv_sec;
        }
        if self.tv_cache_state == TimeCache::Due {
            self.tv_cache = now;
            self.tv_cache_state = TimeCache::Filled;
        }
        now
    }

    fn clear_time_cache(&mut self) {
        self.tv_cache_state = TimeCache::Empty;
    }

    fn update_time_cache(&mut self) {
        self.clear_time_cache();
        if self.flags & config::EVENT_BASE_FLAG_NO_CACHE_TIME == 0 {
            self.tv_cache = self.gettime();
            self.tv_cache_state = TimeCache::Filled;
        }
    }

    /// What the loop does after each dispatch instead of `update_time_cache`: the cache will
    /// hold the time of the first read in this iteration rather than of the dispatch's return.
    /// Upstream reads the clock there every iteration; most iterations of a busy loop with no
    /// timers pending never look at the time, so the read waits until someone does (timeout
    /// processing, an event_add with a timeout, event_base_gettimeofday_cached). Every reader
    /// in the iteration still sees one and the same time.
    fn refresh_time_cache_lazily(&mut self) {
        self.tv_cache_state = self.tv_cache_after_dispatch;
    }

    /// `event_base_update_cache_time`.
    pub fn update_cache_time(&mut self) {
        if self.running_loop {
            self.update_time_cache();
        }
    }

    /// `event_base_gettimeofday_cached`: wall-clock time, from the cache when there is one.
    pub fn gettimeofday_cached(&mut self) -> timeval {
        if self.tv_cache_state == TimeCache::Due {
            self.gettime();
        }
        if self.tv_cache_state != TimeCache::Filled {
            return time::wall_now();
        }
        time::add(&self.tv_cache, &self.tv_clock_diff)
    }

    /// Converts an event's stored expiry to wall-clock time (event_pending's tv).
    fn expiry_to_wall(&self, ev_timeout: &timeval) -> timeval {
        time::add(&self.tv_clock_diff, &masked(ev_timeout))
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

    // ---- queues ----------------------------------------------------------------------------

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

    /// The active queue a callback of priority `pri` goes to. Priorities are checked when
    /// set, but a base may shrink its priority count after events were assigned: those run at
    /// the lowest priority instead of indexing out of range.
    #[inline]
    fn active_queue(&mut self, pri: u8) -> &mut List<EventCallback> {
        let last = self.activequeues.len() - 1;
        let idx = (pri as usize).min(last);
        // SAFETY: idx <= last < len; a base always has at least one queue.
        unsafe { self.activequeues.get_unchecked_mut(idx) }
    }

    /// Records the high-water marks of the counters (event_base_get_max_events).
    #[inline]
    pub fn note_count_maxima(&mut self) {
        self.event_count_max = self.event_count_max.max(self.event_count);
        self.event_count_active_max = self.event_count_active_max.max(self.event_count_active);
    }

    /// Queues an idle callback without updating the high-water marks; callers that activate
    /// many callbacks in a row (the backend reporting ready fds) note the maxima once after.
    #[inline]
    unsafe fn queue_insert_active_untracked(&mut self, cb: *mut EventCallback) {
        // SAFETY: cb is live (contract).
        let (flags, pri) = unsafe { ((*cb).flags, (*cb).pri) };
        if flags & EVLIST_ACTIVE != 0 {
            return;
        }
        if flags & EVLIST_INTERNAL == 0 {
            self.event_count += 1;
        }
        self.event_count_active += 1;
        // SAFETY: cb is live and on no active queue.
        unsafe {
            (*cb).flags = flags | EVLIST_ACTIVE;
            self.active_queue(pri).push_back(cb, active_link);
        }
    }

    #[inline]
    unsafe fn queue_insert_active(&mut self, cb: *mut EventCallback) {
        // SAFETY: forwarded contract.
        unsafe { self.queue_insert_active_untracked(cb) };
        self.note_count_maxima();
    }

    #[inline]
    unsafe fn queue_remove_active(&mut self, cb: *mut EventCallback) {
        // SAFETY: cb is live and on its priority's active queue (contract).
        let (flags, pri) = unsafe { ((*cb).flags, (*cb).pri) };
        self.count_out(flags);
        self.event_count_active -= 1;
        // SAFETY: as above.
        unsafe {
            (*cb).flags = flags & !EVLIST_ACTIVE;
            self.active_queue(pri).remove(cb, active_link);
        }
    }

    /// Takes the first callback off active queue `idx` (the loop's dequeue).
    #[inline]
    unsafe fn queue_pop_active(&mut self, idx: usize) -> *mut EventCallback {
        // SAFETY: the caller checked the queue is non-empty; its members are live.
        unsafe {
            let cb = self.activequeues.get_unchecked_mut(idx).pop_front(active_link);
            let flags = (*cb).flags;
            self.count_out(flags);
            self.event_count_active -= 1;
            (*cb).flags = flags & !EVLIST_ACTIVE;
            cb
        }
    }

    unsafe fn queue_insert_active_later(&mut self, cb: *mut EventCallback) {
        // SAFETY: cb is live (contract).
        let flags = unsafe { (*cb).flags };
        if flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 {
            return;
        }
        self.count_in(flags);
        self.event_count_active += 1;
        self.event_count_active_max = self.event_count_active_max.max(self.event_count_active);
        // SAFETY: cb is live and on no active queue.
        unsafe {
            (*cb).flags |= EVLIST_ACTIVE_LATER;
            self.active_later_queue.push_back(cb, active_link);
        }
    }

    unsafe fn queue_remove_active_later(&mut self, cb: *mut EventCallback) {
        // SAFETY: cb is live and on the later queue (contract).
        let flags = unsafe { (*cb).flags };
        self.count_out(flags);
        self.event_count_active -= 1;
        // SAFETY: as above.
        unsafe {
            (*cb).flags &= !EVLIST_ACTIVE_LATER;
            self.active_later_queue.remove(cb, active_link);
        }
    }

    fn make_later_events_active(&mut self) {
        while !self.active_later_queue.is_empty() {
            let cb = self.active_later_queue.first();
            // SAFETY: queued callbacks are live; moved from one queue to another.
            unsafe {
                self.active_later_queue.remove(cb, active_link);
                (*cb).flags = ((*cb).flags & !EVLIST_ACTIVE_LATER) | EVLIST_ACTIVE;
                self.active_queue((*cb).pri).push_back(cb, active_link);
                if (*cb).closure == EV_CLOSURE_CB_SELF {
                    self.n_deferreds_queued += 1;
                }
            }
        }
    }

    // ---- timeouts --------------------------------------------------------------------------

    fn common_timeout_index(&self, tv: &timeval) -> Option<usize> {
        if tv.tv_usec & COMMON_TIMEOUT_MASK != COMMON_TIMEOUT_MAGIC {
            return None;
        }
        let idx = ((tv.tv_usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as usize;
        (idx < self.common_timeouts.len()).then_some(idx)
    }

    unsafe fn queue_insert_timeout(&mut self, ev: *mut Event) {
        // SAFETY: ev is live (contract).
        let (flags, timeout) = unsafe { ((*ev).cb.flags, (*ev).timeout) };
        if flags & EVLIST_TIMEOUT != 0 {
            crate::log::errx(1, format_args!("event_queue_insert_timeout: {:p} already on timeout", ev));
        }
        self.count_in(flags);
        // SAFETY: as above.
        unsafe { (*ev).cb.flags |= EVLIST_TIMEOUT };
        match self.common_timeout_index(&timeout) {
            Some(idx) => {
                // One duration for the whole queue, so it stays sorted by appending: the scan
                // from the tail stops at once unless the clock went backwards.
                let ctl = &mut *self.common_timeouts[idx];
                // SAFETY: queue members are live; ev is live and not yet linked.
                unsafe {
                    ctl.events.insert_sorted_from_back(ev, common_link, |e| !time::cmp(&timeout, &(*e).timeout).is_lt());
                }
            }
            // SAFETY: ev is live and in no heap; space was reserved by the caller.
            None => unsafe { self.timeheap.push(ev) },
        }
    }

    unsafe fn queue_remove_timeout(&mut self, ev: *mut Event) {
        // SAFETY: ev is live and on a timeout queue (contract).
        let (flags, timeout) = unsafe { ((*ev).cb.flags, (*ev).timeout) };
        self.count_out(flags);
        // SAFETY: as above.
        unsafe { (*ev).cb.flags &= !EVLIST_TIMEOUT };
        match self.common_timeout_index(&timeout) {
            // SAFETY: ev is on this common queue.
            Some(idx) => unsafe { self.common_timeouts[idx].events.remove(ev, common_link) },
            // SAFETY: ev is in the heap.
            None => unsafe {
                self.timeheap.erase(ev);
            },
        }
    }

    /// Time until the earliest timeout (None: no timeouts).
    fn timeout_next(&mut self) -> Option<timeval> {
        let top = self.timeheap.top()?;
        let now = self.gettime();
        // SAFETY: heap members are live.
        let at = unsafe { (*top).timeout };
        if !time::cmp(&at, &now).is_gt() {
            return Some(time::ZERO);
        }
        Some(time::sub(&at, &now))
    }

    /// Activates every event whose timeout has passed.
    fn timeout_process(&mut self) {
        if self.timeheap.is_empty() {
            return;
        }
        let now = self.gettime();
        while let Some(ev) = self.timeheap.top() {
            // SAFETY: heap members are live events of this base.
            unsafe {
                if time::cmp(&(*ev).timeout, &now).is_gt() {
                    break;
                }
                self.del_nolock(ev, DelMode::NoBlock);
                self.active_nolock(ev, EV_TIMEOUT, 1);
            }
        }
    }

    /// `event_base_init_common_timeout`.
    pub fn init_common_timeout(&mut self, duration: &timeval) -> *const timeval {
        let mut d = *duration;
        if d.tv_usec > 1_000_000 {
            if self.common_timeout_index(&d).is_some() {
                d.tv_usec &= MICROSECONDS_MASK;
            }
            d.tv_sec += d.tv_usec / 1_000_000;
            d.tv_usec %= 1_000_000;
        }
        for ctl in &self.common_timeouts {
            if ctl.duration.tv_sec == d.tv_sec && ctl.duration.tv_usec & MICROSECONDS_MASK == d.tv_usec {
                crate::ev_assert!(self.common_timeout_index(&ctl.duration).is_some());
                return &ctl.duration;
            }
        }
        if self.common_timeouts.len() == MAX_COMMON_TIMEOUTS {
            warnx!(
                "event_base_init_common_timeout: Too many common timeouts already in use; we only support {} per event_base",
                MAX_COMMON_TIMEOUTS
            );
            return ptr::null();
        }
        let idx = self.common_timeouts.len() as libc::suseconds_t;
        let me: *mut EventBase = self;
        let mut ctl = Box::new(CommonTimeout {
            events: List::default(),
            duration: timeval {
                tv_sec: d.tv_sec,
                tv_usec: d.tv_usec | COMMON_TIMEOUT_MAGIC | (idx << COMMON_TIMEOUT_IDX_SHIFT),
            },
            // SAFETY: an all-zero struct event is the unassigned state.
            timeout_event: unsafe { std::mem::zeroed() },
            base: me,
        });
        let ctlp: *mut CommonTimeout = &mut *ctl;
        // SAFETY: the timer event lives inside the boxed queue, which the base keeps.
        unsafe {
            let ev: *mut Event = &mut (*ctlp).timeout_event;
            self.assign(ev, -1, 0, Some(common_timeout_fired), ctlp.cast());
            (*ev).cb.flags |= EVLIST_INTERNAL;
            (*ev).cb.pri = 0;
        }
        self.common_timeouts.push(ctl);
        &self.common_timeouts[idx as usize].duration
    }

    unsafe fn common_timeout_schedule(&mut self, ctl: *mut CommonTimeout, head: *mut Event) {
        // SAFETY: ctl and head are live (contract).
        unsafe {
            let at = masked(&(*head).timeout);
            self.add_nolock(&mut (*ctl).timeout_event, Some(&at), true);
        }
    }

    // ---- event operations ------------------------------------------------------------------

    /// `event_assign` on this base (callers checked the arguments).
    ///
    /// # Safety
    /// `ev` must point to writable memory for a struct event that is not added anywhere.
    pub unsafe fn assign(&mut self, ev: *mut Event, fd: c_int, events: c_short, cb: Option<EventCb>, arg: *mut c_void) -> c_int {
        let npri = self.activequeues.len().max(1) as c_int;
        // SAFETY: forwarded contract.
        unsafe { assign_event(ev, self, npri, fd, events, cb, arg) }
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

    /// `event_active_nolock_`.
    ///
    /// # Safety
    /// `ev` must be a live event assigned to this base; the base lock must be held.
    #[inline]
    pub unsafe fn active_nolock(&mut self, ev: *mut Event, res: c_short, ncalls: c_short) {
        // SAFETY: ev is live (contract).
        unsafe {
            let flags = (*ev).cb.flags;
            // The common case, taken for every ready fd: an idle, non-signal event.
            if flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER | EVLIST_FINALIZING) == 0 && !(*ev).is_signal() {
                self.activate_idle(ev, res);
                self.note_count_maxima();
                return;
            }
            if flags & EVLIST_FINALIZING != 0 {
                return;
            }
            match flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) {
                EVLIST_ACTIVE => {
                    (*ev).res |= res;
                    return;
                }
                EVLIST_ACTIVE_LATER => (*ev).res |= res,
                0 => (*ev).res = res,
                _ => crate::ev_assert!(false),
            }
            if ((*ev).cb.pri as c_int) < self.event_running_priority {
                self.loop_requests |= LOOP_CONTINUE;
            }
            if (*ev).is_signal() {
                if self.current_event == as_callback(ev) && !self.in_loop_thread() {
                    self.wait_for_current_event();
                }
                (*ev).u.sig.ncalls = ncalls;
                (*ev).u.sig.pncalls = ptr::null_mut();
            }
            self.callback_activate_nolock(as_callback(ev));
        }
    }

    /// Activates an idle (not active, not finalizing, not signal) event, leaving the
    /// high-water marks to the caller.
    #[inline]
    unsafe fn activate_idle(&mut self, ev: *mut Event, res: c_short) {
        // SAFETY: ev is live (contract).
        unsafe {
            (*ev).res = res;
            if ((*ev).cb.pri as c_int) < self.event_running_priority {
                self.loop_requests |= LOOP_CONTINUE;
            }
            self.queue_insert_active_untracked(as_callback(ev));
        }
        if self.need_notify() {
            self.notify();
        }
    }

    /// Activation of an io event whose fd the backend reported ready. This runs in the loop's
    /// own thread while no callback runs, so of `active_nolock`'s work only queueing is left:
    /// no thread to wake, no running priority to preempt (it is -1 between callbacks), and io
    /// events are never signal events. The backend reports all ready fds in a row, so the
    /// high-water marks are noted once afterwards (`run`).
    ///
    /// # Safety
    /// As for `active_nolock`; `ev` must be an io event.
    #[inline(always)]
    pub unsafe fn activate_ready(&mut self, ev: *mut Event, res: c_short) {
        debug_assert!(self.event_running_priority == -1);
        // SAFETY: ev is live (contract).
        unsafe {
            if (*ev).cb.flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER | EVLIST_FINALIZING) == 0 {
                (*ev).res = res;
                self.queue_insert_active_untracked(as_callback(ev));
            } else {
                self.active_nolock(ev, res, 1);
            }
        }
    }

    /// `event_active_later_nolock_`.
    ///
    /// # Safety
    /// As for `active_nolock`.
    pub unsafe fn active_later_nolock(&mut self, ev: *mut Event, res: c_short) {
        // SAFETY: ev is live (contract).
        unsafe {
            if (*ev).cb.flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 {
                (*ev).res |= res;
                return;
            }
            (*ev).res = res;
            self.callback_activate_later_nolock(as_callback(ev));
        }
    }

    /// `event_callback_activate_nolock_`: 1 if newly activated, 0 if it already was.
    ///
    /// # Safety
    /// `cb` must be a live callback of this base; the base lock must be held.
    pub unsafe fn callback_activate_nolock(&mut self, cb: *mut EventCallback) -> c_int {
        // SAFETY: cb is live (contract).
        unsafe {
            let flags = (*cb).flags;
            if flags & EVLIST_FINALIZING != 0 {
                return 0;
            }
            let mut r = 1;
            match flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) {
                EVLIST_ACTIVE_LATER => {
                    self.queue_remove_active_later(cb);
                    r = 0;
                }
                EVLIST_ACTIVE => return 0,
                0 => {}
                _ => crate::ev_assert!(false),
            }
            self.queue_insert_active(cb);
            if self.need_notify() {
                self.notify();
            }
            r
        }
    }

    /// `event_callback_activate_later_nolock_`.
    ///
    /// # Safety
    /// As for `callback_activate_nolock`.
    pub unsafe fn callback_activate_later_nolock(&mut self, cb: *mut EventCallback) -> c_int {
        // SAFETY: cb is live (contract).
        unsafe {
            if (*cb).flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 {
                return 0;
            }
            self.queue_insert_active_later(cb);
        }
        if self.need_notify() {
            self.notify();
        }
        1
    }

    /// `event_callback_cancel_nolock_`.
    ///
    /// # Safety
    /// As for `callback_activate_nolock`.
    pub unsafe fn callback_cancel_nolock(&mut self, cb: *mut EventCallback, even_if_finalizing: bool) -> c_int {
        // SAFETY: cb is live (contract).
        unsafe {
            if (*cb).flags & EVLIST_FINALIZING != 0 && !even_if_finalizing {
                return 0;
            }
            if callback_is_event(&*cb) {
                return self.del_nolock(Event::from_callback(cb), if even_if_finalizing { DelMode::EvenIfFinalizing } else { DelMode::AutoBlock });
            }
            match (*cb).flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) {
                EVLIST_ACTIVE => self.queue_remove_active(cb),
                EVLIST_ACTIVE_LATER => self.queue_remove_active_later(cb),
                0 => {}
                _ => crate::ev_assert!(false),
            }
        }
        0
    }

    /// `event_deferred_cb_schedule_`: deferred callbacks beyond a per-iteration budget wait for
    /// the next iteration, so that a storm of them cannot starve I/O.
    ///
    /// # Safety
    /// As for `callback_activate_nolock`.
    pub unsafe fn deferred_schedule(&mut self, cb: *mut EventCallback) -> c_int {
        if self.n_deferreds_queued > MAX_DEFERREDS_QUEUED {
            // SAFETY: forwarded contract.
            unsafe { self.callback_activate_later_nolock(cb) }
        } else {
            // SAFETY: forwarded contract.
            let r = unsafe { self.callback_activate_nolock(cb) };
            if r != 0 {
                self.n_deferreds_queued += 1;
            }
            r
        }
    }

    /// `event_remove_timer_nolock_`.
    ///
    /// # Safety
    /// As for `del_nolock`.
    pub unsafe fn remove_timer_nolock(&mut self, ev: *mut Event) -> c_int {
        // SAFETY: ev is live (contract).
        unsafe {
            if (*ev).cb.flags & EVLIST_TIMEOUT != 0 {
                self.queue_remove_timeout(ev);
                (*ev).u.io.persist_timeout = time::ZERO;
            }
        }
        0
    }

    /// `event_finalize_nolock_`: delete, then run `cb` from the loop when the event is idle.
    ///
    /// # Safety
    /// As for `del_nolock`.
    pub unsafe fn finalize_nolock(&mut self, ev: *mut Event, free_after: bool, cb: EventFinalizeCb) -> c_int {
        // SAFETY: ev is live (contract).
        unsafe {
            self.del_nolock(ev, DelMode::NoBlock);
            (*ev).cb.closure = if free_after { EV_CLOSURE_EVENT_FINALIZE_FREE } else { EV_CLOSURE_EVENT_FINALIZE };
            (*ev).cb.cb = cb as *const c_void;
            self.active_nolock(ev, EV_FINALIZE, 1);
            (*ev).cb.flags |= EVLIST_FINALIZING;
        }
        0
    }

    /// `event_callback_finalize_nolock_`: cancel, then run `f` from the loop.
    ///
    /// # Safety
    /// As for `callback_activate_nolock`.
    pub unsafe fn callback_finalize_nolock(&mut self, cb: *mut EventCallback, f: SelfCb) {
        // SAFETY: cb is live (contract).
        unsafe {
            if callback_is_event(&*cb) {
                self.del_nolock(Event::from_callback(cb), DelMode::NoBlock);
            } else {
                self.callback_cancel_nolock(cb, false);
            }
            (*cb).closure = EV_CLOSURE_CB_FINALIZE;
            (*cb).cb = f as *const c_void;
            self.callback_activate_nolock(cb);
            (*cb).flags |= EVLIST_FINALIZING;
        }
    }

    pub fn is_current(&self, cb: *mut EventCallback) -> bool {
        self.current_event == cb
    }

    /// `event_base_priority_init`.
    pub fn priority_init(&mut self, npriorities: c_int) -> c_int {
        if self.event_count_active != 0 || !(1..EVENT_MAX_PRIORITIES).contains(&npriorities) {
            return -1;
        }
        if npriorities as usize == self.activequeues.len() {
            return 0;
        }
        self.activequeues.clear();
        self.activequeues.resize_with(npriorities as usize, List::default);
        self.update_ready_walk_allowed();
        0
    }

    /// Recomputes `ready_walk_allowed` after the priorities or limits change.
    fn update_ready_walk_allowed(&mut self) {
        self.ready_walk_allowed = self.activequeues.len() == 1 && self.limit_callbacks_after_prio == c_int::MAX;
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

    // ---- the loop --------------------------------------------------------------------------

    /// `event_base_loopbreak`.
    pub fn loopbreak(&mut self) {
        self.loop_requests |= LOOP_BREAK;
        if self.need_notify() {
            self.notify();
        }
    }

    pub fn loopcontinue(&mut self) {
        self.loop_requests |= LOOP_CONTINUE;
    }

    pub fn set_gotterm(&mut self) {
        self.event_gotterm = true;
    }

    pub fn got_exit(&self) -> bool {
        self.event_gotterm
    }

    pub fn got_break(&self) -> bool {
        self.loop_requests & LOOP_BREAK != 0
    }

    fn got_continue(&self) -> bool {
        self.loop_requests & LOOP_CONTINUE != 0
    }

    pub fn running_callback(&self) -> *mut Event {
        let cb = self.current_event;
        // SAFETY: current_event is live while it runs.
        if !cb.is_null() && callback_is_event(unsafe { &*cb }) {
            cb.cast()
        } else {
            ptr::null_mut()
        }
    }

    /// `event_base_loop`.
    ///
    /// # Safety
    /// `base` must be a live base.
    pub unsafe fn run(base: *mut EventBase, flags: c_int) -> c_int {
        // SAFETY: live base (contract); the lock is taken before any field is touched.
        let b = unsafe { &mut *base };
        b.acquire_lock();
        if b.running_loop {
            warnx!("event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once.");
            b.release_lock();
            return -1;
        }
        b.running_loop = true;
        b.clear_time_cache();
        if b.sig.ev_signal_added != 0 && b.sig.n_signals_added != 0 {
            signal::set_base(b);
        }
        // Only read on a base with a lock (in_loop_thread, need_notify).
        if !b.th_base_lock.is_null() {
            b.th_owner_id = thread::current_thread_id();
        }
        b.event_gotterm = false;
        b.loop_requests &= !LOOP_BREAK;
        let mut retval = 0;
        loop {
            // SAFETY: we hold the lock; no reference outlives a callback (see process_queue).
            let b = unsafe { &mut *base };
            b.loop_requests &= !LOOP_CONTINUE;
            b.n_deferreds_queued = 0;
            if b.event_gotterm || b.got_break() {
                break;
            }
            // How long the backend may wait: not at all with work pending or when asked not
            // to block, else until the next timeout (forever, a null pointer, without one).
            let mut tv = time::ZERO;
            let mut wait_forever = false;
            if b.event_count_active == 0 && flags & EVLOOP_NONBLOCK == 0 {
                match b.timeout_next() {
                    Some(next) => tv = next,
                    None => wait_forever = true,
                }
            }
            if flags & EVLOOP_NO_EXIT_ON_EMPTY == 0 && !b.have_events() && b.event_count_active == 0 {
                debugx!("event_base_loop: no events registered.");
                retval = 1;
                break;
            }
            b.make_later_events_active();
            b.clear_time_cache();
            let tvp: *mut timeval = if wait_forever { ptr::null_mut() } else { &mut tv };
            // SAFETY: live base with its backend set up; tvp null or valid.
            if unsafe { crate::backend::dispatch(base, tvp) } == -1 {
                debugx!("event_base_loop: dispatch returned unsuccessfully.");
                retval = -1;
                break;
            }
            // SAFETY: as above.
            let b = unsafe { &mut *base };
            b.refresh_time_cache_lazily();
            b.timeout_process();
            let n = if !b.ready.is_empty() {
                // SAFETY: live base, lock held.
                unsafe { EventBase::process_ready_then_queues(base) }
            } else {
                // The backend activated its ready fds without updating the high-water marks
                // (a ready list notes its own). Timeout processing since then only activated
                // (each timed-out event leaves the added count as it was), so noting them
                // after it gives the same marks.
                b.note_count_maxima();
                if b.event_count_active != 0 {
                    // SAFETY: as above.
                    unsafe { EventBase::process_queues(base, 0) }
                } else if flags & EVLOOP_NONBLOCK != 0 {
                    break;
                } else {
                    continue;
                }
            };
            // SAFETY: as above.
            if flags & EVLOOP_ONCE != 0 && unsafe { (*base).event_count_active } == 0 && n != 0 {
                break;
            }
        }
        // SAFETY: as above.
        let b = unsafe { &mut *base };
        b.clear_time_cache();
        b.running_loop = false;
        b.release_lock();
        retval
    }

    /// What upstream's event_process_active does when the backend left a ready list: the list
    /// stands in front of the (single) queue, see ready.rs. Returns the number of user
    /// callbacks run, or -1 on loopbreak.
    ///
    /// While the list runs, event_running_priority stays -1 where upstream has 0: with one
    /// priority no event can be above either (an event's priority is never negative).
    unsafe fn process_ready_then_queues(base: *mut EventBase) -> c_int {
        // SAFETY: live base, lock held (contract).
        unsafe {
            let from_ready = EventBase::run_ready(base);
            // Done unless the callbacks queued more; after a loopbreak or loopcontinue, what is
            // queued waits for the next iteration, as upstream.
            if from_ready < 0 || (*base).got_continue() || (*base).event_count_active == 0 {
                return from_ready;
            }
            EventBase::process_queues(base, from_ready)
        }
    }

    /// Runs the highest-priority non-empty active queue (and any above it that held only
    /// internal callbacks), upstream's event_process_active; `from_ready` callbacks already
    /// ran from the ready list and count with the first queue that runs. Returns the number
    /// of user callbacks run, or -1 on loopbreak.
    unsafe fn process_queues(base: *mut EventBase, mut from_ready: c_int) -> c_int {
        // SAFETY: live base, lock held (contract).
        let b = unsafe { &mut *base };
        let endtime = if b.max_dispatch_time.tv_sec >= 0 {
            b.update_time_cache();
            let now = b.gettime();
            Some(time::add(&b.max_dispatch_time, &now))
        } else {
            None
        };
        let maxcb = b.max_dispatch_callbacks;
        let limit_after_prio = b.limit_callbacks_after_prio;
        let mut c = 0;
        let mut i = 0;
        // SAFETY: as above.
        while i < unsafe { (*base).activequeues.len() } {
            // SAFETY: as above.
            if !unsafe { (&(*base).activequeues)[i].is_empty() } {
                // SAFETY: as above.
                unsafe { (*base).event_running_priority = i as c_int };
                let n = if (i as c_int) < limit_after_prio {
                    // SAFETY: as above.
                    unsafe { EventBase::process_queue(base, i, c_int::MAX, None) }
                } else {
                    // SAFETY: as above.
                    unsafe { EventBase::process_queue(base, i, maxcb, endtime) }
                };
                // Callbacks run from the ready list count with the queue they stood in for.
                c = if n < 0 { n } else { n + from_ready };
                from_ready = 0;
                if c != 0 {
                    break;
                }
            }
            i += 1;
        }
        // SAFETY: as above.
        unsafe { (*base).event_running_priority = -1 };
        c + from_ready
    }

    unsafe fn process_queue(base: *mut EventBase, pri: usize, max_to_process: c_int, endtime: Option<timeval>) -> c_int {
        let mut count = 0;
        loop {
            // SAFETY: live base, lock held (contract). `b` is not used after a callback runs
            // without being re-derived.
            let b = unsafe { &mut *base };
            let Some(q) = b.activequeues.get(pri) else { break };
            let cb = q.first();
            if cb.is_null() {
                break;
            }
            // SAFETY: queued callbacks are live; cb heads queue `pri`.
            let ev = unsafe {
                if callback_is_event(&*cb) {
                    let ev = Event::from_callback(cb);
                    if (*ev).events & EV_PERSIST != 0 || (*ev).cb.flags & EVLIST_FINALIZING != 0 {
                        b.queue_pop_active(pri);
                    } else {
                        b.del_nolock(ev, DelMode::NoBlock);
                    }
                    ev
                } else {
                    b.queue_pop_active(pri);
                    ptr::null_mut()
                }
            };
            // SAFETY: cb (and ev if non-null) are live and dequeued; each arm of run_callback
            // releases the lock before the user's code runs.
            unsafe {
                if (*cb).flags & EVLIST_INTERNAL == 0 {
                    count += 1;
                }
                EventBase::run_dequeued::<true>(base, cb, || EventBase::run_callback(base, cb, ev));
            }
            // SAFETY: the base is still live (freeing a base from its own callback is not
            // supported upstream either).
            let b = unsafe { &mut *base };
            if b.got_break() {
                return -1;
            }
            if count >= max_to_process {
                return count;
            }
            if count != 0 {
                if let Some(end) = endtime {
                    b.update_time_cache();
                    let now = b.gettime();
                    if !time::cmp(&now, &end).is_lt() {
                        return count;
                    }
                }
            }
            if b.got_continue() {
                break;
            }
        }
        count
    }

    /// Runs one callback taken off its queue (or the ready list) as the running event, through
    /// `call` (which releases the lock around the user's code), and wakes anyone waiting for it
    /// to finish. Called and returns with the lock held. `MAY_LOCK` false is for callers that
    /// know the base has no lock (it never gains one after creation), so skip the lock hooks;
    /// they also leave `current_event` set after the callback and clear it themselves after
    /// their last one (only the user's code, run with it set, can look at it).
    ///
    /// # Safety
    /// `base` live and locked; `cb` live and on no active queue.
    #[inline(always)]
    unsafe fn run_dequeued<const MAY_LOCK: bool>(base: *mut EventBase, cb: *mut EventCallback, call: impl FnOnce()) {
        // SAFETY: live base (contract).
        let b = unsafe { &mut *base };
        // Waiters only queue up while a callback runs, and are released right after it.
        debug_assert_eq!(b.current_event_waiters, 0);
        b.current_event = cb;
        call();
        // SAFETY: the base outlives its callbacks (see process_queue).
        let b = unsafe { &mut *base };
        if MAY_LOCK {
            b.acquire_lock();
            b.current_event = ptr::null_mut();
            // Only other threads wait, and only on a base with a lock.
            if b.current_event_waiters != 0 {
                b.current_event_waiters = 0;
                thread::cond_signal(b.current_event_cond, true);
            }
        }
    }

    /// Runs one dequeued callback according to its closure. Called with the lock held;
    /// returns with it released.
    unsafe fn run_callback(base: *mut EventBase, cb: *mut EventCallback, ev: *mut Event) {
        // SAFETY: cb/ev live, base live and locked (contract).
        unsafe {
            let closure = (*cb).closure;
            match closure {
                EV_CLOSURE_EVENT_SIGNAL => EventBase::signal_closure(base, ev),
                EV_CLOSURE_EVENT_PERSIST => EventBase::call_event::<true>(base, ev, true),
                EV_CLOSURE_EVENT => EventBase::call_event::<true>(base, ev, false),
                EV_CLOSURE_CB_SELF => {
                    let f: Option<SelfCb> = std::mem::transmute::<*const c_void, Option<SelfCb>>((*cb).cb);
                    let arg = (*cb).arg;
                    (*base).release_lock();
                    if let Some(f) = f {
                        f(cb, arg);
                    }
                }
                EV_CLOSURE_EVENT_FINALIZE | EV_CLOSURE_EVENT_FINALIZE_FREE => {
                    (*base).current_event = ptr::null_mut();
                    crate::ev_assert!((*cb).flags & EVLIST_FINALIZING != 0);
                    let f: Option<EventFinalizeCb> = std::mem::transmute::<*const c_void, Option<EventFinalizeCb>>((*cb).cb);
                    let arg = (*cb).arg;
                    (*base).release_lock();
                    crate::debug::note_teardown(ev);
                    if let Some(f) = f {
                        f(ev, arg);
                    }
                    if closure == EV_CLOSURE_EVENT_FINALIZE_FREE {
                        crate::mm::free(ev.cast());
                    }
                }
                EV_CLOSURE_CB_FINALIZE => {
                    (*base).current_event = ptr::null_mut();
                    crate::ev_assert!((*cb).flags & EVLIST_FINALIZING != 0);
                    let f: Option<SelfCb> = std::mem::transmute::<*const c_void, Option<SelfCb>>((*cb).cb);
                    let arg = (*cb).arg;
                    (*base).release_lock();
                    if let Some(f) = f {
                        f(cb, arg);
                    }
                }
                _ => crate::ev_assert!(false),
            }
        }
    }

    /// Runs a signal callback once per caught signal; event_del or loopbreak cut it short.
    unsafe fn signal_closure(base: *mut EventBase, ev: *mut Event) {
        // SAFETY: live event and base, lock held on entry (contract).
        unsafe {
            let mut ncalls: c_short = (*ev).u.sig.ncalls;
            if ncalls != 0 {
                (*ev).u.sig.pncalls = &mut ncalls;
            }
            (*base).release_lock();
            while ncalls != 0 {
                ncalls -= 1;
                (*ev).u.sig.ncalls = ncalls;
                if ncalls == 0 {
                    (*ev).u.sig.pncalls = ptr::null_mut();
                }
                if let Some(f) = event_cb_of(ev) {
                    f((*ev).fd, (*ev).res, (*ev).cb.arg);
                }
                (*base).acquire_lock();
                let should_break = (*base).got_break();
                (*base).release_lock();
                if should_break {
                    if ncalls != 0 {
                        (*ev).u.sig.pncalls = ptr::null_mut();
                    }
                    return;
                }
            }
        }
    }

    /// The closure of an ordinary event (`persistent`: EV_CLOSURE_EVENT_PERSIST, else
    /// EV_CLOSURE_EVENT): a persistent event with a timeout is re-armed first, then the user's
    /// callback runs with the lock released (`MAY_LOCK` as for `run_dequeued`).
    ///
    /// # Safety
    /// As for `run_callback`, with `ev` an event of the closure `persistent` says.
    #[inline(always)]
    unsafe fn call_event<const MAY_LOCK: bool>(base: *mut EventBase, ev: *mut Event, persistent: bool) {
        // SAFETY: live event and base, lock held on entry (contract).
        unsafe {
            let b = &mut *base;
            if persistent && time::is_set(&(*ev).u.io.persist_timeout) {
                b.rearm_persistent(ev);
            }
            let f = event_cb_of(ev);
            let (fd, res, arg) = ((*ev).fd, (*ev).res, (*ev).cb.arg);
            if MAY_LOCK {
                b.release_lock();
            }
            if let Some(f) = f {
                f(fd, res, arg);
            }
        }
    }

    /// Schedules a persistent event's next timeout, one period after this one.
    unsafe fn rearm_persistent(&mut self, ev: *mut Event) {
        // SAFETY: live event, lock held (contract).
        unsafe {
            let delay_tagged = (*ev).u.io.persist_timeout;
            let now = self.gettime();
            let common = self.common_timeout_index(&(*ev).timeout).is_some();
            let delay = masked(&delay_tagged);
            let usec_tag = if common { delay_tagged.tv_usec & !MICROSECONDS_MASK } else { 0 };
            let relative_to = if (*ev).res & EV_TIMEOUT != 0 { masked(&(*ev).timeout) } else { now };
            let mut run_at = time::add(&relative_to, &delay);
            if time::cmp(&run_at, &now).is_lt() {
                // Missed at least one period (clock jump or slow callbacks): restart from now.
                run_at = time::add(&now, &delay);
            }
            run_at.tv_usec |= usec_tag;
            self.add_nolock(ev, Some(&run_at), true);
        }
    }

    // ---- one-shot events, loopexit ---------------------------------------------------------

    /// `event_base_once`.
    pub fn once(&mut self, fd: c_int, events: c_short, cb: Option<EventCb>, arg: *mut c_void, tv: Option<&timeval>) -> c_int {
        if events & (EV_SIGNAL | EV_ET) != 0 {
            return -1;
        }
        let e = Box::into_raw(Box::new(OnceEvent {
            // SAFETY: an all-zero struct event is the unassigned state.
            ev: unsafe { std::mem::zeroed() },
            link: Link { next: ptr::null_mut(), prev: ptr::null_mut() },
            cb,
            arg,
        }));
        // SAFETY: e is ours until linked into the base's list.
        unsafe {
            let ev: *mut Event = &mut (*e).ev;
            let mut activate = false;
            if events & (EV_TIMEOUT | EV_SIGNAL | EV_READ | EV_WRITE | EV_CLOSED) == EV_TIMEOUT {
                self.assign(ev, -1, 0, Some(once_fired), e.cast());
                // Firing "now" is a common idiom for scheduling a callback: skip the heap.
                activate = tv.is_none_or(|t| !time::is_set(t));
            } else if events & (EV_READ | EV_WRITE | EV_CLOSED) != 0 {
                self.assign(ev, fd, events & (EV_READ | EV_WRITE | EV_CLOSED), Some(once_fired), e.cast());
            } else {
                drop(Box::from_raw(e));
                return -1;
            }
            if activate {
                self.active_nolock(ev, EV_TIMEOUT, 1);
            } else if self.add_nolock(ev, tv, false) != 0 {
                crate::debug::note_teardown(ev);
                drop(Box::from_raw(e));
                return -1;
            }
            self.once_events.push_front(e, once_link);
        }
        0
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

    /// Every event with a pending timeout (on the heap or a common-timeout queue).
    pub fn timeout_events(&self) -> Vec<*mut Event> {
        let mut out: Vec<*mut Event> = self.timeheap.iter().collect();
        for ctl in &self.common_timeouts {
            // SAFETY: common-queue members are live.
            out.extend(unsafe { ctl.events.to_vec(common_link) });
        }
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

/// The event's callback as the C function it is.
///
/// # Safety
/// `ev` must be a live event whose callback slot holds an EventCb (or NULL).
unsafe fn event_cb_of(ev: *mut Event) -> Option<EventCb> {
    // SAFETY: the slot holds an EventCb or NULL for event closures (contract).
    unsafe { std::mem::transmute::<*const c_void, Option<EventCb>>((*ev).cb.cb) }
}

fn method_disabled_by_env(name: &CStr) -> bool {
    let mut var = b"EVENT_NO".to_vec();
    var.extend(name.to_bytes().iter().map(|c| c.to_ascii_uppercase()));
    var.push(0);
    let var = CStr::from_bytes_with_nul(&var).expect("built with one trailing NUL");
    config::env_is_set(var)
}

/// Internal callback of a common-timeout queue's timer: activates every expired event.
unsafe extern "C" fn common_timeout_fired(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let ctl = arg.cast::<CommonTimeout>();
    // SAFETY: arg is the boxed queue owned by a live base.
    unsafe {
        let base = &mut *(*ctl).base;
        base.acquire_lock();
        let now = base.gettime();
        loop {
            let ev = (*ctl).events.first();
            if ev.is_null() || time::cmp(&masked(&(*ev).timeout), &now).is_gt() {
                break;
            }
            base.del_nolock(ev, DelMode::NoBlock);
            base.active_nolock(ev, EV_TIMEOUT, 1);
        }
        let head = (*ctl).events.first();
        if !head.is_null() {
            base.common_timeout_schedule(ctl, head);
        }
        base.release_lock();
    }
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

/// Internal callback of a one-shot event: run the user's callback, then free.
unsafe extern "C" fn once_fired(fd: c_int, what: c_short, arg: *mut c_void) {
    let e = arg.cast::<OnceEvent>();
    // SAFETY: arg is the once-event owned by a live base's list.
    unsafe {
        if let Some(cb) = (*e).cb {
            cb(fd, what, (*e).arg);
        }
        let base = &mut *(*e).ev.base;
        base.acquire_lock();
        base.once_events.remove(e, once_link);
        base.release_lock();
        crate::debug::note_teardown(&(*e).ev);
        drop(Box::from_raw(e));
    }
}
