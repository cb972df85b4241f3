//! A small per-thread cache of freed data chains, so that a buffer's memory is reused instead of
//! going back to malloc.
//!
//! Why: a bulk transfer frees its 128 KiB chains as fast as it allocates them, and glibc hands
//! chunks that size back to the kernel (trimming the heap top or unmapping), so nearly every 4 KiB
//! copied into a new chain lands in a fresh page (a page fault each). Many small connections in
//! flight exhaust malloc's per-thread cache for 1-4 KiB chunks, and its slow paths cost more than
//! the rest of an echoed message's buffer work. A LIFO list per allocation size keeps the
//! memory warm and takes a few instructions.
//!
//! Only memory from the C library's malloc is cached: when the program replaced the allocator
//! (event_set_mem_functions) the cache is bypassed, and what it holds is always freed with
//! libc's free, so a chain always goes back to the allocator that made it. The cache is bounded
//! (CAPACITY bytes per thread, MAX_PER_CLASS chains per size) and emptied when its thread exits
//! (the thread_local's destructor), so nothing is left behind for a leak checker.

use std::cell::Cell;
use std::ffi::c_void;

use crate::mm;

/// The cached allocation sizes: powers of two from LOWEST (data chains' smallest size) to
/// HIGHEST (what one 64 KiB write or read gets).
const LOWEST_SHIFT: u32 = 10;
const HIGHEST_SHIFT: u32 = 17;
const CLASSES: usize = (HIGHEST_SHIFT - LOWEST_SHIFT + 1) as usize;
/// Bytes one thread's cache may hold: what a bulk transfer between two buffers of a megabyte
/// each frees at a time (1 MiB would keep only half of it, and the other half would still fault
/// in fresh pages: 41 instead of 19 faults per MiB in the pair benchmark), or a thousand small
/// connections' 1 KiB chains.
const CAPACITY: usize = 2 << 20;
/// Chains of one size the cache may hold.
const MAX_PER_CLASS: usize = 1024;

/// One size's free list: chains linked through their first word.
struct Class {
    head: Cell<*mut c_void>,
    count: Cell<usize>,
}

struct ChainCache {
    classes: [Class; CLASSES],
    bytes: Cell<usize>,
}

impl ChainCache {
    /// Frees every cached block.
    fn release(&self) {
        for class in &self.classes {
            let mut p = class.head.replace(std::ptr::null_mut());
            while !p.is_null() {
                // SAFETY: every cached block came from libc malloc, is at least 1 KiB, and holds
                // the next block's address in its first word (put).
                unsafe {
                    let next = p.cast::<*mut c_void>().read();
                    libc::free(p);
                    p = next;
                }
            }
            class.count.set(0);
        }
        self.bytes.set(0);
    }
}

impl Drop for ChainCache {
    fn drop(&mut self) {
        self.release();
    }
}

thread_local! {
    static CACHE: ChainCache = const {
        ChainCache {
            classes: [const { Class { head: Cell::new(std::ptr::null_mut()), count: Cell::new(0) } }; CLASSES],
            bytes: Cell::new(0),
        }
    };
}

/// Frees every block this thread's cache holds: for a server whose burst of connections is
/// over, so that their buffers' memory can go back to the system (see `mm::trim`).
pub fn release_all() {
    let _ = CACHE.try_with(ChainCache::release);
}

/// The class of an allocation size, when such blocks are cached.
#[inline]
fn class_of(size: usize) -> Option<usize> {
    let shift = size.trailing_zeros();
    (size.is_power_of_two() && (LOWEST_SHIFT..=HIGHEST_SHIFT).contains(&shift)).then(|| (shift - LOWEST_SHIFT) as usize)
}

/// A block of `size` bytes for a chain: a cached one when there is one, else the allocator's
/// (NULL when out of memory).
#[inline]
pub fn take(size: usize) -> *mut c_void {
    if let Some(k) = class_of(size).filter(|_| !mm::replaced()) {
        let cached = CACHE
            .try_with(|cache| {
                let class = &cache.classes[k];
                let p = class.head.get();
                if !p.is_null() {
                    // SAFETY: a cached block holds the next block's address in its first word.
                    class.head.set(unsafe { p.cast::<*mut c_void>().read() });
                    class.count.set(class.count.get() - 1);
                    cache.bytes.set(cache.bytes.get() - size);
                }
                p
            })
            .unwrap_or(std::ptr::null_mut());
        if !cached.is_null() {
            return cached;
        }
    }
    mm::malloc(size)
}

/// Gives back a chain's block of `size` bytes (from `take`): kept for reuse when there is room,
/// else freed.
///
/// # Safety
/// `p` must come from `take(size)` and not be used afterwards.
#[inline]
pub unsafe fn put(p: *mut c_void, size: usize) {
    if let Some(k) = class_of(size).filter(|_| !mm::replaced()) {
        let kept = CACHE
            .try_with(|cache| {
                let class = &cache.classes[k];
                if class.count.get() >= MAX_PER_CLASS || cache.bytes.get() + size > CAPACITY {
                    return false;
                }
                // SAFETY: the block is ours now (contract) and at least a word long.
                unsafe { p.cast::<*mut c_void>().write(class.head.get()) };
                class.head.set(p);
                class.count.set(class.count.get() + 1);
                cache.bytes.set(cache.bytes.get() + size);
                true
            })
            .unwrap_or(false);
        if kept {
            return;
        }
    }
    mm::free(p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_chain_sizes_are_cached() {
        assert_eq!(class_of(1024), Some(0));
        assert_eq!(class_of(4096), Some(2));
        assert_eq!(class_of(1 << 17), Some(CLASSES - 1));
        assert_eq!(class_of(512), None);
        assert_eq!(class_of(1 << 18), None);
        assert_eq!(class_of(3000), None);
        assert_eq!(class_of(64), None);
    }

    #[test]
    fn freed_blocks_are_reused_last_in_first_out_and_bounded() {
        // Run on a fresh thread: its cache starts empty, and is emptied when it ends.
        std::thread::spawn(|| {
            let a = take(2048);
            let b = take(2048);
            assert!(!a.is_null() && !b.is_null() && a != b);
            // SAFETY: a and b came from take(2048) and are not used again until taken back.
            unsafe { put(a, 2048) };
            // SAFETY: as above.
            unsafe { put(b, 2048) };
            assert_eq!(take(2048), b);
            assert_eq!(take(2048), a);
            // The byte bound: no more than CAPACITY of 128 KiB blocks stays.
            let big: Vec<_> = (0..CAPACITY / (1 << 17) + 2).map(|_| take(1 << 17)).collect();
            for &p in &big {
                // SAFETY: each p came from take(1 << 17) and is given back once.
                unsafe { put(p, 1 << 17) };
            }
            CACHE.with(|c| assert_eq!(c.bytes.get(), CAPACITY / (1 << 17) * (1 << 17)));
            // SAFETY: a and b were taken back above and are given back once more.
            unsafe { put(a, 2048) };
            // SAFETY: as above.
            unsafe { put(b, 2048) };
            CACHE.with(|c| assert!(c.bytes.get() <= CAPACITY));
        })
        .join()
        .unwrap();
    }
}
