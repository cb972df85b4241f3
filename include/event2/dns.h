/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/dns.h: evdns, the asynchronous DNS resolver and the DNS server of libevent_extra.
 *
 * Resolver: an evdns_base lives on an event_base and holds the nameservers, the search list,
 * the options of resolv.conf and a hosts table. A resolve (evdns_base_resolve_*) sends its
 * question over UDP, retransmits it on timeouts, fails over to other nameservers, and calls
 * back exactly once with the answer or an error (DNS_ERR_*), unless it was cancelled first.
 * evdns_getaddrinfo is the getaddrinfo()-shaped front of the same machinery.
 *
 * Server: evdns_add_server_port_with_base watches a UDP socket; each query arrives at the
 * callback as a struct evdns_server_request (fields in event2/dns_struct.h), which gets its
 * answers added and is then either responded to or dropped.
 *
 * Conventions: int results are 0 on success and -1 on error unless said otherwise; the
 * 1.x names that work on a global base are in event2/dns_compat.h. */
#ifndef EVENT2_DNS_H_INCLUDED_
#define EVENT2_DNS_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/util.h>

/* The result a resolve callback gets. 1 to 5 are the RCODE a nameserver replied with; the
 * values from 65 on are the resolver's own. */
#define DNS_ERR_NONE 0		/* success */
#define DNS_ERR_FORMAT 1	/* the nameserver could not parse the question */
#define DNS_ERR_SERVERFAILED 2	/* the nameserver failed */
#define DNS_ERR_NOTEXIST 3	/* the name does not exist */
#define DNS_ERR_NOTIMPL 4	/* the nameserver does not do this kind of query */
#define DNS_ERR_REFUSED 5	/* the nameserver refused to answer */
#define DNS_ERR_TRUNCATED 65	/* the reply did not fit */
#define DNS_ERR_UNKNOWN 66	/* something else went wrong */
#define DNS_ERR_TIMEOUT 67	/* no reply within the timeout, after every attempt */
#define DNS_ERR_SHUTDOWN 68	/* the evdns_base was freed with its requests failing */
#define DNS_ERR_CANCEL 69	/* the request was cancelled */
#define DNS_ERR_NODATA 70	/* the name exists but has no record of the type asked */

/* What the "addresses" of a resolve callback point at: "count" in_addr (DNS_IPv4_A) or
 * in6_addr (DNS_IPv6_AAAA) values, or one char * (DNS_PTR). */
#define DNS_IPv4_A 1
#define DNS_PTR 2
#define DNS_IPv6_AAAA 3

/* Resolve flag: the name is asked as given, the search list is not tried. */
#define DNS_QUERY_NO_SEARCH 1

/* Which parts of a resolv.conf evdns_base_resolv_conf_parse() applies. */
#define DNS_OPTION_SEARCH 1		/* domain and search lines */
#define DNS_OPTION_NAMESERVERS 2	/* nameserver lines */
#define DNS_OPTION_MISC 4		/* options (ndots:, timeout:, attempts: ...) */
#define DNS_OPTION_HOSTSFILE 8		/* also load /etc/hosts */
#define DNS_OPTIONS_ALL ( DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE | 0 )
/* Without it, a file naming no nameserver makes 127.0.0.1 the nameserver. */
#define DNS_OPTION_NAMESERVERS_NO_DEFAULT 16

/* The old name of DNS_QUERY_NO_SEARCH. */
#define DNS_NO_SEARCH DNS_QUERY_NO_SEARCH

/* A finished resolve: result is DNS_ERR_*, type DNS_IPv4_A / DNS_PTR / DNS_IPv6_AAAA, count
 * the number of answers at addresses (valid only during the call), ttl their lowest TTL in
 * seconds, arg the pointer given with the request. dns_compat.h may have declared it already. */
#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
typedef void (*evdns_callback_type) (int result, char type, int count, int ttl, void *addresses, void *arg);
#endif

struct evdns_base;
struct event_base;

/* Flags of evdns_base_new(). INITIALIZE_NAMESERVERS: configure the base from the system's
 * resolv.conf. DISABLE_WHEN_INACTIVE: the base keeps no event registered while no request is
 * pending, so it does not by itself keep the loop running. NAMESERVERS_NO_DEFAULT: a
 * resolv.conf without nameservers does not add 127.0.0.1. */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1
#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000
#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

/* A resolver on event_base with the EVDNS_BASE_* flags (the old boolean 1 means
 * INITIALIZE_NAMESERVERS). NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evdns_base * evdns_base_new(struct event_base *event_base, int initialize_nameservers);

/* Frees the resolver. Pending requests are called back with DNS_ERR_SHUTDOWN when
 * fail_requests is non-zero, and silently dropped otherwise. */
EVENT2_EXPORT_SYMBOL
void evdns_base_free(struct evdns_base *base, int fail_requests);

