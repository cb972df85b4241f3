/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/dns_compat.h: the libevent 1.x names of the evdns interface, kept for old programs.
 * They act on one global evdns_base, made by evdns_init() on the current global event_base
 * (event_init()); each does what the evdns_base_* function of event2/dns.h does on that base.
 * New code should make its own base with evdns_base_new().
 *
 * Upstream's header uses dns.h's callback types without including dns.h; this one declares
 * them itself unless dns.h came first, so that it also compiles alone. */
#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
#define EVENT2_DNS_COMPAT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>
#include <event2/visibility.h>

/* The same types as dns.h's, which skips them when this header came first. */
#ifndef EVENT2_DNS_H_INCLUDED_
struct evdns_server_request;
typedef void (*evdns_callback_type) (int result, char type, int count, int ttl, void *addresses, void *arg);
typedef void (*evdns_request_callback_fn_type)(struct evdns_server_request *, void *);
#endif

/* Makes the global evdns_base on the current event_base, configured from resolv.conf. */
EVENT2_EXPORT_SYMBOL
int evdns_init(void);

struct evdns_base;

/* The global evdns_base (NULL before evdns_init()). */
EVENT2_EXPORT_SYMBOL
struct evdns_base *evdns_get_global_base(void);

/* Frees the global evdns_base, as evdns_base_free(base, fail_requests). */
EVENT2_EXPORT_SYMBOL
void evdns_shutdown(int fail_requests);

/* evdns_base_nameserver_add() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_add(unsigned long int address);

/* evdns_base_count_nameservers() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_count_nameservers(void);

/* evdns_base_clear_nameservers_and_suspend() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_clear_nameservers_and_suspend(void);

/* evdns_base_resume() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_resume(void);

/* evdns_base_nameserver_ip_add() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_ip_add(const char *ip_as_string);

/* The resolves of the global base; unlike the evdns_base_resolve_* functions they return 0
 * when the request went out and -1 otherwise. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv4(const char *name, int flags, evdns_callback_type callback, void *ptr);

EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv6(const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse(const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);

EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse_ipv6(const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/* evdns_base_set_option() on the global base; flags is not used. */
EVENT2_EXPORT_SYMBOL
int evdns_set_option(const char *option, const char *val, int flags);

/* evdns_base_resolv_conf_parse() on the global base. */
EVENT2_EXPORT_SYMBOL
int evdns_resolv_conf_parse(int flags, const char *const filename);

/* The search list of the global base. */
EVENT2_EXPORT_SYMBOL
void evdns_search_clear(void);

EVENT2_EXPORT_SYMBOL
void evdns_search_add(const char *domain);

EVENT2_EXPORT_SYMBOL
void evdns_search_ndots_set(const int ndots);

/* evdns_add_server_port_with_base() on the current global event_base. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *
evdns_add_server_port(evutil_socket_t socket, int flags,
	evdns_request_callback_fn_type callback, void *user_data);

#ifdef _WIN32
EVENT2_EXPORT_SYMBOL
int evdns_config_windows_nameservers(void);
#define EVDNS_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_COMPAT_H_INCLUDED_ */
