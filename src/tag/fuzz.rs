//! Fuzz entry point of evtag: [`fuzz_unmarshal`]. Every decoding operation of `buffer` runs
//! over the input twice, once in a buffer of one chain and once in a buffer of one chain per
//! byte (memory the buffer only references, as evbuffer_add_reference makes: a read past a
//! chain's end is a read past its byte), and both runs must give the same result and leave the
//! same bytes. The results are checked against the codec run over the plain slice, and what
//! decodes is encoded again and must decode to the same.

use super::buffer as tagbuf;
use super::{DecodeError, Header};
use crate::buffer::{self, locked, ops, Evbuffer};
use crate::mm;

/// An evbuffer owned by the fuzz run, freed when dropped.
pub struct OwnedBuffer(*mut Evbuffer);

impl OwnedBuffer {
    pub fn new() -> OwnedBuffer {
        let p = Evbuffer::new();
        assert!(!p.is_null(), "evbuffer_new failed");
        OwnedBuffer(p)
    }

    /// A buffer holding a copy of `data` in one chain.
    pub fn with(data: &[u8]) -> OwnedBuffer {
        let b = OwnedBuffer::new();
        // SAFETY: b's buffer is live.
        assert_eq!(unsafe { locked(b.0, |x| x.add(data)) }, 0);
        b
    }

    /// A buffer showing each byte of `data` as a chain of its own, without copying.
    ///
    /// # Safety
    /// `data` must outlive the buffer and everything its chains move into.
    pub unsafe fn fragmented(data: &[u8]) -> OwnedBuffer {
        let b = OwnedBuffer::new();
        for byte in data {
            // SAFETY: b's buffer is live; the byte outlives it (contract).
            assert_eq!(unsafe { locked(b.0, |x| x.add_reference(byte, 1, None, std::ptr::null_mut())) }, 0);
        }
        b
    }

    pub fn ptr(&self) -> *mut Evbuffer {
        self.0
    }

    /// A copy of the buffer's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        // SAFETY: the buffer is live; only read.
        unsafe {
            ops::reading(self.0, |b| {
                let mut v = vec![0; b.len()];
                assert_eq!(b.copyout_from(None, &mut v), v.len() as isize);
                v
            })
        }
    }
}

impl Default for OwnedBuffer {
    fn default() -> Self {
        OwnedBuffer::new()
    }
}

impl Drop for OwnedBuffer {
    fn drop(&mut self) {
        // SAFETY: the buffer is live and this is its only reference.
        unsafe { buffer::free(self.0) }
    }
}

/// What one operation returned, with any bytes it produced (a payload moved out, a string).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    result: Option<(u64, u64)>,
    produced: Vec<u8>,
}

fn plain(result: Option<(u64, u64)>) -> Outcome {
    Outcome { result, produced: Vec::new() }
}

/// The decoding operations of `buffer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    DecodeTag,
    Peek,
    DecodeInt,
    DecodeInt64,
    PeekHeader,
    UnmarshalHeader,
    Consume,
    Unmarshal,
    UnmarshalInt,
    UnmarshalInt64,
    UnmarshalFixed,
    UnmarshalString,
    UnmarshalTimeval,
    /// A whole stream, record by record (evtag_unmarshal until it fails), payloads collected.
    Walk,
}

const OPS: [Op; 14] = [
    Op::DecodeTag,
    Op::Peek,
    Op::DecodeInt,
    Op::DecodeInt64,
    Op::PeekHeader,
    Op::UnmarshalHeader,
    Op::Consume,
    Op::Unmarshal,
    Op::UnmarshalInt,
    Op::UnmarshalInt64,
    Op::UnmarshalFixed,
    Op::UnmarshalString,
    Op::UnmarshalTimeval,
    Op::Walk,
];

