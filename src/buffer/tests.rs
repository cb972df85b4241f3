//! Cargo tests of the chain list invariants and of the operations that shape chains, checked
//! after every step the way upstream's evbuffer_validate_ does.

use super::search::{EolStyle, EvbufferPtr};
use super::*;

/// A buffer for one test, freed at the end.
struct Buf(*mut Evbuffer);

impl Buf {
    fn new() -> Buf {
        let p = Evbuffer::new();
        assert!(!p.is_null());
        Buf(p)
    }

    fn get(&mut self) -> &mut Evbuffer {
        // SAFETY: the test owns the live buffer, uses it from one thread, and holds no other
        // reference to it meanwhile (the borrow of self says so).
        unsafe { &mut *self.0 }
    }
}

/// Everything in the buffer.
fn contents(b: &Evbuffer) -> Vec<u8> {
    let mut out = vec![0; b.len()];
    assert_eq!(b.copyout_from(None, &mut out), out.len() as isize);
    out
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: the buffer is live and ours.
        unsafe { free(self.0) }
    }
}

/// upstream's evbuffer_validate_, as assertions.
fn validate(b: &Evbuffer) {
    let first_slot = &b.first as *const *mut Chain as *mut *mut Chain;
    if b.first.is_null() {
        assert!(b.last.is_null());
        assert_eq!(b.total_len, 0);
    }
    let mut found = b.last_with_datap == first_slot;
    let mut sum = 0;
    let mut chain = b.first;
    // SAFETY: the buffer's chains are live.
    unsafe {
        while let Some(c) = chain.as_ref() {
            if std::ptr::eq(&c.next, b.last_with_datap) {
                found = true;
            }
            sum += c.off;
            if c.next.is_null() {
                assert_eq!(b.last, chain);
            }
            assert!(c.buffer_len >= c.misalign as usize + c.off);
            chain = c.next;
        }
        assert!(found, "last_with_datap does not point into the list");
        assert_eq!(sum, b.total_len);
        let lwd = *b.last_with_datap;
        if let Some(c) = lwd.as_ref() {
            if c.off == 0 || b.total_len == 0 {
                assert_eq!(c.off, 0);
                assert_eq!(lwd, b.first);
                assert_eq!(b.total_len, 0);
            }
            let mut after = c.next;
            while let Some(a) = after.as_ref() {
                assert_eq!(a.off, 0, "a chain after the last with data holds data");
                after = a.next;
            }
        } else {
            assert_eq!(b.last_with_datap, first_slot);
        }
    }
}

fn chain_count(b: &Evbuffer) -> usize {
    b.chains().count()
}

#[test]
fn add_prepend_drain_keep_the_invariants() {
    let mut buf = Buf::new();
    let b = buf.get();
    validate(b);
    assert_eq!(b.add(b"hello/1"), 0);
    validate(b);
    assert_eq!(b.prepend_bytes(b"else"), 0);
    validate(b);
    assert_eq!(contents(b), b"elsehello/1");
    assert_eq!(b.drain(6), 0);
    validate(b);
    assert_eq!(contents(b), b"llo/1");
    let big = vec![b'x'; 10_000];
    assert_eq!(b.add(&big), 0);
    validate(b);
    assert_eq!(b.len(), 10_005);
    assert_eq!(b.drain(usize::MAX), 0);
    validate(b);
    assert!(b.first.is_null());
}

#[test]
fn pullup_joins_chains() {
    let mut buf = Buf::new();
    let mut other = Buf::new();
    for part in [&b"abc"[..], b"defg", b"h"] {
        other.get().add(part);
        // SAFETY: two live, distinct buffers.
        unsafe { ops::add_buffer(buf.0, other.0) };
        validate(buf.get());
    }
    let b = buf.get();
    assert_eq!(chain_count(b), 3);
    let p = b.pullup_bytes(5);
    assert!(!p.is_null());
    validate(b);
    // SAFETY: pullup made 5 bytes contiguous at p.
    assert_eq!(unsafe { std::slice::from_raw_parts(p, 5) }, b"abcde");
    assert_eq!(contents(b), b"abcdefgh");
    assert!(b.pullup_bytes(9).is_null());
    assert!(!b.pullup_bytes(-1).is_null());
    validate(b);
    assert_eq!(chain_count(b), 1);
}

