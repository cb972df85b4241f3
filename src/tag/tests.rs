//! The codec against encodings produced by upstream's library (Debian's libevent 2.1.12), the
//! evbuffer operations' results and drains, the hostile inputs of the advisories, and the
//! fuzz runs.

use super::buffer as tagbuf;
use super::fuzz::{fuzz_unmarshal, OwnedBuffer};
use super::*;
use crate::buffer::Evbuffer;
use crate::util::fuzz::Rng;
use crate::util::rand::WeakRand;

/// A closure over a buffer the test made (so live), calling the unsafe `buffer` function `$e`.
macro_rules! live {
    ($b:ident => $e:expr) => {
        |$b: *mut Evbuffer| {
            // SAFETY: the tests pass only buffers they own (OwnedBuffer), all live.
            unsafe { $e }
        }
    };
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

// Printed by a C program calling evtag_encode_int / _int64 / evtag_encode_tag of Debian's
// libevent-2.1.so.7.
const INTS: &[(u32, &str)] = &[
    (0, "00"),
    (1, "01"),
    (0xf, "0f"),
    (0x10, "10 10"),
    (0xff, "1f f0"),
    (0x100, "20 01"),
    (0xaf0, "20 fa"),
    (0x1000, "30 00 10"),
    (0xdeadbeef, "7f ee bd ae d0"),
    (0xbef000, "50 00 fe b0"),
    (0xffffffff, "7f ff ff ff f0"),
    (0x7fffffff, "7f ff ff ff 70"),
];
const INT64S: &[(u64, &str)] = &[
    (0, "00"),
    (0x1_0000_0000, "80 00 00 00 01"),
    (0xdead0a0bcafebeef, "ff ee be fa cb 0a 0d ae d0"),
    (u64::MAX, "ff ff ff ff ff ff ff ff f0"),
    (0xaf0 * 1_000_000_000, "a0 00 61 0d eb 82"),
];
const TAGS: &[(u32, &str)] = &[
    (0, "00"),
    (0x66, "66"),
    (0x7f, "7f"),
    (0x80, "80 01"),
    (0x166, "e6 02"),
    (0x3fff, "ff 7f"),
    (0x4000, "80 80 01"),
    (0x10121, "a1 82 04"),
    (0xdeaf, "af bd 03"),
    (0xfffffff, "ff ff ff 7f"),
    (0x10000000, "80 80 80 80 01"),
    (0xffffffff, "ff ff ff ff 0f"),
];

#[test]
fn encodings_are_upstreams() {
    for &(n, want) in INTS {
        assert_eq!(&encode_int(n)[..], &hex(want)[..], "int {n:#x}");
        assert_eq!(decode_int(&hex(want)), Ok((n, hex(want).len())));
        assert_eq!(&encode_int64(u64::from(n))[..], &hex(want)[..], "int64 {n:#x}");
    }
    for &(n, want) in INT64S {
        assert_eq!(&encode_int64(n)[..], &hex(want)[..], "int64 {n:#x}");
        assert_eq!(decode_int64(&hex(want)), Ok((n, hex(want).len())));
    }
    for &(t, want) in TAGS {
        assert_eq!(&encode_tag(t)[..], &hex(want)[..], "tag {t:#x}");
        assert_eq!(decode_tag(&hex(want)), Ok((t, hex(want).len())));
    }
}

#[test]
fn records_are_upstreams() {
    // evtag_marshal_timeval / _int / _int64 / _string / evtag_marshal of upstream's library.
    let cases: [(&dyn Fn(*mut Evbuffer), &str); 6] = [
        (&live!(b => tagbuf::marshal_timeval(b, 0, 1, 0)), "00 02 01 00"),
        (&live!(b => tagbuf::marshal_timeval(b, 7, 1_700_000_000, 999_999)), "07 08 70 01 f3 55 60 4f 32 4f"),
        // tv_sec = tv_usec = -1, truncated to 32 bits.
        (&live!(b => tagbuf::marshal_timeval(b, 7, u32::MAX, u32::MAX)), "07 0a 7f ff ff ff f0 7f ff ff ff f0"),
        (&live!(b => tagbuf::marshal_int(b, 30, 0)), "1e 01 00"),
        (&live!(b => tagbuf::marshal_int64(b, 0x10121, 0xdead0a0bcafebeef)), "a1 82 04 09 ff ee be fa cb 0a 0d ae d0"),
        (&live!(b => tagbuf::marshal(b, 40, b"Hello world")), "28 0b 48 65 6c 6c 6f 20 77 6f 72 6c 64"),
    ];
    for (marshal, want) in cases {
        let b = OwnedBuffer::new();
        marshal(b.ptr());
        assert_eq!(b.bytes(), hex(want));
    }
    let b = OwnedBuffer::new();
    live!(b => tagbuf::marshal(b, 0x166, b""))(b.ptr());
    assert_eq!(b.bytes(), hex("e6 02 00"));
}

#[test]
fn every_value_round_trips() {
    let mut rng = WeakRand::default();
    rng.seed(99);
    for i in 0..20_000u32 {
        let r = (rng.draw() as u32) << 1 ^ rng.draw() as u32;
        let n = r >> (i % 32);
        assert_eq!(decode_int(&encode_int(n)).map(|(v, _)| v), Ok(n));
        assert_eq!(decode_tag(&encode_tag(n)).map(|(v, _)| v), Ok(n));
        let wide = u64::from(r) << (i % 33) | u64::from(n);
        assert_eq!(decode_int64(&encode_int64(wide)).map(|(v, _)| v), Ok(wide));
        assert_eq!(decode_timeval(&encode_timeval(n, r)).map(|(v, _)| v), Ok((n, r)));
    }
}

#[test]
fn malformed_numbers_and_tags() {
    assert_eq!(decode_int(&[]), Err(DecodeError::Truncated));
    // 3 nibbles need 2 bytes.
    assert_eq!(decode_int(&hex("20")), Err(DecodeError::Truncated));
    // 9 to 16 nibbles do not fit 32 bits, whatever follows; 64-bit decoding takes them.
    for count in 9..=16u8 {
        let mut v = vec![(count - 1) << 4];
        v.resize(usize::from(count / 2 + 1), 0x11);
        assert_eq!(decode_int(&v), Err(DecodeError::TooLarge));
        assert!(decode_int64(&v).is_ok());
        v.pop();
        assert_eq!(decode_int64(&v), Err(DecodeError::Truncated));
    }
    // Leading zero nibbles and a non-zero padding nibble are accepted, as upstream does.
    assert_eq!(decode_int(&hex("3f 00 00")), Ok((0xf, 3)));
    assert_eq!(decode_int(&hex("30 00 0f")), Ok((0, 3)));
    assert_eq!(decode_int(&hex("11 2f")), Ok((0x21, 2)));
    // Tags: empty, every byte continuing, a fifth byte over 4 bits or continuing.
    assert_eq!(decode_tag(&[]), Err(DecodeError::Truncated));
    assert_eq!(decode_tag(&hex("80 80")), Err(DecodeError::Truncated));
    assert_eq!(decode_tag(&hex("80 80 80 80 10")), Err(DecodeError::TooLarge));
    assert_eq!(decode_tag(&hex("80 80 80 80 8f 00")), Err(DecodeError::TooLarge));
    // A longer tag is refused at its fifth byte: the sixth is never looked at.
    assert_eq!(decode_tag(&hex("ff ff ff ff ff")), Err(DecodeError::TooLarge));
}

#[test]
fn headers() {
    let h = decode_header(&hex("a1 82 04 09")).unwrap();
    assert_eq!(h, Header { tag: 0x10121, tag_len: 3, payload_len: 9, length_len: 1 });
    assert_eq!(h.record_len(), 13);
    assert_eq!(&encode_header(0x10121, 9)[..], &hex("a1 82 04 09")[..]);
    // INT_MAX is the largest length; one more is refused (CVE-2026-63384).
    assert_eq!(decode_header(&[1, 0x7f, 0xff, 0xff, 0xff, 0x70]).map(|h| h.payload_len), Ok(0x7fff_ffff));
    assert_eq!(decode_header(&[1, 0x7f, 0, 0, 0, 0x80]), Err(DecodeError::TooLarge));
    assert_eq!(decode_header(&[1, 0x7f, 0xff, 0xff, 0xff, 0xf0]), Err(DecodeError::TooLarge));
}

// ---- the evbuffer operations ---------------------------------------------------------------

/// Runs `op` on a buffer holding `input` (one chain, then one chain per byte: the same result
/// both ways); returns its result and the bytes left.
fn on<T: PartialEq + std::fmt::Debug>(input: &[u8], op: impl Fn(*mut Evbuffer) -> T) -> (T, Vec<u8>) {
    let whole = OwnedBuffer::with(input);
    let r = op(whole.ptr());
    // SAFETY: input outlives the buffer.
    let pieces = unsafe { OwnedBuffer::fragmented(input) };
    assert_eq!(op(pieces.ptr()), r);
    assert_eq!(pieces.bytes(), whole.bytes());
    (r, whole.bytes())
}

/// The upstream tests' record pair: tag 30 holding the int 0, tag 40 holding "Hello world".
fn peek_test_stream() -> Vec<u8> {
    let mut v = hex("1e 01 00");
    v.extend_from_slice(&encode_record(40, b"Hello world"));
    v
}

#[test]
fn peeks_drain_nothing() {
    let s = peek_test_stream();
    // SAFETY (all closures here): `on` passes live buffers.
    assert_eq!(on(&s, live!(b => tagbuf::decode_tag(b, false))), (Some((30, 1)), s.clone()));
    assert_eq!(on(&s, live!(b => tagbuf::peek_header(b).map(|h| (h.payload_len, h.record_len())))), (Some((1, 3)), s.clone()));
    // A header whose payload is not there yet still peeks.
    assert_eq!(on(&hex("28 0b 48"), live!(b => tagbuf::peek_header(b).map(|h| h.payload_len))).0, Some(11));
    assert_eq!(on(&hex("28"), live!(b => tagbuf::peek_header(b))), (None, hex("28")));
    assert_eq!(on(&[], live!(b => tagbuf::decode_tag(b, false))), (None, vec![]));
}

#[test]
fn decoders_drain_what_they_decoded() {
    // SAFETY (all closures here): `on` passes live buffers.
    assert_eq!(on(&hex("e6 02 7f"), live!(b => tagbuf::decode_tag(b, true))), (Some((0x166, 2)), hex("7f")));
    assert_eq!(on(&hex("20 fa 01"), live!(b => tagbuf::decode_int(b))), (Some(0xaf0), hex("01")));
    assert_eq!(on(&hex("80 00 00 00 01 05"), live!(b => tagbuf::decode_int64(b))), (Some(1 << 32), hex("05")));
    // Failures leave everything.
    assert_eq!(on(&hex("80 00 00 00 01"), live!(b => tagbuf::decode_int(b))), (None, hex("80 00 00 00 01")));
    assert_eq!(on(&hex("30 00"), live!(b => tagbuf::decode_int(b))), (None, hex("30 00")));
}

#[test]
fn records_drain_as_upstream() {
    let s = peek_test_stream();
    let rest = s[3..].to_vec();
    // SAFETY (all closures here): `on` passes live buffers.
    assert_eq!(on(&s, live!(b => tagbuf::consume(b))), (true, rest.clone()));
    assert_eq!(on(&s, live!(b => tagbuf::unmarshal_header(b))), (Some((30, 1)), s[2..].to_vec()));
    assert_eq!(on(&s, live!(b => tagbuf::unmarshal_int(b, 30))), (Some((0, 1)), rest.clone()));
    // The wrong tag: only the tag is drained.
    assert_eq!(on(&s, live!(b => tagbuf::unmarshal_int(b, 31))), (None, s[1..].to_vec()));
    // A payload that is not a number: the whole record goes.
    let bad = [&hex("05 02 30 00")[..], &rest].concat();
    assert_eq!(on(&bad, live!(b => tagbuf::unmarshal_int(b, 5))), (None, rest.clone()));
    // A number longer than its payload (upstream read on past the payload, then failed).
    let long = [&hex("05 01 10 10")[..], &rest].concat();
    assert_eq!(on(&long, live!(b => tagbuf::unmarshal_int(b, 5))), (None, [&hex("10")[..], &rest].concat()));
    // Payload missing: tag and length are gone, the rest stays.
    assert_eq!(on(&hex("28 0b 48 65"), live!(b => tagbuf::consume(b))), (false, hex("48 65")));
    assert_eq!(on(&hex("28 0b 48 65"), live!(b => tagbuf::unmarshal_int(b, 40))), (None, hex("48 65")));
    // An undecodable length: the tag is gone.
    assert_eq!(on(&hex("28 30 00"), live!(b => tagbuf::unmarshal_header(b))), (None, hex("30 00")));

    let hello = encode_record(40, b"Hello world");
    let tail = hex("99");
    let stream = [&hello[..], &tail].concat();
    let string = live!(b => tagbuf::unmarshal_string(b, 40).map(|p| {
        // A NUL-terminated string from mm, freed here.
        let s = std::ffi::CStr::from_ptr(p.as_ptr()).to_bytes().to_vec();
        crate::mm::free(p.as_ptr().cast());
        s
    }));
    assert_eq!(on(&stream, string), (Some(b"Hello world".to_vec()), tail.clone()));
    // The wrong tag: the payload stays (unlike unmarshal_int, the header is read first).
    // SAFETY: live buffers.
    assert_eq!(on(&stream, live!(b => tagbuf::unmarshal_string(b, 41).is_some())), (false, [&b"Hello world"[..], &tail].concat()));
    let fixed = |b, len| {
        let mut out = [0u8; 11];
        // SAFETY: live buffer; out has 11 bytes, of which len are used.
        let ok = unsafe { tagbuf::unmarshal_fixed(b, 40, out.as_mut_ptr(), len) };
        (ok, out)
    };
    assert_eq!(on(&stream, |b| fixed(b, 11)), ((true, *b"Hello world"), tail.clone()));
    assert_eq!(on(&stream, |b| fixed(b, 10)).1, [&b"Hello world"[..], &tail].concat());

    let tv = [&hex("07 08 70 01 f3 55 60 4f 32 4f")[..], &tail].concat();
    // SAFETY (closures): live buffers.
    assert_eq!(on(&tv, live!(b => tagbuf::unmarshal_timeval(b, 7))), (Some((1_700_000_000, 999_999)), tail.clone()));
    // The wrong tag or a bad payload: the payload is drained anyway.
    assert_eq!(on(&tv, live!(b => tagbuf::unmarshal_timeval(b, 8))), (None, tail.clone()));
    assert_eq!(on(&[&hex("07 01 10")[..], &tail].concat(), live!(b => tagbuf::unmarshal_timeval(b, 7))), (None, tail.clone()));
    // A payload longer than two numbers: the rest is ignored.
    assert_eq!(on(&[&hex("07 03 01 02 ff")[..], &tail].concat(), live!(b => tagbuf::unmarshal_timeval(b, 7))), (Some((1, 2)), tail));
}

#[test]
fn unmarshal_moves_the_payload() {
    let s = peek_test_stream();
    let dst = OwnedBuffer::with(b">");
    let (r, left) = on(&s, |b| {
        // A fresh destination per run, so both runs see the same.
        let d = OwnedBuffer::new();
        // SAFETY: live, distinct buffers.
        let r = unsafe { tagbuf::unmarshal(b, d.ptr()) };
        (r, d.bytes())
    });
    assert_eq!(r, (Some((30, 1)), vec![0]));
    assert_eq!(left, s[3..]);
    // Into a buffer that already holds data: appended.
    let src = OwnedBuffer::with(&s[3..]);
    // SAFETY: live, distinct buffers.
    assert_eq!(unsafe { tagbuf::unmarshal(src.ptr(), dst.ptr()) }, Some((40, 11)));
    assert_eq!(dst.bytes(), b">Hello world");
    assert!(src.bytes().is_empty());
}

#[test]
fn marshal_buffer_moves_all_of_it() {
    let out = OwnedBuffer::with(b"<");
    let data = OwnedBuffer::with(b"abc");
    // SAFETY: live, distinct buffers.
    assert!(unsafe { tagbuf::marshal_buffer(out.ptr(), 0x166, data.ptr()) });
    assert_eq!(out.bytes(), [&b"<"[..], &hex("e6 02 03"), b"abc"].concat());
    assert!(data.bytes().is_empty());
}

// ---- hostile input (the advisories) -------------------------------------------------

/// CVE-2026-63383: a tag of five continuing bytes and a sixth, in a buffer of one chain per
/// byte. 2.1.12 pulled up five bytes and read the sixth past them; here the fifth byte ends
/// the attempt, and nothing is drained.
#[test]
fn six_byte_tag_in_a_fragmented_buffer() {
    for input in [hex("80 80 80 80 8f 01"), hex("ff ff ff ff ff 7f"), hex("81 82 83 84 85 06")] {
        // SAFETY (closures): live buffers.
        assert_eq!(on(&input, live!(b => tagbuf::decode_tag(b, true))), (None, input.clone()));
        assert_eq!(on(&input, live!(b => tagbuf::decode_tag(b, false))), (None, input.clone()));
        assert_eq!(on(&input, live!(b => tagbuf::peek_header(b))), (None, input.clone()));
        assert_eq!(on(&input, live!(b => tagbuf::unmarshal_header(b))), (None, input.clone()));
        assert_eq!(on(&input, live!(b => tagbuf::unmarshal_int(b, 0))), (None, input.clone()));
        assert_eq!(on(&input, live!(b => tagbuf::consume(b))), (false, input.clone()));
    }
}

/// Maps `len` bytes of zeroed address space, read-only and never touched: a chain that long
/// costs nothing unless something reads it.
struct Reserved {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Reserved {
    fn new(len: usize) -> Reserved {
        // SAFETY: an anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0)
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap of {len} bytes");
        Reserved { ptr, len }
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        // SAFETY: the mapping made in new, no longer referenced (its buffers are freed first).
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// CVE-2026-63384: a record length above INT_MAX, with that many bytes really in the buffer (a
/// reference to reserved address space). 2.1.12 returned the length as a negative int:
/// evtag_unmarshal_string allocated from it, evtag_consume drained everything. Here every
/// operation refuses it, after reading only the header.
#[test]
fn record_length_above_int_max() {
    let len: u32 = 0x8000_0000;
    let header = encode_header(9, len);
    let space = Reserved::new(len as usize + 16);
    let buffer = || {
        let b = OwnedBuffer::with(&header);
        // SAFETY: live buffer; the mapping outlives it (dropped after every buffer of this test).
        unsafe { crate::buffer::locked(b.ptr(), |x| x.add_reference(space.ptr.cast(), space.len, None, std::ptr::null_mut())) };
        b
    };
    let total = header.len() + space.len;
    let left = |b: &OwnedBuffer| {
        // SAFETY: live buffer; only read.
        unsafe { crate::buffer::ops::reading(b.ptr(), |x| x.len()) }
    };
    // Each operation fails; all but the peek drain the header, none the payload.
    type Refuses<'a> = &'a dyn Fn(*mut Evbuffer) -> bool;
    let cases: [(&str, Refuses, usize); 8] = [
        ("peek_header", &live!(b => tagbuf::peek_header(b).is_some()), total),
        ("unmarshal_header", &live!(b => tagbuf::unmarshal_header(b).is_some()), space.len),
        ("consume", &live!(b => tagbuf::consume(b)), space.len),
        ("unmarshal_string", &live!(b => tagbuf::unmarshal_string(b, 9).is_some()), space.len),
        (
            "unmarshal",
            &live!(b => {
                let dst = OwnedBuffer::new();
                tagbuf::unmarshal(b, dst.ptr()).is_some() || !dst.bytes().is_empty()
            }),
            space.len,
        ),
        // 2.1.12 drained the payload (a negative int passed to evbuffer_drain: everything).
        ("unmarshal_timeval", &live!(b => tagbuf::unmarshal_timeval(b, 9).is_some()), space.len),
        ("unmarshal_int", &live!(b => tagbuf::unmarshal_int(b, 9).is_some()), space.len),
        ("unmarshal_int64", &live!(b => tagbuf::unmarshal_int64(b, 9).is_some()), space.len),
    ];
    for (name, op, left_after) in cases {
        let b = buffer();
        assert!(!op(b.ptr()), "{name} accepted a length above INT_MAX");
        assert_eq!(left(&b), left_after, "{name}");
    }
    // INT_MAX itself is a valid length: consumed.
    let ok = OwnedBuffer::with(&encode_header(9, MAX_RECORD_LEN));
    // SAFETY: live buffer; the mapping outlives it.
    unsafe { crate::buffer::locked(ok.ptr(), |x| x.add_reference(space.ptr.cast(), space.len, None, std::ptr::null_mut())) };
    assert!(live!(b => tagbuf::consume(b))(ok.ptr()));
    assert_eq!(left(&ok), space.len - MAX_RECORD_LEN as usize);
}

#[test]
fn truncated_and_oversized_records() {
    // A length larger than the buffer, truncated lengths and tags: refused, never read past.
    for input in [hex("01 10 10 00"), hex("01 7f ff ff"), hex("81"), hex("01"), hex("01 80 00 00 00 01 00")] {
        // SAFETY (closures): live buffers.
        assert!(!on(&input, live!(b => tagbuf::consume(b))).0, "{input:02x?}");
        assert_eq!(on(&input, live!(b => tagbuf::unmarshal_timeval(b, 1))).0, None);
        assert!(!on(&input, live!(b => tagbuf::unmarshal_string(b, 1).is_some())).0);
    }
}

// ---- fuzzing --------------------------------------------------------------------------------

/// The corpus: records and structures encoded by upstream (corpus/, see its README), and the
/// streams of the tests above.
fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tag/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "bin")).collect();
    files.sort();
    let mut c: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(c.len() >= 8, "corpus files missing in {}", dir.display());
    c.push(peek_test_stream());
    c.extend(INTS.iter().chain(TAGS).map(|(_, h)| hex(h)));
    c
}

/// One random edit, biased towards what breaks this format: high bits (continuations), nibble
/// counts, truncation, repeated pieces.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    // Large inputs (a whole message of 1000 runs) are cut to a window, to keep each run
    // short: the structure inside is the same.
    let start = if input.len() > 512 { rng.below(input.len() - 512) } else { 0 };
    let mut v = input[start..input.len().min(start + 512)].to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len());
        let byte = rng.next_u64() as u8;
        match rng.below(7) {
            0 => v.truncate(at),
            1 if !v.is_empty() => v[at] = byte,
            2 if !v.is_empty() => v[at] |= 0x80,
            3 if !v.is_empty() => v[at] = (v[at] & 0x0f) | (byte & 0xf0),
            4 => v.insert(at, byte),
            5 if at < v.len() => {
                v.remove(at);
            }
            _ => {
                let from = rng.below(v.len());
                let piece = v[from..(from + 8).min(v.len())].to_vec();
                v.splice(at..at, piece);
            }
        }
    }
    v
}

