//! Entry points of `event2/buffer.h` and `event2/buffer_compat.h`, and of upstream's internal
//! `evbuffer_*_` helpers (evbuffer-internal.h) that its bufferevents and tests call. Each
//! checks its arguments, turns C pointers and lengths into slices, and calls `crate::buffer`
//! with the buffer locked (`buffer::locked`, which also runs the callbacks afterwards).
//! (`evbuffer_add_printf` / `evbuffer_add_vprintf` are C-variadic: capi/buffer.c, variadic.rs.)

use std::ffi::{c_char, c_int, c_uint, c_void};

use libc::iovec;

use crate::base::EventBase;
use crate::buffer::callbacks::{self, CbEntry, CbFunc, ObsoleteCb};
use crate::buffer::chain::{self, Chain, RefCleanupFn, CHAIN_MAX, CHAIN_SIZE};
use crate::buffer::file::{self, FileSegment, SegmentCleanupFn};
use crate::buffer::ops::{self, reading};
use crate::buffer::search::{EolStyle, EvbufferPtr};
use crate::buffer::{self, locked, Evbuffer};
use crate::event::EventCallback;

/// The largest length one call can add: what fits in one chain.
const MAX_ADD: usize = CHAIN_MAX - CHAIN_SIZE;

/// `len` bytes at `p` as a slice (empty for a zero length, whatever `p`).
///
/// # Safety
/// `p` must point to `len` readable bytes when `len > 0`, and `len` be at most isize::MAX.
unsafe fn bytes<'a>(p: *const c_void, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: caller's contract.
    unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }
}

/// `len` writable bytes at `p` as a slice.
///
/// # Safety
/// `p` must point to `len` writable bytes when `len > 0`, and `len` be at most isize::MAX.
unsafe fn bytes_mut<'a>(p: *mut c_void, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: caller's contract.
    unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) }
}

/// The caller's array of `n` iovecs.
///
/// # Safety
/// `v` must point to `n` iovecs when `n > 0`.
unsafe fn iovecs<'a>(v: *mut iovec, n: c_int) -> &'a mut [iovec] {
    if n <= 0 || v.is_null() {
        return &mut [];
    }
    // SAFETY: caller's contract.
    unsafe { std::slice::from_raw_parts_mut(v, n as usize) }
}

#[inline]
fn eol_style_of(style: c_uint, func: &str) -> Option<EolStyle> {
    let s = EolStyle::from_c(style as c_int);
    if s.is_none() {
        unknown_eol_style(style, func);
    }
    s
}

/// The warning of [`eol_style_of`], out of line so that the per-call path of evbuffer_readln
/// does not set up its arguments.
#[cold]
#[inline(never)]
fn unknown_eol_style(style: c_uint, func: &str) {
    crate::warnx!("{}: unknown end-of-line style {}", func, style);
}

