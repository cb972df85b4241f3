//! Files and the environment: close-on-exec `open`, whole-file reads into memory the user can
//! free, and an environment lookup that refuses to trust the environment in set-id programs.

use std::ffi::{c_char, c_int, CStr};

use crate::mm;

/// `open(path, flags | O_CLOEXEC, mode)`. A kernel that rejects O_CLOEXEC with EINVAL gets a
/// plain open followed by FD_CLOEXEC. Returns the descriptor or -1 with errno set.
pub fn open_closeonexec(path: &CStr, flags: c_int, mode: libc::mode_t) -> c_int {
    // SAFETY: path is a valid C string; open's mode argument is read as an unsigned int.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, libc::c_uint::from(mode)) };
    if fd >= 0 || mm::errno() != libc::EINVAL {
        return fd;
    }
    // SAFETY: as above.
    let fd = unsafe { libc::open(path.as_ptr(), flags, libc::c_uint::from(mode)) };
    if fd < 0 {
        return -1;
    }
    if super::socket::set_fd_flag(fd, libc::FD_CLOEXEC).is_err() {
        // SAFETY: fd was opened above and is not shared.
        unsafe { libc::close(fd) };
        return -1;
    }
    fd
}

/// Why `read_file` failed; the C entry point reports -1 and -2 respectively.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadFileError {
    Open,
    Other,
}

/// Contents of a file in memory from `mm::malloc`, NUL-terminated (the NUL is not counted).
pub struct MmBuffer {
    pub ptr: *mut c_char,
    pub len: usize,
}

/// Reads the whole of a file, sized by fstat, into a NUL-terminated buffer from `mm::malloc`.
pub fn read_file(path: &CStr) -> Result<MmBuffer, ReadFileError> {
    let fd = open_closeonexec(path, libc::O_RDONLY, 0);
    if fd < 0 {
        return Err(ReadFileError::Open);
    }
    let result = read_open_file(fd);
    // SAFETY: fd was opened above and is closed exactly once.
    unsafe { libc::close(fd) };
    result
}

fn read_open_file(fd: c_int) -> Result<MmBuffer, ReadFileError> {
    // SAFETY: stat is plain data; st is a valid out-pointer for fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open; st is writable.
    if unsafe { libc::fstat(fd, &mut st) } != 0 || st.st_size < 0 || st.st_size >= isize::MAX as i64 {
        return Err(ReadFileError::Other);
    }
    let size = st.st_size as usize;
    let mem = mm::malloc(size + 1).cast::<c_char>();
    if mem.is_null() {
        return Err(ReadFileError::Other);
    }
    let mut filled = 0;
    while filled < size {
        // SAFETY: mem has size+1 bytes; we write at most size - filled from offset filled.
        let n = unsafe { libc::read(fd, mem.add(filled).cast(), size - filled) };
        match n {
            0 => break, // the file shrank since fstat
            n if n > 0 => filled += n as usize,
            _ if mm::errno() == libc::EINTR => {}
            _ => {
                mm::free(mem.cast());
                return Err(ReadFileError::Other);
            }
        }
    }
    // SAFETY: filled <= size, inside the allocation.
    unsafe { *mem.add(filled) = 0 };
    Ok(MmBuffer { ptr: mem, len: filled })
}

/// Closes the fds the caller owns in `fds` and marks each slot closed (-1).
pub fn close_owned(fds: &mut [c_int]) {
    for fd in fds {
        if *fd >= 0 {
            // SAFETY: the caller owns these fds and forgets them here.
            unsafe { libc::close(*fd) };
            *fd = -1;
        }
    }
}

/// `getenv`, except in set-user-id or set-group-id processes, where the environment belongs to
/// a less privileged user and libevent must not act on it.
pub fn getenv(name: &CStr) -> *const c_char {
    // SAFETY: these id queries have no preconditions.
    let setid = unsafe { libc::getuid() != libc::geteuid() || libc::getgid() != libc::getegid() };
    if setid {
        return std::ptr::null();
    }
    // SAFETY: name is a valid C string.
    unsafe { libc::getenv(name.as_ptr()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_file_nul_terminated() {
        let path = std::env::temp_dir().join(format!("evutil-read-{}", std::process::id()));
        std::fs::write(&path, b"line one\nline\0two").unwrap();
        let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        let buf = read_file(&cpath).unwrap();
        // SAFETY: read_file returns len bytes plus a NUL.
        let bytes = unsafe { std::slice::from_raw_parts(buf.ptr.cast::<u8>(), buf.len + 1) };
        assert_eq!(bytes, b"line one\nline\0two\0");
        mm::free(buf.ptr.cast());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_file(&cpath).err(), Some(ReadFileError::Open));
    }

    #[test]
    fn opened_files_close_on_exec() {
        let fd = open_closeonexec(c"/dev/null", libc::O_RDONLY, 0);
        assert!(fd >= 0);
        // SAFETY: fd is open.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert_ne!(flags & libc::FD_CLOEXEC, 0);
        // SAFETY: fd is open and ours.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn getenv_reads_the_environment() {
        assert!(!getenv(c"PATH").is_null());
        assert!(getenv(c"EVUTIL_SURELY_UNSET_VARIABLE").is_null());
    }
}
