//! One evbuffer chain: upstream's `struct evbuffer_chain` as C lays it out (upstream's tests read
//! it through evbuffer-internal.h), how chains are allocated and freed, and safe views of their
//! bytes. A chain is one allocation from the user's allocator (`event_set_mem_functions`): the
//! 48-byte header, then either the data (plain chains) or a small "extra" record describing
//! memory that lives elsewhere (references, file segments, multicast copies).
//!
//! Meaning of the fields, as upstream's: `buffer` points at the chain's memory of `buffer_len`
//! bytes; the data are the `off` bytes starting `misalign` bytes into it; the space after them
//! (`buffer_len - misalign - off`) may be written when the chain is mutable. A sendfile chain has
//! no memory (`buffer` is NULL) and `misalign` is the file offset of its data.

use std::ffi::{c_int, c_void};
use std::mem::size_of;
use std::ptr;

use super::chain_cache;
use super::file::{self, FileSegment};
use super::Evbuffer;
use crate::mm;

// Chain flags (upstream's values).
/// The chain shows (part of) a file segment.
pub const FILESEGMENT: u32 = 0x01;
/// The chain's data are only in the file: written with sendfile, never through memory.
pub const SENDFILE: u32 = 0x02;
/// The chain's memory is the user's (evbuffer_add_reference).
pub const REFERENCE: u32 = 0x04;
/// Nothing may be written into the chain's memory.
pub const IMMUTABLE: u32 = 0x08;
/// The chain's memory may not move or be freed while pinned (for reads, for writes).
pub const MEM_PINNED_R: u32 = 0x10;
pub const MEM_PINNED_W: u32 = 0x20;
pub const MEM_PINNED_ANY: u32 = MEM_PINNED_R | MEM_PINNED_W;
/// Freed while pinned: the last unpin frees it.
pub const DANGLING: u32 = 0x40;
/// The chain shows the memory of a chain of another buffer (evbuffer_add_buffer_reference).
pub const MULTICAST: u32 = 0x80;

/// Upstream's `EVBUFFER_CHAIN_MAX`: no chain holds more than EV_SSIZE_MAX bytes.
pub const CHAIN_MAX: usize = isize::MAX as usize;
/// Upstream's `MIN_BUFFER_SIZE` on 64-bit systems: the smallest allocation of a data chain,
/// header included. Data chains are sized in powers of two from here.
pub const MIN_BUFFER_SIZE: usize = 1024;

pub type RefCleanupFn = unsafe extern "C" fn(data: *const c_void, len: usize, extra: *mut c_void);

/// `struct evbuffer_chain`.
#[repr(C)]
pub struct Chain {
    pub next: *mut Chain,
    pub buffer_len: usize,
    /// `ev_misalign_t` (off_t here): unused bytes before the data, or the file offset.
    pub misalign: i64,
    pub off: usize,
    pub flags: u32,
    pub refcnt: c_int,
    pub buffer: *mut u8,
}

/// `EVBUFFER_CHAIN_SIZE`.
pub const CHAIN_SIZE: usize = size_of::<Chain>();

const _: () = {
    use std::mem::offset_of;
    assert!(CHAIN_SIZE == 48);
    assert!(offset_of!(Chain, next) == 0);
    assert!(offset_of!(Chain, buffer_len) == 8);
    assert!(offset_of!(Chain, misalign) == 16);
    assert!(offset_of!(Chain, off) == 24);
    assert!(offset_of!(Chain, flags) == 32);
    assert!(offset_of!(Chain, refcnt) == 36);
    assert!(offset_of!(Chain, buffer) == 40);
};

/// The extra record of a REFERENCE chain (`struct evbuffer_chain_reference`).
#[repr(C)]
struct ReferenceExtra {
    cleanup: Option<RefCleanupFn>,
    arg: *mut c_void,
}

/// The extra record of a FILESEGMENT chain (`struct evbuffer_chain_file_segment`).
#[repr(C)]
struct SegmentExtra {
    segment: *mut FileSegment,
}

/// The extra record of a MULTICAST chain (`struct evbuffer_multicast_parent`): the buffer whose
/// chain it shows (kept alive by a reference) and that chain (kept alive by its refcount).
#[repr(C)]
struct MulticastExtra {
    source: *mut Evbuffer,
    parent: *mut Chain,
}