/* Forgets the hosts entries loaded by evdns_base_load_hosts() or a resolv.conf parse. */
EVENT2_EXPORT_SYMBOL
void evdns_base_clear_host_addresses(struct evdns_base *base);

/* A constant text describing a DNS_ERR_* value. */
EVENT2_EXPORT_SYMBOL
const char *evdns_err_to_string(int err);

/* Adds the IPv4 nameserver "address" (network byte order, as in_addr.s_addr) on port 53. */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_add(struct evdns_base *base,
    unsigned long int address);

/* How many nameservers are configured (whether they are up or not). */
EVENT2_EXPORT_SYMBOL
int evdns_base_count_nameservers(struct evdns_base *base);

/* Removes every nameserver; pending requests wait until evdns_base_resume(). */
EVENT2_EXPORT_SYMBOL
int evdns_base_clear_nameservers_and_suspend(struct evdns_base *base);

/* Sends the requests left waiting by evdns_base_clear_nameservers_and_suspend(). */
EVENT2_EXPORT_SYMBOL
int evdns_base_resume(struct evdns_base *base);

/* Adds a nameserver written as "a.b.c.d", "a.b.c.d:port", an IPv6 address, "[ipv6]" or
 * "[ipv6]:port"; the port is 53 when absent. */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_ip_add(struct evdns_base *base,
    const char *ip_as_string);

/* Adds the nameserver at sa (len bytes, IPv4 or IPv6). flags must be 0. */
EVENT2_EXPORT_SYMBOL
int
evdns_base_nameserver_sockaddr_add(struct evdns_base *base,
    const struct sockaddr *sa, ev_socklen_t len, unsigned flags);

/* A pending resolve, until its callback has run. */
struct evdns_request;

