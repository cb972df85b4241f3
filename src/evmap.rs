//! The event maps: for every fd, the events waiting on it and how many want read, write and
//! close; for every signal number, the events waiting for it. The fd table is a flat vector
//! indexed by fd (fds are small, dense integers), so the hot path is one bounds check.
//! The maps tell the backend only about changes of the per-fd union of interests.
//!
//! The fd table grows with the highest fd and shrinks again once the high fds are gone (a
//! burst of connections would otherwise leave it sized for the burst, 24 bytes per fd): when
//! no slot in its upper three quarters has events any more it halves, as often as that stays
//! true, and the backend is told so that its own per-fd arrays follow. Since it only halves
//! when every fd in use is below a quarter of its length, what remains is at least twice what
//! the fds in use need, so a table does not shrink and grow back on the same fds; and it
//! waits for an eighth of its length of slots emptied in its upper part after each change of
//! size, so that even an fd moving back and forth across the boundary resizes it only that
//! rarely. The bookkeeping runs only when a slot gains its first event or loses its last one,
//! and is a single comparison for a slot in the lower quarter.

use std::ffi::{c_int, c_short};

use crate::base::EventBase;
use crate::event::{Event, EV_CLOSED, EV_ET, EV_READ, EV_SIGNAL, EV_WRITE};
use crate::list::{Link, List};

/// Upstream refuses maps whose byte size would exceed INT_MAX; so do we (huge fds fail cleanly).
const MAX_MAP_BYTES: usize = i32::MAX as usize;

/// The fd table does not shrink below this many slots (1.5 KiB): what a process with a few
/// fds uses anyway.
const MIN_IO_SLOTS: usize = 64;

#[derive(Default)]
pub struct IoSlot {
    pub events: List<Event>,
    pub nread: u16,
    pub nwrite: u16,
    pub nclose: u16,
    /// The library closed the fd while these events were still on it (evhttp closes its
    /// socket before the bufferevent's events go): nothing is registered with the backend any
    /// more (see io_fd_closed).
    closed: bool,
}

impl IoSlot {
    /// The union of interests registered with the backend for this fd, with EV_ET when the
    /// fd's events are edge-triggered (they all agree, see io_add).
    pub fn registered(&self) -> c_short {
        if self.closed {
            return 0;
        }
        self.interests()
    }

    /// The union of what the fd's events want, with EV_ET as in `registered`.
    fn interests(&self) -> c_short {
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
    slots: Vec<IoSlot>,
    /// Slots with events at index len/4 or above: none means the table can halve.
    upper_in_use: usize,
    /// Of those, how many were emptied since the table last changed size: shrinking waits for
    /// len/8 of them.
    upper_emptied: usize,
}

/// What waits on an fd, for the loop's walk of the backend's ready list.
pub enum FdEvents {
    None,
    One(*mut Event),
    Several,
}

impl IoMap {
    /// Makes the table reach `fd`; false if it would be too large.
    fn reserve(&mut self, fd: usize) -> bool {
        if fd < self.slots.len() {
            return true;
        }
        if !make_space(&mut self.slots, fd) {
            return false;
        }
        self.resized();
        true
    }

    /// Recounts the upper slots in use after a change of the table's length.
    fn resized(&mut self) {
        let len = self.slots.len();
        self.upper_in_use = self.slots[len / 4..].iter().filter(|s| !s.events.is_empty()).count();
        self.upper_emptied = 0;
    }

    /// `fd`'s slot got its first event.
    #[inline]
    fn slot_filled(&mut self, fd: usize) {
        if fd >= self.slots.len() / 4 {
            self.upper_in_use += 1;
        }
    }

    /// `fd`'s slot lost its last event. Returns whether the table should shrink now.
    #[inline]
    fn slot_emptied(&mut self, fd: usize) -> bool {
        let len = self.slots.len();
        if fd < len / 4 {
            return false;
        }
        self.upper_in_use -= 1;
        self.upper_emptied += 1;
        self.upper_in_use == 0 && self.upper_emptied >= len / 8 && len > MIN_IO_SLOTS
    }

