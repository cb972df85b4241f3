//! Entry points of `event2/tag.h` (tag_compat.h has only macros), plus evtag_encode_tag and
//! evtag_decode_tag/int/int64, which upstream exports without declaring them in a header
//! (its tests and rpcgen's output declare them themselves). Argument checks, then
//! `crate::tag::buffer`; results are upstream's: -1 for a failure, which malformed input is
//! (not logged: it is the peer's data, not a programming error), and a warning with -1 (or
//! nothing done, for the void functions) for NULL or otherwise bad arguments.

use std::ffi::{c_char, c_int, c_void, CStr};

use libc::timeval;

use crate::buffer::Evbuffer;
use crate::tag::buffer as tagbuf;

/// Upstream's result of a reader that yields a value and a length: the value stored through
/// `p` (unless NULL: some out-pointers are optional) and the length returned (lengths are at
/// most MAX_RECORD_LEN, so it fits), or -1 with nothing stored.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
unsafe fn stored<T>(r: Option<(T, usize)>, p: *mut T) -> c_int {
    let Some((v, len)) = r else { return -1 };
    if !p.is_null() {
        // SAFETY: non-NULL, so writable (contract).
        unsafe { p.write(v) };
    }
    c_int::try_from(len).unwrap_or(c_int::MAX)
}

/// Upstream's result of a reader that yields only a value: stored through `p`, and 0; or -1.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
unsafe fn stored_status<T>(r: Option<T>, p: *mut T) -> c_int {
    // SAFETY: the same contract.
    unsafe { stored(r.map(|v| (v, 0)), p) }
}

