//! Ready fds run straight from the backend's result array.
//!
//! Upstream's loop activates every event whose fd the backend reported (into the active queue)
//! as soon as the backend returns, then runs the queue. When nothing else is active, the base
//! has a single priority and no dispatch limits, the same callbacks can run in the same order
//! with the same arguments by walking the backend's array itself: each event is looked up as
//! its turn comes and run at once, which saves a queue insertion, a removal and their counter
//! updates per event (the bulk of the per-event cost once the callbacks themselves are cheap).
//!
//! The two ways differ only in the state of the events still waiting their turn: upstream has
//! them marked active and counted. Anything that could notice goes through the base lock's
//! entry (`Locked`, the exported `*_nolock_` helpers), which first *settles* the list:
//! activates the waiting events the ordinary way, ahead of whatever was queued since the
//! backend returned, which is where upstream's queue holds them. The walk also settles and
//! hands over to the queue wherever it would have to second-guess upstream: an fd with several
//! events, an event already active or being finalized, a loopbreak or loopcontinue.
//!
//! The high-water marks of event_base_get_max_events see the ready events as upstream counts
//! them: all of them activated at once, before the first callback. The list keeps the
//! counters at the walk's start and how many events it ran, and puts the peak those imply
//! into the marks when it ends or settles (nobody can read the marks in between without
//! settling first).
//!
//! Timeouts processed between the backend's return and the walk need no settling: an io event
//! whose timeout fires is deleted from its fd (so the walk does not find it) and activated with
//! EV_TIMEOUT at the queue's tail, the state upstream reaches too.

use std::ffi::{c_int, c_short};
use std::ptr;

use libc::epoll_event;

use super::{as_callback, DelMode, EventBase};
use crate::backend::epoll;
use crate::event::*;
use crate::evmap::FdEvents;
use crate::list::List;

/// The part of an epoll_wait result the loop has not run yet: entries `next..end`, with what
/// upstream's high-water marks would count (see the module's text).
pub struct ReadyList {
    start: *const epoll_event,
    next: *const epoll_event,
    end: *const epoll_event,
    len: c_int,
    /// Entries the walk did not run an event for: passed over (nothing to run) or left to
    /// settling. With internal events run, the rare cases the walk counts instead of the
    /// events it runs (see `ran`).
    not_run: c_int,
    ran_internal: c_int,
    /// event_count_active and event_count when the walk started.
    active_at_start: c_int,
    added_at_start: c_int,
    /// Could running the whole list raise the high-water marks? Usually not, once the loop
    /// has seen a batch this size; then only settling has to note a peak.
    may_raise_marks: bool,
}

impl Default for ReadyList {
    fn default() -> Self {
        ReadyList {
            start: ptr::null(),
            next: ptr::null(),
            end: ptr::null(),
            len: 0,
            not_run: 0,
            ran_internal: 0,
            active_at_start: 0,
            added_at_start: 0,
            may_raise_marks: false,
        }
    }
}

impl ReadyList {
    /// Starts a list over `entries` (the walk sets the rest when it starts).
    ///
    /// # Safety
    /// `entries` must stay valid and unchanged until the list is consumed or settled (the
    /// backend does not touch its array before its next dispatch, which comes after both).
    unsafe fn reset(&mut self, entries: &[epoll_event]) {
        let range = entries.as_ptr_range();
        self.start = range.start;
        self.next = range.start;
        self.end = range.end;
        // At most MAX_NEVENT entries (epoll.rs), so the length fits.
        self.len = entries.len() as c_int;
        self.not_run = 0;
        self.ran_internal = 0;
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.next == self.end
    }

    /// The next entry's fd and libevent event bits (0 for an entry that wants nothing run).
    #[inline]
    fn peek(&self) -> (c_int, c_short) {
        debug_assert!(!self.is_empty());
        // SAFETY: next < end, and the entries stay valid while the list is non-empty (new).
        epoll::decode(unsafe { &*self.next })
    }

    /// Events the walk has run: the entries it took, less those it ran nothing for.
    fn ran(&self) -> c_int {
        // SAFETY: start..=next lies within one result array (reset, advance).
        let taken = unsafe { self.next.offset_from(self.start) };
        taken as c_int - self.not_run
    }

    /// User callbacks the walk has run (what the loop counts).
    fn ran_user(&self) -> c_int {
        self.ran() - self.ran_internal
    }