    /// Halves the table while no fd in its upper three quarters has events (so the part cut
    /// off is empty), then gives the memory back; returns the new length. Every fd with
    /// events is then below half of it.
    fn shrink(&mut self) -> usize {
        while self.upper_in_use == 0 && self.slots.len() > MIN_IO_SLOTS {
            self.slots.truncate(self.slots.len() / 2);
            self.resized();
        }
        self.slots.shrink_to_fit();
        self.slots.len()
    }

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
    if !base.io.reserve(fd as usize) {
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
    if slot.closed {
        // The number names a new file, registered nowhere: the backend gets everything the
        // fd's events want, the closed file's events included, so that it and the map agree
        // again (those events are stale; deleting them is their owner's business).
        added = (slot.interests() | events) & (EV_READ | EV_WRITE | EV_CLOSED);
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
    slot.closed = false;
    let was_empty = slot.events.is_empty();
    // SAFETY: ev is live and not on any fd list (contract). Newest first, as upstream.
    unsafe { slot.events.push_front(ev, fd_link) };
    if was_empty {
        base.io.slot_filled(fd as usize);
    }
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
    if slot.events.is_empty() {
        slot.closed = false;
        if base.io.slot_emptied(fd as usize) {
            shrink_io(base);
        }
    }
    if removed == 0 {
        return 0;
    }
    // The backend still takes the change for this fd: it trims its own arrays only at its next
    // dispatch (Backend::fds_shrunk).
    if base.backend_del(fd, old, (events & EV_ET) | removed) == -1 {
        -1
    } else {
        1
    }
}

/// The library closed `fd` (and will delete the events still on it): the backend forgets the
/// fd without a system call (`Backend::fd_closed`), and the events' deletion reaches it as a
/// change from nothing, so that the epoll_ctl DEL that would fail with EBADF on the closed
/// number is not made. An fd without events has nothing to forget.
pub fn io_fd_closed(base: &mut EventBase, fd: c_int) {
    let Some(slot) = base.io.slots.get_mut(fd as usize) else { return };
    if slot.events.is_empty() || slot.closed {
        return;
    }
    let registered = slot.registered();
    slot.closed = true;
    crate::backend::fd_closed(base, fd, registered);
}

/// Shrinks the fd table (see the module's text) and tells the backend.
#[cold]
fn shrink_io(base: &mut EventBase) {
    let len = base.io.shrink();
    crate::backend::fds_shrunk(base, len);
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

/// Whether every fd list matches its counters and the table's count of upper slots in use is
/// right (for assertions).
pub fn check_integrity(base: &EventBase) -> bool {
    let len = base.io.slots.len();
    let upper = base.io.slots[len / 4..].iter().filter(|s| !s.events.is_empty()).count();
    upper == base.io.upper_in_use && base.io.slots.iter().enumerate().all(|(fd, slot)| {
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

#[cfg(test)]
mod tests {
    //! The fd table's shrinking, through the C entry points, on every backend: what it keeps,
    //! that events keep working across a shrink, and that it does not thrash.
    use std::ffi::{c_void, CStr};

    use super::*;
    use crate::base::{EVLOOP_NONBLOCK, EVLOOP_ONCE};
    use crate::ffi::event::*;

    /// The configurations to try: each backend alone, and epoll with its changelist.
    const BACKENDS: [(&CStr, bool); 4] = [(c"epoll", false), (c"epoll", true), (c"poll", false), (c"select", false)];

    fn new_base(method: &CStr, changelist: bool) -> *mut EventBase {
        let cfg = event_config_new();
        // SAFETY: a fresh config and static method names.
        unsafe {
            for other in [c"epoll", c"poll", c"select"] {
                if other != method {
                    assert_eq!(event_config_avoid_method(cfg, other.as_ptr()), 0);
                }
            }
            if changelist {
                assert_eq!(event_config_set_flag(cfg, crate::config::EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), 0);
            }
            let base = event_base_new_with_config(cfg);
            event_config_free(cfg);
            assert!(!base.is_null(), "no {method:?} base");
            base
        }
    }

    /// A pipe whose read end is also duplicated onto `count` fds from `from` up.
    struct Fds {
        read: c_int,
        write: c_int,
        dups: Vec<c_int>,
    }

    impl Fds {
        fn new(from: c_int, count: usize) -> Fds {
            let (read, write) = pipe();
            let dups = (0..count)
                .map(|_| {
                    // SAFETY: duplicating an open fd.
                    let fd = unsafe { libc::fcntl(read, libc::F_DUPFD, from) };
                    assert!(fd >= from, "F_DUPFD: {}", std::io::Error::last_os_error());
                    fd
                })
                .collect();
            Fds { read, write, dups }
        }
    }

    impl Drop for Fds {
        fn drop(&mut self) {
            for &fd in self.dups.iter().chain([&self.read, &self.write]) {
                // SAFETY: closing fds this struct opened.
                unsafe { libc::close(fd) };
            }
        }
    }

    unsafe extern "C" fn count_call(_fd: c_int, _what: c_short, arg: *mut c_void) {
        // SAFETY: arg is the test's counter.
        unsafe { *arg.cast::<u32>() += 1 };
    }

    fn table_len(base: *mut EventBase) -> usize {
        // SAFETY: a live base, not in its loop.
        unsafe { (*base).io.slots.len() }
    }

    fn integrity(base: *mut EventBase) -> bool {
        // SAFETY: as above.
        check_integrity(unsafe { &*base })
    }

    /// Read events on every fd of `fds` (the pipe's write end gets none), each counting its
    /// runs in its own entry of `calls`.
    fn read_events(base: *mut EventBase, fds: &[c_int], calls: &mut Vec<u32>) -> Vec<*mut Event> {
        calls.clear();
        calls.resize(fds.len(), 0);
        fds.iter()
            .zip(calls.iter_mut())
            .map(|(&fd, count)| {
                let arg = (count as *mut u32).cast::<c_void>();
                // SAFETY: a live base, an open fd, a callback whose argument outlives the event
                // (the vector is not resized while they live).
                let ev = unsafe { event_new(base, fd, EV_READ | crate::event::EV_PERSIST, Some(count_call), arg) };
                assert!(!ev.is_null());
                ev
            })
            .collect()
    }

    /// With a byte in the pipe every fd of it is readable: runs the loop until each event
    /// counted in `calls` has run (a backend may report them over several turns), at most
    /// 100 turns. Returns whether they all ran.
    fn all_run(base: *mut EventBase, fds: &Fds, calls: &mut [u32]) -> bool {
        calls.fill(0);
        // SAFETY: writing one byte into our pipe and reading it back; a live base.
        unsafe {
            assert_eq!(libc::write(fds.write, b"x".as_ptr().cast(), 1), 1);
            for _ in 0..100 {
                if calls.iter().all(|&c| c > 0) {
                    break;
                }
                assert_eq!(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
            }
            let mut byte = 0u8;
            assert_eq!(libc::read(fds.read, (&mut byte as *mut u8).cast(), 1), 1);
        }
        calls.iter().all(|&c| c > 0)
    }

    #[test]
    fn the_fd_table_shrinks_after_the_high_fds_go_and_events_still_run() {
        for (method, changelist) in BACKENDS {
            let base = new_base(method, changelist);
            // 300 fds from 600 up: a table of 1024 slots.
            let fds = Fds::new(600, 300);
            let (mut high_calls, mut low_calls) = (Vec::new(), Vec::new());
            let high = read_events(base, &fds.dups, &mut high_calls);
            let low = read_events(base, &[fds.read], &mut low_calls);
            // SAFETY: live events of a live base.
            unsafe {
                for &ev in high.iter().chain(&low) {
                    assert_eq!(event_add(ev, std::ptr::null()), 0);
                }
                assert_eq!(table_len(base), 1024);
                assert!(all_run(base, &fds, &mut high_calls), "{method:?}");
                for &ev in &high {
                    assert_eq!(event_del(ev), 0);
                }
                assert!(integrity(base));
                // Only the pipe's low read end is left: back to the smallest table.
                assert_eq!(table_len(base), MIN_IO_SLOTS, "{method:?}");
                high_calls.fill(0);
                assert!(all_run(base, &fds, &mut low_calls), "{method:?} after the shrink");
                assert!(high_calls.iter().all(|&c| c == 0), "{method:?}: deleted events ran");
                // The high fds can come back: the table grows again, and they run.
                for &ev in &high {
                    assert_eq!(event_add(ev, std::ptr::null()), 0);
                }
                assert_eq!(table_len(base), 1024);
                assert!(integrity(base));
                assert!(all_run(base, &fds, &mut high_calls), "{method:?} after growing back");
                for &ev in high.iter().chain(&low) {
                    event_free(ev);
                }
                event_base_free(base);
            }
        }
    }

    #[test]
    fn the_fd_table_keeps_its_size_while_a_high_fd_is_in_use() {
        let base = new_base(c"epoll", false);
        let fds = Fds::new(600, 300);
        let mut calls = Vec::new();
        let high = read_events(base, &fds.dups, &mut calls);
        // SAFETY: live events of a live base.
        unsafe {
            for &ev in &high {
                assert_eq!(event_add(ev, std::ptr::null()), 0);
            }
            // All but the highest go: still a table that reaches it.
            for &ev in &high[..high.len() - 1] {
                assert_eq!(event_del(ev), 0);
            }
            assert_eq!(table_len(base), 1024);
            assert!(integrity(base));
            for &ev in &high {
                event_free(ev);
            }
            event_base_free(base);
        }
    }

    #[test]
    fn an_fd_going_back_and_forth_does_not_resize_the_table_each_time() {
        let base = new_base(c"epoll", false);
        let fds = Fds::new(900, 1);
        let mut calls = Vec::new();
        let evs = read_events(base, &[fds.read, fds.dups[0]], &mut calls);
        let mut resizes = 0;
        // SAFETY: live events of a live base.
        unsafe {
            assert_eq!(event_add(evs[0], std::ptr::null()), 0);
            let mut len = table_len(base);
            // A one-shot pattern on the high fd: added and deleted over and over.
            for _ in 0..1000 {
                assert_eq!(event_add(evs[1], std::ptr::null()), 0);
                resizes += (table_len(base) != len) as u32;
                len = table_len(base);
                assert_eq!(event_del(evs[1]), 0);
                resizes += (table_len(base) != len) as u32;
                len = table_len(base);
            }
            assert!(integrity(base));
            for &ev in &evs {
                event_free(ev);
            }
            event_base_free(base);
        }
        // Once per 1024 / 8 deletions at most, each a shrink and a growth.
        assert!(resizes <= 2 * (1000 / 128 + 1), "{resizes} resizes");
        assert!(resizes >= 2, "the table never shrank");
    }

    /// A pipe: (read end, write end).
    fn pipe() -> (c_int, c_int) {
        let mut p = [0; 2];
        // SAFETY: p has room for the two fds.
        assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
        (p[0], p[1])
    }

    #[test]
    fn a_closed_fd_is_forgotten_and_its_number_works_again() {
        for (method, changelist) in BACKENDS {
            let base = new_base(method, changelist);
            let (mut stale_calls, mut fresh_calls) = (0u32, 0u32);
            let (number, old_writer) = pipe();
            let (new_reader, writer) = pipe();
            let persist_read = EV_READ | crate::event::EV_PERSIST;
            // SAFETY: a live base and events; the fds are the test's own, each closed once
            // (dup2 closes the old file on `number` and reuses the number at once, so that no
            // other test's fd can take it meanwhile).
            unsafe {
                let stale = event_new(base, number, persist_read, Some(count_call), (&raw mut stale_calls).cast());
                let fresh = event_new(base, number, persist_read, Some(count_call), (&raw mut fresh_calls).cast());
                assert_eq!(event_add(stale, std::ptr::null()), 0);
                // What evhttp does: forget the fd with the base locked, close it; the events
                // still on it go later. Here the number names a new file before they go.
                {
                    let mut b = Locked::new(base);
                    io_fd_closed(&mut b, number);
                    assert_eq!(b.io.slots[number as usize].registered(), 0);
                    assert_eq!(libc::dup2(new_reader, number), number);
                }
                libc::close(new_reader);
                libc::close(old_writer);
                // The new file's event must reach the backend although the slot already wants
                // reading.
                assert_eq!(event_add(fresh, std::ptr::null()), 0);
                assert_eq!(libc::write(writer, b"x".as_ptr().cast(), 1), 1);
                assert_eq!(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
                assert_eq!(fresh_calls, 1, "{method:?} changelist {changelist}");
                assert_eq!(event_del(stale), 0);
                assert_eq!(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
                assert_eq!(fresh_calls, 2, "{method:?} changelist {changelist}");
                // The last event deleted takes the fd out of the backend.
                assert_eq!(event_del(fresh), 0);
                // (1: no events left to wait for.)
                assert_eq!(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
                assert_eq!(fresh_calls, 2);
                assert!(integrity(base));
                // Forgotten and closed with its event on it, the fd has nothing left to undo:
                // the deletion afterwards succeeds and the map is consistent.
                assert_eq!(event_add(fresh, std::ptr::null()), 0);
                {
                    let mut b = Locked::new(base);
                    io_fd_closed(&mut b, number);
                    libc::close(number);
                }
                assert_eq!(event_del(fresh), 0);
                assert!(integrity(base));
                let slot = &(&(*base).io.slots)[number as usize];
                assert!(slot.events.is_empty() && !slot.closed);
                event_free(fresh);
                event_free(stale);
                libc::close(writer);
                event_base_free(base);
            }
        }
    }
}
