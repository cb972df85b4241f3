//! evhttp: the HTTP/1.x server and client of `libevent_extra`.
//!
//! - `parse`: the wire grammar of HTTP/1.0 and 1.1 messages (request and status lines, header
//!   fields, body framing, chunked coding, trailers) as plain functions over byte slices, and
//!   the writers of heads and chunk headers. No I/O; every smuggling rule lives there.

pub mod parse;