/// Runs `op` on the buffer, asking for `need_tag` where the operation takes one.
fn run(op: Op, buf: &OwnedBuffer, need_tag: u32) -> Outcome {
    let b = buf.ptr();
    let pair = |(a, b): (u32, usize)| (u64::from(a), b as u64);
    let dst = OwnedBuffer::new();
    // SAFETY: `buf` and `dst` are live, distinct buffers; the fixed-size output is a Vec of
    // the length passed; the string is from mm and freed once read.
    unsafe {
        let result = match op {
            Op::DecodeTag => tagbuf::decode_tag(b, true).map(pair),
            Op::Peek => tagbuf::decode_tag(b, false).map(pair),
            Op::DecodeInt => tagbuf::decode_int(b).map(|n| (u64::from(n), 0)),
            Op::DecodeInt64 => tagbuf::decode_int64(b).map(|n| (n, 0)),
            Op::PeekHeader => tagbuf::peek_header(b).map(|h| (u64::from(h.payload_len), h.record_len() as u64)),
            Op::UnmarshalHeader => tagbuf::unmarshal_header(b).map(pair),
            Op::Consume => tagbuf::consume(b).then_some((0, 0)),
            Op::Unmarshal => tagbuf::unmarshal(b, dst.ptr()).map(pair),
            Op::UnmarshalInt => tagbuf::unmarshal_int(b, need_tag).map(|(n, l)| (u64::from(n), l as u64)),
            Op::UnmarshalInt64 => tagbuf::unmarshal_int64(b, need_tag).map(|(n, l)| (n, l as u64)),
            Op::UnmarshalFixed => {
                // The size the header announces, so that a well-formed record matches.
                let want = tagbuf::peek_header(b).map_or(0, |h| h.payload_len as usize);
                let mut out = vec![0u8; want];
                let ok = tagbuf::unmarshal_fixed(b, need_tag, out.as_mut_ptr(), want);
                return Outcome { result: ok.then_some((want as u64, 0)), produced: if ok { out } else { Vec::new() } };
            }
            Op::UnmarshalString => {
                let Some(p) = tagbuf::unmarshal_string(b, need_tag) else { return plain(None) };
                let s = std::ffi::CStr::from_ptr(p.as_ptr()).to_bytes().to_vec();
                mm::free(p.as_ptr().cast());
                return Outcome { result: Some((0, 0)), produced: s };
            }
            Op::UnmarshalTimeval => tagbuf::unmarshal_timeval(b, need_tag).map(|(s, u)| (u64::from(s), u64::from(u))),
            Op::Walk => {
                let mut records = 0u64;
                while tagbuf::unmarshal(b, dst.ptr()).is_some() {
                    records += 1;
                }
                Some((records, 0))
            }
        };
        Outcome { result, produced: dst.bytes() }
    }
}

/// Fuzz entry: see the module comment. Panics (aborts) only on a real bug: two buffer shapes
/// disagreeing, a result the codec contradicts, or a round trip that changes a value.
pub fn fuzz_unmarshal(data: &[u8]) {
    let need_tag = super::decode_tag(data).map_or(0, |(t, _)| t);
    let header = super::decode_header(data);
    for op in OPS {
        let whole = OwnedBuffer::with(data);
        // SAFETY: data outlives `pieces` and the buffers its chains move into, all dropped in
        // this iteration.
        let pieces = unsafe { OwnedBuffer::fragmented(data) };
        let a = run(op, &whole, need_tag);
        let b = run(op, &pieces, need_tag);
        let left = whole.bytes();
        assert_eq!(a, b, "{op:?}: one chain and one chain per byte disagree");
        assert_eq!(left, pieces.bytes(), "{op:?}: different bytes left");
        // Only ever drained from the front.
        assert!(data.ends_with(&left), "{op:?}: the bytes left are not a suffix of the input");
        check_against_codec(op, data, header, &a, data.len() - left.len());
    }
    round_trip(data);
}