// ---- life cycle and locking ---------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evbuffer_new() -> *mut Evbuffer {
    Evbuffer::new()
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_free(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_free: NULL buffer");
    // SAFETY: a live buffer from evbuffer_new (the API's contract).
    unsafe { buffer::free(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_enable_locking(buf: *mut Evbuffer, lock: *mut c_void) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_enable_locking: NULL buffer");
    // SAFETY: live buffer; lock NULL or one of the installed lock callbacks'.
    unsafe { buffer::enable_locking(buf, lock) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_lock(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_lock: NULL buffer");
    // SAFETY: live buffer.
    unsafe { buffer::lock(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unlock(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_unlock: NULL buffer");
    // SAFETY: live buffer, locked by the caller.
    unsafe { buffer::unlock(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_incref_(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_incref_: NULL buffer");
    // SAFETY: live buffer.
    unsafe { buffer::incref(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_incref_and_lock_(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_incref_and_lock_: NULL buffer");
    // SAFETY: live buffer.
    unsafe { buffer::incref_and_lock(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_decref_and_unlock_(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_decref_and_unlock_: NULL buffer");
    // SAFETY: live buffer, locked by the caller, which holds a reference.
    unsafe { buffer::decref_and_unlock(buf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_set_parent_(buf: *mut Evbuffer, bev: *mut c_void) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_set_parent_: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.set_parent(bev)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_set_flags(buf: *mut Evbuffer, flags: u64) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_set_flags: NULL buffer");
    // SAFETY: live buffer. Upstream keeps the flags in 32 bits.
    unsafe { locked(buf, |b| b.set_flags(flags as u32)) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_clear_flags(buf: *mut Evbuffer, flags: u64) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_clear_flags: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.clear_flags(flags as u32)) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_freeze(buf: *mut Evbuffer, at_front: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_freeze: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.set_frozen(at_front != 0, true)) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unfreeze(buf: *mut Evbuffer, at_front: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_unfreeze: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.set_frozen(at_front != 0, false)) };
    0
}

// ---- sizes ---------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_length(buf: *const Evbuffer) -> usize {
    ensure_arg!(!buf.is_null(), 0, "evbuffer_get_length: NULL buffer");
    // SAFETY: live buffer.
    unsafe { reading(buf, |b| b.len()) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_contiguous_space(buf: *const Evbuffer) -> usize {
    ensure_arg!(!buf.is_null(), 0, "evbuffer_get_contiguous_space: NULL buffer");
    // SAFETY: live buffer.
    unsafe { reading(buf, |b| b.contiguous_space()) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_expand(buf: *mut Evbuffer, datlen: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_expand: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.expand(datlen)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_expand_fast_(buf: *mut Evbuffer, datlen: usize, n: c_int) -> c_int {
    ensure_arg!(!buf.is_null() && n >= 2, -1, "evbuffer_expand_fast_: NULL buffer or fewer than 2 chains");
    // SAFETY: live buffer, locked by the caller (internal contract; the lock is recursive).
    unsafe { locked(buf, |b| if b.expand_fast(datlen, n as usize) { 0 } else { -1 }) }
}

// ---- adding --------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add(buf: *mut Evbuffer, data: *const c_void, datlen: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_add: NULL buffer");
    ensure_arg!(!data.is_null() || datlen == 0, -1, "evbuffer_add: NULL data");
    ensure_arg!(datlen <= MAX_ADD, -1, "evbuffer_add: length {} too large", datlen);
    // SAFETY: live buffer; data holds datlen bytes (the API's contract).
    unsafe { locked(buf, |b| b.add(bytes(data, datlen))) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend(buf: *mut Evbuffer, data: *const c_void, datlen: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_prepend: NULL buffer");
    ensure_arg!(!data.is_null() || datlen == 0, -1, "evbuffer_prepend: NULL data");
    ensure_arg!(datlen <= MAX_ADD, -1, "evbuffer_prepend: length {} too large", datlen);
    // SAFETY: as in evbuffer_add.
    unsafe { locked(buf, |b| b.prepend_bytes(bytes(data, datlen))) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_reference(
    buf: *mut Evbuffer,
    data: *const c_void,
    datlen: usize,
    cleanupfn: Option<RefCleanupFn>,
    cleanupfn_arg: *mut c_void,
) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_add_reference: NULL buffer");
    ensure_arg!(!data.is_null() || datlen == 0, -1, "evbuffer_add_reference: NULL data");
    ensure_arg!(datlen <= CHAIN_MAX, -1, "evbuffer_add_reference: length {} too large", datlen);
    // SAFETY: live buffer; the memory stays the caller's until the cleanup runs.
    unsafe { locked(buf, |b| b.add_reference(data.cast(), datlen, cleanupfn, cleanupfn_arg)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_iovec(buf: *mut Evbuffer, vec: *mut iovec, n_vec: c_int) -> usize {
    ensure_arg!(!buf.is_null(), 0, "evbuffer_add_iovec: NULL buffer");
    ensure_arg!(n_vec >= 0 && (!vec.is_null() || n_vec == 0), 0, "evbuffer_add_iovec: bad vectors");
    // SAFETY: live buffer; vec holds n_vec vectors describing readable memory.
    unsafe {
        let v = iovecs(vec, n_vec);
        if v.iter().any(|x| x.iov_len > MAX_ADD || (x.iov_base.is_null() && x.iov_len > 0)) {
            crate::warnx!("evbuffer_add_iovec: a vector is NULL or too long");
            return 0;
        }
        locked(buf, |b| b.add_iovec(v))
    }
}

/// Called by capi/buffer.c with the text evbuffer_add_printf formatted: adds it, and returns
/// its length or -1.
#[no_mangle]
pub unsafe extern "C" fn event_rs_evbuffer_add_formatted(buf: *mut Evbuffer, text: *const c_char, len: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_add_printf: NULL buffer");
    ensure_arg!(len < c_int::MAX as usize, -1, "evbuffer_add_printf: text too long");
    // SAFETY: live buffer; text holds len bytes.
    unsafe { locked(buf, |b| b.add_printf_text(bytes(text.cast(), len))) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer(outbuf: *mut Evbuffer, inbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!outbuf.is_null() && !inbuf.is_null(), -1, "evbuffer_add_buffer: NULL buffer");
    // SAFETY: live buffers.
    unsafe { ops::add_buffer(outbuf, inbuf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend_buffer(dst: *mut Evbuffer, src: *mut Evbuffer) -> c_int {
    ensure_arg!(!dst.is_null() && !src.is_null(), -1, "evbuffer_prepend_buffer: NULL buffer");
    // SAFETY: live buffers.
    unsafe { ops::prepend_buffer(dst, src) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer_reference(outbuf: *mut Evbuffer, inbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!outbuf.is_null() && !inbuf.is_null(), -1, "evbuffer_add_buffer_reference: NULL buffer");
    // SAFETY: live buffers.
    unsafe { ops::add_buffer_reference(outbuf, inbuf) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_reserve_space(buf: *mut Evbuffer, size: isize, vec: *mut iovec, n_vecs: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_reserve_space: NULL buffer");
    ensure_arg!(n_vecs > 0 && !vec.is_null(), -1, "evbuffer_reserve_space: no vectors");
    // SAFETY: live buffer; vec has room for n_vecs vectors.
    unsafe { locked(buf, |b| b.reserve_space(size, iovecs(vec, n_vecs))) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_commit_space(buf: *mut Evbuffer, vec: *mut iovec, n_vecs: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_commit_space: NULL buffer");
    ensure_arg!(n_vecs >= 0 && (!vec.is_null() || n_vecs == 0), -1, "evbuffer_commit_space: bad vectors");
    // SAFETY: live buffer; vec holds n_vecs vectors.
    unsafe { locked(buf, |b| b.commit_space(iovecs(vec, n_vecs))) }
}

// ---- removing and reading ------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_drain(buf: *mut Evbuffer, len: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_drain: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.drain(len)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove(buf: *mut Evbuffer, data: *mut c_void, datlen: usize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_remove: NULL buffer");
    ensure_arg!(!data.is_null() || datlen == 0, -1, "evbuffer_remove: NULL destination");
    // SAFETY: live buffer; data has datlen writable bytes, of which at most the buffer's
    // length is used.
    unsafe { locked(buf, |b| b.remove(bytes_mut(data, datlen.min(b.len())))) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout(buf: *mut Evbuffer, data_out: *mut c_void, datlen: usize) -> isize {
    // SAFETY: the same contract.
    unsafe { evbuffer_copyout_from(buf, std::ptr::null(), data_out, datlen) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout_from(buf: *mut Evbuffer, pos: *const EvbufferPtr, data_out: *mut c_void, datlen: usize) -> isize {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_copyout_from: NULL buffer");
    ensure_arg!(!data_out.is_null() || datlen == 0, -1, "evbuffer_copyout_from: NULL destination");
    // SAFETY: live buffer; pos NULL or a pointer into it; data_out has datlen writable bytes,
    // of which at most the buffer's length is used.
    unsafe {
        let pos = pos.as_ref();
        if let Some(p) = pos {
            ensure_arg!(p.pos >= 0 && datlen <= (isize::MAX - p.pos) as usize, -1, "evbuffer_copyout_from: length too large");
        }
        reading(buf, |b| b.copyout_from(pos, bytes_mut(data_out, datlen.min(b.len()))))
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_buffer(src: *mut Evbuffer, dst: *mut Evbuffer, datlen: usize) -> c_int {
    ensure_arg!(!src.is_null() && !dst.is_null(), -1, "evbuffer_remove_buffer: NULL buffer");
    // SAFETY: live buffers.
    unsafe { ops::remove_buffer(src, dst, datlen) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_pullup(buf: *mut Evbuffer, size: isize) -> *mut u8 {
    ensure_arg!(!buf.is_null(), std::ptr::null_mut(), "evbuffer_pullup: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.pullup_bytes(size)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_peek(buf: *mut Evbuffer, len: isize, start_at: *mut EvbufferPtr, vec_out: *mut iovec, n_vec: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_peek: NULL buffer");
    ensure_arg!(n_vec >= 0 && (!vec_out.is_null() || n_vec == 0), -1, "evbuffer_peek: bad vectors");
    // SAFETY: live buffer; start_at NULL or a pointer into it; vec_out has n_vec vectors.
    unsafe {
        let start = start_at.as_ref();
        if let Some(p) = start {
            if p.chain.is_null() {
                return 0;
            }
            ensure_arg!(p.pos >= 0, -1, "evbuffer_peek: invalid start position");
        }
        reading(buf, |b| b.peek(len, start, iovecs(vec_out, n_vec)))
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_readln(buf: *mut Evbuffer, n_read_out: *mut usize, eol_style: c_uint) -> *mut c_char {
    if !n_read_out.is_null() {
        // SAFETY: the caller's out parameter.
        unsafe { *n_read_out = 0 };
    }
    ensure_arg!(!buf.is_null(), std::ptr::null_mut(), "evbuffer_readln: NULL buffer");
    let Some(style) = eol_style_of(eol_style, "evbuffer_readln") else { return std::ptr::null_mut() };
    // SAFETY: live buffer.
    match unsafe { locked(buf, |b| b.readln(style)) } {
        Some((line, n)) => {
            if !n_read_out.is_null() {
                // SAFETY: as above.
                unsafe { *n_read_out = n };
            }
            line.as_ptr()
        }
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_readline(buf: *mut Evbuffer) -> *mut c_char {
    // SAFETY: the same contract.
    unsafe { evbuffer_readln(buf, std::ptr::null_mut(), 0) }
}

// ---- positions and searching ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_ptr_set(buf: *mut Evbuffer, ptr: *mut EvbufferPtr, position: usize, how: c_uint) -> c_int {
    ensure_arg!(!buf.is_null() && !ptr.is_null(), -1, "evbuffer_ptr_set: NULL argument");
    ensure_arg!(how <= 1, -1, "evbuffer_ptr_set: unknown mode {}", how);
    // SAFETY: live buffer; ptr the caller's pointer into it.
    unsafe { reading(buf, |b| b.ptr_set(&mut *ptr, position, how == 1)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search(buf: *mut Evbuffer, what: *const c_char, len: usize, start: *const EvbufferPtr) -> EvbufferPtr {
    // SAFETY: the same contract.
    unsafe { evbuffer_search_range(buf, what, len, start, std::ptr::null()) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_range(
    buf: *mut Evbuffer,
    what: *const c_char,
    len: usize,
    start: *const EvbufferPtr,
    end: *const EvbufferPtr,
) -> EvbufferPtr {
    ensure_arg!(!buf.is_null(), EvbufferPtr::NOT_FOUND, "evbuffer_search_range: NULL buffer");
    ensure_arg!(!what.is_null() || len == 0, EvbufferPtr::NOT_FOUND, "evbuffer_search_range: NULL pattern");
    ensure_arg!(len <= isize::MAX as usize, EvbufferPtr::NOT_FOUND, "evbuffer_search_range: pattern too long");
    // SAFETY: live buffer; what holds len bytes; start/end NULL or pointers into it.
    unsafe { reading(buf, |b| b.search_range(bytes(what.cast(), len), start.as_ref(), end.as_ref())) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_eol(buf: *mut Evbuffer, start: *mut EvbufferPtr, eol_len_out: *mut usize, eol_style: c_uint) -> EvbufferPtr {
    if !eol_len_out.is_null() {
        // SAFETY: the caller's out parameter.
        unsafe { *eol_len_out = 0 };
    }
    ensure_arg!(!buf.is_null(), EvbufferPtr::NOT_FOUND, "evbuffer_search_eol: NULL buffer");
    let Some(style) = eol_style_of(eol_style, "evbuffer_search_eol") else { return EvbufferPtr::NOT_FOUND };
    // SAFETY: live buffer; start NULL or a pointer into it.
    let (at, n) = unsafe { reading(buf, |b| b.search_eol(start.as_ref(), style)) };
    if !eol_len_out.is_null() {
        // SAFETY: as above.
        unsafe { *eol_len_out = n };
    }
    at
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_find(buf: *mut Evbuffer, what: *const u8, len: usize) -> *mut u8 {
    ensure_arg!(!buf.is_null(), std::ptr::null_mut(), "evbuffer_find: NULL buffer");
    ensure_arg!(!what.is_null() || len == 0, std::ptr::null_mut(), "evbuffer_find: NULL pattern");
    ensure_arg!(len <= isize::MAX as usize, std::ptr::null_mut(), "evbuffer_find: pattern too long");
    // SAFETY: live buffer; what holds len bytes.
    unsafe { locked(buf, |b| b.find_contiguous(bytes(what.cast(), len))) }
}

// ---- file descriptors ----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_read(buf: *mut Evbuffer, fd: c_int, howmuch: c_int) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_read: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.read(fd, howmuch)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write_atmost(buf: *mut Evbuffer, fd: c_int, howmuch: isize) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_write_atmost: NULL buffer");
    // SAFETY: live buffer.
    unsafe { locked(buf, |b| b.write_atmost(fd, howmuch)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write(buf: *mut Evbuffer, fd: c_int) -> c_int {
    // SAFETY: the same contract.
    unsafe { evbuffer_write_atmost(buf, fd, -1) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_read_setup_vecs_(
    buf: *mut Evbuffer,
    howmuch: isize,
    vecs: *mut iovec,
    n_vecs: c_int,
    chainp: *mut *mut *mut Chain,
    exact: c_int,
) -> c_int {
    ensure_arg!(!buf.is_null() && !chainp.is_null(), -1, "evbuffer_read_setup_vecs_: NULL argument");
    ensure_arg!(howmuch >= 0 && n_vecs > 0 && !vecs.is_null(), -1, "evbuffer_read_setup_vecs_: bad size or vectors");
    // SAFETY: live buffer (locked by the caller, internal contract); vecs has n_vecs slots.
    unsafe {
        let (n, first) = (*buf).read_vecs(howmuch as usize, iovecs(vecs, n_vecs), exact != 0);
        *chainp = first;
        n as c_int
    }
}

// ---- file segments -------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evbuffer_file_segment_new(fd: c_int, offset: libc::off_t, length: libc::off_t, flags: c_uint) -> *mut FileSegment {
    ensure_arg!(fd >= 0, std::ptr::null_mut(), "evbuffer_file_segment_new: bad fd {}", fd);
    file::segment_new(fd, offset, length, flags)
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_free(seg: *mut FileSegment) {
    ensure_arg!(!seg.is_null(), (), "evbuffer_file_segment_free: NULL segment");
    // SAFETY: a live segment the caller holds a reference on.
    unsafe { file::segment_decref(seg) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_add_cleanup_cb(seg: *mut FileSegment, cb: Option<SegmentCleanupFn>, arg: *mut c_void) {
    ensure_arg!(!seg.is_null(), (), "evbuffer_file_segment_add_cleanup_cb: NULL segment");
    // SAFETY: live segment.
    unsafe { file::set_cleanup(seg, cb, arg) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file_segment(buf: *mut Evbuffer, seg: *mut FileSegment, offset: libc::off_t, length: libc::off_t) -> c_int {
    ensure_arg!(!buf.is_null() && !seg.is_null(), -1, "evbuffer_add_file_segment: NULL argument");
    // SAFETY: live buffer and segment.
    unsafe { locked(buf, |b| b.add_file_segment(seg, offset, length)) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file(buf: *mut Evbuffer, fd: c_int, offset: libc::off_t, length: libc::off_t) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_add_file: NULL buffer");
    ensure_arg!(fd >= 0, -1, "evbuffer_add_file: bad fd {}", fd);
    // SAFETY: live buffer, locked by `locked`.
    unsafe { locked(buf, |b| file::add_file(b, fd, offset, length)) }
}

// ---- callbacks -----------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_cb(buf: *mut Evbuffer, cb: Option<CbFunc>, cbarg: *mut c_void) -> *mut CbEntry {
    ensure_arg!(!buf.is_null(), std::ptr::null_mut(), "evbuffer_add_cb: NULL buffer");
    // SAFETY: live buffer.
    unsafe { callbacks::add_cb(buf, cb.map_or(std::ptr::null(), |f| f as *const c_void), cbarg) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb_entry(buf: *mut Evbuffer, ent: *mut CbEntry) -> c_int {
    ensure_arg!(!buf.is_null() && !ent.is_null(), -1, "evbuffer_remove_cb_entry: NULL argument");
    // SAFETY: live buffer and one of its entries.
    unsafe { callbacks::remove_cb_entry(buf, ent) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb(buf: *mut Evbuffer, cb: Option<CbFunc>, cbarg: *mut c_void) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_remove_cb: NULL buffer");
    // SAFETY: live buffer.
    unsafe { callbacks::remove_cb(buf, cb.map_or(std::ptr::null(), |f| f as *const c_void), cbarg) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_set_flags(buf: *mut Evbuffer, cb: *mut CbEntry, flags: u32) -> c_int {
    ensure_arg!(!buf.is_null() && !cb.is_null(), -1, "evbuffer_cb_set_flags: NULL argument");
    // SAFETY: live buffer and one of its entries.
    unsafe { callbacks::change_flags(buf, cb, flags, true) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_clear_flags(buf: *mut Evbuffer, cb: *mut CbEntry, flags: u32) -> c_int {
    ensure_arg!(!buf.is_null() && !cb.is_null(), -1, "evbuffer_cb_clear_flags: NULL argument");
    // SAFETY: live buffer and one of its entries.
    unsafe { callbacks::change_flags(buf, cb, flags, false) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_setcb(buf: *mut Evbuffer, cb: Option<ObsoleteCb>, cbarg: *mut c_void) -> c_int {
    ensure_arg!(!buf.is_null(), -1, "evbuffer_setcb: NULL buffer");
    // SAFETY: live buffer.
    unsafe { callbacks::setcb(buf, cb, cbarg) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_defer_callbacks(buf: *mut Evbuffer, base: *mut EventBase) -> c_int {
    ensure_arg!(!buf.is_null() && !base.is_null(), -1, "evbuffer_defer_callbacks: NULL argument");
    // SAFETY: live buffer and base.
    unsafe { callbacks::defer_callbacks(buf, base) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_invoke_callbacks_(buf: *mut Evbuffer) {
    ensure_arg!(!buf.is_null(), (), "evbuffer_invoke_callbacks_: NULL buffer");
    // SAFETY: live buffer, locked by the caller (the lock is recursive).
    unsafe {
        buffer::lock(buf);
        callbacks::invoke(buf);
        buffer::unlock(buf);
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_callbacks_(buf: *mut Evbuffer, cbs: *mut *mut EventCallback, max_cbs: c_int) -> c_int {
    ensure_arg!(!buf.is_null() && (!cbs.is_null() || max_cbs <= 0), -1, "evbuffer_get_callbacks_: NULL argument");
    // SAFETY: live buffer; cbs has max_cbs slots.
    unsafe {
        let out = if max_cbs > 0 { std::slice::from_raw_parts_mut(cbs, max_cbs as usize) } else { &mut [] };
        locked(buf, |b| callbacks::deferred_callbacks(b, out))
    }
}

// ---- chains (for IOCP-style users that pin chains while the kernel holds them) ---------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_chain_pin_(chain: *mut Chain, flag: c_uint) {
    ensure_arg!(!chain.is_null(), (), "evbuffer_chain_pin_: NULL chain");
    // SAFETY: a live chain of a buffer locked by the caller.
    chain::pin(unsafe { &mut *chain }, flag)
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_chain_unpin_(chain: *mut Chain, flag: c_uint) {
    ensure_arg!(!chain.is_null(), (), "evbuffer_chain_unpin_: NULL chain");
    // SAFETY: a live chain of a buffer locked by the caller.
    unsafe { chain::unpin(chain, flag) }
}
