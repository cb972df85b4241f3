//! select(2) backend. fd_set bitmaps are grown past FD_SETSIZE as upstream does, since
//! Linux's select accepts any bitmap that covers nfds.

use std::ffi::{c_int, c_short, CStr};

use libc::timeval;

use super::{wait_unlocked, Backend, EV_FEATURE_FDS};
use crate::base::EventBase;
use crate::event::{EV_READ, EV_WRITE};

const WORD_BITS: usize = 64;

pub struct Select {
    read: Vec<u64>,
    write: Vec<u64>,
    read_out: Vec<u64>,
    write_out: Vec<u64>,
    /// One more than the highest fd watched since the bitmaps were last trimmed.
    nfds: usize,
    /// The base's fd table shrank: trim the bitmaps before the next select.
    shrunk: bool,
}

fn set_bit(bits: &mut Vec<u64>, fd: usize, on: bool) {
    let word = fd / WORD_BITS;
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    let mask = 1u64 << (fd % WORD_BITS);
    if on {
        bits[word] |= mask;
    } else {
        bits[word] &= !mask;
    }
}

fn bit(bits: &[u64], fd: usize) -> bool {
    bits.get(fd / WORD_BITS).is_some_and(|w| w & (1u64 << (fd % WORD_BITS)) != 0)
}

impl Select {
    fn set(&mut self, fd: c_int, wanted: c_short) -> c_int {
        let fd = fd as usize;
        set_bit(&mut self.read, fd, wanted & EV_READ != 0);
        set_bit(&mut self.write, fd, wanted & EV_WRITE != 0);
        // Keep both bitmaps the same length and at least one fd_set long.
        let words = self.read.len().max(self.write.len()).max(libc::FD_SETSIZE / WORD_BITS);
        self.read.resize(words, 0);
        self.write.resize(words, 0);
        if wanted & (EV_READ | EV_WRITE) != 0 && fd >= self.nfds {
            self.nfds = fd + 1;
        }
        0
    }
}

impl Select {
    /// Lowers `nfds` to one more than the highest fd watched and cuts the bitmaps to what
    /// covers it (at least one fd_set); the result copies are made afresh by the next select.
    #[cold]
    fn trim(&mut self) {
        let last_word = (0..self.read.len()).rposition(|w| self.read[w] | self.write[w] != 0);
        self.nfds = last_word.map_or(0, |w| {
            let bits = self.read[w] | self.write[w];
            w * WORD_BITS + (WORD_BITS - bits.leading_zeros() as usize)
        });
        let words = self.nfds.div_ceil(WORD_BITS).max(libc::FD_SETSIZE / WORD_BITS);
        for bits in [&mut self.read, &mut self.write] {
            bits.truncate(words);
            bits.shrink_to_fit();
        }
        self.read_out = Vec::new();
        self.write_out = Vec::new();
        self.shrunk = false;
    }
}

impl Backend for Select {
    const NAME: &'static CStr = c"select";
    const FEATURES: c_int = EV_FEATURE_FDS;
    // Rebuilt after fork like upstream's, so the child starts from its own fd table.
    const NEED_REINIT: bool = true;

    fn init(_base: &EventBase) -> Option<Self> {
        let words = libc::FD_SETSIZE / WORD_BITS;
        Some(Select {
            read: vec![0; words],
            write: vec![0; words],
            read_out: Vec::new(),
            write_out: Vec::new(),
            nfds: 0,
            shrunk: false,
        })
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
        self.read_out.clone_from(&self.read);
        self.write_out.clone_from(&self.write);
        let nfds = self.nfds;
        let mut tv = timeout.copied();
        let tvp = tv.as_mut().map_or(std::ptr::null_mut(), |t| t as *mut timeval);
        let (rd, wr) = (self.read_out.as_mut_ptr().cast(), self.write_out.as_mut_ptr().cast());
        // SAFETY: the bitmaps cover at least nfds bits and FD_SETSIZE; tvp is NULL or valid.
        let wait = || unsafe { libc::select(nfds as c_int, rd, wr, std::ptr::null_mut(), tvp) };
        match wait_unlocked(base, "select", wait) {
            None => return -1,
            Some(0) => return 0,
            Some(_) => {}
        }
        for fd in 0..nfds {
            let mut ev: c_short = 0;
            if bit(&self.read_out, fd) {
                ev |= EV_READ;
            }
            if bit(&self.write_out, fd) {
                ev |= EV_WRITE;
            }
            if ev != 0 {
                base.fd_ready(fd as c_int, ev);
            }
        }
        0
    }

    fn fds_shrunk(&mut self, _len: usize) {
        self.shrunk = true;
    }
}
