//! evhttp: the HTTP server and client of `libevent_extra` (`event2/http.h`).
//!
//! - `uri`: `struct evhttp_uri`, RFC 3986 parsing, setters and join.
//! - `encode`: percent-encoding, HTML escaping and query strings.

pub mod encode;
pub mod uri;
