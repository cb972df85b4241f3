//! poll(2) backend: one pollfd per watched fd, found by an fd-indexed table.

use std::ffi::{c_int, c_short, CStr};

use libc::{pollfd, timeval};

use super::{timeout_ms, wait_unlocked, Backend, EV_FEATURE_EARLY_CLOSE, EV_FEATURE_FDS};
use crate::base::EventBase;
use crate::event::{EV_CLOSED, EV_READ, EV_WRITE};

pub struct Poll {
    fds: Vec<pollfd>,
    /// fd -> index in `fds`, or -1.
    index: Vec<i32>,
    /// Copy polled while the base lock is released, so other threads may change `fds`.
    scratch: Vec<pollfd>,
    /// The base's fd table shrank: trim the arrays before the next poll.
    shrunk: bool,
}

fn poll_mask(events: c_short) -> c_short {
    let mut m = 0;
    if events & EV_READ != 0 {
        m |= libc::POLLIN;
    }
    if events & EV_WRITE != 0 {
        m |= libc::POLLOUT;
    }
    if events & EV_CLOSED != 0 {
        m |= libc::POLLRDHUP;
    }
    m
}

impl Poll {
    fn set(&mut self, fd: c_int, wanted: c_short) -> c_int {
        let slot = fd as usize;
        if self.index.len() <= slot {
            self.index.resize(slot + 1, -1);
        }
        let mask = poll_mask(wanted);
        match (self.index[slot], mask) {
            (-1, 0) => {}
            (-1, m) => {
                self.index[slot] = self.fds.len() as i32;
                self.fds.push(pollfd { fd, events: m, revents: 0 });
            }
            (i, 0) => {
                let i = i as usize;
                self.fds.swap_remove(i);
                self.index[slot] = -1;
                if let Some(moved) = self.fds.get(i) {
                    self.index[moved.fd as usize] = i as i32;
                }
            }
            (i, m) => self.fds[i as usize].events = m,
        }
        0
    }

}

impl Poll {
    /// Gives back what `index`, `fds` and the scratch copy hold beyond what the fds with
    /// events need (not the scratch copy in fds_shrunk: it may be in a wait then).
    #[cold]
    fn trim(&mut self) {
        let used = self.index.iter().rposition(|&i| i != -1).map_or(0, |fd| fd + 1);
        self.index.truncate(used);
        self.index.shrink_to_fit();
        self.fds.shrink_to_fit();
        self.scratch = Vec::new();
        self.shrunk = false;
    }
}

impl Backend for Poll {
    const NAME: &'static CStr = c"poll";
    const FEATURES: c_int = EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE;
    // Rebuilt after fork like upstream's, so the child starts from its own fd table.
    const NEED_REINIT: bool = true;

    fn init(_base: &EventBase) -> Option<Self> {
        Some(Poll { fds: Vec::new(), index: Vec::new(), scratch: Vec::new(), shrunk: false })
    }

    fn add(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        self.set(fd, old | events)
    }

    fn del(&mut self, fd: c_int, old: c_short, events: c_short) -> c_int {
        self.set(fd, old & !events)
    }

    fn dispatch(&mut self, base: &mut EventBase, timeout: Option<&timeval>) -> c_int {
        if self.shrunk {
            self.trim();
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.fds);
        let ms = timeout_ms(timeout, i32::MAX as i64);
        let (fds, nfds) = (self.scratch.as_mut_ptr(), self.scratch.len() as libc::nfds_t);
        // SAFETY: fds is a valid pollfd array of nfds entries.
        match wait_unlocked(base, "poll", || unsafe { libc::poll(fds, nfds, ms) }) {
            None => return -1,
            Some(0) => return 0,
            Some(_) => {}
        }
        for p in &self.scratch {
            let what = p.revents;
            if what == 0 {
                continue;
            }
            let mut ev: c_short = 0;
            if what & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                ev = EV_READ | EV_WRITE;
            }
            if what & libc::POLLIN != 0 {
                ev |= EV_READ;
            }
            if what & libc::POLLOUT != 0 {
                ev |= EV_WRITE;
            }
            if what & libc::POLLRDHUP != 0 {
                ev |= EV_CLOSED;
            }
            if ev != 0 {
                base.fd_ready(p.fd, ev);
            }
        }
        0
    }

    fn fds_shrunk(&mut self, _len: usize) {
        self.shrunk = true;
    }
}
