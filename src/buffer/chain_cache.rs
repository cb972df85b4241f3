//! A per-thread cache of freed data chains, so that a buffer's memory is reused instead of going
//! back to malloc.
//!
//! Why: glibc hands freed chunks of 128 KiB and more back to the kernel (trimming the heap top
//! or unmapping), so a server whose replies or uploads each take such chains faults every page
//! of them in again: bench_http serving 100 KiB bodies (one 128 KiB chain a reply) to 50
//! connections took 15 page faults and 7 brk calls a request, and 96-101 µs of CPU a request
//! against 40-43 with the memory kept. Many small connections in flight exhaust malloc's
//! per-thread cache for 1-4 KiB chunks, and its slow paths cost more than the rest of an echoed
//! message's buffer work. A LIFO list per allocation size keeps the memory warm and takes a few
//! instructions.
//!
//! How much is kept: RESIDENT bytes for as long as the thread lives; on a thread that runs an
//! event loop, up to CAPACITY while the program uses it. The loop trims the cache every
//! TRIM_PERIOD_MS while it holds more than RESIDENT (`loop_wait_limit_ms`, `loop_woke`): what
//! sat unused through a whole period (the least the cache held during it) goes back to malloc,
//! and malloc gives its free pages back to the kernel. A busy server keeps its working set; one
//! whose traffic stopped is back to RESIDENT within two periods, so its resident size falls
//! back too (upstream's stays at the peak).
//!
//! Only memory from the C library's malloc is cached: when the program replaced the allocator
//! (event_set_mem_functions) the cache is bypassed, and what it holds is always freed with
//! libc's free, so a chain always goes back to the allocator that made it. Chains of one size
//! are bounded too (MAX_PER_CLASS), and the cache is emptied when its thread exits (the
//! thread_local's destructor), so nothing is left behind for a leak checker.

use std::cell::Cell;
use std::ffi::c_void;

use crate::mm;

/// The cached allocation sizes: powers of two from LOWEST (data chains' smallest size) to
/// HIGHEST (a chain that one read of buffer::io::MAX_READ fills).
const LOWEST_SHIFT: u32 = 10;
const HIGHEST_SHIFT: u32 = 20;
const CLASSES: usize = (HIGHEST_SHIFT - LOWEST_SHIFT + 1) as usize;
/// Bytes a thread's cache keeps for good: what a bulk transfer between two buffers of a
/// megabyte each frees at a time (1 MiB would keep only half of it, and the other half would
/// still fault in fresh pages: 41 instead of 19 faults per MiB in the pair benchmark), or a
/// thousand small connections' 1 KiB chains.
const RESIDENT: usize = 2 << 20;
/// Bytes the cache of a thread running an event loop may hold while they are in use: 500
/// connections' 128 KiB replies.
const CAPACITY: usize = 64 << 20;
/// How often the loop gives back what the cache did not use (see the module comment).
pub const TRIM_PERIOD_MS: i64 = 100;
/// Chains of one size the cache may hold.
const MAX_PER_CLASS: usize = 1024;

/// One size's free list: blocks linked through their first word.
struct Class {
    head: Cell<*mut c_void>,
    count: Cell<usize>,
}

impl Class {
    fn push(&self, p: *mut c_void) {
        // SAFETY: the block is the cache's now (put's contract) and at least a word long.
        unsafe { p.cast::<*mut c_void>().write(self.head.get()) };
        self.head.set(p);
        self.count.set(self.count.get() + 1);
    }

    fn pop(&self) -> *mut c_void {
        let p = self.head.get();
        if !p.is_null() {
            // SAFETY: a cached block holds the next block's address in its first word.
            self.head.set(unsafe { p.cast::<*mut c_void>().read() });
            self.count.set(self.count.get() - 1);
        }
        p
    }
}

