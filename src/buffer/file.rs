//! File segments (`struct evbuffer_file_segment`, whose `can_sendfile` / `is_mapping` bits
//! upstream's tests read): a range of a file that buffers show without copying it. A segment
//! stays in the file and is written with sendfile when the buffer drains to a descriptor
//! (EVBUFFER_FLAG_DRAINS_TO_FD) and sendfile is allowed; otherwise it is mapped with mmap, or
//! read into memory when mmap is disabled too (the EVBUF_FS_* flags). Segments are reference
//! counted: the creator holds one reference, every chain showing it one more.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;

use super::chain::{Chain, NewChain, CHAIN_MAX, SENDFILE};
use super::Evbuffer;
use crate::{mm, thread};

/// `EVBUF_FS_CLOSE_ON_FREE`: the segment closes its descriptor when freed.
pub const FS_CLOSE_ON_FREE: c_uint = 0x01;
/// `EVBUF_FS_DISABLE_MMAP`.
pub const FS_DISABLE_MMAP: c_uint = 0x02;
/// `EVBUF_FS_DISABLE_SENDFILE`.
pub const FS_DISABLE_SENDFILE: c_uint = 0x04;
/// `EVBUF_FS_DISABLE_LOCKING`: no lock around the reference count.
pub const FS_DISABLE_LOCKING: c_uint = 0x08;

// The bit-field word: can_sendfile, is_mapping.
const CAN_SENDFILE: c_uint = 1 << 0;
const IS_MAPPING: c_uint = 1 << 1;

pub type SegmentCleanupFn = unsafe extern "C" fn(seg: *const FileSegment, flags: c_int, arg: *mut c_void);

/// `struct evbuffer_file_segment`.
#[repr(C)]
pub struct FileSegment {
    lock: thread::RawLock,
    refcnt: c_int,
    flags: c_uint,
    bits: c_uint,
    fd: c_int,
    /// The whole mapping (from a page boundary), when mapped.
    mapping: *mut c_void,
    /// The segment's bytes in memory (mapped or read), or NULL.
    contents: *mut u8,
    file_offset: libc::off_t,
    mmap_offset: libc::off_t,
    length: libc::off_t,
    cleanup_cb: Option<SegmentCleanupFn>,
    cleanup_cb_arg: *mut c_void,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<FileSegment>() == 80);
    assert!(offset_of!(FileSegment, refcnt) == 8);
    assert!(offset_of!(FileSegment, flags) == 12);
    assert!(offset_of!(FileSegment, bits) == 16);
    assert!(offset_of!(FileSegment, fd) == 20);
    assert!(offset_of!(FileSegment, mapping) == 24);
    assert!(offset_of!(FileSegment, contents) == 32);
    assert!(offset_of!(FileSegment, file_offset) == 40);
    assert!(offset_of!(FileSegment, mmap_offset) == 48);
    assert!(offset_of!(FileSegment, length) == 56);
    assert!(offset_of!(FileSegment, cleanup_cb) == 64);
    assert!(offset_of!(FileSegment, cleanup_cb_arg) == 72);
};

fn page_size() -> i64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p
    } else {
        4096
    }
}

/// Reads `dst.len()` bytes at `offset` of `fd` (pread, so the file position stays); false on
/// an error or end of file first.
fn read_exact_at(fd: c_int, mut offset: i64, dst: &mut [u8]) -> bool {
    let mut done = 0;
    while done < dst.len() {
        // SAFETY: the destination has dst.len() - done writable bytes at that offset.
        let n = unsafe { libc::pread(fd, dst[done..].as_mut_ptr().cast(), dst.len() - done, offset) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return false;
        }
        done += n as usize;
        offset += n as i64;
    }
    true
}

impl FileSegment {
    pub fn can_sendfile(&self) -> bool {
        self.bits & CAN_SENDFILE != 0
    }

    pub fn is_mapping(&self) -> bool {
        self.bits & IS_MAPPING != 0
    }

