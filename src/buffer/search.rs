//! Positions in a buffer (`struct evbuffer_ptr`, evbuffer_ptr_set), searching for bytes
//! (evbuffer_search, search_range, the compat evbuffer_find), line endings (search_eol in every
//! EVBUFFER_EOL_* style) and reading lines (readln, the compat readline).
//!
//! The scans are plain functions over the buffer's chains seen as a sequence of byte slices
//! ([`find`], [`find_eol`]), unit-tested below; they use SIMD scans (the C library's memchr for
//! one byte, the `memchr` crate's memchr2 and memmem), never a loop per byte. The methods map their results (offsets from the start of the scan) back to
//! evbuffer_ptr values.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;

use memchr::memmem;

use super::chain::Chain;
use super::Evbuffer;
use crate::mm;

/// `struct evbuffer_ptr`: a byte position, plus the chain holding it and the offset in that
/// chain (NULL and 0 for the position just after the last byte).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvbufferPtr {
    pub pos: isize,
    pub chain: *mut c_void,
    pub pos_in_chain: usize,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<EvbufferPtr>() == 24);
    assert!(offset_of!(EvbufferPtr, chain) == 8);
    assert!(offset_of!(EvbufferPtr, pos_in_chain) == 16);
};

impl EvbufferPtr {
    /// What a failed search or position returns: pos -1, no chain.
    pub const NOT_FOUND: EvbufferPtr = EvbufferPtr { pos: -1, chain: std::ptr::null_mut(), pos_in_chain: 0 };

    #[inline]
    pub fn chain(&self) -> *mut Chain {
        self.chain.cast()
    }
}

/// `enum evbuffer_eol_style`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EolStyle {
    /// Any run of CR and LF characters.
    Any,
    /// LF, optionally preceded by CR.
    Crlf,
    /// Exactly CR LF.
    CrlfStrict,
    /// LF.
    Lf,
    /// A NUL byte.
    Nul,
}

impl EolStyle {
    pub fn from_c(style: c_int) -> Option<EolStyle> {
        Some(match style {
            0 => EolStyle::Any,
            1 => EolStyle::Crlf,
            2 => EolStyle::CrlfStrict,
            3 => EolStyle::Lf,
            4 => EolStyle::Nul,
            _ => return None,
        })
    }
}

// ---- scans over a sequence of slices ---------------------------------------------------------

/// Offset of the first occurrence of `needle` (non-empty) in the concatenation of `segs`, if it
/// lies entirely within the first `limit` bytes. Matches inside one slice are found with
/// memmem; a match that crosses into later slices can only start in the last
/// `needle.len() - 1` bytes of a slice, and those few starts are compared directly.
/// Kept out of line: its memmem searcher would otherwise enlarge the stack frame of every
/// caller that inlines a choice of scans, such as readln's per-line path.
#[inline(never)]
pub fn find<'a, I>(segs: I, needle: &[u8], limit: usize) -> Option<usize>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    debug_assert!(!needle.is_empty());
    let finder = memmem::Finder::new(needle);
    let mut base = 0usize;
    let mut rest = segs;
    while let Some(seg) = rest.next() {
        if base >= limit {
            return None;
        }
        let seg = &seg[..seg.len().min(limit - base)];
        if let Some(i) = find_in_slice(seg, needle, &finder) {
            return Some(base + i);
        }
        let tail_from = seg.len().saturating_sub(needle.len() - 1);
        for start in tail_from..seg.len() {
            let head = &seg[start..];
            if needle.starts_with(head) && base + start + needle.len() <= limit && continues(rest.clone(), &needle[head.len()..]) {
                return Some(base + start);
            }
        }
        base += seg.len();
    }
    None
}

