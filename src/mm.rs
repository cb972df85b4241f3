//! Memory allocation through the user's replacement functions (`event_set_mem_functions`).
//! Everything libevent hands to the user or takes back from the user (events from event_new,
//! strings, buffers) is allocated here so a custom allocator sees all of it.

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

pub type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
pub type ReallocFn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
pub type FreeFn = unsafe extern "C" fn(*mut c_void);

static MALLOC_FN: AtomicUsize = AtomicUsize::new(0);
static REALLOC_FN: AtomicUsize = AtomicUsize::new(0);
static FREE_FN: AtomicUsize = AtomicUsize::new(0);

pub fn set_functions(m: Option<MallocFn>, r: Option<ReallocFn>, f: Option<FreeFn>) {
    MALLOC_FN.store(m.map_or(0, |p| p as usize), Ordering::Release);
    REALLOC_FN.store(r.map_or(0, |p| p as usize), Ordering::Release);
    FREE_FN.store(f.map_or(0, |p| p as usize), Ordering::Release);
}

/// Whether the program replaced the allocator (then everything goes through its functions).
#[inline]
pub fn replaced() -> bool {
    MALLOC_FN.load(Ordering::Relaxed) != 0 || FREE_FN.load(Ordering::Relaxed) != 0
}

/// `malloc`; a zero size gives NULL as upstream's mm_malloc does.
pub fn malloc(size: usize) -> *mut c_void {
    if size == 0 {
        return std::ptr::null_mut();
    }
    let m = MALLOC_FN.load(Ordering::Acquire);
    if m != 0 {
        // SAFETY: only MallocFn values are stored in MALLOC_FN.
        let f: MallocFn = unsafe { std::mem::transmute::<usize, MallocFn>(m) };
        // SAFETY: calling the user's malloc with a non-zero size.
        return unsafe { f(size) };
    }
    // SAFETY: libc malloc with a non-zero size.
    unsafe { libc::malloc(size) }
}

/// Zeroed allocations up to this size are `malloc` and zeroing (see `calloc`).
const SMALL_CALLOC: usize = 4096;

/// `calloc`, refusing sizes whose product overflows.
pub fn calloc(count: usize, size: usize) -> *mut c_void {
    if count == 0 || size == 0 {
        return std::ptr::null_mut();
    }
    let Some(total) = count.checked_mul(size) else {
        set_errno(libc::ENOMEM);
        return std::ptr::null_mut();
    };
    // glibc's calloc skips its per-thread cache (tcache) and costs about 250 instructions where
    // malloc costs 70; a new connection makes eight small zeroed allocations (bufferevent,
    // evbuffers, request), so small ones are malloc + zeroing. Large ones stay with calloc,
    // which knows when fresh pages are already zero.
    if MALLOC_FN.load(Ordering::Acquire) != 0 || total <= SMALL_CALLOC {
        let p = malloc(total);
        if !p.is_null() {
            // SAFETY: p points to `total` freshly allocated bytes.
            unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0, total) };
        }
        return p;
    }
    // SAFETY: libc calloc with non-zero arguments.
    unsafe { libc::calloc(count, size) }
}

/// `ptr` must be NULL or come from this allocator: the same contract as C's realloc, which is
/// what this is the boundary to (so, like libc's bindings, not repeated as `unsafe` at every
/// caller).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    let r = REALLOC_FN.load(Ordering::Acquire);
    if r != 0 {
        // SAFETY: only ReallocFn values are stored in REALLOC_FN.
        let f: ReallocFn = unsafe { std::mem::transmute::<usize, ReallocFn>(r) };
        // SAFETY: ptr came from this allocator (caller's contract).
        return unsafe { f(ptr, size) };
    }
    // SAFETY: ptr came from libc malloc (caller's contract).
    unsafe { libc::realloc(ptr, size) }
}

/// `ptr` must be NULL or come from this allocator and not be used afterwards: C's free contract
/// (see `realloc`).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn free(ptr: *mut c_void) {
    let f = FREE_FN.load(Ordering::Acquire);
    if f != 0 {
        // SAFETY: only FreeFn values are stored in FREE_FN.
        let f: FreeFn = unsafe { std::mem::transmute::<usize, FreeFn>(f) };
        // SAFETY: ptr came from this allocator (caller's contract).
        unsafe { f(ptr) };
        return;
    }
    // SAFETY: ptr came from libc malloc or is NULL (caller's contract).
    unsafe { libc::free(ptr) }
}

/// Copies a NUL-terminated string into memory from `malloc`.
///
/// # Safety
/// `s` must be a valid NUL-terminated string.
pub unsafe fn strdup(s: *const c_char) -> *mut c_char {
    if s.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: s is NUL-terminated (caller's contract).
    let len = unsafe { libc::strlen(s) };
    let Some(size) = len.checked_add(1) else {
        set_errno(libc::ENOMEM);
        return std::ptr::null_mut();
    };
    let p = malloc(size).cast::<c_char>();
    if !p.is_null() {
        // SAFETY: p has room for len+1 bytes; s has len+1 readable bytes.
        unsafe { std::ptr::copy_nonoverlapping(s, p, size) };
    }
    p
}

/// Copies `bytes` into a NUL-terminated string from `malloc` (NULL when out of memory). The
/// bytes should hold no NUL, or C sees the string end there.
pub fn strdup_bytes(bytes: &[u8]) -> *mut c_char {
    let Some(size) = bytes.len().checked_add(1) else {
        set_errno(libc::ENOMEM);
        return std::ptr::null_mut();
    };
    let p = malloc(size).cast::<u8>();
    if !p.is_null() {
        // SAFETY: p has room for len+1 bytes; bytes is a valid slice that cannot overlap fresh
        // memory.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            *p.add(bytes.len()) = 0;
        }
    }
    p.cast()
}

/// Gives the memory the C library's allocator holds free back to the system (glibc's
/// malloc_trim, which also returns free pages inside the heap), after this thread's cached
/// buffer chains: for a server whose burst of connections is over, whose memory would otherwise
/// stay resident. Nothing when the program replaced the allocator (its memory is its own).
pub fn trim() {
    if replaced() {
        return;
    }
    crate::buffer::release_cached_chains();
    trim_malloc();
}

/// glibc's malloc_trim alone: after the buffer chain cache gave memory back to malloc.
pub fn trim_malloc() {
    // SAFETY: malloc_trim takes no pointer; it only releases memory no one holds.
    unsafe { libc::malloc_trim(0) };
}

pub fn set_errno(e: i32) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

pub fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() }
}
