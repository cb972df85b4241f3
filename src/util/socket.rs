//! Socket and descriptor helpers: nonblocking and close-on-exec flags, listener options, socket
//! pairs (native and the loopback-TCP "ersatz" kind), the internal wake-up pipe and eventfd, and
//! the nonblocking-connect state checks the bufferevent code uses.
//!
//! All functions follow the C convention of their entry points: a descriptor or 0 on success,
//! -1 with errno set on failure.

use std::ffi::c_int;
use std::mem::size_of;

use crate::mm::{errno, set_errno};

/// Upstream's EVUTIL_SOCK_NONBLOCK / EVUTIL_SOCK_CLOEXEC: the Linux socket-type flags.
pub const SOCK_NONBLOCK: c_int = libc::SOCK_NONBLOCK;
pub const SOCK_CLOEXEC: c_int = libc::SOCK_CLOEXEC;
/// Upstream's EVUTIL_EFD_NONBLOCK / EVUTIL_EFD_CLOEXEC.
pub const EFD_NONBLOCK: c_int = libc::EFD_NONBLOCK;
pub const EFD_CLOEXEC: c_int = libc::EFD_CLOEXEC;

/// Result of an `fcntl` or `ioctl` step, with errno already describing any failure.
pub struct OsError;

/// Adds `flag` to the descriptor flags (F_SETFD), reading them first so no flag is lost.
pub fn set_fd_flag(fd: c_int, flag: c_int) -> Result<(), OsError> {
    // SAFETY: fcntl get/set of flags takes no pointer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        crate::warn_errno!("fcntl({fd}, F_GETFD)");
        return Err(OsError);
    }
    // SAFETY: as above.
    if flags & flag == 0 && unsafe { libc::fcntl(fd, libc::F_SETFD, flags | flag) } == -1 {
        crate::warn_errno!("fcntl({fd}, F_SETFD)");
        return Err(OsError);
    }
    Ok(())
}

/// Turns O_NONBLOCK on. One ioctl (FIONBIO) changes only that flag, where reading the status
/// flags and writing them back costs two fcntl calls: a system call less for every socket a
/// program makes non-blocking (bench_httpclient does it for each of its requests).
pub fn set_nonblocking(fd: c_int) -> Result<(), OsError> {
    let on: c_int = 1;
    // SAFETY: FIONBIO reads one int from the pointer.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &on as *const c_int) } == -1 {
        crate::warn_errno!("ioctl({fd}, FIONBIO)");
        return Err(OsError);
    }
    Ok(())
}

pub fn make_nonblocking(fd: c_int) -> c_int {
    to_status(set_nonblocking(fd))
}

pub fn make_closeonexec(fd: c_int) -> c_int {
    to_status(set_fd_flag(fd, libc::FD_CLOEXEC))
}

fn to_status(r: Result<(), OsError>) -> c_int {
    if r.is_ok() {
        0
    } else {
        -1
    }
}

/// Applies the NONBLOCK / CLOEXEC bits of `flags` to a new descriptor; closes it on failure.
fn apply_creation_flags(fd: c_int, nonblock: bool, cloexec: bool) -> c_int {
    let ok = (!nonblock || set_nonblocking(fd).is_ok())
        && (!cloexec || set_fd_flag(fd, libc::FD_CLOEXEC).is_ok());
    if ok {
        return fd;
    }
    close_keeping_errno(fd);
    -1
}

/// Closes a descriptor the caller owns after a failed step, leaving errno as that step set it
/// (callers report the step's error, not close's).
pub fn close_keeping_errno(fd: c_int) {
    let saved = errno();
    // SAFETY: fd is owned by the caller and not used afterwards.
    unsafe { libc::close(fd) };
    set_errno(saved);
}

/// `EVUTIL_ERR_RW_RETRIABLE`: a read or write that failed with `err` may succeed later.
pub fn rw_error_is_retriable(err: c_int) -> bool {
    err == libc::EINTR || err == libc::EAGAIN
}

/// Whether `fd` is an open descriptor of this process.
pub fn is_open(fd: c_int) -> bool {
    // SAFETY: F_GETFD takes no pointer; a closed or invalid fd gives -1 (EBADF).
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
}

/// Sets an integer socket option to 1.
pub fn enable_option(fd: c_int, level: c_int, name: c_int) -> c_int {
    let one: c_int = 1;
    // SAFETY: &one is a valid int-sized option value.
    unsafe { libc::setsockopt(fd, level, name, (&one as *const c_int).cast(), size_of::<c_int>() as libc::socklen_t) }
}

