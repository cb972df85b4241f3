/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/bufferevent_struct.h: the layout of struct bufferevent, kept for programs written
 * before libevent 2.0 that read its fields directly (bev->input, bev->output, bev->ev_read,
 * bev->wm_read, bev->enabled ...). The size and offsets are part of the ABI and every field
 * keeps its meaning; new code should use the accessors of event2/bufferevent.h instead.
 *
 * The callback fields have the types of bufferevent.h's bufferevent_data_cb and
 * bufferevent_event_cb, written out so that this header stands alone. */
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>
#include <event2/event_struct.h>

/* A pair of watermarks: what "enough data" and "too much data" mean for one direction. */
struct event_watermark {
	size_t low;
	size_t high;
};

struct bufferevent {
	/* The base its events run on. */
	struct event_base *ev_base;
	/* Which kind it is (socket, pair, filter ...): the library's table of operations. */
	const struct bufferevent_ops *be_ops;

	/* The read and write events; used (fd readiness and/or timeouts) by some kinds only. */
	struct event ev_read;
	struct event ev_write;

	/* Data received, for the program to drain; data to send, for the program to fill. */
	struct evbuffer *input;
	struct evbuffer *output;

	struct event_watermark wm_read;
	struct event_watermark wm_write;

	/* What bufferevent_setcb() set; errorcb is the event callback. */
	void (*readcb)(struct bufferevent *bev, void *ctx);
	void (*writecb)(struct bufferevent *bev, void *ctx);
	void (*errorcb)(struct bufferevent *bev, short what, void *ctx);
	void *cbarg;

	/* What bufferevent_set_timeouts() set (zero: none). */
	struct timeval timeout_read;
	struct timeval timeout_write;

	/* EV_READ and/or EV_WRITE: the directions the program enabled. */
	short enabled;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_ */
