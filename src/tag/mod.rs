//! evtag (`event2/tag.h`): the tagged-data format that evrpc's generated code marshals its
//! structures in.
//!
//! A stream is a sequence of records: a tag, a length, and that many payload bytes.
//! - A tag is a 32-bit number written seven bits a byte, least significant group first; every
//!   byte but the last has its high bit set (0x66 is `66`, 0x166 is `e6 02`). Five bytes at
//!   most: the fifth carries the top four bits and ends the tag.
//! - Lengths and integer payloads are nibble strings. The high nibble of the first byte is the
//!   number of nibbles that follow minus one; the nibbles come least significant first, the
//!   first in the low half of that byte, then high half and low half of each next byte, and a
//!   zero nibble pads the last byte. A 32-bit number takes 1 to 5 bytes (at most 8 nibbles),
//!   a 64-bit one 1 to 9 (16). Decoding accepts leading zero nibbles and ignores the padding,
//!   as upstream does.
//! - A timeval payload is two such 32-bit numbers, seconds then microseconds.
//!
//! This module is the codec: plain functions over byte slices, encoding into small stack
//! buffers. `buffer` applies it to evbuffers with upstream's results (what each call returns
//! and drains); `fuzz` is the fuzz entry point; `src/ffi/tag.rs` holds the exports.
//!
//! Hardening over 2.1.12 (the issue's advisories):
//! - a tag is read from at most five bytes, copied out of the buffer first: 2.1.12 pulled up
//!   five bytes and then kept reading past them while the bytes had their high bit set, out of
//!   bounds when the buffer has several chains (CVE-2026-63383);
//! - a record length above INT_MAX is refused before anything is read or allocated for it:
//!   2.1.12 returned it as a negative int, which evtag_unmarshal_string passed to malloc and
//!   evtag_unmarshal_timeval to evbuffer_drain (CVE-2026-63384).
//!
//! Fuzzing: `fuzz::fuzz_unmarshal` runs every decoding entry point over the bytes, as one
//! buffer and as a buffer of one chain per byte, and round-trips what decoded.
//! `cargo test --release evtag_fuzz` runs it over `corpus/` and a few thousand mutations; as
//! long as you like:
//!
//! ```text
//! EVTAG_FUZZ_ITERATIONS=10000000 EVTAG_FUZZ_SEED=7 cargo test --release evtag_fuzz_long -- --ignored
//! ```

pub mod buffer;
pub mod fuzz;
#[cfg(test)]
mod tests;

/// Longest encoding of a tag.
pub const TAG_MAX_LEN: usize = 5;
/// Longest encoding of a 32-bit number (a length, an int payload).
pub const INT_MAX_LEN: usize = 5;
/// Longest encoding of a 64-bit number.
pub const INT64_MAX_LEN: usize = 9;
/// Longest timeval payload.
pub const TIMEVAL_MAX_LEN: usize = 2 * INT_MAX_LEN;
/// Longest record header (tag and length).
pub const HEADER_MAX_LEN: usize = TAG_MAX_LEN + INT_MAX_LEN;
/// Largest record length accepted: what the int results of the API can report.
pub const MAX_RECORD_LEN: u32 = i32::MAX as u32;

/// Why bytes do not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The encoding needs more bytes than there are.
    Truncated,
    /// The encoded number does not fit its type (or a record length exceeds MAX_RECORD_LEN).
    TooLarge,
}

/// A short encoding built on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoded<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> std::ops::Deref for Encoded<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A tag's encoding.
pub fn encode_tag(tag: u32) -> Encoded<TAG_MAX_LEN> {
    let mut out = Encoded { bytes: [0; TAG_MAX_LEN], len: 0 };
    let mut rest = tag;
    loop {
        let group = (rest & 0x7f) as u8;
        rest >>= 7;
        out.bytes[out.len] = if rest != 0 { group | 0x80 } else { group };
        out.len += 1;
        if rest == 0 {
            return out;
        }
    }
}

/// The tag at the start of `bytes` and the bytes it takes.
pub fn decode_tag(bytes: &[u8]) -> Result<(u32, usize), DecodeError> {
    let mut tag = 0u32;
    for (i, &b) in bytes.iter().take(TAG_MAX_LEN).enumerate() {
        let group = u32::from(b & 0x7f);
        // The fifth byte holds bits 28..31: four bits, and no byte may follow it.
        if i == TAG_MAX_LEN - 1 && (group > 0x0f || b & 0x80 != 0) {
            return Err(DecodeError::TooLarge);
        }
        tag |= group << (7 * i);
        if b & 0x80 == 0 {
            return Ok((tag, i + 1));
        }
    }
    Err(DecodeError::Truncated)
}

