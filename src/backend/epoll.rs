//! epoll(7) backend, with upstream's two options: a changelist (kernel updates are batched
//! and applied once per loop iteration, so an add/del pair in one iteration costs nothing) and
//! a timerfd for sub-millisecond timeouts when the base asked for precise timers.

use std::ffi::{c_int, c_short, CStr};

use libc::{epoll_event, timeval};

use super::{timeout_ms, wait_unlocked, Backend, EV_FEATURE_EARLY_CLOSE, EV_FEATURE_ET, EV_FEATURE_O1};
use crate::base::EventBase;
use crate::event::{EV_CLOSED, EV_ET, EV_READ, EV_WRITE};

/// Longer epoll timeouts misbehave on old kernels; upstream caps them the same way.
const MAX_TIMEOUT_MS: i64 = 35 * 60 * 1000;
const INITIAL_NEVENT: usize = 32;
const MAX_NEVENT: usize = 4096;

/// A pending change for one fd: what the kernel has now and what we want it to have.
#[derive(Clone, Copy)]
struct Change {
    fd: c_int,
    registered: c_short,
    wanted: c_short,
    /// Every event of the fd was deleted at some point since the last flush. The program may
    /// have closed the fd then and opened another with the same number, whose registration the
    /// kernel dropped with the old file: wanting the same events again must still reach the
    /// kernel (as upstream's changelist turns a delete and an add into an add).
    emptied: bool,
}

pub struct Epoll {
    epfd: c_int,
    events: Vec<epoll_event>,
    /// Does the base run with the changelist? Then `changes` holds the pending changes and
    /// `change_index`, per fd, the index of its change (or -1).
    use_changelist: bool,
    changes: Vec<Change>,
    change_index: Vec<i32>,
    /// -1 unless precise timers are on.
    timerfd: c_int,
    /// The last wait filled `events`: grow it before the next one (not earlier, the base may
    /// still be reading it, see base/ready.rs).
    filled: bool,
    /// The base's fd table shrank to this many slots (0: it did not) since the last wait:
    /// `events` and the changelist's arrays shrink before the next one (for `events` as
    /// above; for the others because pending changes may still use them).
    shrunk_to: usize,
}

/// What the timerfd is registered with instead of its fd: it decodes to fd -1, which has no
/// events, since the timerfd only ends the wait.
const TIMERFD_TOKEN: u64 = u32::MAX as u64;

/// An epoll result entry as an fd and libevent's event bits (0: nothing to run).
#[inline(always)]
pub fn decode(e: &epoll_event) -> (c_int, c_short) {
    let fd = e.u64 as c_int;
    let what = e.events;
    if what == libc::EPOLLIN as u32 {
        return (fd, EV_READ | EV_ET);
    }
    let hup_without_rdhup = what & libc::EPOLLHUP as u32 != 0 && what & libc::EPOLLRDHUP as u32 == 0;
    let ev = if what & libc::EPOLLERR as u32 != 0 || hup_without_rdhup {
        EV_READ | EV_WRITE
    } else {
        let mut ev = 0;
        if what & libc::EPOLLIN as u32 != 0 {
            ev |= EV_READ;
        }
        if what & libc::EPOLLOUT as u32 != 0 {
            ev |= EV_WRITE;
        }
        if what & libc::EPOLLRDHUP as u32 != 0 {
            ev |= EV_CLOSED;
        }
        ev
    };
    // EV_ET rides along so that edge-triggered events see it in their result, as upstream.
    (fd, if ev != 0 { ev | EV_ET } else { 0 })
}

fn epoll_mask(events: c_short) -> u32 {
    let mut m = 0u32;
    if events & EV_READ != 0 {
        m |= libc::EPOLLIN as u32;
    }
    if events & EV_WRITE != 0 {
        m |= libc::EPOLLOUT as u32;
    }
    if events & EV_CLOSED != 0 {
        m |= libc::EPOLLRDHUP as u32;
    }
    if events & EV_ET != 0 {
        m |= libc::EPOLLET as u32;
    }
    m
}

const IO_BITS: c_short = EV_READ | EV_WRITE | EV_CLOSED;

