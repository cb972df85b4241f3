//! evdns: the asynchronous DNS resolver and server of `libevent_extra` (`event2/dns.h`,
//! `dns_compat.h`, `dns_struct.h`).
//!
//! Layout (one module per concern):
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
//!   bytes; the resolver's base owns one.
//! - `getaddrinfo`: `evdns_getaddrinfo` on top of the resolver (A and AAAA in parallel, the
//!   allowed skew, hosts and numeric answers), reaching the resolver through a small trait
//!   (tests against a fake resolver in `getaddrinfo/tests.rs`).
//! - `config`: resolv.conf parsing as a plain function over bytes.
//! - `resolver`: the `evdns_base`: nameservers, requests, retransmission, search domains,
//!   0x20 case randomisation, TCP retry of truncated replies (tests against fake nameservers
//!   in `resolver/tests.rs`).
//! - `server`: `struct evdns_server_port` on a UDP socket and its requests (dns_struct.h's
//!   `evdns_server_request`/`evdns_server_question` mirrored for C): queries parsed by
//!   `wire::parse_query`, replies built by `wire::build_reply` under the UDP limit and sent
//!   with sendto, queued for EV_WRITE when the socket would block; tests in `server/tests.rs`
//!   (on 127.0.0.1: run them in a private network namespace, as below).
//! - `crate::ffi::dns`: the thin `extern "C"` layer (`ffi/dns/server.rs` for the server,
//!   `ffi/dns/resolver.rs` for the resolver, `ffi/dns/getaddrinfo.rs` for hosts and
//!   getaddrinfo).
//!
//! Tests that open sockets run inside a namespace with only loopback:
//!
//! ```text
//! unshare -n sh -c 'ip link set lo up && exec "$@"' sh cargo test --release dns
//! ```
//!
//! Fuzzing: `wire::fuzz_parse` (parses a message and everything in it and rebuilds it) and
//! `server::fuzz_query` (the server's query path: parse as the server does, answer with a few
//! records, build the UDP reply and read it back) are the entry points; neither may panic.
//! `cargo test --release dns_fuzz` runs both over the unit-test corpus plus a few thousand
//! deterministic mutations (well under a second). A longer run, as long as you like, is the
//! ignored test with an iteration count and optional seed from the environment:
//!
//! ```text
//! DNS_FUZZ_ITERATIONS=10000000 DNS_FUZZ_SEED=7 cargo test --release dns_fuzz_long -- --ignored
//! ```
//!
//! (cargo-fuzz needs network access to install; a coverage-guided run can later wrap the same
//! `fuzz_parse` without changes.)

#[allow(non_camel_case_types)]
pub mod api;
pub mod config;
pub mod getaddrinfo;
pub mod hosts;
pub mod log;
pub mod resolver;
pub mod server;
pub mod wire;