#[test]
fn reserve_and_commit_two_vectors() {
    let mut buf = Buf::new();
    let b = buf.get();
    let mut v = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; 2];
    assert_eq!(b.reserve_space(1024, &mut v), 1);
    assert!(v[0].iov_len >= 1024);
    v[0].iov_len = 512;
    assert_eq!(b.commit_space(&v[..1]), 0);
    validate(b);
    let remaining = b.first_chain().unwrap().space_len();
    assert_eq!(b.reserve_space(remaining as isize + 64, &mut v), 2);
    validate(b);
    v[0].iov_len = 10;
    v[1].iov_len = 20;
    assert_eq!(b.commit_space(&v), 0);
    validate(b);
    assert_eq!(b.len(), 542);
    // Vectors that were not reserved are refused.
    let junk = [libc::iovec { iov_base: v[0].iov_base, iov_len: 1 }];
    assert_eq!(b.commit_space(&junk), -1);
    validate(b);
}

#[test]
fn huge_sizes_fail_without_wrapping() {
    let mut buf = Buf::new();
    let b = buf.get();
    b.add(b"1");
    assert_eq!(b.expand(chain::CHAIN_MAX), -1);
    assert_eq!(b.expand(usize::MAX), -1);
    validate(b);
    let mut v = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; 2];
    assert_eq!(b.reserve_space(isize::MAX, &mut v[..1]), -1);
    assert_eq!(b.reserve_space(isize::MAX, &mut v), -1);
    assert_eq!(b.reserve_space(-1, &mut v), -1);
    validate(b);
    assert!(b.pullup_bytes(isize::MAX).is_null());
    assert_eq!(b.len(), 1);
}

/// A buffer holding `parts` in one chain each.
fn one_chain_each(parts: &[&[u8]]) -> Buf {
    let buf = Buf::new();
    let mut tmp = Buf::new();
    for part in parts {
        tmp.get().add(part);
        // SAFETY: live, distinct buffers.
        unsafe { ops::add_buffer(buf.0, tmp.0) };
    }
    buf
}

#[test]
fn remove_buffer_moves_whole_chains() {
    let mut src = one_chain_each(&[b"foo", b"bar", b"baz"]);
    let mut dst = Buf::new();
    // SAFETY: as above.
    assert_eq!(unsafe { ops::remove_buffer(src.0, dst.0, 7) }, 7);
    validate(src.get());
    validate(dst.get());
    assert_eq!(contents(src.get()), b"az");
    assert_eq!(contents(dst.get()), b"foobarb");
    // SAFETY: as above.
    assert_eq!(unsafe { ops::prepend_buffer(dst.0, src.0) }, 0);
    validate(dst.get());
    assert_eq!(contents(dst.get()), b"azfoobarb");
    assert_eq!(src.get().len(), 0);
}

#[test]
fn remove_buffer_of_whole_chains_into_a_buffer_with_data() {
    let mut src = one_chain_each(&[b"aaa", b"bbb", b"ccc"]);
    let mut dst = Buf::new();
    assert_eq!(chain_count(src.get()), 3);
    dst.get().add(b"x");
    // Exactly two chains: src's last chain with data becomes its first.
    // SAFETY: as above.
    assert_eq!(unsafe { ops::remove_buffer(src.0, dst.0, 6) }, 6);
    validate(src.get());
    validate(dst.get());
    assert_eq!(contents(dst.get()), b"xaaabbb");
    assert_eq!(contents(src.get()), b"ccc");
    assert_eq!(chain_count(dst.get()), 3, "whole chains move");
    // Appending goes after the moved chains.
    dst.get().add(b"y");
    validate(dst.get());
    assert_eq!(contents(dst.get()), b"xaaabbby");
    // SAFETY: as above.
    assert_eq!(unsafe { ops::remove_buffer(src.0, dst.0, 2) }, 2);
    validate(src.get());
    validate(dst.get());
    assert_eq!(contents(dst.get()), b"xaaabbbycc");
    assert_eq!(contents(src.get()), b"c");
}