/// The first occurrence of `needle` inside `hay`. The needle's first byte is looked for with
/// memchr and each hit compared, which is the fastest scan while that byte is rare (as CR or a
/// delimiter usually is); after a few false hits the rest goes to memmem, whose work does not
/// grow with the number of false hits.
fn find_in_slice(hay: &[u8], needle: &[u8], finder: &memmem::Finder<'_>) -> Option<usize> {
    const FALSE_HITS_BEFORE_MEMMEM: usize = 8;
    let mut from = 0;
    for _ in 0..FALSE_HITS_BEFORE_MEMMEM {
        let at = from + find_byte(needle[0], &hay[from..])?;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    finder.find(&hay[from..]).map(|i| from + i)
}

/// The first `byte` in `hay`: the C library's memchr, whose fixed cost per call is about half
/// the memchr crate's (it matters for short scans such as one line: ~30 instructions against
/// ~70 for a 60-byte line), with the same vector speed on long ones.
#[inline]
fn find_byte(byte: u8, hay: &[u8]) -> Option<usize> {
    // SAFETY: memchr reads at most hay.len() bytes of the slice, and a hit lies inside it.
    let p = unsafe { libc::memchr(hay.as_ptr().cast(), c_int::from(byte), hay.len()) };
    (!p.is_null()).then(|| p as usize - hay.as_ptr() as usize)
}

/// Whether the slices begin with `want`.
fn continues<'a, I: Iterator<Item = &'a [u8]>>(segs: I, mut want: &[u8]) -> bool {
    for seg in segs {
        if want.is_empty() {
            break;
        }
        let n = seg.len().min(want.len());
        if seg[..n] != want[..n] {
            return false;
        }
        want = &want[n..];
    }
    want.is_empty()
}

/// Where the first line ending of `style` starts in the concatenation of `segs`, and how many
/// bytes it has.
pub fn find_eol<'a, I>(segs: I, style: EolStyle) -> Option<(usize, usize)>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    match style {
        EolStyle::Any => {
            let (at, segs_from) = find_first(segs.clone(), |s| memchr::memchr2(b'\r', b'\n', s))?;
            Some((at, run_of_crlf(segs_from)))
        }
        EolStyle::CrlfStrict => find(segs, b"\r\n", usize::MAX).map(|at| (at, 2)),
        EolStyle::Lf => find_first(segs, |s| find_byte(b'\n', s)).map(|(at, _)| (at, 1)),
        EolStyle::Nul => find_first(segs, |s| find_byte(0, s)).map(|(at, _)| (at, 1)),
        EolStyle::Crlf => {
            let (at, hit) = find_first(segs.clone(), |s| find_byte(b'\n', s))?;
            // The byte before the LF is in the LF's slice unless the LF starts it.
            let cr_before = match hit.before.last() {
                Some(&b) => b == b'\r',
                None => at > 0 && byte_at(segs, at - 1) == Some(b'\r'),
            };
            if cr_before {
                Some((at - 1, 2))
            } else {
                Some((at, 1))
            }
        }
    }
}

/// The first hit of a per-slice scan: its offset, and the slices from the hit on (the first one
/// starting at the hit).
fn find_first<'a, I>(segs: I, scan: impl Fn(&[u8]) -> Option<usize>) -> Option<(usize, Hit<'a, I>)>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    let mut base = 0;
    let mut rest = segs;
    while let Some(seg) = rest.next() {
        if let Some(i) = scan(seg) {
            return Some((base + i, Hit { before: &seg[..i], first: Some(&seg[i..]), rest }));
        }
        base += seg.len();
    }
    None
}

/// The slices from a scan's hit on (and what precedes the hit in its slice).
struct Hit<'a, I> {
    before: &'a [u8],
    first: Option<&'a [u8]>,
    rest: I,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Hit<'a, I> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.first.take().or_else(|| self.rest.next())
    }
}

/// Length of the run of CR and LF bytes the slices start with.
fn run_of_crlf<'a>(segs: impl Iterator<Item = &'a [u8]>) -> usize {
    let mut n = 0;
    for seg in segs {
        let k = seg.iter().position(|&b| b != b'\r' && b != b'\n');
        match k {
            Some(k) => return n + k,
            None => n += seg.len(),
        }
    }
    n
}

/// The byte at offset `at` of the concatenation.
fn byte_at<'a>(segs: impl Iterator<Item = &'a [u8]>, mut at: usize) -> Option<u8> {
    for seg in segs {
        if at < seg.len() {
            return Some(seg[at]);
        }
        at -= seg.len();
    }
    None
}

