//! Time on a base: the monotonic clock with its wall-clock offset and the loop's time cache,
//! timeouts on the min-heap, and common timeouts (queues of events sharing one duration, each
//! driven by one internal timer event on the heap).

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use libc::timeval;

use super::{DelMode, EventBase};
use crate::event::*;
use crate::list::{Link, List};
use crate::config;
use crate::time;

/// What the loop's time cache (`EventBase::tv_cache`) holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum TimeCache {
    /// Nothing: readers use the clock.
    Empty,
    /// Nothing yet, but the first reader's time is to be kept for the rest of the loop
    /// iteration (see `refresh_time_cache_lazily`).
    Due,
    /// The time readers get until the cache is cleared.
    Filled,
}

// Common timeouts: the tv_usec of a duration handed out by event_base_init_common_timeout
// carries a magic tag and the queue index above the microseconds.
pub(super) const MICROSECONDS_MASK: libc::suseconds_t = 0x000f_ffff;
const COMMON_TIMEOUT_IDX_MASK: libc::suseconds_t = 0x0ff0_0000;
const COMMON_TIMEOUT_IDX_SHIFT: u32 = 20;
const COMMON_TIMEOUT_MASK: libc::suseconds_t = 0xf000_0000;
const COMMON_TIMEOUT_MAGIC: libc::suseconds_t = 0x5000_0000;
const MAX_COMMON_TIMEOUTS: usize = 256;

/// How often the wall-clock offset of the monotonic clock is re-measured (seconds).
const CLOCK_SYNC_INTERVAL: libc::time_t = 5;

/// A queue of common-timeout events of one duration, driven by one internal timer event.
pub struct CommonTimeout {
    pub(super) events: List<Event>,
    /// The duration, tagged (what event_base_init_common_timeout returns).
    pub duration: timeval,
    pub(super) timeout_event: Event,
    base: *mut EventBase,
}

/// Link accessor for the common-timeout queues.
pub(super) unsafe fn common_link(ev: *mut Event) -> *mut Link<Event> {
    // SAFETY: ev is a live event; common_next is the active member while queued.
    unsafe { &raw mut (*ev).timeout_pos.common_next }
}

pub(super) fn masked(tv: &timeval) -> timeval {
    timeval { tv_sec: tv.tv_sec, tv_usec: tv.tv_usec & MICROSECONDS_MASK }
}

impl EventBase {
    // ---- the time cache --------------------------------------------------------------------

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

    pub(super) fn clear_time_cache(&mut self) {
        self.tv_cache_state = TimeCache::Empty;
    }

    pub(super) fn update_time_cache(&mut self) {
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
    pub(super) fn refresh_time_cache_lazily(&mut self) {
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
    pub(super) fn expiry_to_wall(&self, ev_timeout: &timeval) -> timeval {
        time::add(&self.tv_clock_diff, &masked(ev_timeout))
    }

    // ---- timeouts --------------------------------------------------------------------------

    pub(super) fn common_timeout_index(&self, tv: &timeval) -> Option<usize> {
        if tv.tv_usec & COMMON_TIMEOUT_MASK != COMMON_TIMEOUT_MAGIC {
            return None;
        }
        let idx = ((tv.tv_usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as usize;
        (idx < self.common_timeouts.len()).then_some(idx)
    }

    pub(super) unsafe fn queue_insert_timeout(&mut self, ev: *mut Event) {
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

    pub(super) unsafe fn queue_remove_timeout(&mut self, ev: *mut Event) {
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

    /// Time until the earliest timeout (None: no timeouts).
    pub(super) fn timeout_next(&mut self) -> Option<timeval> {
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
    pub(super) fn timeout_process(&mut self) {
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

    /// Schedules a persistent event's next timeout, one period after this one.
    pub(super) unsafe fn rearm_persistent(&mut self, ev: *mut Event) {
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

    /// Every event with a pending timeout (on the heap or a common-timeout queue).
    pub fn timeout_events(&self) -> Vec<*mut Event> {
        let mut out: Vec<*mut Event> = self.timeheap.iter().collect();
        for ctl in &self.common_timeouts {
            // SAFETY: common-queue members are live.
            out.extend(unsafe { ctl.events.to_vec(common_link) });
        }
        out
    }

    // ---- common timeouts -------------------------------------------------------------------

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

    pub(super) unsafe fn common_timeout_schedule(&mut self, ctl: *mut CommonTimeout, head: *mut Event) {
        // SAFETY: ctl and head are live (contract).
        unsafe {
            let at = masked(&(*head).timeout);
            self.add_nolock(&mut (*ctl).timeout_event, Some(&at), true);
        }
    }
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
