//! evtag over evbuffers: each operation of event2/tag.h with upstream's results, on buffers
//! the caller (src/ffi/tag.rs) has checked are live.
//!
//! Decoding copies only the few bytes a tag or number can take from the front of the buffer
//! (across chains, without a pullup), decodes them with the codec, and drains what upstream
//! drains; payloads are copied out of or moved between buffers without being made contiguous.
//! Each operation holds the buffer's lock throughout (upstream locked each evbuffer call
//! separately), so its callbacks run once, after the whole operation.
//!
//! What upstream drains on failure, and so these do:
//! - decoding a tag or an integer (evtag_decode_*, evtag_peek*, evtag_payload_length): nothing;
//! - reading a header: the tag once it decoded, the length once it decoded, so a length larger
//!   than the bytes left fails with tag and length gone and the payload still there;
//! - evtag_unmarshal_int/int64: the tag, then (if it is the one wanted) the length, and once
//!   the payload is there the whole payload, whether or not it holds a valid number;
//! - evtag_unmarshal_fixed/string: tag and length, and the payload only on success;
//! - evtag_unmarshal_timeval: once the header is read, always the payload.

use std::ffi::{c_char, c_int};
use std::ptr::NonNull;

use super::{DecodeError, Header, HEADER_MAX_LEN, INT64_MAX_LEN, TAG_MAX_LEN, TIMEVAL_MAX_LEN};
use crate::buffer::{locked, ops, Evbuffer};
use crate::mm;

/// Copies bytes from the front of the buffer into `out`, as many as there are; returns the
/// number copied. Reads the chains directly: unlike evbuffer_copyout it also works on a
/// buffer whose front is frozen, as upstream's pullup did.
fn copy_front(b: &Evbuffer, out: &mut [u8]) -> usize {
    let mut done = 0;
    for c in b.chains() {
        if done == out.len() {
            break;
        }
        let take = c.off.min(out.len() - done);
        c.copy_out(0, &mut out[done..done + take]);
        done += take;
    }
    done
}

/// A decoding function of the codec: the value and the bytes it took.
type Decode<T> = fn(&[u8]) -> Result<(T, usize), DecodeError>;

/// Decodes with `decode` at the front of the buffer, reading at most `N` bytes and at most
/// `limit` (the end of a payload).
fn decode_front<const N: usize, T>(b: &Evbuffer, limit: usize, decode: Decode<T>) -> Option<(T, usize)> {
    let mut front = [0u8; N];
    let n = copy_front(b, &mut front[..limit.min(N)]);
    decode(&front[..n]).ok()
}

/// Decodes with `decode` at the front of the buffer and drains what it took.
fn take<const N: usize, T>(b: &mut Evbuffer, decode: Decode<T>) -> Option<T> {
    let (value, len) = decode_front::<N, T>(b, N, decode)?;
    // A drain fails only on a frozen front; upstream ignored that too.
    b.drain(len);
    Some(value)
}

fn take_tag(b: &mut Evbuffer) -> Option<u32> {
    take::<TAG_MAX_LEN, _>(b, super::decode_tag)
}

/// Reads and drains a record length; accepts it if the payload is all there and at most
/// MAX_RECORD_LEN bytes.
fn take_payload_len(b: &mut Evbuffer) -> Option<usize> {
    let len = take::<{ super::INT_MAX_LEN }, _>(b, super::decode_int)?;
    let len = super::check_record_len(len).ok()? as usize;
    (len <= b.len()).then_some(len)
}

/// Reads and drains a record header: the tag and the payload length.
fn take_header(b: &mut Evbuffer) -> Option<(u32, usize)> {
    let tag = take_tag(b)?;
    Some((tag, take_payload_len(b)?))
}

// ---- encoding -------------------------------------------------------------------------------

/// Appends `parts` in order (upstream's evtag functions ignore a failing evbuffer_add).
///
/// # Safety
/// `buf` must be a live buffer.
unsafe fn append(buf: *mut Evbuffer, parts: &[&[u8]]) {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            for p in parts {
                if b.add(p) < 0 {
                    break;
                }
            }
        })
    }
}

/// `evtag_encode_int`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn encode_int(buf: *mut Evbuffer, n: u32) {
    // SAFETY: the same contract.
    unsafe { append(buf, &[&super::encode_int(n)]) }
}

/// `evtag_encode_int64`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn encode_int64(buf: *mut Evbuffer, n: u64) {
    // SAFETY: the same contract.
    unsafe { append(buf, &[&super::encode_int64(n)]) }
}

