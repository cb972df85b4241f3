//! The buffer operations of event2/buffer.h: their checks (frozen ends, sizes that would
//! overflow, vectors that were not reserved), their results, and the bytes they report to the
//! callbacks. The chain work itself is list.rs. Methods expect the buffer's lock to be held and
//! leave running the callbacks to the caller (`super::locked`); the two-buffer operations at the
//! end take raw pointers and do their own locking.

use std::ffi::{c_int, c_void};

use libc::iovec;

use super::chain::{self, NewChain, RefCleanupFn};
use super::list::Space;
use super::search::EvbufferPtr;
use super::{callbacks, lock, lock2, locked2, unlock, unlock2, Evbuffer};

/// Why an operation refused: what the log message says.
fn refuse<T>(func: &str, why: &str, result: T) -> T {
    crate::warnx!("{}: {}", func, why);
    result
}

impl Evbuffer {
    /// Whether `n` more bytes keep the length representable.
    #[inline]
    pub(super) fn fits(&self, n: usize) -> bool {
        n <= usize::MAX - self.total_len
    }

    /// `evbuffer_add`.
    pub fn add(&mut self, data: &[u8]) -> c_int {
        if self.is_frozen(false) {
            return refuse("evbuffer_add", "the end of the buffer is frozen", -1);
        }
        if !self.fits(data.len()) {
            return refuse("evbuffer_add", "the length would overflow", -1);
        }
        if !self.append(data) {
            return refuse("evbuffer_add", "out of memory", -1);
        }
        self.note_added(data.len());
        0
    }

    /// The text of `evbuffer_add_printf` (formatted by capi/buffer.c): appended in one chain
    /// with a NUL after it; returns its length or -1.
    pub fn add_printf_text(&mut self, text: &[u8]) -> c_int {
        if self.is_frozen(false) {
            return refuse("evbuffer_add_printf", "the end of the buffer is frozen", -1);
        }
        if !self.fits(text.len()) || text.len() >= c_int::MAX as usize {
            return refuse("evbuffer_add_printf", "the length would overflow", -1);
        }
        if !self.append_text(text) {
            return refuse("evbuffer_add_printf", "out of memory", -1);
        }
        self.note_added(text.len());
        text.len() as c_int
    }

    /// `evbuffer_prepend`.
    pub fn prepend_bytes(&mut self, data: &[u8]) -> c_int {
        if data.is_empty() {
            return 0;
        }
        if self.is_frozen(true) {
            return refuse("evbuffer_prepend", "the start of the buffer is frozen", -1);
        }
        if !self.fits(data.len()) {
            return refuse("evbuffer_prepend", "the length would overflow", -1);
        }
        if !self.prepend(data) {
            return refuse("evbuffer_prepend", "out of memory", -1);
        }
        self.note_added(data.len());
        0
    }

    /// `evbuffer_drain`: removes `len` bytes, or all there are when `len` is larger.
    pub fn drain(&mut self, len: usize) -> c_int {
        if self.total_len == 0 {
            return 0;
        }
        if self.is_frozen(true) {
            return refuse("evbuffer_drain", "the start of the buffer is frozen", -1);
        }
        let len = len.min(self.total_len);
        self.drain_front(len);
        self.note_removed(len);
        0
    }

    /// `evbuffer_copyout_from`: copies up to `out.len()` bytes from `pos` (the start when None)
    /// without removing them; the number copied, or -1.
    pub fn copyout_from(&self, pos: Option<&EvbufferPtr>, out: &mut [u8]) -> isize {
        let (start, mut in_chain, avail) = match pos {
            Some(p) => {
                if p.pos < 0 || p.pos as usize > self.total_len {
                    return refuse("evbuffer_copyout_from", "position outside the buffer", -1);
                }
                if out.len() > (isize::MAX - p.pos) as usize {
                    return refuse("evbuffer_copyout_from", "length too large", -1);
                }
                (p.chain(), p.pos_in_chain, self.total_len - p.pos as usize)
            }
            None => (self.first_ptr(), 0, self.total_len),
        };
        let n = out.len().min(avail);
        if n == 0 {
            return 0;
        }
        if self.is_frozen(true) {
            return refuse("evbuffer_copyout_from", "the start of the buffer is frozen", -1);
        }
        let mut done = 0;
        // SAFETY: `start` is the buffer's first chain or the chain of a pointer into it.
        for c in unsafe { self.chains_from(start) } {
            let take = (c.off - in_chain).min(n - done);
            c.copy_out(in_chain, &mut out[done..done + take]);
            done += take;
            in_chain = 0;
            if done == n {
                break;
            }
        }
        n as isize
    }

