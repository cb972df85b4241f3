//! Moving bytes between a buffer and a file descriptor: evbuffer_read (readv into up to four
//! chains), evbuffer_write / write_atmost (writev of many chains, or sendfile for a file
//! segment that stays in its file).

use std::ffi::c_int;
use std::mem::MaybeUninit;

use libc::iovec;

use super::chain::{CHAIN_SIZE, SENDFILE};
use super::file;
use super::{Evbuffer, READ_BULK, READ_BULK_SHORT};

/// Most bytes one evbuffer_read takes when the caller does not ask for less. Upstream caps a
/// read at 4 KiB, which costs a readv, a FIONREAD and usually an epoll_wait per 4 KiB of a bulk
/// transfer. A bulk stream here reads what FIONREAD reports, up to this, spread over up to
/// READ_IOVECS chains. On loopback a sender's single writev puts up to a few MiB in the receive
/// queue: 1 MiB per read took the 1 GiB evhttp download from 66 to 3 system calls per MiB,
/// with most of the gain reached by 1 MiB (the bare loop in c-tests/bench/http_bulk_floor.c
/// reads the same). The chain header is left out so that a read into a fresh chain allocates
/// exactly 1 MiB (data chains are powers of two), not 2.
pub const MAX_READ: usize = (1 << 20) - CHAIN_SIZE;
/// Least a read of a message stream asks for without FIONREAD (upstream's cap): a chain from
/// the chain cache when the last chain has less room, where MAX_READ would allocate a megabyte
/// for every small message and every end of stream.
const SMALL_READ: usize = 4096;
/// Chains one read may fill (upstream's NUM_READ_IOVEC).
const READ_IOVECS: usize = 4;
/// Chains one writev sends (upstream's NUM_WRITE_IOVEC; Linux allows 1024).
const WRITE_IOVECS: usize = 128;

/// Bytes waiting on `fd`, as FIONREAD says; None when none are or it cannot say.
fn readable_bytes(fd: c_int) -> Option<usize> {
    let mut n: c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n as *mut c_int) };
    (r >= 0 && n > 0).then_some(n as usize)
}

impl Evbuffer {
    /// `evbuffer_read`: reads up to `howmuch` bytes (up to MAX_READ when negative or larger)
    /// from `fd` into the end; the bytes read, 0 at end of file, -1 on error (errno set by the
    /// read).
    ///
    /// The read size follows the stream, so that each kind costs the fewest system calls and
    /// a bulk stream keeps chains of one size (alternating 4 KiB and 1 MiB chains made glibc's
    /// heap take four to six times the page faults on a 1 GiB upload):
    /// - a message stream (requests, replies, ends of stream) reads without asking what is
    ///   waiting, into the room the last chain has or SMALL_READ: one readv, no FIONREAD;
    /// - once a read fills what it asked, the stream is bulk (READ_BULK): each read is sized
    ///   by FIONREAD, the big reads MAX_READ allows, until two FIONREADs in a row report less
    ///   than a small read takes. One is not enough: the tail of one upload and the start of
    ///   the next on a keep-alive connection are a short read then a big one, and a small first
    ///   read at the start of each 64 MiB upload took the page faults from 34k to 230k.
    pub fn read(&mut self, fd: c_int, howmuch: c_int) -> c_int {
        if self.is_frozen(false) {
            crate::warnx!("evbuffer_read: the end of the buffer is frozen");
            return -1;
        }
        let limit = if howmuch < 0 { MAX_READ } else { (howmuch as usize).min(MAX_READ) };
        let bulk = self.bit(READ_BULK);
        let waiting = if bulk { readable_bytes(fd).unwrap_or(0) } else { 0 };
        if bulk {
            let short = waiting < SMALL_READ;
            if short && self.bit(READ_BULK_SHORT) {
                self.set_bit(READ_BULK, false);
            }
            self.set_bit(READ_BULK_SHORT, short);
        }
        let want = if waiting > 0 { waiting.min(limit) } else { self.last_space().max(SMALL_READ).min(limit) };
        if !self.expand_fast(want, READ_IOVECS) {
            crate::warnx!("evbuffer_read: out of memory");
            return -1;
        }
        let mut iov = [iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; READ_IOVECS];
        let (n, first) = self.read_vecs(want, &mut iov, true);
        // SAFETY: the vectors describe free space of this buffer's chains (space_vecs).
        let got = unsafe { libc::readv(fd, iov.as_ptr(), n as c_int) };
        if got <= 0 {
            return got as c_int;
        }
        let got = got as usize;
        // A read the caller's limit cut short says nothing about the stream.
        if !bulk && got == want && want < limit {
            self.set_bit(READ_BULK, true);
        }
        self.commit_read(first, got);
        self.note_added(got);
        got as c_int
    }

    /// `evbuffer_write_atmost`: writes up to `howmuch` bytes (all when negative) to `fd` and
    /// drains what was written; the bytes written, or -1 (also for an empty buffer, as
    /// upstream's).
    pub fn write_atmost(&mut self, fd: c_int, howmuch: isize) -> c_int {
        if self.is_frozen(true) {
            crate::warnx!("evbuffer_write: the start of the buffer is frozen");
            return -1;
        }
        let howmuch = if howmuch < 0 || howmuch as usize > self.len() { self.len() } else { howmuch as usize };
        if howmuch == 0 {
            return -1;
        }
        let n = match self.first_chain() {
            Some(c) if c.has(SENDFILE) => file::write_sendfile(fd, c, howmuch),
            _ => self.write_iovec(fd, howmuch),
        };
        if n > 0 {
            self.drain(n as usize);
        }
        n.clamp(-1, c_int::MAX as isize) as c_int
    }

    /// One writev of the chains holding the first `howmuch` bytes, up to WRITE_IOVECS of them
    /// and up to the first sendfile chain (whose data are not in memory).
    fn write_iovec(&self, fd: c_int, howmuch: usize) -> isize {
        // Left uninitialised: zeroing 2 KiB of vectors cost more than the rest of a small write.
        let mut iov = [MaybeUninit::<iovec>::uninit(); WRITE_IOVECS];
        let mut n = 0;
        let mut left = howmuch;
        for c in self.chains() {
            if n == WRITE_IOVECS || left == 0 || c.has(SENDFILE) {
                break;
            }
            let len = c.off.min(left);
            iov[n].write(iovec { iov_base: c.data_ptr().cast(), iov_len: len });
            n += 1;
            left -= len;
        }
        if n == 0 {
            return 0;
        }
        // SAFETY: the first n vectors were written above and describe data of this buffer's
        // chains.
        unsafe { libc::writev(fd, iov.as_ptr().cast::<iovec>(), n as c_int) }
    }
}