/// `socket()` whose type may carry SOCK_NONBLOCK / SOCK_CLOEXEC even on kernels that do not
/// understand them (they are then applied with fcntl).
pub fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    // SAFETY: socket takes no pointers.
    let fd = unsafe { libc::socket(domain, ty, protocol) };
    let extra = ty & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    if fd >= 0 || extra == 0 {
        return fd;
    }
    // SAFETY: as above.
    let fd = unsafe { libc::socket(domain, ty & !extra, protocol) };
    if fd < 0 {
        return -1;
    }
    apply_creation_flags(fd, extra & SOCK_NONBLOCK != 0, extra & SOCK_CLOEXEC != 0)
}

/// `accept4()`, falling back to `accept()` plus fcntl where the kernel lacks it.
///
/// # Safety
/// `addr`/`addrlen` are NULL or valid as for accept(2).
pub unsafe fn accept4(fd: c_int, addr: *mut libc::sockaddr, addrlen: *mut libc::socklen_t, flags: c_int) -> c_int {
    // SAFETY: pointer arguments are valid or NULL (caller's contract).
    let r = unsafe { libc::accept4(fd, addr, addrlen, flags) };
    if r >= 0 || (errno() != libc::EINVAL && errno() != libc::ENOSYS) {
        return r;
    }
    // SAFETY: as above.
    let r = unsafe { libc::accept(fd, addr, addrlen) };
    if r < 0 {
        return r;
    }
    apply_creation_flags(r, flags & SOCK_NONBLOCK != 0, flags & SOCK_CLOEXEC != 0)
}

/// `socketpair()`; AF_UNIX and AF_INET pairs come from the kernel directly.
pub fn socketpair(family: c_int, ty: c_int, protocol: c_int, fds: &mut [c_int; 2]) -> c_int {
    // SAFETY: fds has room for two descriptors.
    unsafe { libc::socketpair(family, ty, protocol, fds.as_mut_ptr()) }
}

/// A socket pair built from a loopback TCP connection, for systems without `socketpair()`.
/// Only protocol 0 and the AF_INET / AF_UNIX families are accepted (the pair is always TCP
/// over 127.0.0.1).
pub fn ersatz_socketpair(family: c_int, ty: c_int, protocol: c_int, fds: &mut [c_int; 2]) -> c_int {
    if protocol != 0 || (family != libc::AF_INET && family != libc::AF_UNIX) {
        set_errno(libc::EAFNOSUPPORT);
        return -1;
    }
    let mut owned = Vec::with_capacity(3);
    let result = connect_loopback_pair(ty, &mut owned);
    let keep = match result {
        Ok(pair) => {
            *fds = pair;
            pair.to_vec()
        }
        Err(_) => Vec::new(),
    };
    let saved = errno();
    for fd in owned.into_iter().filter(|fd| !keep.contains(fd)) {
        // SAFETY: each fd was created here and is closed once.
        unsafe { libc::close(fd) };
    }
    set_errno(saved);
    if result.is_ok() {
        0
    } else {
        -1
    }
}

/// Listens on 127.0.0.1 with a kernel-chosen port, connects to it, accepts, and checks that the
/// accepted peer is our own connecting socket. Every descriptor made is recorded in `owned`.
fn connect_loopback_pair(ty: c_int, owned: &mut Vec<c_int>) -> Result<[c_int; 2], OsError> {
    let check = |r: c_int| if r < 0 { Err(OsError) } else { Ok(r) };
    let sin_len = size_of::<libc::sockaddr_in>() as libc::socklen_t;

    // SAFETY: socket takes no pointers.
    let listener = check(unsafe { libc::socket(libc::AF_INET, ty, 0) })?;
    owned.push(listener);
    let loopback = super::addr::CSockAddr::new(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    // SAFETY: loopback is a complete sockaddr_in of the given length.
    check(unsafe { libc::bind(listener, loopback.as_ptr(), loopback.socklen()) })?;
    // SAFETY: no pointers.
    check(unsafe { libc::listen(listener, 1) })?;

    // SAFETY: socket takes no pointers.
    let connector = check(unsafe { libc::socket(libc::AF_INET, ty, 0) })?;
    owned.push(connector);
    let mut listen_addr = zeroed_sockaddr_in();
    local_addr(listener, &mut listen_addr)?;
    // SAFETY: listen_addr is a complete sockaddr_in.
    check(unsafe { libc::connect(connector, (&listen_addr as *const libc::sockaddr_in).cast(), sin_len) })?;

    let mut peer = zeroed_sockaddr_in();
    let mut peer_len = sin_len;
    // SAFETY: peer/peer_len describe a writable sockaddr_in.
    let acceptor = check(unsafe { libc::accept(listener, (&mut peer as *mut libc::sockaddr_in).cast(), &mut peer_len) })?;
    owned.push(acceptor);

    let mut connector_addr = zeroed_sockaddr_in();
    local_addr(connector, &mut connector_addr)?;
    let same = peer_len == sin_len
        && peer.sin_family == connector_addr.sin_family
        && peer.sin_addr.s_addr == connector_addr.sin_addr.s_addr
        && peer.sin_port == connector_addr.sin_port;
    if !same {
        set_errno(libc::ECONNABORTED);
        return Err(OsError);
    }
    Ok([connector, acceptor])
}

fn zeroed_sockaddr_in() -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; all-zero is valid.
    unsafe { std::mem::zeroed() }
}