    /// `evbuffer_remove`: copies out and drains up to `out.len()` bytes.
    pub fn remove(&mut self, out: &mut [u8]) -> c_int {
        let n = self.copyout_from(None, out);
        if n > 0 && self.drain(n as usize) < 0 {
            return -1;
        }
        n as c_int
    }

    /// `evbuffer_expand`: room for `datlen` more bytes in one chain.
    pub fn expand(&mut self, datlen: usize) -> c_int {
        match self.expand_single(datlen) {
            Some(_) => 0,
            None => refuse("evbuffer_expand", "cannot make room (size too large or out of memory)", -1),
        }
    }

    /// `evbuffer_reserve_space`: room for `size` bytes in at most `vecs.len()` chains, described
    /// in `vecs`; the number of vectors used, or -1.
    pub fn reserve_space(&mut self, size: isize, vecs: &mut [iovec]) -> c_int {
        if self.is_frozen(false) {
            return refuse("evbuffer_reserve_space", "the end of the buffer is frozen", -1);
        }
        if vecs.is_empty() || size < 0 {
            return refuse("evbuffer_reserve_space", "no vectors or a negative size", -1);
        }
        let size = size as usize;
        if vecs.len() == 1 {
            let Some(c) = self.expand_single(size) else {
                return refuse("evbuffer_reserve_space", "cannot make room", -1);
            };
            vecs[0] = iovec { iov_base: c.space_ptr().cast(), iov_len: c.space_len() };
            return 1;
        }
        if !self.expand_fast(size, vecs.len()) {
            return refuse("evbuffer_reserve_space", "cannot make room", -1);
        }
        self.read_vecs(size, vecs, false).0
    }

    /// `evbuffer_commit_space`: adds the bytes written into space from reserve_space.
    pub fn commit_space(&mut self, vecs: &[iovec]) -> c_int {
        if self.is_frozen(false) {
            return refuse("evbuffer_commit_space", "the end of the buffer is frozen", -1);
        }
        let spaces: Vec<Space> = vecs.iter().map(|v| Space { base: v.iov_base.cast(), len: v.iov_len }).collect();
        let Some(added) = self.commit(&spaces) else {
            return refuse("evbuffer_commit_space", "the vectors are not space reserved at the end of the buffer", -1);
        };
        self.note_added(added);
        0
    }

    /// `evbuffer_pullup`: makes the first `size` bytes (all when negative) contiguous.
    pub fn pullup_bytes(&mut self, size: isize) -> *mut u8 {
        let size = if size < 0 { self.total_len } else { size as usize };
        if size == 0 || size > self.total_len {
            return std::ptr::null_mut();
        }
        match self.pullup(size) {
            Some(p) => p,
            None => refuse("evbuffer_pullup", "out of memory or pinned chains", std::ptr::null_mut()),
        }
    }