/// A NUL-terminated string of `n` bytes from the user's allocator, filled by `fill`; None
/// (logged) when memory runs out.
#[inline]
fn new_line(n: usize, fill: impl FnOnce(&mut [u8])) -> Option<NonNull<c_char>> {
    let Some(line) = NonNull::new(mm::malloc(n + 1).cast::<u8>()) else {
        crate::warn_errno!("evbuffer_readln: out of memory");
        return None;
    };
    // SAFETY: a fresh allocation of n + 1 bytes, used by nothing else yet.
    let out = unsafe { std::slice::from_raw_parts_mut(line.as_ptr(), n + 1) };
    fill(&mut out[..n]);
    out[n] = 0;
    Some(line.cast())
}

// ---- the buffer side ----------------------------------------------------------------------

impl Evbuffer {
    /// The data from a position on: the slices of its chain (from the offset in it) and of
    /// the chains after.
    fn slices_from(&self, start: &EvbufferPtr) -> impl Iterator<Item = &[u8]> + Clone {
        let skip = start.pos_in_chain;
        // SAFETY: the pointer's chain is NULL or a chain of this buffer (an evbuffer_ptr of it,
        // which the API requires to be up to date).
        unsafe { self.chains_from(start.chain()) }
            .enumerate()
            .map(move |(i, c)| if i == 0 { &c.data()[skip.min(c.off)..] } else { c.data() })
    }

    /// A pointer to the start of the buffer.
    fn start_ptr(&self) -> EvbufferPtr {
        EvbufferPtr { pos: 0, chain: self.first_ptr().cast(), pos_in_chain: 0 }
    }

    /// Whether a caller's pointer can be used: a position inside the buffer or just after it.
    fn valid_ptr(&self, p: &EvbufferPtr) -> bool {
        p.pos >= 0 && p.pos as usize <= self.len()
    }

    /// `evbuffer_ptr_set`: sets `pos` to `position` (PTR_SET) or moves it on by that much
    /// (PTR_ADD). A position past the end fails and leaves the pointer NOT_FOUND.
    pub fn ptr_set(&self, pos: &mut EvbufferPtr, position: usize, add: bool) -> c_int {
        let (mut chain, mut left, mut in_chain) = if add {
            if pos.pos < 0 || usize::MAX - position < pos.pos as usize {
                return -1;
            }
            (pos.chain(), position, pos.pos_in_chain)
        } else {
            (self.first_ptr(), position, 0)
        };
        let target = if add { pos.pos as usize + position } else { position };
        if target > self.len() || target > isize::MAX as usize {
            *pos = EvbufferPtr::NOT_FOUND;
            return -1;
        }
        // SAFETY: `chain` is this buffer's first chain or the chain of a pointer into it; the
        // walk stays inside the buffer because target <= length.
        unsafe {
            while let Some(c) = chain.as_ref() {
                if in_chain + left < c.off {
                    break;
                }
                left -= c.off - in_chain;
                chain = c.next;
                in_chain = 0;
            }
        }
        if chain.is_null() && left != 0 {
            *pos = EvbufferPtr::NOT_FOUND;
            return -1;
        }
        *pos = EvbufferPtr { pos: target as isize, chain: chain.cast(), pos_in_chain: in_chain + left };
        0
    }

    /// The pointer `n` bytes after `from` (which must stay inside the buffer).
    fn advanced(&self, from: &EvbufferPtr, n: usize) -> EvbufferPtr {
        let mut p = *from;
        let ok = self.ptr_set(&mut p, n, true);
        debug_assert!(ok == 0);
        p
    }

    /// `evbuffer_search_range`: the first occurrence of `what` at or after `start` (the
    /// beginning when None) that ends at or before `end` (the end of the buffer when None).
    /// An empty `what` finds the start itself.
    pub fn search_range(&self, what: &[u8], start: Option<&EvbufferPtr>, end: Option<&EvbufferPtr>) -> EvbufferPtr {
        let from = match start {
            Some(p) if !self.valid_ptr(p) => return EvbufferPtr::NOT_FOUND,
            Some(p) => *p,
            None => self.start_ptr(),
        };
        if what.is_empty() || what.len() > isize::MAX as usize {
            return from;
        }
        let limit = match end {
            Some(e) if e.pos < from.pos => return EvbufferPtr::NOT_FOUND,
            Some(e) => (e.pos - from.pos) as usize,
            None => usize::MAX,
        };
        match find(self.slices_from(&from), what, limit) {
            Some(off) => self.advanced(&from, off),
            None => EvbufferPtr::NOT_FOUND,
        }
    }