/// The nibble string of `n` (see the module comment) in an `N`-byte buffer, which must hold
/// the encoding of the widest value the caller passes.
fn encode_nibbles<const N: usize>(n: u64) -> Encoded<N> {
    let mut out = Encoded { bytes: [0; N], len: 0 };
    let mut rest = n;
    // Nibble positions count from 1: odd ones are low halves, even ones high halves, of byte
    // position / 2; position 0 (the first byte's high half) is the count.
    let mut pos = 1;
    while rest != 0 {
        let nibble = (rest & 0x0f) as u8;
        out.bytes[pos / 2] |= if pos % 2 == 1 { nibble } else { nibble << 4 };
        rest >>= 4;
        pos += 1;
    }
    // Zero is written as one zero nibble.
    let nibbles = (pos - 1).max(1);
    out.bytes[0] |= ((nibbles - 1) as u8) << 4;
    out.len = nibbles / 2 + 1;
    out
}

/// Decodes a nibble string of at most `max_nibbles` nibbles.
fn decode_nibbles(bytes: &[u8], max_nibbles: usize) -> Result<(u64, usize), DecodeError> {
    let first = *bytes.first().ok_or(DecodeError::Truncated)?;
    let nibbles = usize::from(first >> 4) + 1;
    if nibbles > max_nibbles {
        return Err(DecodeError::TooLarge);
    }
    let len = nibbles / 2 + 1;
    let bytes = bytes.get(..len).ok_or(DecodeError::Truncated)?;
    let mut n = 0u64;
    for pos in (1..=nibbles).rev() {
        let b = bytes[pos / 2];
        n = n << 4 | u64::from(if pos % 2 == 1 { b & 0x0f } else { b >> 4 });
    }
    Ok((n, len))
}

/// Two encodings one after the other; `N` must hold both (the callers' sizes are constants).
fn join<const N: usize>(a: &[u8], b: &[u8]) -> Encoded<N> {
    let mut out = Encoded { bytes: [0; N], len: a.len() + b.len() };
    out.bytes[..a.len()].copy_from_slice(a);
    out.bytes[a.len()..out.len].copy_from_slice(b);
    out
}

pub fn encode_int(n: u32) -> Encoded<INT_MAX_LEN> {
    encode_nibbles(u64::from(n))
}

pub fn encode_int64(n: u64) -> Encoded<INT64_MAX_LEN> {
    encode_nibbles(n)
}

/// The 32-bit number at the start of `bytes` and the bytes it takes.
pub fn decode_int(bytes: &[u8]) -> Result<(u32, usize), DecodeError> {
    // At most 8 nibbles: the value fits 32 bits.
    decode_nibbles(bytes, 8).map(|(n, len)| (n as u32, len))
}

/// The 64-bit number at the start of `bytes` and the bytes it takes.
pub fn decode_int64(bytes: &[u8]) -> Result<(u64, usize), DecodeError> {
    decode_nibbles(bytes, 16)
}

/// A timeval payload: seconds and microseconds, each as a 32-bit number (upstream truncates
/// both to 32 bits).
pub fn encode_timeval(sec: u32, usec: u32) -> Encoded<TIMEVAL_MAX_LEN> {
    join(&encode_int(sec), &encode_int(usec))
}

/// Seconds and microseconds from the start of a timeval payload, and the bytes they take
/// (which may be fewer than the payload holds: upstream ignores the rest).
pub fn decode_timeval(payload: &[u8]) -> Result<((u32, u32), usize), DecodeError> {
    let (sec, a) = decode_int(payload)?;
    let (usec, b) = decode_int(&payload[a..])?;
    Ok(((sec, usec), a + b))
}

/// A record header: the tag, the payload length, and the bytes each takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub tag: u32,
    pub tag_len: usize,
    pub payload_len: u32,
    pub length_len: usize,
}

impl Header {
    /// The whole record's length: header and payload.
    pub fn record_len(&self) -> usize {
        self.tag_len + self.length_len + self.payload_len as usize
    }
}

/// Checks a decoded record length against MAX_RECORD_LEN.
pub fn check_record_len(len: u32) -> Result<u32, DecodeError> {
    if len > MAX_RECORD_LEN {
        return Err(DecodeError::TooLarge);
    }
    Ok(len)
}

/// The header at the start of `bytes` (the payload need not follow).
pub fn decode_header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let (tag, tag_len) = decode_tag(bytes)?;
    let (len, length_len) = decode_int(&bytes[tag_len..])?;
    Ok(Header { tag, tag_len, payload_len: check_record_len(len)?, length_len })
}

/// A record header's encoding.
pub fn encode_header(tag: u32, payload_len: u32) -> Encoded<HEADER_MAX_LEN> {
    join(&encode_tag(tag), &encode_int(payload_len))
}

/// A whole record: header and payload (for tests and the fuzz round trip; the evbuffer side
/// appends the header and then the payload, without joining them).
pub fn encode_record(tag: u32, payload: &[u8]) -> Vec<u8> {
    let h = encode_header(tag, payload.len() as u32);
    let mut v = Vec::with_capacity(h.len() + payload.len());
    v.extend_from_slice(&h);
    v.extend_from_slice(payload);
    v
}