/// The allocation size of a data chain able to hold `capacity` bytes: header included, a power
/// of two from MIN_BUFFER_SIZE (as upstream's, so that the chain counts and sizes upstream's
/// glass-box tests expect come out), or exact when that would pass half of CHAIN_MAX.
fn data_chain_alloc_size(capacity: usize) -> Option<usize> {
    if capacity > CHAIN_MAX - CHAIN_SIZE {
        return None;
    }
    let size = capacity + CHAIN_SIZE;
    if size < CHAIN_MAX / 2 {
        Some(size.next_power_of_two().max(MIN_BUFFER_SIZE))
    } else {
        Some(size)
    }
}

/// A chain not (yet) linked into a buffer; freed on drop unless handed over with `into_raw`.
pub struct NewChain(ptr::NonNull<Chain>);

impl NewChain {
    /// A header followed by `extra` bytes, zeroed, refcount 1, buffer pointing after the header.
    fn alloc_raw(total: usize) -> Option<NewChain> {
        let p = chain_cache::take(total).cast::<Chain>();
        let p = ptr::NonNull::new(p)?;
        // SAFETY: p points to `total` >= CHAIN_SIZE fresh bytes, suitably aligned by malloc.
        unsafe {
            p.as_ptr().write(Chain {
                next: ptr::null_mut(),
                buffer_len: total - CHAIN_SIZE,
                misalign: 0,
                off: 0,
                flags: 0,
                refcnt: 1,
                buffer: p.as_ptr().cast::<u8>().add(CHAIN_SIZE),
            });
        }
        Some(NewChain(p))
    }

    /// A data chain with room for at least `capacity` bytes; None when too large or out of memory.
    pub fn data(capacity: usize) -> Option<NewChain> {
        NewChain::alloc_raw(data_chain_alloc_size(capacity)?)
    }

    /// A chain without memory of its own, whose extra record is `extra`.
    fn with_extra<T>(extra: T, flags: u32) -> Option<NewChain> {
        let mut c = NewChain::alloc_raw(CHAIN_SIZE + size_of::<T>())?;
        // SAFETY: the allocation has room for T right after the header, 8-aligned (T holds
        // only pointers).
        unsafe { c.0.as_ptr().add(1).cast::<T>().write(extra) };
        c.flags = flags;
        c.buffer_len = 0;
        Some(c)
    }

    /// A chain showing the user's `len` bytes at `data`, with the cleanup to call when the
    /// last of it is gone.
    pub fn reference(data: *const u8, len: usize, cleanup: Option<RefCleanupFn>, arg: *mut c_void) -> Option<NewChain> {
        let mut c = NewChain::with_extra(ReferenceExtra { cleanup, arg }, REFERENCE | IMMUTABLE)?;
        c.buffer = data.cast_mut();
        c.buffer_len = len;
        c.off = len;
        Some(c)
    }

    /// A chain of a file segment (which the chain then holds a reference on: the caller has
    /// taken it). The caller sets buffer, misalign, off and the SENDFILE flag.
    pub fn segment(seg: *mut FileSegment) -> Option<NewChain> {
        NewChain::with_extra(SegmentExtra { segment: seg }, FILESEGMENT | IMMUTABLE)
    }

    /// A read-only copy of `parent` (a chain with data of the live buffer `source`): it shares
    /// the memory, and keeps both the chain and the buffer alive. The parent becomes immutable.
    ///
    /// # Safety
    /// `parent` must be a live chain of the live buffer `source`, whose lock the caller holds.
    pub unsafe fn multicast(source: *mut Evbuffer, parent: *mut Chain) -> Option<NewChain> {
        let mut c = NewChain::with_extra(MulticastExtra { source, parent }, MULTICAST | IMMUTABLE)?;
        // SAFETY: parent and source are live (contract).
        unsafe {
            super::incref(source);
            let p = &mut *parent;
            p.refcnt += 1;
            p.flags |= IMMUTABLE;
            c.buffer_len = p.buffer_len;
            c.misalign = p.misalign;
            c.off = p.off;
            c.buffer = p.buffer;
        }
        Some(c)
    }

    /// Hands the chain over to a buffer's list.
    pub fn into_raw(self) -> *mut Chain {
        let p = self.0.as_ptr();
        std::mem::forget(self);
        p
    }

    /// Frees a chain that never held anything worth cleaning up (a reference refused by a
    /// frozen buffer must not call the user's cleanup).
    pub fn discard(self) {
        mm::free(self.into_raw().cast());
    }
}

impl std::ops::Deref for NewChain {
    type Target = Chain;
    fn deref(&self) -> &Chain {
        // SAFETY: we own the live chain.
        unsafe { self.0.as_ref() }
    }
}

impl std::ops::DerefMut for NewChain {
    fn deref_mut(&mut self) -> &mut Chain {
        // SAFETY: we own the live chain exclusively.
        unsafe { self.0.as_mut() }
    }
}

