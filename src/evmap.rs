//! The event maps: for every fd, the events waiting on it and how many want read, write and
//! close; for every signal number, the events waiting for it. The fd table is a flat vector
//! indexed by fd (fds are small, dense integers), so the hot path is one bounds check.
//! The maps tell the backend only about changes of the per-fd union of interests.

use std::ffi::{c_int, c_short};

use crate::base::EventBase;
use crate::event::{Event, EV_CLOSED, EV_ET, EV_READ, EV_SIGNAL, EV_WRITE};
use crate::list::{Link, List};

/// Upstream refuses maps whose byte size would exceed INT_MAX; so do we (huge fds fail cleanly).
const MAX_MAP_BYTES: usize = i32::MAX as usize;

#[derive(Default)]
pub struct IoSlot {
    pub events: List<Event>,
    pub nread: u16,
    pub nwrite: u16,
    pub nclose: u16,
}

impl IoSlot {
    /// The union of interests registered with the backend for this fd, with EV_ET when the
    /// fd's events are edge-triggered (they all agree, see io_add).
    pub fn registered(&self) -> c_short {
        let first = self.events.first();
        // SAFETY: members of the fd list are live events.
        let mut old = if first.is_null() { 0 } else { unsafe { (*first).events & EV_ET } };
        if self.nread > 0 {
            old |= EV_READ;
        }
        if self.nwrite > 0 {
            old |= EV_WRITE;
        }
        if self.nclose > 0 {
            old |= EV_CLOSED;
        }
        old
    }
}

#[derive(Default)]
pub struct IoMap {
    pub slots: Vec<IoSlot>,
}

/// What waits on an fd, for the loop's walk of the backend's ready list.
pub enum FdEvents {
    None,
    One(*mut Event),
    Several,
}

impl IoMap {
    /// The slot of `fd`, if the table reaches it.
    #[inline(always)]
    fn slot(&self, fd: c_int) -> Option<&IoSlot> {
        // Through u32, a negative fd lands out of range as well, and the index needs no sign
        // extension (this runs for every ready fd).
        self.slots.get(fd as u32 as usize)
    }

    pub fn events_on(&self, fd: c_int) -> FdEvents {
        let Some(slot) = self.slot(fd) else { return FdEvents::None };
        let first = slot.events.first();
        if first.is_null() {
            FdEvents::None
        // SAFETY: members of the fd list are live events.
        } else if unsafe { List::next(first, fd_link) }.is_null() {
            FdEvents::One(first)
        } else {
            FdEvents::Several
        }
    }

    /// Is the table big enough that `events_on` mostly misses the cache? (Then the loop
    /// prefetches what it will look up, see base/ready.rs.) 4096 slots are 96 KiB, beyond
    /// what stays cached next to the kernel's socket buffers.
    pub fn is_large(&self) -> bool {
        self.slots.len() > 4096
    }

    /// Starts loading the slot `events_on(fd)` reads.
    #[inline]
    pub fn prefetch_slot(&self, fd: c_int) {
        if let Some(slot) = self.slot(fd) {
            prefetch((slot as *const IoSlot).cast());
        }
    }

    /// Starts loading what the loop reads of the first event on `fd`: the fields from its
    /// callback part to its result, which may span three cache lines.
    #[inline]
    pub fn prefetch_first_event(&self, fd: c_int) {
        let Some(slot) = self.slot(fd) else { return };
        let first = slot.events.first().cast::<u8>().cast_const();
        if !first.is_null() {
            let (from, to) = (std::mem::offset_of!(Event, cb), std::mem::offset_of!(Event, res));
            prefetch(first.wrapping_add(from));
            prefetch(first.wrapping_add((from + to) / 2));
            prefetch(first.wrapping_add(to));
        }
    }
}

/// Asks the CPU to start loading the cache line holding `p`: a hint, which never faults.
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program can see and cannot fault, whatever `p` is.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[derive(Default)]
pub struct SignalMap {
    pub slots: Vec<List<Event>>,
}

/// Link accessor for the per-fd lists.
unsafe fn fd_link(ev: *mut Event) -> *mut Link<Event> {
    // SAFETY: ev is a live event (list contract); io is the active union member for io events.
    unsafe { &raw mut (*ev).u.io.fd_link }
}

/// Link accessor for the per-signal lists.
unsafe fn sig_link(ev: *mut Event) -> *mut Link<Event> {
    // SAFETY: ev is a live signal event; sig is the active union member for signal events.
    unsafe { &raw mut (*ev).u.sig.sig_link }
}