/* Resolves the A records of name; flags is 0 or DNS_QUERY_NO_SEARCH. The callback gets
 * ptr. NULL on error (the callback then never runs). */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv4(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

/* The same for AAAA records. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv6(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

/* Resolves the PTR record of an IPv4 address (the in-addr.arpa name). */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse(struct evdns_base *base, const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);

/* Resolves the PTR record of an IPv6 address (the ip6.arpa name). */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse_ipv6(struct evdns_base *base, const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/* Cancels a pending resolve: its callback runs once with DNS_ERR_CANCEL. */
EVENT2_EXPORT_SYMBOL
void evdns_cancel_request(struct evdns_base *base, struct evdns_request *req);

/* Sets one option, named with or without its trailing colon: ndots, timeout, max-timeouts,
 * max-inflight, attempts, randomize-case, bind-to, initial-probe-timeout,
 * getaddrinfo-allow-skew, so-rcvbuf, so-sndbuf. -1 for an unknown option or a bad value. */
EVENT2_EXPORT_SYMBOL
int evdns_base_set_option(struct evdns_base *base, const char *option, const char *val);

/* Reads the resolv.conf at filename, applying the parts that flags (DNS_OPTION_*) select.
 * 0 on success, otherwise: 1 the file cannot be opened, 2 nor stat()ed, 3 it is too large,
 * 4 out of memory, 5 a short read, 6 no nameserver in it. */
EVENT2_EXPORT_SYMBOL
int evdns_base_resolv_conf_parse(struct evdns_base *base, int flags, const char *const filename);

/* Adds the entries of the hosts file hosts_fname (or, for NULL, only localhost's) to those
 * already loaded. They answer evdns_getaddrinfo before any nameserver is asked. Negative on
 * failure. */
EVENT2_EXPORT_SYMBOL
int evdns_base_load_hosts(struct evdns_base *base, const char *hosts_fname);

#if defined(EVENT_IN_DOXYGEN_) || defined(_WIN32)
/* Windows only: the nameservers of the system's network settings. */
EVENT2_EXPORT_SYMBOL
int evdns_base_config_windows_nameservers(struct evdns_base *);
#define EVDNS_BASE_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif

/* Empties the search list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_clear(struct evdns_base *base);

/* Appends a domain to the search list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_add(struct evdns_base *base, const char *domain);

/* A name with at least ndots dots is first asked as it is, before the search list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_ndots_set(struct evdns_base *base, const int ndots);

/* Receives evdns's log messages; is_warning is 0 for debug messages. */
typedef void (*evdns_debug_log_fn_type)(int is_warning, const char *msg);

/* Routes evdns's messages to fn (NULL: back to the library's log, event_set_log_callback). */
EVENT2_EXPORT_SYMBOL
void evdns_set_log_fn(evdns_debug_log_fn_type fn);

/* Kept for old programs: transaction ids and random bytes come from the library's secure
 * generator, so these two set nothing that is used. */
EVENT2_EXPORT_SYMBOL
void evdns_set_transaction_id_fn(ev_uint16_t (*fn)(void));

EVENT2_EXPORT_SYMBOL
void evdns_set_random_bytes_fn(void (*fn)(char *, size_t));

/* ---- the server */

struct evdns_server_request;
struct evdns_server_question;

/* A query arrived on a server port. The callback adds answers with
 * evdns_server_request_add_*_reply and then calls evdns_server_request_respond or
 * evdns_server_request_drop, now or later; user_data is the port's pointer. dns_compat.h may
 * have declared it already. */
#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
typedef void (*evdns_request_callback_fn_type)(struct evdns_server_request *, void *);
#endif

/* The "section" of evdns_server_request_add_reply. */
#define EVDNS_ANSWER_SECTION 0
#define EVDNS_AUTHORITY_SECTION 1
#define EVDNS_ADDITIONAL_SECTION 2

/* Record types, query-only types and the class, as DNS numbers them. */
#define EVDNS_TYPE_A	   1
#define EVDNS_TYPE_NS	   2
#define EVDNS_TYPE_CNAME   5
#define EVDNS_TYPE_SOA	   6
#define EVDNS_TYPE_PTR	  12
#define EVDNS_TYPE_MX	  15
#define EVDNS_TYPE_TXT	  16
#define EVDNS_TYPE_AAAA	  28

#define EVDNS_QTYPE_AXFR 252
#define EVDNS_QTYPE_ALL	 255

#define EVDNS_CLASS_INET   1

/* Header bits of a reply that evdns_server_request_set_flags may set: authoritative
 * answer, recursion desired. */
#define EVDNS_FLAGS_AA	0x400
#define EVDNS_FLAGS_RD	0x080

/* Serves DNS on the UDP socket, which must be bound and nonblocking; the port owns it from
 * then on. flags must be 0. callback gets every query with user_data. NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_base(struct event_base *base, evutil_socket_t socket, int flags, evdns_request_callback_fn_type callback, void *user_data);

/* Stops serving; the port and its socket are closed once no request of it is pending any
 * more. */
EVENT2_EXPORT_SYMBOL
void evdns_close_server_port(struct evdns_server_port *port);

/* Sets header bits (EVDNS_FLAGS_AA, EVDNS_FLAGS_RD) of the reply. */
EVENT2_EXPORT_SYMBOL
void evdns_server_request_set_flags(struct evdns_server_request *req, int flags);

/* Adds a record to one section of the reply: name, type, class, ttl, and either datalen bytes
 * of data, or (is_name non-zero) the domain name in data, compressed in the reply. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_reply(struct evdns_server_request *req, int section, const char *name, int type, int dns_class, int ttl, int datalen, int is_name, const char *data);

/* Adds n A records for name, addresses at addrs (4 bytes each, network order). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_a_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);

/* Adds n AAAA records for name, addresses at addrs (16 bytes each). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_aaaa_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);

/* Adds a PTR record naming hostname, for the address in (or, if in is NULL, for the name
 * inaddr_name). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_ptr_reply(struct evdns_server_request *req, struct in_addr *in, const char *inaddr_name, const char *hostname, int ttl);

/* Adds a CNAME record: name is an alias of cname. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_cname_reply(struct evdns_server_request *req, const char *name, const char *cname, int ttl);

/* Sends the reply with RCODE err (0 for success) and frees the request. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_respond(struct evdns_server_request *req, int err);

/* Frees the request without replying. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_drop(struct evdns_server_request *req);

struct sockaddr;

/* Copies the address the query came from into sa (addr_len bytes available). The number of
 * bytes of the address on success, -1 if it does not fit. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_get_requesting_addr(struct evdns_server_request *req, struct sockaddr *sa, int addr_len);

/* ---- getaddrinfo */

/* A finished evdns_getaddrinfo: result is 0 or an EVUTIL_EAI_* error; on success res is the
 * list of addresses, which the callback owns (evutil_freeaddrinfo frees it). */
typedef void (*evdns_getaddrinfo_cb)(int result, struct evutil_addrinfo *res, void *arg);

struct evdns_base;
struct evdns_getaddrinfo_request;

/* getaddrinfo() through evdns: numeric hosts and the hosts table answer at once, in the call
 * (which then returns NULL); otherwise A and AAAA queries go out as the hints ask, and the
 * returned request may be cancelled until the callback has run. */
EVENT2_EXPORT_SYMBOL
struct evdns_getaddrinfo_request *evdns_getaddrinfo(
    struct evdns_base *dns_base,
    const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in,
    evdns_getaddrinfo_cb cb, void *arg);

/* Cancels a pending evdns_getaddrinfo: its callback runs with EVUTIL_EAI_CANCEL. */
EVENT2_EXPORT_SYMBOL
void evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req);

/* Copies the address of nameserver number idx (from 0) into sa (len bytes available). The
 * address's length on success (more than len: it did not fit, nothing written), -1 if there
 * is no such nameserver. */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_addr(struct evdns_base *base, int idx,
    struct sockaddr *sa, ev_socklen_t len);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_H_INCLUDED_ */