impl Drop for NewChain {
    fn drop(&mut self) {
        // SAFETY: we own the live chain; nothing else points to it.
        unsafe { release(self.0.as_ptr()) }
    }
}

impl Chain {
    #[inline]
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether bytes may be written into the chain's free space or its data moved.
    #[inline]
    pub fn is_mutable(&self) -> bool {
        self.flags & (IMMUTABLE | MEM_PINNED_ANY) == 0
    }

    #[inline]
    pub fn is_pinned(&self) -> bool {
        self.has(MEM_PINNED_ANY)
    }

    /// Bytes of free space after the data (0 for immutable chains): upstream's CHAIN_SPACE_LEN.
    #[inline]
    pub fn space_len(&self) -> usize {
        if self.has(IMMUTABLE) {
            0
        } else {
            self.buffer_len - self.misalign as usize - self.off
        }
    }

    /// Where the free space starts (upstream's CHAIN_SPACE_PTR); handed out by reserve_space.
    #[inline]
    pub fn space_ptr(&self) -> *mut u8 {
        self.buffer.wrapping_add(self.misalign as usize + self.off)
    }

    /// Where the data start (what peek hands out).
    #[inline]
    pub fn data_ptr(&self) -> *mut u8 {
        self.buffer.wrapping_add(self.misalign as usize)
    }

    /// The chain's data. A sendfile chain's data are not in memory: empty here (readers that
    /// need them use `copy_out`).
    #[inline]
    pub fn data(&self) -> &[u8] {
        if self.off == 0 || self.has(SENDFILE) {
            return &[];
        }
        // SAFETY: a chain's buffer holds misalign+off initialised bytes (invariant above).
        unsafe { std::slice::from_raw_parts(self.data_ptr(), self.off) }
    }

    /// The free space after the data, writable (empty for immutable chains).
    #[inline]
    pub fn space_mut(&mut self) -> &mut [u8] {
        let n = self.space_len();
        if n == 0 {
            return &mut [];
        }
        // SAFETY: mutable chains own buffer_len bytes at buffer; the tail past the data is ours.
        unsafe { std::slice::from_raw_parts_mut(self.space_ptr(), n) }
    }

    /// Appends `data` into the free space, which must hold it.
    #[inline]
    pub fn append(&mut self, data: &[u8]) {
        self.space_mut()[..data.len()].copy_from_slice(data);
        self.off += data.len();
    }

    /// Copies `dst.len()` data bytes starting `from` bytes into the data (all in this chain).
    pub fn copy_out(&self, from: usize, dst: &mut [u8]) {
        if self.has(SENDFILE) {
            // SAFETY: a file segment chain holds a reference on its live segment.
            file::read_sendfile_chain(unsafe { &*self.segment() }, self.misalign + from as i64, dst);
        } else {
            dst.copy_from_slice(&self.data()[from..from + dst.len()]);
        }
    }

    /// Moves the data to the start of the memory (misalign 0). Mutable chains only.
    pub fn align(&mut self) {
        debug_assert!(self.is_mutable());
        if self.misalign == 0 {
            return;
        }
        // SAFETY: the chain owns buffer_len bytes; source and destination lie inside them.
        unsafe { ptr::copy(self.data_ptr(), self.buffer, self.off) };
        self.misalign = 0;
    }

    /// Whether moving the data to the front is worth it to fit `datlen` more bytes: the room is
    /// there, and there is little to move (upstream's rule, 2048 bytes and half the chain).
    pub fn should_realign(&self, datlen: usize) -> bool {
        const MAX_TO_REALIGN: usize = 2048;
        self.buffer_len - self.off >= datlen && self.off < self.buffer_len / 2 && self.off <= MAX_TO_REALIGN
    }

    /// The size of the allocation a data chain (memory right after its header) came in; 0 for
    /// the others, whose memory (if any) is elsewhere.
    fn alloc_size(&self) -> usize {
        let own_memory = self.buffer.cast_const() == (self as *const Chain).wrapping_add(1).cast::<u8>();
        if own_memory && !self.has(REFERENCE | FILESEGMENT | MULTICAST) {
            CHAIN_SIZE + self.buffer_len
        } else {
            0
        }
    }

    /// The file segment a FILESEGMENT chain shows.
    pub fn segment(&self) -> *mut FileSegment {
        debug_assert!(self.has(FILESEGMENT));
        // SAFETY: FILESEGMENT chains are allocated with a SegmentExtra after the header.
        unsafe { (*(self as *const Chain).add(1).cast::<SegmentExtra>()).segment }
    }
}

