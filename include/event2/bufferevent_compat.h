/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/bufferevent_compat.h: the libevent 1.x names of the bufferevent interface, kept for
 * old programs. bufferevent_new() creates a socket bufferevent on the global base of
 * event_init() (bufferevent_base_set() moves it); new code should use
 * bufferevent_socket_new() and bufferevent_setcb().
 *
 * Like upstream's, this header includes nothing but visibility.h, so it defines no more
 * macros than upstream's when included alone; what it needs from bufferevent.h (the two
 * callback types) it declares itself unless bufferevent.h already has, and the socket type
 * is written as int, which is what evutil_socket_t is on this platform. */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bufferevent;

/* The same types as bufferevent.h's, which skips them when this header came first. */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);
#endif

/* Old names of the callback types. */
#define evbuffercb bufferevent_data_cb
#define everrorcb bufferevent_event_cb

/* A socket bufferevent on fd with its callbacks, attached to the current global base.
 * NULL on error. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_new(int fd,
    evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);

/* Read and write timeouts in whole seconds (0: none). */
EVENT2_EXPORT_SYMBOL
void bufferevent_settimeout(struct bufferevent *bufev,
    int timeout_read, int timeout_write);

/* Old names of the event bits and buffer accessors. */
#define EVBUFFER_READ		BEV_EVENT_READING
#define EVBUFFER_WRITE		BEV_EVENT_WRITING
#define EVBUFFER_EOF		BEV_EVENT_EOF
#define EVBUFFER_ERROR		BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT	BEV_EVENT_TIMEOUT

#define EVBUFFER_INPUT(x)	bufferevent_get_input(x)
#define EVBUFFER_OUTPUT(x)	bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_ */