    /// `evbuffer_search_eol`: the first line ending of `style` at or after `start`, and its
    /// length (0 when there is none).
    pub fn search_eol(&self, start: Option<&EvbufferPtr>, style: EolStyle) -> (EvbufferPtr, usize) {
        let from = match start {
            Some(p) if !self.valid_ptr(p) || p.chain.is_null() => return (EvbufferPtr::NOT_FOUND, 0),
            Some(p) => *p,
            None => self.start_ptr(),
        };
        match find_eol(self.slices_from(&from), style) {
            Some((off, len)) => (self.advanced(&from, off), len),
            None => (EvbufferPtr::NOT_FOUND, 0),
        }
    }

    /// `evbuffer_readln`: removes the first line and its line ending and returns the line as a
    /// NUL-terminated string from the user's allocator (with its length); None when there is no
    /// complete line, the start is frozen or memory runs out (the buffer is then unchanged).
    #[inline]
    pub fn readln(&mut self, style: EolStyle) -> Option<(NonNull<c_char>, usize)> {
        if self.is_frozen(true) {
            return None;
        }
        // The usual case: the line and its ending lie inside the first chain, short of its end
        // (reads deliver many lines per chain). The first line ending of the whole buffer is
        // then the first one of that chain, so one scan of its bytes finds it, the line is
        // copied straight out of them, and the drain frees no chain.
        if let Some(first) = self.first_chain() {
            let data = first.data();
            match find_eol(std::iter::once(data), style) {
                Some((n, eol_len)) if n + eol_len < data.len() => {
                    let line = new_line(n, |out| out.copy_from_slice(&data[..n]))?;
                    let drained = self.drain_within_first(n + eol_len);
                    debug_assert!(drained);
                    self.note_removed(n + eol_len);
                    return Some((line, n));
                }
                // No more data than that chain's: no line yet (and no second scan of it).
                None if data.len() == self.len() => return None,
                _ => {}
            }
        }
        self.readln_across_chains(style)
    }

    /// `readln` of a line that ends in a later chain, at the end of the first one, or nowhere.
    #[inline(never)]
    fn readln_across_chains(&mut self, style: EolStyle) -> Option<(NonNull<c_char>, usize)> {
        // Offsets from the start are all it takes: no evbuffer_ptr is built.
        let (n, eol_len) = find_eol(self.chains().map(Chain::data), style)?;
        let line = new_line(n, |out| {
            self.copyout_from(None, out);
        })?;
        // The line and its ending in one drain (the callbacks hear of both at once anyway).
        self.drain(n + eol_len);
        Some((line, n))
    }

