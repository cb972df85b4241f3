//! The loop (`event_base_loop`): waiting in the backend, processing timeouts, running the
//! ready list and the active queues by priority, and calling each callback by its closure with
//! the lock released. Also loopbreak/loopcontinue and one-shot events (`event_base_once`).

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use libc::timeval;

use super::{DelMode, EventBase};
use crate::event::*;
use crate::list::Link;
use crate::signal;
use crate::thread;
use crate::time;

/// Bits of `EventBase::loop_requests`.
pub(super) const LOOP_BREAK: u8 = 1;
pub(super) const LOOP_CONTINUE: u8 = 2;

pub const EVLOOP_ONCE: c_int = 0x01;
pub const EVLOOP_NONBLOCK: c_int = 0x02;
pub const EVLOOP_NO_EXIT_ON_EMPTY: c_int = 0x04;

/// A one-shot event from `event_base_once`, owned by the base until it runs.
#[repr(C)]
pub(super) struct OnceEvent {
    pub(super) ev: Event,
    link: Link<OnceEvent>,
    cb: Option<EventCb>,
    arg: *mut c_void,
}

pub(super) unsafe fn once_link(e: *mut OnceEvent) -> *mut Link<OnceEvent> {
    // SAFETY: e is a live once-event (list contract).
    unsafe { &raw mut (*e).link }
}

impl EventBase {
    // ---- loop control ----------------------------------------------------------------------

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

    pub fn is_current(&self, cb: *mut EventCallback) -> bool {
        self.current_event == cb
    }

    // ---- the loop --------------------------------------------------------------------------

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
            // The buffer chains this thread keeps for reuse are trimmed from here while it holds
            // more than it keeps for good (buffer::chain_cache): wait no longer than that.
            if let Some(ms) = crate::buffer::cached_chains_wait_limit_ms() {
                let due = time::from_ms(ms);
                if wait_forever || time::cmp(&due, &tv).is_lt() {
                    tv = due;
                    wait_forever = false;
                }
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
            crate::buffer::trim_cached_chains();
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
    pub(super) unsafe fn run_dequeued<const MAY_LOCK: bool>(base: *mut EventBase, cb: *mut EventCallback, call: impl FnOnce()) {
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
    pub(super) unsafe fn call_event<const MAY_LOCK: bool>(base: *mut EventBase, ev: *mut Event, persistent: bool) {
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

    // ---- one-shot events -------------------------------------------------------------------

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
}

/// The event's callback as the C function it is.
///
/// # Safety
/// `ev` must be a live event whose callback slot holds an EventCb (or NULL).
unsafe fn event_cb_of(ev: *mut Event) -> Option<EventCb> {
    // SAFETY: the slot holds an EventCb or NULL for event closures (contract).
    unsafe { std::mem::transmute::<*const c_void, Option<EventCb>>((*ev).cb.cb) }
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
