//! The active queues (one per priority, plus the "later" queue) and everything that puts
//! callbacks on them or takes them off: activation of events and bare callbacks, cancellation,
//! deferred callbacks with their per-iteration budget, finalizers, and the priority count.

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use super::dispatch::LOOP_CONTINUE;
use super::{as_callback, DelMode, EventBase};
use crate::event::*;
use crate::list::{Link, List};

pub const EVENT_MAX_PRIORITIES: c_int = 256;

/// More deferred callbacks than this per iteration wait for the next one (fairness with I/O).
const MAX_DEFERREDS_QUEUED: c_int = 32;

/// Link accessor for the active queues.
pub(super) unsafe fn active_link(cb: *mut EventCallback) -> *mut Link<EventCallback> {
    // SAFETY: cb is a live callback (list contract).
    unsafe { &raw mut (*cb).active_next }
}

impl EventBase {
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
    pub(super) unsafe fn queue_remove_active(&mut self, cb: *mut EventCallback) {
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
    pub(super) unsafe fn queue_pop_active(&mut self, idx: usize) -> *mut EventCallback {
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

    pub(super) unsafe fn queue_remove_active_later(&mut self, cb: *mut EventCallback) {
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

    pub(super) fn make_later_events_active(&mut self) {
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

    // ---- activation ------------------------------------------------------------------------

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

    /// Takes a deferred callback off its queue if it is waiting there (not running, not being
    /// finalized); whether it was. For owners whose scheduling took a reference that the run
    /// would have dropped.
    ///
    /// # Safety
    /// As for `callback_cancel_nolock`.
    pub unsafe fn deferred_unschedule(&mut self, cb: *mut EventCallback) -> bool {
        // SAFETY: cb is live (contract).
        let queued = unsafe { (*cb).flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) != 0 && (*cb).flags & EVLIST_FINALIZING == 0 };
        if queued {
            // SAFETY: as above.
            unsafe { self.callback_cancel_nolock(cb, false) };
        }
        queued
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

    // ---- finalizers ------------------------------------------------------------------------

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

    // ---- teardown --------------------------------------------------------------------------

    /// Cancels everything on the active queues; returns how many user callbacks went away.
    pub(super) unsafe fn free_active_queues(base: *mut EventBase, run_finalizers: bool) -> c_int {
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

    // ---- priorities ------------------------------------------------------------------------

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
    pub(super) fn update_ready_walk_allowed(&mut self) {
        self.ready_walk_allowed = self.activequeues.len() == 1 && self.limit_callbacks_after_prio == c_int::MAX;
    }
}