    /// Brings the segment's bytes into memory: mapped unless mmap is disabled (or fails),
    /// else read. Requires the segment's lock.
    fn materialize(&mut self) -> bool {
        if !self.contents.is_null() {
            return true;
        }
        if self.flags & FS_DISABLE_MMAP == 0 {
            let leftover = self.file_offset % page_size();
            let len = (self.length + leftover) as usize;
            // SAFETY: a read-only private mapping of the file; the result is checked.
            let mapped = unsafe {
                libc::mmap(ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, self.fd, self.file_offset - leftover)
            };
            if mapped != libc::MAP_FAILED {
                self.mapping = mapped;
                // SAFETY: the mapping covers leftover + length bytes.
                self.contents = unsafe { mapped.cast::<u8>().add(leftover as usize) };
                self.mmap_offset = 0;
                self.bits |= IS_MAPPING;
                return true;
            }
            crate::warn_errno!("evbuffer_file_segment: mmap of fd {} ({} bytes) failed", self.fd, len);
        }
        // One byte at least, so that an empty segment still has memory to point at.
        let mem = mm::malloc((self.length as usize).max(1)).cast::<u8>();
        if mem.is_null() {
            return false;
        }
        // SAFETY: mem has length bytes.
        let dst = unsafe { std::slice::from_raw_parts_mut(mem, self.length as usize) };
        if !read_exact_at(self.fd, self.file_offset, dst) {
            mm::free(mem.cast());
            return false;
        }
        self.contents = mem;
        true
    }
}

/// `evbuffer_file_segment_new`: a segment of `length` bytes (to the end of the file when -1)
/// at `offset` of `fd`; NULL when the range is invalid or the file cannot be read.
pub fn segment_new(fd: c_int, offset: libc::off_t, length: libc::off_t, flags: c_uint) -> *mut FileSegment {
    let mut length = length;
    if length == -1 {
        // SAFETY: fstat fills the stat struct it is given.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd, &mut st) } < 0 {
            crate::warn_errno!("evbuffer_file_segment_new: fstat of fd {} failed", fd);
            return ptr::null_mut();
        }
        length = st.st_size;
    }
    if offset < 0 || length < 0 || length as u64 > CHAIN_MAX as u64 || offset as u64 > (CHAIN_MAX as u64 - length as u64) {
        crate::warnx!("evbuffer_file_segment_new: bad offset {} or length {}", offset, length);
        return ptr::null_mut();
    }
    let seg = mm::calloc(1, std::mem::size_of::<FileSegment>()).cast::<FileSegment>();
    if seg.is_null() {
        return seg;
    }
    // SAFETY: seg is a zeroed FileSegment (all-zero is valid for every field).
    let s = unsafe { &mut *seg };
    s.refcnt = 1;
    s.fd = fd;
    s.flags = flags;
    s.file_offset = offset;
    s.length = length;
    if flags & FS_DISABLE_SENDFILE == 0 {
        s.bits |= CAN_SENDFILE;
    } else if !s.materialize() {
        mm::free(seg.cast());
        return ptr::null_mut();
    }
    if flags & FS_DISABLE_LOCKING == 0 {
        s.lock = thread::alloc_lock(0);
    }
    seg
}

/// `evbuffer_file_segment_add_cleanup_cb`.
///
/// # Safety
/// `seg` must be a live segment.
pub unsafe fn set_cleanup(seg: *mut FileSegment, cb: Option<SegmentCleanupFn>, arg: *mut c_void) {
    // SAFETY: live segment (contract).
    let s = unsafe { &mut *seg };
    crate::ev_assert!(s.refcnt > 0);
    s.cleanup_cb = cb;
    s.cleanup_cb_arg = arg;
}

/// Takes a reference on a segment.
fn segment_incref(s: &mut FileSegment) {
    thread::lock(s.lock, 0);
    s.refcnt += 1;
    thread::unlock(s.lock, 0);
}

/// `evbuffer_file_segment_free`: drops a reference; the last one unmaps or frees the
/// contents, closes the descriptor when asked to, and calls the cleanup callback.
///
/// # Safety
/// `seg` must be a live segment the caller holds a reference on.
pub unsafe fn segment_decref(seg: *mut FileSegment) {
    // SAFETY: live segment (contract); freed only with the last reference.
    unsafe {
        let s = &mut *seg;
        thread::lock(s.lock, 0);
        s.refcnt -= 1;
        let left = s.refcnt;
        thread::unlock(s.lock, 0);
        if left > 0 {
            return;
        }
        crate::ev_assert!(left == 0);
        if s.is_mapping() {
            let leftover = s.file_offset % page_size();
            if libc::munmap(s.mapping, (s.length + leftover) as usize) == -1 {
                crate::warn_errno!("evbuffer_file_segment_free: munmap failed");
            }
        } else if !s.contents.is_null() {
            mm::free(s.contents.cast());
        }
        if s.flags & FS_CLOSE_ON_FREE != 0 && s.fd >= 0 {
            libc::close(s.fd);
        }
        if let Some(cb) = s.cleanup_cb.take() {
            cb(seg, s.flags as c_int, s.cleanup_cb_arg);
        }
        thread::free_lock(s.lock, 0);
        mm::free(seg.cast());
    }
}

