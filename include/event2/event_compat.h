/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/event_compat.h: the libevent 1.x interface, kept for old programs. These functions
 * act on one implicit global event_base created by event_init(), and event_set() assigns an
 * event to it; new code should use the event_base_* and event_assign()/event_new() forms. */
#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>

struct event;
struct event_base;

/* Creates the global base (and returns it); the others run, stop or query it. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_init(void);
EVENT2_EXPORT_SYMBOL
int event_dispatch(void);
EVENT2_EXPORT_SYMBOL
int event_loop(int);
EVENT2_EXPORT_SYMBOL
int event_loopexit(const struct timeval *);
EVENT2_EXPORT_SYMBOL
int event_loopbreak(void);
EVENT2_EXPORT_SYMBOL
int event_once(evutil_socket_t , short,
    void (*)(evutil_socket_t, short, void *), void *, const struct timeval *);
EVENT2_EXPORT_SYMBOL
const char *event_get_method(void);
EVENT2_EXPORT_SYMBOL
int	event_priority_init(int);

/* Initializes ev for the global base (the old event_assign()). */
EVENT2_EXPORT_SYMBOL
void event_set(struct event *, evutil_socket_t, short, void (*)(evutil_socket_t, short, void *), void *);

/* Old names of the timer and signal shorthands. */
#define evtimer_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
#define evsignal_set(ev, x, cb, arg)	\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))

#define timeout_add(ev, tv)		event_add((ev), (tv))
#define timeout_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
#define timeout_del(ev)			event_del(ev)
#define timeout_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
#define timeout_initialized(ev)		event_initialized(ev)

#define signal_add(ev, tv)		event_add((ev), (tv))
#define signal_set(ev, x, cb, arg)				\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define signal_del(ev)			event_del(ev)
#define signal_pending(ev, tv)		event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev)		event_initialized(ev)

/* Old accessors, unless the program defined its own. */
#ifndef EVENT_FD
#define EVENT_FD(ev)		((int)event_get_fd(ev))
#define EVENT_SIGNAL(ev)	event_get_signal(ev)
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