impl Epoll {
    /// Brings the kernel's registration for `fd` from `registered` to `wanted`; with
    /// `reassert`, even when they are the same (see `Change::emptied`).
    fn apply(&self, fd: c_int, registered: c_short, wanted: c_short, reassert: bool) -> c_int {
        let had = registered & IO_BITS != 0;
        let wants = wanted & IO_BITS != 0;
        if (registered == wanted && !(reassert && wants)) || (!had && !wants) {
            return 0;
        }
        let (op, mask) = match (had, wants) {
            (false, true) => (libc::EPOLL_CTL_ADD, epoll_mask(wanted)),
            (true, true) => (libc::EPOLL_CTL_MOD, epoll_mask(wanted)),
            _ => (libc::EPOLL_CTL_DEL, 0),
        };
        if self.ctl(op, fd, mask) == 0 {
            return 0;
        }
        let err = crate::mm::errno();
        // The kernel's view can differ from ours when an fd was closed and reused, or dup'd:
        // retry the other way as upstream does, and treat deleting a vanished fd as done.
        let retried = match (op, err) {
            (libc::EPOLL_CTL_MOD, libc::ENOENT) => self.ctl(libc::EPOLL_CTL_ADD, fd, mask),
            (libc::EPOLL_CTL_ADD, libc::EEXIST) => self.ctl(libc::EPOLL_CTL_MOD, fd, mask),
            (libc::EPOLL_CTL_DEL, libc::ENOENT | libc::EBADF | libc::EPERM) => 0,
            _ => -1,
        };
        if retried != 0 {
            let what = match op {
                libc::EPOLL_CTL_ADD => "ADD",
                libc::EPOLL_CTL_MOD => "MOD",
                _ => "DEL",
            };
            crate::mm::set_errno(err);
            warn_errno!("Epoll {} on fd {} failed. Old events were {}; new events are {}", what, fd, registered, wanted);
            return -1;
        }
        0
    }

    fn ctl(&self, op: c_int, fd: c_int, mask: u32) -> c_int {
        self.ctl_with_token(op, fd, mask, fd as u32 as u64)
    }

    fn ctl_with_token(&self, op: c_int, fd: c_int, mask: u32, token: u64) -> c_int {
        let mut ev = epoll_event { events: mask, u64: token };
        // SAFETY: epfd is our epoll instance; ev is a valid epoll_event.
        unsafe { libc::epoll_ctl(self.epfd, op, fd, &mut ev) }
    }

    /// Records a change in the changelist mode; returns false when not in that mode.
    fn record(&mut self, fd: c_int, old: c_short, wanted: c_short) -> bool {
        if !self.use_changelist {
            return false;
        }
        let (changes, index) = (&mut self.changes, &mut self.change_index);
        let slot = fd as usize;
        if index.len() <= slot {
            index.resize(slot + 1, -1);
        }
        let emptied = wanted & IO_BITS == 0;
        match index[slot] {
            -1 => {
                index[slot] = changes.len() as i32;
                changes.push(Change { fd, registered: old, wanted, emptied });
            }
            i => {
                let c = &mut changes[i as usize];
                c.wanted = wanted;
                c.emptied |= emptied;
            }
        }
        true
    }

    fn flush_changes(&mut self) -> c_int {
        // Empty without the changelist; checked before taking the list out, which costs more.
        if self.changes.is_empty() {
            return 0;
        }
        let mut changes = std::mem::take(&mut self.changes);
        let mut result = 0;
        for c in changes.drain(..) {
            self.change_index[c.fd as usize] = -1;
            if self.apply(c.fd, c.registered, c.wanted, c.emptied) < 0 {
                result = -1;
            }
        }
        // Handed back empty, so that its allocation serves the next iteration.
        self.changes = changes;
        result
    }

    /// Grows `events` after a wait that filled it; shrinks it and the changelist's arrays after
    /// the base's fd table shrank. Runs between waits, with the changelist flushed.
    fn resize_arrays(&mut self) {
        if self.shrunk_to != 0 {
            // Fewer than shrunk_to / 2 fds have events: no wait can report more.
            let needed = (self.shrunk_to / 2).clamp(INITIAL_NEVENT, MAX_NEVENT);
            if !self.filled && needed < self.events.len() {
                self.events.truncate(needed);
                self.events.shrink_to_fit();
            }
            // Flushed: every entry is -1, and `record` grows it again on demand; the list of
            // changes is empty, and kept its allocation for the next iteration (flush_changes),
            // which may be as large as the burst was.
            self.change_index.truncate(self.shrunk_to);
            self.change_index.shrink_to_fit();
            self.changes = Vec::new();
            self.shrunk_to = 0;
        }
        if self.filled && self.events.len() < MAX_NEVENT {
            let grown = (self.events.len() * 2).min(MAX_NEVENT);
            self.events.resize(grown, epoll_event { events: 0, u64: 0 });
        }
    }