/// getsockname into a sockaddr_in, failing with ECONNABORTED if the address is not one.
fn local_addr(fd: c_int, out: &mut libc::sockaddr_in) -> Result<(), OsError> {
    let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: out/len describe a writable sockaddr_in.
    if unsafe { libc::getsockname(fd, (out as *mut libc::sockaddr_in).cast(), &mut len) } < 0 {
        return Err(OsError);
    }
    if len != size_of::<libc::sockaddr_in>() as libc::socklen_t {
        set_errno(libc::ECONNABORTED);
        return Err(OsError);
    }
    Ok(())
}

/// The event loop's wake-up channel: a pipe (or, failing that, an AF_UNIX socket pair) with both
/// ends nonblocking and close-on-exec. On failure both slots are -1.
pub fn make_internal_pipe(fds: &mut [c_int; 2]) -> c_int {
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } == 0 {
        return 0;
    }
    // SAFETY: as above.
    let made = if unsafe { libc::pipe(fds.as_mut_ptr()) } == 0 {
        true
    } else {
        crate::warn_errno!("evutil_make_internal_pipe_: pipe");
        socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds) == 0
    };
    if made {
        let ok = fds.iter().all(|&fd| set_nonblocking(fd).is_ok() && set_fd_flag(fd, libc::FD_CLOEXEC).is_ok());
        if ok {
            return 0;
        }
        for &fd in fds.iter() {
            close_keeping_errno(fd);
        }
    }
    *fds = [-1, -1];
    -1
}

/// `eventfd()` that accepts EFD_NONBLOCK / EFD_CLOEXEC even where the kernel does not.
pub fn eventfd(initval: u32, flags: c_int) -> c_int {
    // SAFETY: eventfd takes no pointers.
    let fd = unsafe { libc::eventfd(initval, flags) };
    if fd >= 0 || flags == 0 {
        return fd;
    }
    // SAFETY: as above.
    let fd = unsafe { libc::eventfd(initval, 0) };
    if fd < 0 {
        return fd;
    }
    apply_creation_flags(fd, flags & EFD_NONBLOCK != 0, flags & EFD_CLOEXEC != 0)
}

/// Outcome of starting a nonblocking connect (upstream's 2/1/0/-1 codes).
pub const CONNECT_REFUSED: c_int = 2;
pub const CONNECT_DONE: c_int = 1;
pub const CONNECT_IN_PROGRESS: c_int = 0;

/// Starts connecting `*fd` to `sa`. A negative `*fd` means "make a nonblocking stream socket of
/// the address's family first"; if the attempt then fails, that socket is closed and `*fd` is
/// set back to -1.
///
/// # Safety
/// `sa` points to a socket address of `socklen` bytes.
pub unsafe fn socket_connect(fd: &mut c_int, sa: *const libc::sockaddr, socklen: libc::socklen_t) -> c_int {
    let mut made_fd = false;
    if *fd < 0 {
        // SAFETY: sa is readable (caller's contract).
        let family = c_int::from(unsafe { (*sa).sa_family });
        // SAFETY: socket takes no pointers.
        *fd = unsafe { libc::socket(family, libc::SOCK_STREAM, 0) };
        if *fd < 0 {
            return -1;
        }
        made_fd = true;
        if make_nonblocking(*fd) < 0 {
            return fail_connect(fd, made_fd);
        }
    }
    // SAFETY: sa points to socklen bytes (caller's contract).
    if unsafe { libc::connect(*fd, sa, socklen) } == 0 {
        return CONNECT_DONE;
    }
    match errno() {
        libc::EINTR | libc::EINPROGRESS => CONNECT_IN_PROGRESS,
        libc::ECONNREFUSED => CONNECT_REFUSED,
        _ => fail_connect(fd, made_fd),
    }
}