/// Reads the data of a sendfile chain at file offset `offset` into `dst`, for the rare reader
/// of a buffer that was meant to drain only to a descriptor. Unreadable bytes come out as
/// zeroes, with a warning.
pub fn read_sendfile_chain(seg: &FileSegment, offset: i64, dst: &mut [u8]) {
    let fd = seg.fd;
    if !read_exact_at(fd, offset, dst) {
        crate::warn_errno!("evbuffer: reading file segment data from fd {} failed", fd);
        dst.fill(0);
    }
}

/// Writes up to `howmuch` bytes of a sendfile chain to `fd`: the bytes written, 0 when `fd`
/// would block, -1 on error.
pub fn write_sendfile(fd: c_int, chain: &Chain, howmuch: usize) -> isize {
    // SAFETY: a sendfile chain's segment is live while the chain is.
    let src = unsafe { (*chain.segment()).fd };
    let mut offset: libc::off_t = chain.misalign;
    // SAFETY: sendfile reads the source file and writes the socket; offset is ours.
    let n = unsafe { libc::sendfile(fd, src, &mut offset, chain.off.min(howmuch)) };
    if n == -1 && crate::util::socket::rw_error_is_retriable(mm::errno()) {
        return 0;
    }
    n
}

impl Evbuffer {
    /// `evbuffer_add_file_segment`: appends `length` bytes (the rest when negative) at `offset`
    /// of the segment. On failure the caller's reference on the segment is untouched.
    ///
    /// # Safety
    /// `seg` must be a live segment.
    pub unsafe fn add_file_segment(&mut self, seg: *mut FileSegment, offset: libc::off_t, length: libc::off_t) -> c_int {
        // SAFETY: live segment (contract); its lock guards materializing it.
        let s = unsafe { &mut *seg };
        let use_sendfile = self.drains_to_fd() && s.can_sendfile();
        if !use_sendfile {
            thread::lock(s.lock, 0);
            let ok = s.materialize();
            thread::unlock(s.lock, 0);
            if !ok {
                crate::warn_errno!("evbuffer_add_file_segment: cannot read the file");
                return -1;
            }
        }
        if self.is_frozen(false) {
            crate::warnx!("evbuffer_add_file_segment: the end of the buffer is frozen");
            return -1;
        }
        let length = if length < 0 { s.length - offset } else { length };
        if offset < 0 || offset > s.length || length < 0 || length > s.length - offset || !self.fits(length as usize) {
            crate::warnx!("evbuffer_add_file_segment: offset {} and length {} are outside the segment", offset, length);
            return -1;
        }
        let Some(mut c) = NewChain::segment(seg) else {
            crate::warnx!("evbuffer_add_file_segment: out of memory");
            return -1;
        };
        segment_incref(s);
        c.off = length as usize;
        if use_sendfile {
            c.flags |= SENDFILE;
            c.misalign = s.file_offset + offset;
            c.buffer = ptr::null_mut();
            c.buffer_len = (c.misalign + length) as usize;
        } else {
            // SAFETY: contents hold the segment's length bytes; offset + length fit in them.
            c.buffer = unsafe { s.contents.add(offset as usize) };
            c.buffer_len = length as usize;
        }
        self.insert(c);
        self.note_added(length as usize);
        0
    }
}

/// `evbuffer_add_file`: appends `length` bytes (to the end when -1) at `offset` of `fd`,
/// which the buffer now owns: it is closed when the data are gone, or at once on failure.
///
/// # Safety
/// `buf` must be a live buffer whose lock the caller holds.
pub unsafe fn add_file(buf: &mut Evbuffer, fd: c_int, offset: libc::off_t, length: libc::off_t) -> c_int {
    let seg = segment_new(fd, offset, length, FS_CLOSE_ON_FREE);
    if seg.is_null() {
        return -1;
    }
    // SAFETY: seg is live; our reference is dropped after the chain took its own (or on
    // failure, which frees the segment and closes fd).
    unsafe {
        let r = buf.add_file_segment(seg, 0, length);
        segment_decref(seg);
        r
    }
}