    /// `evbuffer_peek`: describes the chains holding at least `len` bytes (all when negative)
    /// from `start` (the beginning when None) in `vecs`; returns how many vectors that takes,
    /// which may be more than were given.
    pub fn peek(&self, len: isize, start: Option<&EvbufferPtr>, vecs: &mut [iovec]) -> c_int {
        let mut len = len;
        let mut idx = 0usize;
        let mut so_far = 0usize;
        let mut chains = self.chains();
        if let Some(p) = start {
            // SAFETY: the pointer's chain is a chain of this buffer (checked non-NULL by the
            // caller, which returns 0 for a pointer at the end).
            let Some(c) = (unsafe { self.chains_from(p.chain()) }).next() else { return 0 };
            so_far = c.off - p.pos_in_chain;
            if let Some(v) = vecs.first_mut() {
                *v = iovec { iov_base: c.data_ptr().wrapping_add(p.pos_in_chain).cast(), iov_len: so_far };
            }
            idx = 1;
            // SAFETY: as above; the chains after it.
            chains = unsafe { self.chains_from(c.next) };
        }
        if vecs.is_empty() && len < 0 {
            len = (self.total_len - start.map_or(0, |p| p.pos as usize)) as isize;
        }
        for c in chains {
            if len >= 0 && so_far >= len as usize {
                break;
            }
            if let Some(v) = vecs.get_mut(idx) {
                *v = iovec { iov_base: c.data_ptr().cast(), iov_len: c.off };
            } else if len < 0 {
                break;
            }
            idx += 1;
            so_far += c.off;
        }
        idx as c_int
    }

    /// `evbuffer_add_reference`: appends the caller's memory without copying it; `cleanup`
    /// runs when the buffer no longer needs it.
    pub fn add_reference(&mut self, data: *const u8, len: usize, cleanup: Option<RefCleanupFn>, arg: *mut c_void) -> c_int {
        let Some(c) = NewChain::reference(data, len, cleanup, arg) else {
            return refuse("evbuffer_add_reference", "out of memory", -1);
        };
        if self.is_frozen(false) || !self.fits(len) {
            // Not added, so the caller keeps the memory: no cleanup call.
            c.discard();
            return refuse("evbuffer_add_reference", "the end is frozen or the length would overflow", -1);
        }
        self.insert(c);
        self.note_added(len);
        0
    }

    /// `evbuffer_add_iovec`: appends every vector; returns the bytes added.
    pub fn add_iovec(&mut self, vecs: &[iovec]) -> usize {
        let Some(total) = vecs.iter().try_fold(0usize, |t, v| t.checked_add(v.iov_len)) else {
            return refuse("evbuffer_add_iovec", "the total length would overflow", 0);
        };
        if self.is_frozen(false) || !self.fits(total) {
            return refuse("evbuffer_add_iovec", "the end is frozen or the length would overflow", 0);
        }
        if !self.expand_fast(total, 2) {
            return refuse("evbuffer_add_iovec", "out of memory", 0);
        }
        let mut added = 0;
        for v in vecs {
            let bytes = iovec_bytes(v);
            if self.add(bytes) < 0 {
                break;
            }
            added += bytes.len();
        }
        added
    }
}

/// The bytes a caller's iovec describes.
fn iovec_bytes(v: &iovec) -> &[u8] {
    if v.iov_len == 0 || v.iov_base.is_null() {
        return &[];
    }
    // SAFETY: the caller's vector describes iov_len readable bytes (the API's contract).
    unsafe { std::slice::from_raw_parts(v.iov_base.cast::<u8>(), v.iov_len) }
}

// ---- two buffers ----------------------------------------------------------------------------

/// `evbuffer_add_buffer`: moves all of `inbuf` to the end of `outbuf` without copying.
///
/// # Safety
/// Both must be live buffers.
pub unsafe fn add_buffer(outbuf: *mut Evbuffer, inbuf: *mut Evbuffer) -> c_int {
    if outbuf == inbuf {
        return 0;
    }
    // SAFETY: distinct live buffers (contract).
    unsafe {
        locked2(inbuf, outbuf, |inb, out| {
            if inb.is_empty() {
                return 0;
            }
            if out.is_frozen(false) || inb.is_frozen(true) {
                return refuse("evbuffer_add_buffer", "a buffer is frozen", -1);
            }
            let n = inb.len();
            out.append_all_from(inb);
            inb.note_removed(n);
            out.note_added(n);
            0
        })
    }
}