fn fail_connect(fd: &mut c_int, made_fd: bool) -> c_int {
    if made_fd {
        close_keeping_errno(*fd);
        *fd = -1;
    }
    -1
}

/// After a nonblocking connect: 1 connected, 0 still in progress, -1 failed (errno is set to
/// the connect error).
pub fn socket_finished_connecting(fd: c_int) -> c_int {
    let mut err: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: err/len describe a writable int.
    if unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, (&mut err as *mut c_int).cast(), &mut len) } < 0 {
        return -1;
    }
    match err {
        0 => CONNECT_DONE,
        libc::EINTR | libc::EINPROGRESS => CONNECT_IN_PROGRESS,
        e => {
            set_errno(e);
            -1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd_flags(fd: c_int) -> (bool, bool) {
        // SAFETY: fcntl flag queries on an open descriptor.
        let (fl, fdfl) = unsafe { (libc::fcntl(fd, libc::F_GETFL), libc::fcntl(fd, libc::F_GETFD)) };
        (fl & libc::O_NONBLOCK != 0, fdfl & libc::FD_CLOEXEC != 0)
    }

    fn close_all(fds: &[c_int]) {
        for &fd in fds {
            // SAFETY: the test owns these descriptors.
            unsafe { libc::close(fd) };
        }
    }

    fn round_trip(fds: [c_int; 2]) {
        // SAFETY: both descriptors are open; buffers are valid.
        unsafe {
            assert_eq!(libc::write(fds[1], b"x".as_ptr().cast(), 1), 1);
            let mut c = 0u8;
            assert_eq!(libc::read(fds[0], (&mut c as *mut u8).cast(), 1), 1);
            assert_eq!(c, b'x');
        }
    }

    #[test]
    fn internal_pipe_is_nonblocking_and_cloexec() {
        let mut fds = [-1; 2];
        assert_eq!(make_internal_pipe(&mut fds), 0);
        assert_eq!(fd_flags(fds[0]), (true, true));
        assert_eq!(fd_flags(fds[1]), (true, true));
        round_trip(fds);
        close_all(&fds);
    }

    #[test]
    fn ersatz_pair_talks_to_itself() {
        let mut fds = [-1; 2];
        assert_eq!(ersatz_socketpair(libc::AF_INET, libc::SOCK_STREAM, 0, &mut fds), 0);
        round_trip(fds);
        round_trip([fds[1], fds[0]]);
        close_all(&fds);
        assert_eq!(ersatz_socketpair(libc::AF_INET6, libc::SOCK_STREAM, 0, &mut fds), -1);
        assert_eq!(errno(), libc::EAFNOSUPPORT);
    }

    #[test]
    fn socket_flags_and_eventfd() {
        let fd = socket(libc::AF_INET, libc::SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        assert_eq!(fd_flags(fd), (true, true));
        close_all(&[fd]);
        let efd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_eq!(fd_flags(efd), (true, true));
        close_all(&[efd]);
        let mut pair = [-1; 2];
        assert_eq!(socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, &mut pair), 0);
        assert_eq!(fd_flags(pair[0]), (false, false));
        assert_eq!(make_nonblocking(pair[0]), 0);
        assert_eq!(make_closeonexec(pair[0]), 0);
        assert_eq!(fd_flags(pair[0]), (true, true));
        close_all(&pair);
    }

    /// A loopback listener on a kernel-chosen port and its address.
    fn loopback_listener() -> (c_int, libc::sockaddr_in) {
        let listener = socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let any = super::super::addr::CSockAddr::new(&"127.0.0.1:0".parse().unwrap());
        // SAFETY: any is a complete sockaddr_in; listener is a fresh socket.
        unsafe {
            assert_eq!(libc::bind(listener, any.as_ptr(), any.socklen()), 0);
            assert_eq!(libc::listen(listener, 4), 0);
        }
        let mut bound = zeroed_sockaddr_in();
        assert!(local_addr(listener, &mut bound).is_ok());
        (listener, bound)
    }

    /// Starts a connect to `to` with a fresh socket and waits until it is decided.
    fn connect_and_wait(to: &libc::sockaddr_in) -> (c_int, c_int) {
        let mut fd = -1;
        // SAFETY: to is a complete sockaddr_in.
        let r = unsafe { socket_connect(&mut fd, (to as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as u32) };
        if r != CONNECT_IN_PROGRESS {
            return (fd, r);
        }
        assert!(fd >= 0);
        assert!(fd_flags(fd).0, "connect_ makes its socket nonblocking");
        let mut pfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
        // SAFETY: pfd is a valid pollfd.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 5000) }, 1);
        (fd, socket_finished_connecting(fd))
    }

    #[test]
    fn connect_to_a_listener() {
        let (listener, addr) = loopback_listener();
        let (fd, r) = connect_and_wait(&addr);
        assert_eq!(r, CONNECT_DONE);
        close_all(&[fd, listener]);
    }

    #[test]
    fn connect_to_a_closed_port() {
        let (listener, addr) = loopback_listener();
        close_all(&[listener]);
        let (fd, r) = connect_and_wait(&addr);
        if r == CONNECT_REFUSED {
            close_all(&[fd]);
        } else {
            assert_eq!(r, -1);
            assert_eq!(errno(), libc::ECONNREFUSED);
            close_all(&[fd]);
        }
    }
}

/// Datagrams read `N` at a time by one `recvmmsg`, each into a slot of `LEN` bytes with its
/// sender's address: the evdns server's queries and the resolver's replies. The caller keeps one
/// and reuses it, so a read allocates nothing.
pub struct RecvBatch<const N: usize, const LEN: usize> {
    bufs: Box<[[u8; LEN]]>,
    from: [libc::sockaddr_storage; N],
    received: [(usize, libc::socklen_t, bool); N],
}

/// One datagram of a batch.
pub struct Datagram<'a> {
    /// What fitted in the slot.
    pub bytes: &'a [u8],
    pub from: &'a libc::sockaddr_storage,
    pub from_len: libc::socklen_t,
    /// The datagram was longer than its slot (MSG_TRUNC).
    pub cut: bool,
}

impl<const N: usize, const LEN: usize> RecvBatch<N, LEN> {
    pub fn new() -> Box<Self> {
        Box::new(RecvBatch {
            bufs: vec![[0; LEN]; N].into_boxed_slice(),
            // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
            from: unsafe { std::mem::zeroed() },
            received: [(0, 0, false); N],
        })
    }

    /// Reads up to N datagrams from `fd` with `recvmmsg(flags)`: how many, or the errno.
    pub fn recv(&mut self, fd: c_int, flags: c_int) -> Result<usize, c_int> {
        // SAFETY: iovecs and mmsghdrs are plain data, every field used is set below.
        let (mut iov, mut msgs): ([libc::iovec; N], [libc::mmsghdr; N]) = unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
        for (i, (iov, msg)) in iov.iter_mut().zip(&mut msgs).enumerate() {
            *iov = libc::iovec { iov_base: self.bufs[i].as_mut_ptr().cast(), iov_len: LEN };
            msg.msg_hdr.msg_iov = iov;
            msg.msg_hdr.msg_iovlen = 1;
            msg.msg_hdr.msg_name = (&raw mut self.from[i]).cast();
            msg.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
        // SAFETY: N headers, each pointing at its own slot and address storage of the sizes given.
        let n = unsafe { libc::recvmmsg(fd, msgs.as_mut_ptr(), N as libc::c_uint, flags, std::ptr::null_mut()) };
        if n < 0 {
            return Err(errno());
        }
        let n = n as usize;
        for (got, msg) in self.received.iter_mut().zip(&msgs).take(n) {
            *got = ((msg.msg_len as usize).min(LEN), msg.msg_hdr.msg_namelen, msg.msg_hdr.msg_flags & libc::MSG_TRUNC != 0);
        }
        Ok(n)
    }

    /// Datagram `i` of the last `recv` (i below what it returned).
    pub fn datagram(&self, i: usize) -> Datagram<'_> {
        let (len, from_len, cut) = self.received[i];
        Datagram { bytes: &self.bufs[i][..len], from: &self.from[i], from_len, cut }
    }
}