    #[inline]
    fn advance(&mut self) {
        // SAFETY: next < end (callers peeked first), so next + 1 is at most end.
        self.next = unsafe { self.next.add(1) };
    }

    /// Passes over the next entry: nothing to run there.
    #[inline]
    fn skip(&mut self) {
        self.advance();
        self.not_run += 1;
    }
}

impl EventBase {
    /// May the backend hand its ready fds to `defer_ready` instead of activating them?
    #[inline]
    pub fn can_defer_ready(&self) -> bool {
        self.ready_walk_allowed && self.event_count_active == 0
    }

    /// Takes a backend's ready fds, to be run by the loop in order (see the module's text).
    ///
    /// # Safety
    /// As for `ReadyList::reset`.
    pub unsafe fn defer_ready(&mut self, entries: &[epoll_event]) {
        debug_assert!(self.ready.is_empty() && self.can_defer_ready());
        // SAFETY: per this function's contract.
        unsafe { self.ready.reset(entries) };
    }

    /// Activates whatever the ready list still holds, the way the backend would have. Called by
    /// every entry that can observe or change events while the loop walks the list.
    #[inline]
    pub fn settle_ready(&mut self) {
        if !self.ready.is_empty() {
            self.settle_ready_now();
        }
    }

    #[cold]
    fn settle_ready_now(&mut self) {
        // What was queued since the backend returned (timeouts, activations by callbacks) comes
        // after the ready events in upstream's queue. Usually nothing was (a callback adding or
        // deleting an event settles the list too): then there is nothing to set aside.
        let queued = self.activequeues.iter().any(|q| !q.is_empty());
        let mut later: Vec<List<EventCallback>> =
            if queued { self.activequeues.iter_mut().map(std::mem::take).collect() } else { Vec::new() };
        let (active_before, added_before) = (self.event_count_active, self.event_count);
        while !self.ready.is_empty() {
            let (fd, events) = self.ready.peek();
            self.ready.skip();
            if events != 0 {
                crate::evmap::io_active::<false>(self, fd, events);
            }
        }
        for (queue, rest) in self.activequeues.iter_mut().zip(later.iter_mut()) {
            // SAFETY: both are active queues, linked through the same field.
            unsafe { queue.append(rest, super::active_link) };
        }
        self.note_ready_peak(self.event_count_active - active_before, self.event_count - added_before);
        self.note_count_maxima();
    }

    /// Records in the high-water marks the counts upstream had when it had activated every
    /// ready event: the walk's starting counts, plus the events run from the list, plus
    /// `settled` (activated, and counted as added) by settling.
    fn note_ready_peak(&mut self, settled_active: c_int, settled_added: c_int) {
        let r = &self.ready;
        let active = r.active_at_start + r.ran() + settled_active;
        let added = r.added_at_start + r.ran_user() + settled_added;
        self.event_count_active_max = self.event_count_active_max.max(active);
        self.event_count_max = self.event_count_max.max(added);
    }

    /// The walk's last step, once the list is run to its end or settled (settling noted its
    /// own peak): no event is running any more (the walk without a lock leaves that to here,
    /// see `run_dequeued`), and the marks get the peak of the events it ran.
    fn end_walk(&mut self) {
        self.current_event = ptr::null_mut();
        if self.ready.may_raise_marks {
            self.note_ready_peak(0, 0);
        }
    }

