//! evdns: the asynchronous DNS resolver and server of `libevent_extra` (`event2/dns.h`,
//! `dns_compat.h`, `dns_struct.h`).
//!
//! Planned layout (one module per concern; `wire`, `api` and `log` exist yet):
//!
//! - `api`: dns.h's constants, the resolve callback type and the opaque handle types, shared by
//!   the resolver, the server and getaddrinfo.
//! - `log`: evdns's own log hook (`evdns_set_log_fn`), used by the resolver and the server.
//!
//! - `wire`: the DNS message format as pure functions over byte slices: parsing with a bounds
//!   check on every read, building queries and replies with name compression under a size limit.
//!   No I/O, no unsafe, no allocation beyond the parsed/built message. Both the resolver (replies
//!   in, queries out) and the server (queries in, replies out) use it and nothing else touches
//!   packet bytes, so the hardening lives in one place.
//! - `hosts`: the hosts-file table (`evdns_base_load_hosts`), parsed as a plain function over
//!   bytes.
//! - `getaddrinfo`: `evdns_getaddrinfo` on top of the resolver (A and AAAA in parallel, the
//!   allowed skew, hosts and numeric answers), reaching the resolver through a small trait.
//! - `config` (later): resolv.conf parsing, also as plain functions over bytes.
//! - `resolver` (later): the `evdns_base`: nameservers, requests, retransmission, search domains,
//!   0x20 case randomisation, TCP retry of truncated replies, getaddrinfo.
//! - `server` (later): `evdns_server_port` and its requests.
//! - `crate::ffi::dns` (later): the thin `extern "C"` layer.
//!
//! Fuzzing: `wire::fuzz_parse` is the entry point (it parses a message and everything in it and
//! rebuilds it; it must never panic). `cargo test --release dns_fuzz` runs it over the unit-test
//! corpus plus a few thousand deterministic mutations (well under a second). A longer run, as
//! long as you like, is the ignored test with an iteration count and optional seed from the
//! environment:
//!
//! ```text
//! DNS_FUZZ_ITERATIONS=10000000 DNS_FUZZ_SEED=7 cargo test --release dns_fuzz_long -- --ignored
//! ```
//!
//! (cargo-fuzz needs network access to install; a coverage-guided run can later wrap the same
//! `fuzz_parse` without changes.)

#[allow(non_camel_case_types)]
pub mod api;
pub mod getaddrinfo;
pub mod hosts;
pub mod log;
pub mod wire;