    /// `evbuffer_find` (compat): where `what` first occurs, made contiguous from the start of
    /// the buffer; NULL when absent.
    pub fn find_contiguous(&mut self, what: &[u8]) -> *mut u8 {
        let at = self.search_range(what, None, None);
        if at.pos < 0 {
            return std::ptr::null_mut();
        }
        let p = self.pullup_bytes(at.pos + what.len() as isize);
        if p.is_null() {
            return p;
        }
        p.wrapping_add(at.pos as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs<'a>(parts: &'a [&'a [u8]]) -> impl Iterator<Item = &'a [u8]> + Clone {
        parts.iter().copied()
    }

    #[test]
    fn find_inside_and_across_slices() {
        let parts: &[&[u8]] = &[b"hello", b"foo", b"cat", b"attack"];
        assert_eq!(find(segs(parts), b"attack", usize::MAX), Some(11));
        assert_eq!(find(segs(parts), b"attacker", usize::MAX), None);
        assert_eq!(find(segs(parts), b"oc", usize::MAX), Some(7));
        assert_eq!(find(segs(parts), b"ofooc", usize::MAX), Some(4));
        assert_eq!(find(segs(parts), b"tat", usize::MAX), Some(10));
        assert_eq!(find(segs(parts), b"h", usize::MAX), Some(0));
        assert_eq!(find(segs(parts), b"hellofoocatattack", usize::MAX), Some(0));
        assert_eq!(find(segs(parts), b"x", usize::MAX), None);
        assert_eq!(find(segs(&[]), b"x", usize::MAX), None);
    }

    #[test]
    fn find_respects_the_limit() {
        let parts: &[&[u8]] = &[b"hello", b"foo", b"cat", b"attack"];
        assert_eq!(find(segs(parts), b"foo", 12), Some(5));
        assert_eq!(find(segs(parts), b"foocata", 12), Some(5));
        assert_eq!(find(segs(parts), b"foocatat", 12), None);
        assert_eq!(find(segs(parts), b"ack", 12), None);
        assert_eq!(find(segs(parts), b"attack", 17), Some(11));
        assert_eq!(find(segs(parts), b"attack", 16), None);
    }

    #[test]
    fn find_after_many_false_hits() {
        let hay: &[&[u8]] = &[b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", b"xab"];
        assert_eq!(find(segs(hay), b"ab", usize::MAX), Some(39));
        assert_eq!(find(segs(hay), b"bxa", usize::MAX), Some(40));
        assert_eq!(find(segs(hay), b"aac", usize::MAX), None);
        let finder = memmem::Finder::new(b"ab");
        assert_eq!(find_in_slice(b"aaaaaaaaaaaaaaaaaaaaaaaaab", b"ab", &finder), Some(24));
        assert_eq!(find_in_slice(b"aaaaaaaaaaaaaaaaaaaaaaaaaa", b"ab", &finder), None);
    }

    #[test]
    fn find_crossing_many_small_slices() {
        let parts: &[&[u8]] = &[b"a", b"b", b"a", b"b", b"c", b"", b"d"];
        assert_eq!(find(segs(parts), b"abcd", usize::MAX), Some(2));
        assert_eq!(find(segs(parts), b"bab", usize::MAX), Some(1));
    }

    #[test]
    fn eol_styles() {
        let one: &[&[u8]] = &[b"string! \r\n\r\nx\n"];
        assert_eq!(find_eol(segs(one), EolStyle::Crlf), Some((8, 2)));
        assert_eq!(find_eol(segs(one), EolStyle::CrlfStrict), Some((8, 2)));
        assert_eq!(find_eol(segs(one), EolStyle::Lf), Some((9, 1)));
        assert_eq!(find_eol(segs(one), EolStyle::Any), Some((8, 4)));
        assert_eq!(find_eol(segs(one), EolStyle::Nul), None);
        let lf_first: &[&[u8]] = &[b"\nabc"];
        assert_eq!(find_eol(segs(lf_first), EolStyle::Crlf), Some((0, 1)));
        let bare_cr: &[&[u8]] = &[b"a\rb\r\n"];
        assert_eq!(find_eol(segs(bare_cr), EolStyle::CrlfStrict), Some((3, 2)));
        assert_eq!(find_eol(segs(bare_cr), EolStyle::Any), Some((1, 1)));
        let nul: &[&[u8]] = &[b"NUL\n\0\0x"];
        assert_eq!(find_eol(segs(nul), EolStyle::Nul), Some((4, 1)));
    }

    #[test]
    fn eol_across_slices() {
        let parts: &[&[u8]] = &[b" and a good one\r", b"\n\r", b"\nMore\r"];
        assert_eq!(find_eol(segs(parts), EolStyle::CrlfStrict), Some((15, 2)));
        assert_eq!(find_eol(segs(parts), EolStyle::Crlf), Some((15, 2)));
        assert_eq!(find_eol(segs(parts), EolStyle::Any), Some((15, 4)));
        let split_run: &[&[u8]] = &[b"x\r", b"\r", b"", b"\ny"];
        assert_eq!(find_eol(segs(split_run), EolStyle::Any), Some((1, 3)));
        let tail_only: &[&[u8]] = &[b"abc\r"];
        assert_eq!(find_eol(segs(tail_only), EolStyle::CrlfStrict), None);
        assert_eq!(find_eol(segs(tail_only), EolStyle::Lf), None);
    }
}
