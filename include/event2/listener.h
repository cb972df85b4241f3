/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/listener.h: connection listeners. An evconnlistener watches a listening stream
 * socket on an event_base and calls back with each accepted connection (its new socket,
 * owned by the callback from then on, and the peer's address). */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event.h>

struct sockaddr;
/* Opaque: created by evconnlistener_new or evconnlistener_new_bind. */
struct evconnlistener;

/* A new connection: fd is the accepted socket, addr/socklen the peer's address, and the last
 * argument the pointer given with the callback. The callback may disable or free the
 * listener. */
typedef void (*evconnlistener_cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int socklen, void *);

/* accept() failed with an error that retrying will not cure; EVUTIL_SOCKET_ERROR() tells
 * which. Running out of descriptors (EMFILE, ENFILE) pauses accepting for a short while after
 * this callback, instead of failing again at once. */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *, void *);

/* Options (a bitwise OR) for evconnlistener_new and evconnlistener_new_bind. */
/* Accepted sockets stay blocking (by default they are made nonblocking). */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING	(1u<<0)
/* evconnlistener_free closes the listening socket. */
#define LEV_OPT_CLOSE_ON_FREE		(1u<<1)
/* The listening socket and every accepted one are close-on-exec. */
#define LEV_OPT_CLOSE_ON_EXEC		(1u<<2)
/* SO_REUSEADDR: the address can be bound again as soon as this socket closes. */
#define LEV_OPT_REUSEABLE		(1u<<3)
/* The listener has a lock and may be used from several threads. */
#define LEV_OPT_THREADSAFE		(1u<<4)
/* Created disabled: nothing is accepted until evconnlistener_enable. */
#define LEV_OPT_DISABLED		(1u<<5)
/* TCP_DEFER_ACCEPT: connections are accepted only once the client has sent data; only for
 * protocols where the client speaks first. */
#define LEV_OPT_DEFERRED_ACCEPT		(1u<<6)
/* SO_REUSEPORT: several sockets that all set it may listen on one address and port. */
#define LEV_OPT_REUSEABLE_PORT		(1u<<7)
/* IPV6_V6ONLY: an IPv6 socket bound to :: does not also accept IPv4 connections. */
#define LEV_OPT_BIND_IPV6ONLY		(1u<<8)

/* A listener on fd, a socket already bound (and nonblocking). backlog is passed to listen():
 * negative for a default, 0 if fd is already listening. A NULL cb leaves the listener idle
 * until evconnlistener_set_cb. NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    evutil_socket_t fd);

/* A listener on a new socket bound to sa (socklen bytes); backlog as above, but 0 is an
 * error. NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    const struct sockaddr *sa, int socklen);

/* Stops accepting and frees the listener (closing its socket with LEV_OPT_CLOSE_ON_FREE). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_free(struct evconnlistener *lev);

/* Starts accepting again after evconnlistener_disable (or LEV_OPT_DISABLED). 0 on success. */
EVENT2_EXPORT_SYMBOL
int evconnlistener_enable(struct evconnlistener *lev);

/* Stops accepting until evconnlistener_enable; pending connections wait. 0 on success. */
EVENT2_EXPORT_SYMBOL
int evconnlistener_disable(struct evconnlistener *lev);

/* The base the listener runs on. */
EVENT2_EXPORT_SYMBOL
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/* The listening socket. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/* Replaces the connection callback and its argument; setting one on an enabled listener that
 * had none starts accepting. */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_cb(struct evconnlistener *lev,
    evconnlistener_cb cb, void *arg);

/* Sets the callback for accept() errors (none: they are logged). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_error_cb(struct evconnlistener *lev,
    evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