#[test]
fn ptr_set_and_search() {
    let mut buf = Buf::new();
    let mut tmp = Buf::new();
    for part in [&b"hello"[..], b"foo", b"cat", b"attack"] {
        tmp.get().add(part);
        // SAFETY: live, distinct buffers.
        unsafe { ops::add_buffer(buf.0, tmp.0) };
    }
    let b = buf.get();
    let mut p = EvbufferPtr::NOT_FOUND;
    assert_eq!(b.ptr_set(&mut p, 0, false), 0);
    assert_eq!(b.ptr_set(&mut p, 10, true), 0);
    assert_eq!(p.pos, 10);
    assert_eq!(p.pos_in_chain, 2);
    assert_eq!(b.ptr_set(&mut p, 7, true), 0);
    assert_eq!(p.pos, 17);
    assert!(p.chain.is_null());
    assert_eq!(b.ptr_set(&mut p, 1, true), -1);
    assert_eq!(p, EvbufferPtr::NOT_FOUND);
    assert_eq!(b.search_range(b"attack", None, None).pos, 11);
    let at = b.search_range(b"oc", None, None);
    assert_eq!(at.pos, 7);
    assert_eq!(b.search_range(b"cat", Some(&at), None).pos, 8);
    let mut end = EvbufferPtr::NOT_FOUND;
    b.ptr_set(&mut end, 12, false);
    assert_eq!(b.search_range(b"foocata", None, Some(&end)).pos, 5);
    assert_eq!(b.search_range(b"foocatat", None, Some(&end)).pos, -1);
}

/// The next line `readln` returns, checked to be NUL-terminated, and freed.
fn take(b: &mut Evbuffer, style: EolStyle) -> Option<Vec<u8>> {
    b.readln(style).map(|(p, n)| {
        // SAFETY: readln returns n bytes plus a NUL from the user's allocator.
        let mut line = unsafe { std::slice::from_raw_parts(p.as_ptr().cast::<u8>(), n + 1) }.to_vec();
        mm::free(p.as_ptr().cast());
        assert_eq!(line.pop(), Some(0));
        line
    })
}

#[test]
fn readln_every_style() {
    let mut buf = Buf::new();
    let b = buf.get();
    b.add(b"one\r\ntwo\nthree\r\n\r\nfour");
    assert_eq!(take(b, EolStyle::Crlf).unwrap(), b"one");
    assert_eq!(take(b, EolStyle::Lf).unwrap(), b"two");
    assert_eq!(take(b, EolStyle::Any).unwrap(), b"three");
    assert_eq!(take(b, EolStyle::Any), None);
    validate(b);
    b.add(b"\0five\r\nsix");
    assert_eq!(take(b, EolStyle::Nul).unwrap(), b"four");
    assert_eq!(take(b, EolStyle::CrlfStrict).unwrap(), b"five");
    assert_eq!(take(b, EolStyle::CrlfStrict), None);
    assert_eq!(contents(b), b"six");
}

#[test]
fn readln_at_and_across_chain_ends() {
    let mut buf = Buf::new();
    let b = buf.get();
    // Reference chains are never appended to: each piece stays a chain of its own.
    static PIECES: [&[u8]; 5] = [b"ab\r", b"\ncd", b"ef\ng\n", b"x\r", b"\n\ry\rz"];
    for piece in PIECES {
        assert_eq!(b.add_reference(piece.as_ptr(), piece.len(), None, std::ptr::null_mut()), 0);
    }
    // CR ending the first chain, LF starting the next.
    assert_eq!(take(b, EolStyle::Crlf).unwrap(), b"ab");
    // A line across two chains.
    assert_eq!(take(b, EolStyle::Lf).unwrap(), b"cdef");
    // A line ending exactly at the end of its chain.
    assert_eq!(take(b, EolStyle::Crlf).unwrap(), b"g");
    validate(b);
    // A run of line-ending bytes continued in the next chain.
    assert_eq!(take(b, EolStyle::Any).unwrap(), b"x");
    assert_eq!(take(b, EolStyle::Any).unwrap(), b"y");
    assert_eq!(take(b, EolStyle::Any), None);
    assert_eq!(contents(b), b"z");
    validate(b);
}

