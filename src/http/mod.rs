//! evhttp (`event2/http.h`, `http_struct.h`, `http_compat.h`): an HTTP/1.0 and 1.1 server and
//! client on bufferevents.
//!
//! Modules:
//! - `api`: the C vocabulary (constants, callback types, `struct evhttp_request`'s layout);
//! - `headers`: `struct evkeyvalq`, the header lists C walks;
//! - `uri`, `encode`: URIs, percent-encoding and query strings;
//! - `parse`: the wire grammar of HTTP/1.0 and 1.1 messages (request and status lines, header
//!   fields, body framing, chunked coding, trailers) as plain functions over byte slices, and
//!   the writers of heads and chunk headers. No I/O; every smuggling rule lives there;
//! - `request`: the request object's life and accessors;
//! - `connection`: one state machine on a bufferevent for both directions (read a head, read a
//!   body by its framing, write a head and body, keep-alive);
//! - `server`: `struct evhttp`, listening sockets, virtual hosts, dispatch to callbacks, replies;
//! - `client`: outgoing connections (connect, retry with back-off, request queue).
//!
//! The entry points are in `src/ffi/http/`.

pub mod api;
pub mod client;
pub mod connection;
pub mod encode;
pub mod headers;
pub mod parse;
pub mod request;
pub mod server;
pub mod uri;
