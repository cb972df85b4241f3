/* Helpers for the benchmark programs that use bufferevents and listeners (bev_*.c).
 *
 * They open TCP sockets on 127.0.0.1 only; the runner starts them inside a private network
 * namespace, where loopback is the only interface. */
#ifndef BENCH_BEV_H
#define BENCH_BEV_H

#include "bench_util.h"
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* An evconnlistener on 127.0.0.1 with a port the kernel picks; *addr receives its address, ready
 * for bufferevent_socket_connect. */
static inline struct evconnlistener *bench_listen_loopback(struct event_base *base,
    evconnlistener_cb on_accept, void *arg, struct sockaddr_in *addr)
{
	struct sockaddr_in any = {0};
	socklen_t len = sizeof(*addr);
	struct evconnlistener *listener;

	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = evconnlistener_new_bind(base, on_accept, arg,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, (struct sockaddr *)&any, sizeof(any));
	if (!listener)
		bench_fail("evconnlistener_new_bind on 127.0.0.1");
	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)addr, &len) != 0)
		bench_fail("getsockname of the listener");
	return listener;
}

/* A socket bufferevent connecting to addr (BEV_EVENT_CONNECTED arrives through its event
 * callback). */
static inline struct bufferevent *bench_connect(struct event_base *base, const struct sockaddr_in *addr)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		bench_fail("bufferevent_socket_new");
	if (bufferevent_socket_connect(bev, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		bench_fail("bufferevent_socket_connect");
	return bev;
}

/* A socket bufferevent on a connection the listener accepted. */
static inline struct bufferevent *bench_accepted(struct evconnlistener *listener, evutil_socket_t fd)
{
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		bench_fail("bufferevent_socket_new on an accepted fd");
	return bev;
}

#endif
