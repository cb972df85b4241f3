//! evutil: the portability and helper layer of `event2/util.h` and upstream's internal
//! `evutil_*_` helpers. One module per topic; the C entry points are in `crate::ffi::util`.
//!
//! - `addr`: textual IP addresses, "host:port" parsing and formatting, address predicates
//! - `addrinfo`: getaddrinfo and the lists the resolvers build
//! - `socket`: descriptor flags, socket pairs, internal pipe, eventfd, nonblocking connect
//! - `string`: ASCII character classes, case-insensitive comparison, trimming, strlcpy
//! - `rand`: the kernel-backed secure generator and the weak seeded generator
//! - `file`: close-on-exec open, whole-file reads, set-id-safe getenv
//! - `fuzz` (tests only): the mutation loop and generator of the parsers' fuzz tests
//! - `time`: millisecond conversion, sleeping, RFC 1123 dates (the monotonic clock itself is
//!   `crate::time::MonotonicTimer`)

pub mod addr;
pub mod addrinfo;
pub mod file;
#[cfg(test)]
pub mod fuzz;
pub mod rand;
pub mod socket;
pub mod string;
pub mod time;