    /// Takes the next ready entry: an event that can run straight away, or an entry with
    /// nothing to run (passed over). At the end of the list, or at an entry that has to go
    /// through the queue (an fd with several events, an event already active or being
    /// finalized, which settles the list), the walk is done.
    #[inline(always)]
    fn take_ready(&mut self) -> Ready {
        if self.ready.is_empty() {
            return Ready::Done;
        }
        let (fd, events) = self.ready.peek();
        let ev = match self.io.events_on(fd) {
            FdEvents::One(ev) => ev,
            FdEvents::None => {
                self.ready.skip();
                return Ready::Skipped;
            }
            FdEvents::Several => {
                self.settle_ready();
                return Ready::Done;
            }
        };
        // SAFETY: events on an fd list are live.
        let (wanted, flags, closure) = unsafe { ((*ev).events, (*ev).cb.flags, (*ev).cb.closure) };
        let res = wanted & events;
        if res & !EV_ET == 0 {
            self.ready.skip();
            return Ready::Skipped;
        }
        if flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER | EVLIST_FINALIZING) != 0 {
            self.settle_ready();
            return Ready::Done;
        }
        // An event on an fd's list has a plain closure: event_assign gives io events one of
        // these two, and only finalizing (refused above; it also deletes) changes it.
        debug_assert!(closure == EV_CLOSURE_EVENT || closure == EV_CLOSURE_EVENT_PERSIST);
        self.ready.advance();
        Ready::Run(Runnable { ev, res, internal: flags & EVLIST_INTERNAL != 0, persistent: closure != EV_CLOSURE_EVENT })
    }

    /// Walks the ready list, running each event's callback as upstream's queue would have.
    /// Returns the number of user callbacks run, or -1 on loopbreak. The list is empty after.
    ///
    /// # Safety
    /// `base` must be live and locked, inside the loop (`process_ready_then_queues`).
    pub(super) unsafe fn run_ready(base: *mut EventBase) -> c_int {
        // A base without a lock never gains one: the walk can leave out the lock hooks.
        // SAFETY: live base (contract).
        if unsafe { (*base).th_base_lock.is_null() } {
            // SAFETY: as for this function.
            unsafe { EventBase::run_ready_with::<false>(base) }
        } else {
            // SAFETY: as for this function.
            unsafe { EventBase::run_ready_with::<true>(base) }
        }
    }

    /// With a large fd table, starts loading every slot, then every event, the walk will look
    /// up. Otherwise each look-up misses the cache in turn, after a callback's system calls
    /// have pushed everything out, where upstream's activate-everything pass lets the misses
    /// overlap: at 10k fds that made the walk slower than upstream's queue despite doing a third
    /// of its work.
    #[cold]
    fn prefetch_ready(&self) {
        let r = &self.ready;
        // SAFETY: next..end is the unread part of one result array (reset).
        let entries = unsafe { std::slice::from_raw_parts(r.next, r.end.offset_from(r.next) as usize) };
        for e in entries {
            self.io.prefetch_slot(epoll::decode(e).0);
        }
        for e in entries {
            self.io.prefetch_first_event(epoll::decode(e).0);
        }
    }

    /// `run_ready`, with `MAY_LOCK` as for `run_dequeued`.
    #[inline(always)]
    unsafe fn run_ready_with<const MAY_LOCK: bool>(base: *mut EventBase) -> c_int {
        {
            // SAFETY: live, locked base (contract).
            let b = unsafe { &mut *base };
            if b.io.is_large() {
                b.prefetch_ready();
            }
            let (active, added, len) = (b.event_count_active, b.event_count, b.ready.len);
            b.ready.active_at_start = active;
            b.ready.added_at_start = added;
            // The walk runs at most one event per entry (settling notes its own peak).
            b.ready.may_raise_marks = active + len > b.event_count_active_max || added + len > b.event_count_max;
        }
        loop {
            // SAFETY: live, locked base (contract); re-derived after every callback, which may
            // have settled the list.
            let b = unsafe { &mut *base };
            let Runnable { ev, res, internal, persistent } = match b.take_ready() {
                Ready::Run(runnable) => runnable,
                Ready::Skipped => continue,
                Ready::Done => {
                    b.end_walk();
                    return b.ready.ran_user();
                }
            };
            if internal {
                b.ready.ran_internal += 1;
            }
            // SAFETY: ev is live; a one-shot event is deleted before its callback, as upstream.
            unsafe {
                (*ev).res = res;
                if !persistent {
                    b.del_nolock(ev, DelMode::NoBlock);
                }
                EventBase::run_dequeued::<MAY_LOCK>(base, as_callback(ev), || {
                    EventBase::call_event::<MAY_LOCK>(base, ev, persistent)
                });
            }
            // SAFETY: as above.
            let b = unsafe { &mut *base };
            if b.loop_requests != 0 {
                // A loopbreak or loopcontinue: upstream leaves the rest active for the next
                // iteration.
                b.settle_ready();
                b.end_walk();
                return if b.got_break() { -1 } else { b.ready.ran_user() };
            }
        }
    }
}

/// What the walk finds at the next entry of the list.
enum Ready {
    Run(Runnable),
    Skipped,
    Done,
}

/// A ready event the walk can run: its result bits and what decides how it runs.
struct Runnable {
    ev: *mut Event,
    res: c_short,
    internal: bool,
    persistent: bool,
}