/// `evtag_encode_tag`: appends the tag when `buf` is given; the length of its encoding.
///
/// # Safety
/// `buf` must be NULL or a live buffer.
pub unsafe fn encode_tag(buf: *mut Evbuffer, tag: u32) -> c_int {
    let t = super::encode_tag(tag);
    if !buf.is_null() {
        // SAFETY: live buffer (contract).
        unsafe { append(buf, &[&t]) };
    }
    t.len() as c_int
}

/// `evtag_marshal`: a record of `payload` (whose length the caller checked fits 32 bits).
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn marshal(buf: *mut Evbuffer, tag: u32, payload: &[u8]) {
    let header = super::encode_header(tag, payload.len() as u32);
    // SAFETY: the same contract.
    unsafe { append(buf, &[&header, payload]) }
}

/// `evtag_marshal_int`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn marshal_int(buf: *mut Evbuffer, tag: u32, n: u32) {
    // SAFETY: the same contract.
    unsafe { marshal(buf, tag, &super::encode_int(n)) }
}

/// `evtag_marshal_int64`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn marshal_int64(buf: *mut Evbuffer, tag: u32, n: u64) {
    // SAFETY: the same contract.
    unsafe { marshal(buf, tag, &super::encode_int64(n)) }
}

/// `evtag_marshal_timeval`, of the time already truncated to 32-bit fields as upstream does.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn marshal_timeval(buf: *mut Evbuffer, tag: u32, sec: u32, usec: u32) {
    // SAFETY: the same contract.
    unsafe { marshal(buf, tag, &super::encode_timeval(sec, usec)) }
}

/// `evtag_marshal_buffer`: a record of all of `data`, whose chains move to `buf` (no copy).
/// False, with nothing appended, when `data` holds more than a record can (upstream wrote the
/// length truncated to 32 bits and then all the bytes, a record that does not read back).
///
/// # Safety
/// `buf` and `data` must be distinct live buffers.
pub unsafe fn marshal_buffer(buf: *mut Evbuffer, tag: u32, data: *mut Evbuffer) -> bool {
    // SAFETY: live buffer (contract); its length is read under its lock.
    let len = unsafe { ops::reading(data, |d| d.len()) };
    let Ok(len) = u32::try_from(len) else {
        return false;
    };
    // SAFETY: live, distinct buffers (contract).
    unsafe {
        append(buf, &[&super::encode_header(tag, len)]);
        ops::add_buffer(buf, data);
    }
    true
}

// ---- decoding -------------------------------------------------------------------------------

/// `evtag_decode_tag` (`drain`) and `evtag_peek`: the tag at the front and its encoded length.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn decode_tag(buf: *mut Evbuffer, drain: bool) -> Option<(u32, usize)> {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            let (tag, len) = decode_front::<TAG_MAX_LEN, _>(b, TAG_MAX_LEN, super::decode_tag)?;
            if drain {
                b.drain(len);
            }
            Some((tag, len))
        })
    }
}

/// `evtag_decode_int`: the number at the front, drained.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn decode_int(buf: *mut Evbuffer) -> Option<u32> {
    // SAFETY: live buffer (contract).
    unsafe { locked(buf, |b| take::<{ super::INT_MAX_LEN }, _>(b, super::decode_int)) }
}

/// `evtag_decode_int64`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn decode_int64(buf: *mut Evbuffer) -> Option<u64> {
    // SAFETY: live buffer (contract).
    unsafe { locked(buf, |b| take::<INT64_MAX_LEN, _>(b, super::decode_int64)) }
}

/// `evtag_peek_length` / `evtag_payload_length`: the header at the front, nothing drained
/// (the payload need not be there yet).
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn peek_header(buf: *mut Evbuffer) -> Option<Header> {
    // SAFETY: live buffer (contract); only read.
    unsafe {
        ops::reading(buf, |b| {
            let with_len = |bytes: &[u8]| super::decode_header(bytes).map(|h| (h, h.tag_len + h.length_len));
            decode_front::<HEADER_MAX_LEN, _>(b, HEADER_MAX_LEN, with_len).map(|(h, _)| h)
        })
    }
}

/// `evtag_unmarshal_header`: tag and payload length, the header drained.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn unmarshal_header(buf: *mut Evbuffer) -> Option<(u32, usize)> {
    // SAFETY: live buffer (contract).
    unsafe { locked(buf, take_header) }
}

/// `evtag_consume`: drains the record at the front.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn consume(buf: *mut Evbuffer) -> bool {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            let Some((_, len)) = take_header(b) else {
                return false;
            };
            b.drain(len);
            true
        })
    }
}