/// Drops one reference to a chain and frees it with the last one (upstream's
/// evbuffer_chain_free): a pinned chain is only marked DANGLING, to be freed by the last unpin;
/// a reference calls the user's cleanup, a file segment chain drops its segment, a multicast
/// chain drops its parent chain and source buffer.
///
/// # Safety
/// `chain` must be live and unlinked from any list, or its list must not be used before being
/// fixed up.
pub unsafe fn release(chain: *mut Chain) {
    // SAFETY: live chain (contract).
    let c = unsafe { &mut *chain };
    crate::ev_assert!(c.refcnt > 0);
    c.refcnt -= 1;
    if c.refcnt > 0 {
        return;
    }
    if c.is_pinned() {
        c.refcnt += 1;
        c.flags |= DANGLING;
        return;
    }
    // SAFETY: the extra record matches the flags (set only by NewChain's constructors).
    unsafe {
        let extra = chain.add(1);
        if c.has(REFERENCE) {
            let info = &*extra.cast::<ReferenceExtra>();
            if let Some(f) = info.cleanup {
                f(c.buffer.cast_const().cast(), c.buffer_len, info.arg);
            }
        }
        if c.has(FILESEGMENT) {
            let seg = (*extra.cast::<SegmentExtra>()).segment;
            if !seg.is_null() {
                file::segment_decref(seg);
            }
        }
        if c.has(MULTICAST) {
            let info = &*extra.cast::<MulticastExtra>();
            crate::ev_assert!(!info.source.is_null() && !info.parent.is_null());
            super::lock(info.source);
            release(info.parent);
            super::decref_and_unlock(info.source);
        }
    }
    // SAFETY: the chain is unreferenced and its block came from NewChain::alloc_raw (take).
    unsafe { chain_cache::put(chain.cast(), c.alloc_size()) };
}

/// `evbuffer_chain_pin_`.
pub fn pin(chain: &mut Chain, flag: u32) {
    crate::ev_assert!(chain.flags & flag == 0);
    chain.flags |= flag;
}

/// `evbuffer_chain_unpin_`: a chain freed while pinned goes now.
///
/// # Safety
/// `chain` must be live.
pub unsafe fn unpin(chain: *mut Chain, flag: u32) {
    // SAFETY: live chain (contract).
    let c = unsafe { &mut *chain };
    crate::ev_assert!(c.flags & flag != 0);
    c.flags &= !flag;
    if c.has(DANGLING) {
        // SAFETY: a dangling chain is on no list; this drops the reference release kept.
        unsafe { release(chain) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_chain_sizes_are_powers_of_two_from_1024() {
        assert_eq!(data_chain_alloc_size(0), Some(1024));
        assert_eq!(data_chain_alloc_size(1024 - 48), Some(1024));
        assert_eq!(data_chain_alloc_size(1024 - 47), Some(2048));
        assert_eq!(data_chain_alloc_size(65536), Some(131072));
        assert_eq!(data_chain_alloc_size(CHAIN_MAX - CHAIN_SIZE), Some(CHAIN_MAX));
        assert_eq!(data_chain_alloc_size(CHAIN_MAX - CHAIN_SIZE + 1), None);
        assert_eq!(data_chain_alloc_size(usize::MAX), None);
    }

    #[test]
    fn new_chain_space_and_append() {
        let mut c = NewChain::data(10).unwrap();
        assert_eq!(c.buffer_len, 1024 - 48);
        assert_eq!(c.space_len(), 976);
        c.append(b"hello");
        assert_eq!(c.data(), b"hello");
        c.misalign = 2;
        c.off = 3;
        assert_eq!(c.data(), b"llo");
        assert!(c.should_realign(900));
        c.align();
        assert_eq!(c.data(), b"llo");
        assert_eq!(c.misalign, 0);
    }

    #[test]
    fn reference_chain_is_immutable_and_cleans_up() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLED: AtomicUsize = AtomicUsize::new(0);
        unsafe extern "C" fn cleanup(_d: *const c_void, len: usize, _a: *mut c_void) {
            CALLED.fetch_add(len, Ordering::SeqCst);
        }
        let text = b"referenced";
        let c = NewChain::reference(text.as_ptr(), text.len(), Some(cleanup), ptr::null_mut()).unwrap();
        assert_eq!(c.data(), text);
        assert_eq!(c.space_len(), 0);
        assert!(!c.is_mutable());
        drop(c);
        assert_eq!(CALLED.load(Ordering::SeqCst), text.len());
    }
}