/// `evbuffer_prepend_buffer`: moves all of `inbuf` to the front of `outbuf`.
///
/// # Safety
/// Both must be live buffers.
pub unsafe fn prepend_buffer(outbuf: *mut Evbuffer, inbuf: *mut Evbuffer) -> c_int {
    if outbuf == inbuf {
        return 0;
    }
    // SAFETY: distinct live buffers (contract).
    unsafe {
        locked2(inbuf, outbuf, |inb, out| {
            if inb.is_empty() {
                return 0;
            }
            if out.is_frozen(true) || inb.is_frozen(true) {
                return refuse("evbuffer_prepend_buffer", "a buffer is frozen", -1);
            }
            let n = inb.len();
            out.prepend_all_from(inb);
            inb.note_removed(n);
            out.note_added(n);
            0
        })
    }
}

/// `evbuffer_remove_buffer`: moves up to `datlen` bytes from the front of `src` to the end of
/// `dst`, whole chains without copying; returns the bytes moved (as an int, like upstream).
///
/// # Safety
/// Both must be live buffers.
pub unsafe fn remove_buffer(src: *mut Evbuffer, dst: *mut Evbuffer, datlen: usize) -> c_int {
    if datlen == 0 || src == dst {
        return 0;
    }
    // SAFETY: distinct live buffers (contract).
    unsafe {
        locked2(dst, src, |d, s| {
            if d.is_frozen(false) || s.is_frozen(true) {
                return refuse("evbuffer_remove_buffer", "a buffer is frozen", -1);
            }
            let moved = if datlen >= s.len() {
                let n = s.len();
                d.append_all_from(s);
                n
            } else {
                d.take_front_from(s, datlen)
            };
            s.note_removed(moved);
            d.note_added(moved);
            moved.min(c_int::MAX as usize) as c_int
        })
    }
}

/// `evbuffer_add_buffer_reference`: appends read-only copies of `inbuf`'s chains to `outbuf`,
/// sharing their memory (and keeping it and `inbuf` alive) instead of copying the bytes.
/// Chains that themselves show other memory (file segments, references of references) cannot
/// be shared this way.
///
/// Into an empty `outbuf` its leftover empty chains are freed first, and the buffer is reset
/// with them: 2.1.12 freed them but kept pointing at them (CVE-2026-63381).
///
/// # Safety
/// Both must be live buffers.
pub unsafe fn add_buffer_reference(outbuf: *mut Evbuffer, inbuf: *mut Evbuffer) -> c_int {
    // SAFETY: live buffers (contract). Only outbuf is borrowed: making the copies takes
    // references on inbuf, so it is used through its pointer.
    unsafe {
        lock2(outbuf, inbuf);
        let result = 'op: {
            let in_len = (*inbuf).len();
            if in_len == 0 {
                break 'op 0;
            }
            if outbuf == inbuf || (*outbuf).is_frozen(false) {
                break 'op refuse("evbuffer_add_buffer_reference", "same buffer, or the end is frozen", -1);
            }
            let shareable = (*inbuf)
                .chains()
                .all(|c| !c.has(chain::FILESEGMENT | chain::SENDFILE | chain::MULTICAST));
            if !shareable {
                break 'op refuse("evbuffer_add_buffer_reference", "the source holds chains that cannot be shared", -1);
            }
            let out = &mut *outbuf;
            if !out.fits(in_len) {
                break 'op refuse("evbuffer_add_buffer_reference", "the length would overflow", -1);
            }
            if out.is_empty() {
                out.free_chains();
            }
            let before = out.len();
            let complete = out.append_references_to(inbuf);
            let added = out.len() - before;
            out.note_added(added);
            if complete {
                0
            } else {
                -1
            }
        };
        callbacks::invoke(outbuf);
        unlock2(outbuf, inbuf);
        result
    }
}

/// Runs `op` on a buffer only read (lengths, searches): its lock held, no callbacks.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn reading<R>(buf: *const Evbuffer, op: impl FnOnce(&Evbuffer) -> R) -> R {
    // SAFETY: live buffer (contract), locked while borrowed.
    unsafe {
        lock(buf);
        let r = op(&*buf);
        unlock(buf);
        r
    }
}