/// Grows a table so that `index` is valid, doubling like upstream; false if too large.
fn make_space<T: Default>(v: &mut Vec<T>, index: usize) -> bool {
    if index < v.len() {
        return true;
    }
    let mut n = v.len().max(32);
    while n <= index {
        n = match n.checked_mul(2) {
            Some(n) => n,
            None => return false,
        };
    }
    if n.saturating_mul(std::mem::size_of::<T>().max(8)) > MAX_MAP_BYTES {
        return false;
    }
    if v.try_reserve_exact(n - v.len()).is_err() {
        return false;
    }
    v.resize_with(n, T::default);
    true
}

/// Adds an io event to its fd. Returns 1 if the backend was changed, 0 if not, -1 on error.
///
/// # Safety
/// `ev` must be a live, assigned io event of this base that is not yet in the map.
pub unsafe fn io_add(base: &mut EventBase, ev: *mut Event) -> c_int {
    // SAFETY: ev is live (contract).
    let (fd, events) = unsafe { ((*ev).fd, (*ev).events) };
    if fd < 0 {
        return 0;
    }
    if !make_space(&mut base.io.slots, fd as usize) {
        return -1;
    }
    let slot = &base.io.slots[fd as usize];
    let old = slot.registered();
    let (mut nread, mut nwrite, mut nclose) = (slot.nread as u32, slot.nwrite as u32, slot.nclose as u32);
    let mut added: c_short = 0;
    if events & EV_READ != 0 {
        nread += 1;
        if nread == 1 {
            added |= EV_READ;
        }
    }
    if events & EV_WRITE != 0 {
        nwrite += 1;
        if nwrite == 1 {
            added |= EV_WRITE;
        }
    }
    if events & EV_CLOSED != 0 {
        nclose += 1;
        if nclose == 1 {
            added |= EV_CLOSED;
        }
    }
    if nread > 0xffff || nwrite > 0xffff || nclose > 0xffff {
        warnx!("Too many events reading or writing on fd {}", fd);
        return -1;
    }
    if crate::debug::is_on() {
        let first = slot.events.first();
        // SAFETY: members of the fd list are live events.
        if !first.is_null() && unsafe { (*first).events } & EV_ET != events & EV_ET {
            warnx!("Tried to mix edge-triggered and non-edge-triggered events on fd {}", fd);
            return -1;
        }
    }
    let mut result = 0;
    if added != 0 {
        if base.backend_add(fd, old, (events & EV_ET) | added) == -1 {
            return -1;
        }
        result = 1;
    }
    let slot = &mut base.io.slots[fd as usize];
    slot.nread = nread as u16;
    slot.nwrite = nwrite as u16;
    slot.nclose = nclose as u16;
    // SAFETY: ev is live and not on any fd list (contract). Newest first, as upstream.
    unsafe { slot.events.push_front(ev, fd_link) };
    result
}

/// Removes an io event from its fd. Returns 1 if the backend was changed, 0 if not, -1 on error.
///
/// # Safety
/// `ev` must be a live io event currently in this base's map.
pub unsafe fn io_del(base: &mut EventBase, ev: *mut Event) -> c_int {
    // SAFETY: ev is live (contract).
    let (fd, events) = unsafe { ((*ev).fd, (*ev).events) };
    if fd < 0 {
        return 0;
    }
    let Some(slot) = base.io.slots.get_mut(fd as usize) else { return -1 };
    let old = slot.registered();
    let mut removed: c_short = 0;
    if events & EV_READ != 0 {
        slot.nread -= 1;
        if slot.nread == 0 {
            removed |= EV_READ;
        }
    }
    if events & EV_WRITE != 0 {
        slot.nwrite -= 1;
        if slot.nwrite == 0 {
            removed |= EV_WRITE;
        }
    }
    if events & EV_CLOSED != 0 {
        slot.nclose -= 1;
        if slot.nclose == 0 {
            removed |= EV_CLOSED;
        }
    }
    // SAFETY: ev is on this fd's list (contract).
    unsafe { slot.events.remove(ev, fd_link) };
    if removed == 0 {
        return 0;
    }
    if base.backend_del(fd, old, (events & EV_ET) | removed) == -1 {
        -1
    } else {
        1
    }
}