    /// Arms the timerfd for `timeout`; returns the epoll_wait timeout to use with it.
    fn arm_timerfd(&self, timeout: Option<&timeval>) -> c_int {
        let mut spec: libc::itimerspec = zero_itimerspec();
        let wait_ms = match timeout {
            Some(tv) if crate::time::is_set(tv) => {
                spec.it_value.tv_sec = tv.tv_sec;
                spec.it_value.tv_nsec = tv.tv_usec * 1000;
                -1
            }
            Some(_) => 0,
            None => -1,
        };
        // SAFETY: timerfd is a valid timer fd; spec is a valid itimerspec.
        if unsafe { libc::timerfd_settime(self.timerfd, 0, &spec, std::ptr::null_mut()) } < 0 {
            warn_errno!("timerfd_settime");
        }
        wait_ms
    }
}

fn zero_itimerspec() -> libc::itimerspec {
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    libc::itimerspec { it_interval: zero, it_value: zero }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: closing fds this backend owns.
        unsafe {
            libc::close(self.epfd);
            if self.timerfd >= 0 {
                libc::close(self.timerfd);
            }
        }
    }
}

impl Backend for Epoll {
    const NAME: &'static CStr = c"epoll";
    const FEATURES: c_int = EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE;
    const NEED_REINIT: bool = true;

    fn init(base: &EventBase) -> Option<Self> {
        // SAFETY: plain syscall.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            if crate::mm::errno() != libc::ENOSYS {
                warn_errno!("epoll_create");
            }
            return None;
        }
        let mut ep = Epoll {
            epfd,
            events: vec![epoll_event { events: 0, u64: 0 }; INITIAL_NEVENT],
            use_changelist: base.uses_changelist(),
            changes: Vec::new(),
            change_index: Vec::new(),
            timerfd: -1,
            filled: false,
            shrunk_to: 0,
        };
        if base.wants_precise_timer() {
            // SAFETY: plain syscall.
            let tfd = unsafe {
                libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC)
            };
            if tfd >= 0 {
                ep.timerfd = tfd;
                if ep.ctl_with_token(libc::EPOLL_CTL_ADD, tfd, libc::EPOLLIN as u32, TIMERFD_TOKEN) < 0 {
                    warn_errno!("epoll_ctl(timerfd)");
                    // SAFETY: closing the fd we just created.
                    unsafe { libc::close(tfd) };
                    ep.timerfd = -1;
                }
            }
        }
        Some(ep)
    }

    fn add(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        let wanted = old | events;
        if self.record(fd, old, wanted) {
            return 0;
        }
        self.apply(fd, old, wanted, false)
    }

    fn del(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        // The fd's edge-triggered mode (in `old`) stays for the events that remain.
        let mut wanted = old & !(events & IO_BITS);
        if wanted & IO_BITS == 0 {
            wanted = 0;
        }
        if self.record(fd, old, wanted) {
            return 0;
        }
        self.apply(fd, old, wanted, false)
    }

    // Inlined into the loop (backend::dispatch): no call at all on every loop iteration.
    #[inline(always)]
    fn dispatch(&mut self, base: &mut EventBase, timeout: Option<&timeval>) -> c_int {
        if self.flush_changes() < 0 {
            return -1;
        }
        if self.filled || self.shrunk_to != 0 {
            self.resize_arrays();
        }
        let wait_ms = if self.timerfd >= 0 { self.arm_timerfd(timeout) } else { timeout_ms(timeout, MAX_TIMEOUT_MS) };
        let (epfd, buf, len) = (self.epfd, self.events.as_mut_ptr(), self.events.len() as c_int);
        // SAFETY: buf is a valid buffer of len epoll_events.
        let Some(n) = wait_unlocked(base, "epoll_wait", || unsafe { libc::epoll_wait(epfd, buf, len, wait_ms) }) else {
            return -1;
        };
        self.filled = n == self.events.len();
        let ready = &self.events[..n];
        if base.can_defer_ready() {
            // SAFETY: the array is left alone until the next dispatch, and the loop consumes or
            // settles the list before it dispatches again.
            unsafe { base.defer_ready(ready) };
            return 0;
        }
        for e in ready {
            let (fd, ev) = decode(e);
            if ev != 0 {
                base.fd_ready(fd, ev);
            }
        }
        0
    }

    fn fds_shrunk(&mut self, len: usize) {
        self.shrunk_to = len;
    }

    fn fd_closed(&mut self, fd: c_int, _registered: c_short) {
        // Without the changelist the kernel's registration went with the close. With it, a
        // change not flushed yet starts from nothing now.
        if let Some(&i) = self.change_index.get(fd as usize) {
            if i >= 0 {
                self.changes[i as usize].registered = 0;
            }
        }
    }
}

/// The table a base uses when it runs epoll with the changelist: same operations, the name
/// upstream reports for that mode.
pub static EPOLL_CHANGELIST_OPS: super::EventOp =
    super::EventOp { name: c"epoll (with changelist)".as_ptr(), ..super::ops_for::<Epoll>() };