#[test]
fn references_and_multicast_share_memory() {
    let mut a = Buf::new();
    let mut b = Buf::new();
    static TEXT: &[u8] = b"shared text";
    assert_eq!(a.get().add_reference(TEXT.as_ptr(), TEXT.len(), None, std::ptr::null_mut()), 0);
    a.get().add(b" and more");
    // SAFETY: live, distinct buffers.
    assert_eq!(unsafe { ops::add_buffer_reference(b.0, a.0) }, 0);
    validate(b.get());
    assert_eq!(contents(b.get()), b"shared text and more");
    // A copy cannot be copied again, nor a buffer into itself.
    // SAFETY: as above.
    assert_eq!(unsafe { ops::add_buffer_reference(a.0, b.0) }, -1);
    // SAFETY: as above.
    assert_eq!(unsafe { ops::add_buffer_reference(b.0, b.0) }, -1);
    assert_eq!(a.get().drain(7), 0);
    assert_eq!(contents(b.get()), b"shared text and more");
    assert_eq!(b.get().prepend_bytes(b">"), 0);
    assert_eq!(contents(b.get()), b">shared text and more");
    assert_eq!(TEXT, b"shared text");
}

/// Writes all of `data` to `fd`.
fn send(fd: c_int, data: &[u8]) {
    // SAFETY: data is a live slice of data.len() bytes.
    assert_eq!(unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) }, data.len() as isize);
}

#[test]
fn read_size_follows_the_stream() {
    let mut fds = [0; 2];
    assert_eq!(crate::util::socket::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, &mut fds), 0);
    let mut buf = Buf::new();
    let b = buf.get();
    let bulk = |b: &Evbuffer| b.bit(READ_BULK);
    // Messages: each read takes what came, without sizing; the stream stays a message stream.
    send(fds[1], &[b'a'; 100]);
    assert_eq!(b.read(fds[0], -1), 100);
    assert!(!bulk(b));
    // A read the caller limits says nothing about the stream, even when it fills.
    send(fds[1], &[b'b'; 20_000]);
    assert_eq!(b.read(fds[0], 50), 50);
    assert!(!bulk(b));
    // A read that fills what it asked (the small read: the last chain has less room) makes the
    // stream bulk; the next read then takes everything waiting.
    let small = b.read(fds[0], -1);
    assert!(small >= 4096 && small < 19_950 - 4096, "{small}");
    assert!(bulk(b));
    assert_eq!(b.read(fds[0], -1), 19_950 - small);
    assert!(bulk(b));
    // One short read does not end a bulk stream (the tail of one upload and the start of the
    // next); a second in a row does.
    send(fds[1], &[b'c'; 10]);
    assert_eq!(b.read(fds[0], -1), 10);
    assert!(bulk(b));
    send(fds[1], &[b'd'; 5000]);
    assert_eq!(b.read(fds[0], -1), 5000);
    send(fds[1], &[b'e'; 10]);
    assert_eq!(b.read(fds[0], -1), 10);
    assert!(bulk(b));
    send(fds[1], &[b'f'; 10]);
    assert_eq!(b.read(fds[0], -1), 10);
    assert!(!bulk(b));
    // The end of the stream.
    // SAFETY: the test's own descriptor.
    unsafe { libc::close(fds[1]) };
    assert_eq!(b.read(fds[0], -1), 0);
    validate(b);
    let mut want = vec![b'a'; 100];
    for (c, n) in [(b'b', 20_000), (b'c', 10), (b'd', 5000), (b'e', 10), (b'f', 10)] {
        want.extend(std::iter::repeat_n(c, n));
    }
    assert_eq!(contents(b), want);
    // SAFETY: the test's own descriptor.
    unsafe { libc::close(fds[0]) };
}