fn fuzz_run(seed: u64, iterations: u64) {
    crate::util::fuzz::run(&corpus(), seed, iterations, mutate, fuzz_unmarshal);
}

#[test]
fn evtag_fuzz() {
    fuzz_run(0x5eed, 10_000);
}

/// The long run: `EVTAG_FUZZ_ITERATIONS=10000000 EVTAG_FUZZ_SEED=7 cargo test --release evtag_fuzz_long -- --ignored`.
#[test]
#[ignore]
fn evtag_fuzz_long() {
    let (seed, iterations) = crate::util::fuzz::long_run_settings("EVTAG", 1_000_000);
    fuzz_run(seed, iterations);
}

// ---- the corpus holds what its README says ---------------------------------------------------

fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tag/corpus").join(name)).unwrap()
}

/// The records of a stream: tag and payload, until the first that does not decode; and the
/// bytes left.
fn records(data: &[u8]) -> (Vec<(u32, Vec<u8>)>, usize) {
    let src = OwnedBuffer::with(data);
    let mut out = Vec::new();
    loop {
        let payload = OwnedBuffer::new();
        // SAFETY: live, distinct buffers.
        let Some((tag, _)) = (unsafe { tagbuf::unmarshal(src.ptr(), payload.ptr()) }) else { break };
        out.push((tag, payload.bytes()));
    }
    (out, src.bytes().len())
}