/// 0 for success, -1 for failure.
fn status(ok: bool) -> c_int {
    if ok {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub extern "C" fn evtag_init() {
    // Nothing to set up: the codec has no state. Kept for programs written for 1.x.
}

// ---- encoding -------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int(evbuf: *mut Evbuffer, number: u32) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_encode_int: NULL buffer");
    // SAFETY: a live buffer (checked non-NULL; the API's contract).
    unsafe { tagbuf::encode_int(evbuf, number) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int64(evbuf: *mut Evbuffer, number: u64) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_encode_int64: NULL buffer");
    // SAFETY: as above.
    unsafe { tagbuf::encode_int64(evbuf, number) }
}

/// A NULL buffer is allowed: then only the length of the encoding is returned.
#[no_mangle]
pub unsafe extern "C" fn evtag_encode_tag(evbuf: *mut Evbuffer, tag: u32) -> c_int {
    // SAFETY: NULL or a live buffer (the API's contract).
    unsafe { tagbuf::encode_tag(evbuf, tag) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal(evbuf: *mut Evbuffer, tag: u32, data: *const c_void, len: u32) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_marshal: NULL buffer");
    ensure_arg!(!data.is_null() || len == 0, (), "evtag_marshal: NULL data");
    let payload = if len == 0 {
        &[][..]
    } else {
        // SAFETY: data holds len readable bytes (the API's contract).
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) }
    };
    // SAFETY: live buffer (checked non-NULL; contract).
    unsafe { tagbuf::marshal(evbuf, tag, payload) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_buffer(evbuf: *mut Evbuffer, tag: u32, data: *mut Evbuffer) {
    ensure_arg!(!evbuf.is_null() && !data.is_null(), (), "evtag_marshal_buffer: NULL buffer");
    // Upstream appended the tag to the buffer it then measured and moved into itself.
    ensure_arg!(evbuf != data, (), "evtag_marshal_buffer: a buffer cannot be marshalled into itself");
    // SAFETY: distinct live buffers (checked; contract).
    let done = unsafe { tagbuf::marshal_buffer(evbuf, tag, data) };
    ensure_arg!(done, (), "evtag_marshal_buffer: more data than a record can hold");
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int(evbuf: *mut Evbuffer, tag: u32, integer: u32) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_marshal_int: NULL buffer");
    // SAFETY: live buffer (checked non-NULL; contract).
    unsafe { tagbuf::marshal_int(evbuf, tag, integer) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int64(evbuf: *mut Evbuffer, tag: u32, integer: u64) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_marshal_int64: NULL buffer");
    // SAFETY: as above.
    unsafe { tagbuf::marshal_int64(evbuf, tag, integer) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_string(buf: *mut Evbuffer, tag: u32, string: *const c_char) {
    ensure_arg!(!buf.is_null(), (), "evtag_marshal_string: NULL buffer");
    ensure_arg!(!string.is_null(), (), "evtag_marshal_string: NULL string");
    // SAFETY: a NUL-terminated string (the API's contract).
    let s = unsafe { CStr::from_ptr(string) }.to_bytes();
    ensure_arg!(u32::try_from(s.len()).is_ok(), (), "evtag_marshal_string: string too long for a record");
    // SAFETY: live buffer (checked non-NULL; contract).
    unsafe { tagbuf::marshal(buf, tag, s) }
}

/// Both fields are written as 32-bit numbers, truncated as upstream does.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_timeval(evbuf: *mut Evbuffer, tag: u32, tv: *mut timeval) {
    ensure_arg!(!evbuf.is_null(), (), "evtag_marshal_timeval: NULL buffer");
    ensure_arg!(!tv.is_null(), (), "evtag_marshal_timeval: NULL timeval");
    // SAFETY: tv points to a timeval (checked non-NULL; contract).
    let tv = unsafe { &*tv };
    // SAFETY: live buffer (checked non-NULL; contract).
    unsafe { tagbuf::marshal_timeval(evbuf, tag, tv.tv_sec as u32, tv.tv_usec as u32) }
}

// ---- decoding without a record --------------------------------------------------------------

/// Drains the tag; returns the bytes it took, or -1. `ptag` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn evtag_decode_tag(ptag: *mut u32, evbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_decode_tag: NULL buffer");
    // SAFETY: live buffer (checked non-NULL; contract); ptag NULL or writable.
    unsafe { stored(tagbuf::decode_tag(evbuf, true), ptag) }
}

/// The tag at the front, not drained; returns the bytes it takes, or -1. `ptag` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn evtag_peek(evbuf: *mut Evbuffer, ptag: *mut u32) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_peek: NULL buffer");
    // SAFETY: as in evtag_decode_tag.
    unsafe { stored(tagbuf::decode_tag(evbuf, false), ptag) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int(pnumber: *mut u32, evbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_decode_int: NULL buffer");
    ensure_arg!(!pnumber.is_null(), -1, "evtag_decode_int: NULL result pointer");
    // SAFETY: live buffer and writable result (checked non-NULL; contract).
    unsafe { stored_status(tagbuf::decode_int(evbuf), pnumber) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int64(pnumber: *mut u64, evbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_decode_int64: NULL buffer");
    ensure_arg!(!pnumber.is_null(), -1, "evtag_decode_int64: NULL result pointer");
    // SAFETY: as above.
    unsafe { stored_status(tagbuf::decode_int64(evbuf), pnumber) }
}

/// The whole length of the record at the front (header and payload), which need not be in the
/// buffer yet; 0 or -1.
#[no_mangle]
pub unsafe extern "C" fn evtag_peek_length(evbuf: *mut Evbuffer, plength: *mut u32) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_peek_length: NULL buffer");
    ensure_arg!(!plength.is_null(), -1, "evtag_peek_length: NULL result pointer");
    // SAFETY: live buffer and writable result (checked non-NULL; contract). The record length
    // fits: the payload is at most MAX_RECORD_LEN, the header 10 bytes.
    unsafe { stored_status(tagbuf::peek_header(evbuf).map(|h| h.record_len() as u32), plength) }
}

/// The payload length of the record at the front; 0 or -1.
#[no_mangle]
pub unsafe extern "C" fn evtag_payload_length(evbuf: *mut Evbuffer, plength: *mut u32) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_payload_length: NULL buffer");
    ensure_arg!(!plength.is_null(), -1, "evtag_payload_length: NULL result pointer");
    // SAFETY: as in evtag_peek_length.
    unsafe { stored_status(tagbuf::peek_header(evbuf).map(|h| h.payload_len), plength) }
}

// ---- records --------------------------------------------------------------------------------

/// Drains the header; returns the payload length, or -1. `ptag` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_header(evbuf: *mut Evbuffer, ptag: *mut u32) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_unmarshal_header: NULL buffer");
    // SAFETY: live buffer (checked non-NULL; contract); ptag NULL or writable.
    unsafe { stored(tagbuf::unmarshal_header(evbuf), ptag) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_consume(evbuf: *mut Evbuffer) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_consume: NULL buffer");
    // SAFETY: live buffer (checked non-NULL; contract).
    status(unsafe { tagbuf::consume(evbuf) })
}

/// Moves the payload of the record at the front of `src` to `dst`; returns its length, or -1.
/// `ptag` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal(src: *mut Evbuffer, ptag: *mut u32, dst: *mut Evbuffer) -> c_int {
    ensure_arg!(!src.is_null() && !dst.is_null(), -1, "evtag_unmarshal: NULL buffer");
    // Upstream appended to src a copy of bytes it was about to drain from src, through a
    // pointer into src that the append may invalidate.
    ensure_arg!(src != dst, -1, "evtag_unmarshal: source and destination are the same buffer");
    // SAFETY: distinct live buffers (checked; contract); ptag NULL or writable.
    unsafe { stored(tagbuf::unmarshal(src, dst), ptag) }
}

/// Returns the bytes the number's encoding took (not 0: upstream's result), or -1.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int(evbuf: *mut Evbuffer, need_tag: u32, pinteger: *mut u32) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_unmarshal_int: NULL buffer");
    ensure_arg!(!pinteger.is_null(), -1, "evtag_unmarshal_int: NULL result pointer");
    // SAFETY: live buffer and writable result (checked non-NULL; contract).
    unsafe { stored(tagbuf::unmarshal_int(evbuf, need_tag), pinteger) }
}

/// As evtag_unmarshal_int.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int64(evbuf: *mut Evbuffer, need_tag: u32, pinteger: *mut u64) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_unmarshal_int64: NULL buffer");
    ensure_arg!(!pinteger.is_null(), -1, "evtag_unmarshal_int64: NULL result pointer");
    // SAFETY: as above.
    unsafe { stored(tagbuf::unmarshal_int64(evbuf, need_tag), pinteger) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_fixed(src: *mut Evbuffer, need_tag: u32, data: *mut c_void, len: usize) -> c_int {
    ensure_arg!(!src.is_null(), -1, "evtag_unmarshal_fixed: NULL buffer");
    ensure_arg!(!data.is_null() || len == 0, -1, "evtag_unmarshal_fixed: NULL destination");
    // SAFETY: live buffer (checked non-NULL; contract); data has len writable bytes (the
    // API's contract).
    status(unsafe { tagbuf::unmarshal_fixed(src, need_tag, data.cast::<u8>(), len) })
}

/// `*pstring` gets a NUL-terminated copy of the payload from the library's allocator
/// (event_set_mem_functions' malloc, else malloc): the caller frees it with the matching free.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_string(evbuf: *mut Evbuffer, need_tag: u32, pstring: *mut *mut c_char) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_unmarshal_string: NULL buffer");
    ensure_arg!(!pstring.is_null(), -1, "evtag_unmarshal_string: NULL result pointer");
    // SAFETY: live buffer and writable result (checked non-NULL; contract).
    unsafe { stored_status(tagbuf::unmarshal_string(evbuf, need_tag).map(|s| s.as_ptr()), pstring) }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_timeval(evbuf: *mut Evbuffer, need_tag: u32, ptv: *mut timeval) -> c_int {
    ensure_arg!(!evbuf.is_null(), -1, "evtag_unmarshal_timeval: NULL buffer");
    ensure_arg!(!ptv.is_null(), -1, "evtag_unmarshal_timeval: NULL result pointer");
    // SAFETY: live buffer (checked non-NULL; contract).
    let tv = unsafe { tagbuf::unmarshal_timeval(evbuf, need_tag) }.map(|(sec, usec)| timeval { tv_sec: sec.into(), tv_usec: usec.into() });
    // SAFETY: ptv is writable (checked non-NULL; contract).
    unsafe { stored_status(tv, ptv) }
}