/// Activates the events on `fd` that wait for any of `events`. `IN_DISPATCH`: called by the
/// backend during dispatch (the lean activation path, see `EventBase::activate_ready`).
/// Inlined into the backends' dispatch loops: it runs once per ready fd.
#[inline(always)]
pub fn io_active<const IN_DISPATCH: bool>(base: &mut EventBase, fd: c_int, events: c_short) {
    let Some(slot) = base.io.slot(fd) else { return };
    let mut ev = slot.events.first();
    while !ev.is_null() {
        // SAFETY: members of the fd list are live events. Activation does not unlink from the
        // fd list, so `next` stays valid.
        let (evs, next) = unsafe { ((*ev).events, List::next(ev, fd_link)) };
        if evs & (events & !EV_ET) != 0 {
            // SAFETY: ev is a live io event of this base.
            unsafe {
                if IN_DISPATCH {
                    base.activate_ready(ev, evs & events);
                } else {
                    base.active_nolock(ev, evs & events, 1);
                }
            }
        }
        ev = next;
    }
}

/// Adds a signal event. Returns 1 on success (the loop may need waking), -1 on error.
///
/// # Safety
/// `ev` must be a live, assigned signal event of this base not yet in the map.
pub unsafe fn signal_add(base: &mut EventBase, ev: *mut Event) -> c_int {
    // SAFETY: ev is live (contract).
    let sig = unsafe { (*ev).fd };
    if !(0..crate::signal::NSIG).contains(&sig) {
        return -1;
    }
    if !make_space(&mut base.sigmap.slots, sig as usize) {
        return -1;
    }
    if base.sigmap.slots[sig as usize].is_empty() && crate::signal::add(base, sig) == -1 {
        return -1;
    }
    // SAFETY: ev is live and not on any signal list (contract).
    unsafe { base.sigmap.slots[sig as usize].push_front(ev, sig_link) };
    1
}

/// Removes a signal event. Returns 1 on success, -1 on error.
///
/// # Safety
/// `ev` must be a live signal event currently in this base's map.
pub unsafe fn signal_del(base: &mut EventBase, ev: *mut Event) -> c_int {
    // SAFETY: ev is live (contract).
    let sig = unsafe { (*ev).fd };
    let Some(list) = base.sigmap.slots.get_mut(sig as usize) else { return -1 };
    // SAFETY: ev is on this signal's list (contract).
    unsafe { list.remove(ev, sig_link) };
    if list.is_empty() && crate::signal::del(base, sig) == -1 {
        return -1;
    }
    1
}

/// Activates every event waiting for `sig`, owed `ncalls` runs each.
pub fn signal_active(base: &mut EventBase, sig: c_int, ncalls: c_short) {
    let Some(list) = base.sigmap.slots.get(sig as usize) else { return };
    let mut ev = list.first();
    while !ev.is_null() {
        // SAFETY: members of the signal list are live events.
        let next = unsafe { List::next(ev, sig_link) };
        // SAFETY: ev is a live event of this base.
        unsafe { base.active_nolock(ev, EV_SIGNAL, ncalls) };
        ev = next;
    }
}

/// Every event in the maps (io first, then signals), for walks that may unlink them.
pub fn all_events(base: &EventBase) -> Vec<*mut Event> {
    let mut out = Vec::new();
    for slot in &base.io.slots {
        // SAFETY: the fd lists are consistent.
        out.extend(unsafe { slot.events.to_vec(fd_link) });
    }
    for list in &base.sigmap.slots {
        // SAFETY: the signal lists are consistent.
        out.extend(unsafe { list.to_vec(sig_link) });
    }
    out
}

/// Tells a fresh backend (after `event_reinit`) about every fd interest again.
pub fn reinit(base: &mut EventBase) -> c_int {
    let mut result = 0;
    for fd in 0..base.io.slots.len() {
        let wanted = base.io.slots[fd].registered();
        if wanted & !EV_ET == 0 {
            continue;
        }
        if base.backend_add(fd as c_int, 0, wanted) == -1 {
            result = -1;
        }
    }
    for sig in 0..base.sigmap.slots.len() {
        if !base.sigmap.slots[sig].is_empty() && crate::signal::add(base, sig as c_int) == -1 {
            result = -1;
        }
    }
    result
}

/// Number of signal numbers with events, and whether any io slot is in use (for assertions).
pub fn check_integrity(base: &EventBase) -> bool {
    base.io.slots.iter().enumerate().all(|(fd, slot)| {
        // SAFETY: the fd lists are consistent.
        let evs = unsafe { slot.events.to_vec(fd_link) };
        let count = |bit| {
            // SAFETY: members of the fd list are live events.
            evs.iter().filter(|&&e| unsafe { (*e).events } & bit != 0).count()
        };
        // SAFETY: as above.
        evs.iter().all(|&e| unsafe { (*e).fd } == fd as c_int)
            && count(EV_READ) == slot.nread as usize
            && count(EV_WRITE) == slot.nwrite as usize
            && count(EV_CLOSED) == slot.nclose as usize
    })
}