/// `evtag_unmarshal`: the record at the front of `src`, its payload moved to the end of `dst`;
/// the tag and payload length.
///
/// # Safety
/// `src` and `dst` must be distinct live buffers.
pub unsafe fn unmarshal(src: *mut Evbuffer, dst: *mut Evbuffer) -> Option<(u32, usize)> {
    // SAFETY: live buffer (contract).
    let (tag, len) = unsafe { unmarshal_header(src)? };
    // SAFETY: distinct live buffers (contract). The payload is there: the header said so and
    // the lock was held; another thread draining src in between is the caller's race, then
    // fewer bytes move and this fails.
    let moved = unsafe { ops::remove_buffer(src, dst, len) };
    (moved >= 0 && moved as usize == len).then_some((tag, len))
}

/// `evtag_unmarshal_int` / `_int64`: the number in the record with tag `need_tag`, and the
/// bytes its encoding takes (upstream's return value).
fn take_int_record<const N: usize, T>(b: &mut Evbuffer, need_tag: u32, decode: Decode<T>) -> Option<(T, usize)> {
    if take_tag(b)? != need_tag {
        return None;
    }
    let len = take_payload_len(b)?;
    // The number must lie within the payload (upstream decoded past it, then failed).
    let value = decode_front::<N, T>(b, len, decode);
    b.drain(len);
    value
}

/// `evtag_unmarshal_int`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn unmarshal_int(buf: *mut Evbuffer, need_tag: u32) -> Option<(u32, usize)> {
    // SAFETY: live buffer (contract).
    unsafe { locked(buf, |b| take_int_record::<{ super::INT_MAX_LEN }, _>(b, need_tag, super::decode_int)) }
}

/// `evtag_unmarshal_int64`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn unmarshal_int64(buf: *mut Evbuffer, need_tag: u32) -> Option<(u64, usize)> {
    // SAFETY: live buffer (contract).
    unsafe { locked(buf, |b| take_int_record::<INT64_MAX_LEN, _>(b, need_tag, super::decode_int64)) }
}

/// `evtag_unmarshal_fixed`: the payload of the record with tag `need_tag` into the `len`
/// bytes at `out`, which it must fill exactly.
///
/// # Safety
/// `buf` must be a live buffer, `out` writable for `len` bytes (or `len` 0).
pub unsafe fn unmarshal_fixed(buf: *mut Evbuffer, need_tag: u32, out: *mut u8, len: usize) -> bool {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            let Some((tag, payload_len)) = take_header(b) else {
                return false;
            };
            if tag != need_tag || payload_len != len {
                return false;
            }
            if len > 0 {
                // SAFETY: out has len writable bytes (contract); len is a record length, at
                // most MAX_RECORD_LEN, so the slice is well-formed.
                copy_front(b, std::slice::from_raw_parts_mut(out, len));
            }
            b.drain(len);
            true
        })
    }
}

/// `evtag_unmarshal_string`: the payload of the record with tag `need_tag` as a NUL-terminated
/// string from `mm` (the caller frees it). A NUL inside the payload stays, as upstream keeps
/// it: C then sees the string end there.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn unmarshal_string(buf: *mut Evbuffer, need_tag: u32) -> Option<NonNull<c_char>> {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            let (tag, len) = take_header(b)?;
            if tag != need_tag {
                return None;
            }
            // len <= MAX_RECORD_LEN and the bytes are in the buffer: the allocation is no larger
            // than what the peer really sent.
            let Some(p) = NonNull::new(mm::malloc(len + 1).cast::<u8>()) else {
                crate::warnx!("evtag_unmarshal_string: out of memory for {} bytes", len + 1);
                return None;
            };
            // SAFETY: p is a fresh allocation of len + 1 bytes.
            let s = std::slice::from_raw_parts_mut(p.as_ptr(), len + 1);
            copy_front(b, &mut s[..len]);
            s[len] = 0;
            b.drain(len);
            Some(p.cast())
        })
    }
}

/// `evtag_unmarshal_timeval`: seconds and microseconds from the record with tag `need_tag`.
///
/// # Safety
/// `buf` must be a live buffer.
pub unsafe fn unmarshal_timeval(buf: *mut Evbuffer, need_tag: u32) -> Option<(u32, u32)> {
    // SAFETY: live buffer (contract).
    unsafe {
        locked(buf, |b| {
            let (tag, len) = take_header(b)?;
            let value = if tag == need_tag { decode_front::<TIMEVAL_MAX_LEN, _>(b, len, super::decode_timeval) } else { None };
            b.drain(len);
            value.map(|(tv, _)| tv)
        })
    }
}
