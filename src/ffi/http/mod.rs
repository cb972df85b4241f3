//! `event2/http.h`, `http_struct.h`, `http_compat.h`: the evhttp entry points, one file per
//! part of the API, each thin over `crate::http`.

pub mod headers;
pub mod uri;
pub mod connection;
pub mod internal;
pub mod request;
pub mod server;