/// The buffer operations agree with the codec over the same bytes.
fn check_against_codec(op: Op, data: &[u8], header: Result<Header, DecodeError>, out: &Outcome, drained: usize) {
    let complete = header.ok().filter(|h| h.record_len() <= data.len());
    let payload = |h: &Header| &data[h.tag_len + h.length_len..h.record_len()];
    match op {
        Op::Peek | Op::DecodeTag => {
            let want = super::decode_tag(data).ok();
            assert_eq!(out.result, want.map(|(t, l)| (u64::from(t), l as u64)), "{op:?}");
            let drains = if op == Op::Peek { 0 } else { want.map_or(0, |(_, l)| l) };
            assert_eq!(drained, drains, "{op:?}");
        }
        Op::DecodeInt => {
            let want = super::decode_int(data).ok();
            assert_eq!(out.result, want.map(|(n, _)| (u64::from(n), 0)), "{op:?}");
            assert_eq!(drained, want.map_or(0, |(_, l)| l), "{op:?}");
        }
        Op::PeekHeader => {
            let want = header.ok().map(|h| (u64::from(h.payload_len), h.record_len() as u64));
            assert_eq!(out.result, want, "{op:?}");
            assert_eq!(drained, 0, "{op:?}");
        }
        Op::Consume | Op::Unmarshal | Op::UnmarshalString | Op::UnmarshalFixed => {
            // The tag asked for is the one there, so a complete record is always accepted.
            assert_eq!(out.result.is_some(), complete.is_some(), "{op:?}");
            if let Some(h) = complete {
                assert_eq!(drained, h.record_len(), "{op:?}");
                let want = match op {
                    Op::Consume => &[][..],
                    // A NUL in the payload ends the C string.
                    Op::UnmarshalString => payload(&h).split(|&c| c == 0).next().unwrap_or(&[]),
                    _ => payload(&h),
                };
                assert_eq!(out.produced, want, "{op:?}");
            }
        }
        Op::UnmarshalInt | Op::UnmarshalTimeval => {
            if let Some(h) = complete {
                assert_eq!(drained, h.record_len(), "{op:?}: the payload is drained whatever it holds");
                let want = if op == Op::UnmarshalInt {
                    super::decode_int(payload(&h)).ok().map(|(n, l)| (u64::from(n), l as u64))
                } else {
                    super::decode_timeval(payload(&h)).ok().map(|((s, u), _)| (u64::from(s), u64::from(u)))
                };
                assert_eq!(out.result, want, "{op:?}");
            } else {
                assert_eq!(out.result, None, "{op:?}");
            }
        }
        _ => {}
    }
}

/// What decodes is encoded again and decodes to the same value.
fn round_trip(data: &[u8]) {
    if let Ok((tag, len)) = super::decode_tag(data) {
        let e = super::encode_tag(tag);
        assert_eq!(super::decode_tag(&e), Ok((tag, e.len())));
        assert!(e.len() <= len, "the canonical encoding is the shortest");
    }
    if let Ok((n, len)) = super::decode_int(data) {
        assert_eq!(super::decode_int(&super::encode_int(n)), Ok((n, super::encode_int(n).len())));
        assert!(super::encode_int(n).len() <= len, "the canonical encoding is the shortest");
    }
    if let Ok((n, _)) = super::decode_int64(data) {
        assert_eq!(super::decode_int64(&super::encode_int64(n)).map(|(v, _)| v), Ok(n));
    }
    if let Ok(((s, u), _)) = super::decode_timeval(data) {
        assert_eq!(super::decode_timeval(&super::encode_timeval(s, u)).map(|(tv, _)| tv), Ok((s, u)));
    }
    // Each record of the stream, marshalled again through a buffer, reads back the same.
    let src = OwnedBuffer::with(data);
    loop {
        let payload = OwnedBuffer::new();
        // SAFETY: live, distinct buffers.
        let Some((tag, _)) = (unsafe { tagbuf::unmarshal(src.ptr(), payload.ptr()) }) else { break };
        let bytes = payload.bytes();
        let again = OwnedBuffer::new();
        let back = OwnedBuffer::new();
        // SAFETY: live, distinct buffers.
        unsafe {
            tagbuf::marshal(again.ptr(), tag, &bytes);
            assert_eq!(again.bytes(), super::encode_record(tag, &bytes));
            assert_eq!(tagbuf::unmarshal(again.ptr(), back.ptr()), Some((tag, bytes.len())));
        }
        assert_eq!(back.bytes(), bytes);
        assert!(again.bytes().is_empty());
    }
}