struct ChainCache {
    classes: [Class; CLASSES],
    /// Bytes held.
    bytes: Cell<usize>,
    /// Whether this thread runs an event loop (it may then hold up to CAPACITY).
    loop_thread: Cell<bool>,
    /// When the loop trims next (monotonic milliseconds; 0: not scheduled, the cache holds no
    /// more than RESIDENT).
    trim_at: Cell<i64>,
    /// The least the cache held since the last trim: bytes no one took during the period.
    unused: Cell<usize>,
}

impl ChainCache {
    /// Frees cached blocks, the largest first, until at most `keep` bytes are held.
    fn shrink_to(&self, keep: usize) {
        for (k, class) in self.classes.iter().enumerate().rev() {
            while self.bytes.get() > keep {
                let p = class.pop();
                if p.is_null() {
                    break;
                }
                self.bytes.set(self.bytes.get() - size_of_class(k));
                // SAFETY: cached blocks come from libc malloc (take/put) and this one is unlinked.
                unsafe { libc::free(p) };
            }
        }
        self.unused.set(self.unused.get().min(self.bytes.get()));
    }
}

impl Drop for ChainCache {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

thread_local! {
    static CACHE: ChainCache = const {
        ChainCache {
            classes: [const { Class { head: Cell::new(std::ptr::null_mut()), count: Cell::new(0) } }; CLASSES],
            bytes: Cell::new(0),
            loop_thread: Cell::new(false),
            trim_at: Cell::new(0),
            unused: Cell::new(0),
        }
    };
}

fn size_of_class(k: usize) -> usize {
    1 << (k as u32 + LOWEST_SHIFT)
}

/// Monotonic milliseconds from the coarse clock (a few nanoseconds through the vDSO).
fn now_ms() -> i64 {
    crate::time::to_ms(&crate::time::clock_now(libc::CLOCK_MONOTONIC_COARSE))
}

/// Frees every block this thread's cache holds: for a server whose burst of connections is
/// over, so that their buffers' memory can go back to the system (see `mm::trim`).
pub fn release_all() {
    let _ = CACHE.try_with(|cache| cache.shrink_to(0));
}

/// For the event loop, before it waits: marks this thread as one running a loop, and returns
/// how long the loop may wait before the cache is due for a trim (0: due now); None when no trim
/// is scheduled.
pub fn loop_wait_limit_ms() -> Option<i64> {
    CACHE
        .try_with(|cache| {
            cache.loop_thread.set(true);
            let at = cache.trim_at.get();
            (at != 0).then(|| (at - now_ms()).max(0))
        })
        .ok()
        .flatten()
}

/// For the event loop, after its wait: trims the cache when due, giving back what it did not
/// use since the last trim, and schedules the next trim while it holds more than RESIDENT.
pub fn loop_woke() {
    let _ = CACHE.try_with(|cache| {
        let at = cache.trim_at.get();
        if at == 0 {
            return;
        }
        let now = now_ms();
        if now < at {
            return;
        }
        let before = cache.bytes.get();
        let idle = cache.unused.get().saturating_sub(RESIDENT);
        cache.shrink_to(before - idle);
        cache.unused.set(cache.bytes.get());
        cache.trim_at.set(if cache.bytes.get() > RESIDENT { now + TRIM_PERIOD_MS } else { 0 });
        // malloc_trim walks the whole heap: worth it for megabytes, not for a few chains a
        // period of a server whose load moves a little.
        if idle >= RESIDENT {
            mm::trim_malloc();
        }
    });
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
                let p = cache.classes[k].pop();
                if !p.is_null() {
                    cache.bytes.set(cache.bytes.get() - size);
                    cache.unused.set(cache.unused.get().min(cache.bytes.get()));
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
                let limit = if cache.loop_thread.get() { CAPACITY } else { RESIDENT };
                let bytes = cache.bytes.get() + size;
                if class.count.get() >= MAX_PER_CLASS || bytes > limit {
                    return false;
                }
                class.push(p);
                cache.bytes.set(bytes);
                if bytes > RESIDENT && cache.trim_at.get() == 0 {
                    cache.unused.set(bytes);
                    cache.trim_at.set(now_ms() + TRIM_PERIOD_MS);
                }
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
        assert_eq!(class_of(1 << 20), Some(CLASSES - 1));
        assert_eq!(class_of(512), None);
        assert_eq!(class_of(1 << 21), None);
        assert_eq!(class_of(3000), None);
        assert_eq!(class_of(64), None);
    }

    fn held() -> usize {
        CACHE.with(|c| c.bytes.get())
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
            // Without an event loop on the thread, no more than RESIDENT stays.
            let big: Vec<_> = (0..RESIDENT / (1 << 17) + 2).map(|_| take(1 << 17)).collect();
            for &p in &big {
                // SAFETY: each p came from take(1 << 17) and is given back once.
                unsafe { put(p, 1 << 17) };
            }
            assert_eq!(held(), RESIDENT);
            assert_eq!(loop_trim_due(), false);
            // SAFETY: a and b were taken back above and are given back once more.
            unsafe { put(a, 2048) };
            // SAFETY: as above.
            unsafe { put(b, 2048) };
            assert!(held() <= RESIDENT);
        })
        .join()
        .unwrap();
    }

    fn loop_trim_due() -> bool {
        CACHE.with(|c| c.trim_at.get() != 0)
    }

    #[test]
    fn a_loop_thread_keeps_its_working_set_and_gives_back_what_it_stopped_using() {
        std::thread::spawn(|| {
            const BLOCK: usize = 1 << 17;
            let n = 3 * RESIDENT / BLOCK;
            assert_eq!(loop_wait_limit_ms(), None, "nothing to trim yet");
            let blocks: Vec<_> = (0..n).map(|_| take(BLOCK)).collect();
            for &p in &blocks {
                // SAFETY: each p came from take(BLOCK) and is given back once.
                unsafe { put(p, BLOCK) };
            }
            // A loop thread holds more than RESIDENT, and a trim is scheduled.
            assert_eq!(held(), 3 * RESIDENT);
            let wait = loop_wait_limit_ms().expect("a trim is scheduled");
            assert!((0..=TRIM_PERIOD_MS).contains(&wait));
            // Before the period ends nothing goes.
            loop_woke();
            assert_eq!(held(), 3 * RESIDENT);
            // The first period began when the cache passed RESIDENT: only what it held then sat
            // unused through all of it (the rest came later).
            std::thread::sleep(std::time::Duration::from_millis(TRIM_PERIOD_MS as u64 + 20));
            loop_woke();
            assert_eq!(held(), 3 * RESIDENT - BLOCK);
            // Through the next period RESIDENT of it is in use again (taken and given back), the
            // rest never: at the trim the unused part above RESIDENT goes.
            let again: Vec<_> = (0..RESIDENT / BLOCK).map(|_| take(BLOCK)).collect();
            for &p in &again {
                // SAFETY: as above.
                unsafe { put(p, BLOCK) };
            }
            std::thread::sleep(std::time::Duration::from_millis(TRIM_PERIOD_MS as u64 + 20));
            assert_eq!(loop_wait_limit_ms(), Some(0));
            loop_woke();
            assert_eq!(held(), 2 * RESIDENT);
            assert!(loop_trim_due(), "still above RESIDENT: the next period is watched");
            // A period with no use at all: back to RESIDENT, and no more trims.
            std::thread::sleep(std::time::Duration::from_millis(TRIM_PERIOD_MS as u64 + 20));
            loop_woke();
            assert_eq!(held(), RESIDENT);
            assert!(!loop_trim_due());
            assert_eq!(loop_wait_limit_ms(), None);
            // The cap of a loop thread.
            let many: Vec<_> = (0..CAPACITY / (1 << 20) + 2).map(|_| take(1 << 20)).collect();
            for &p in &many {
                // SAFETY: each p came from take(1 << 20) and is given back once.
                unsafe { put(p, 1 << 20) };
            }
            assert!(held() <= CAPACITY);
        })
        .join()
        .unwrap();
    }
}