#[test]
fn corpus_records_read_back() {
    let (r, left) = records(&corpus_file("records.bin"));
    assert_eq!(left, 0);
    let tags: Vec<u32> = r.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, [30, 31, 0x166, 0, 40, 41, 0xffffffff, 0x10000000]);
    assert_eq!(decode_int(&r[1].1), Ok((0xffffffff, 5)));
    assert_eq!(decode_int64(&r[2].1), Ok((0xdead0a0bcafebeef, 9)));
    assert_eq!(decode_timeval(&r[3].1), Ok(((1_700_000_000, 999_999), 8)));
    assert_eq!(r[4].1, b"Hello world");
    assert!(r[5].1.is_empty() && r[7].1.is_empty());
    assert_eq!(r[6].1, (0..24).map(|i| i * 11).collect::<Vec<u8>>());

    // The tagged message is one record whose payload is the message's fields: from_name (1),
    // to_name (2), attack (3, itself a kill) and the runs (4), all read to the end.
    let (outer, left) = records(&corpus_file("msg-tagged-3-runs.bin"));
    assert_eq!((outer.len(), outer[0].0, left), (1, 0xdeaf, 0));
    let (fields, left) = records(&outer[0].1);
    assert_eq!(left, 0);
    let tags: Vec<u32> = fields.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, [1, 2, 3, 4, 4, 4]);
    assert_eq!((&fields[0].1[..], &fields[1].1[..]), (&b"niels"[..], &b"phoenix"[..]));
    let (kill, _) = records(&fields[2].1);
    assert_eq!(kill.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [0x10121, 2, 3, 3, 3]);
    // A run: how (1), some_bytes (2), fixed_bytes (3), two notes (4), large_number (5), two
    // other_numbers (6).
    let (run, _) = records(&fields[3].1);
    assert_eq!(run.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [1, 2, 3, 4, 4, 5, 6, 6]);
    assert_eq!(decode_int64(&run[5].1).map(|(n, _)| n), Ok(0xdead0a0bcafebeef));
}
