/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/event_struct.h: the full definition of struct event, for programs that embed events
 * in their own structures and set them up with event_assign(). Its size and field offsets
 * are part of the ABI; the library keeps every field's meaning, including the EVLIST_* bits
 * in ev_evcallback.evcb_flags. Programs that only use event_new() need not include this.
 *
 * List links are the BSD <sys/queue.h> TAILQ/LIST shapes. Without <sys/queue.h> the header
 * supplies equivalent anonymous structs for its own use (and removes them again at its end),
 * so the layout does not depend on what the program included first. */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>
#include <event2/keyvalq_struct.h>

/* Where an event currently is (bits of ev_evcallback.evcb_flags). */
#define EVLIST_TIMEOUT	    0x01	/* its timeout is scheduled */
#define EVLIST_INSERTED	    0x02	/* added: waiting for its fd */
#define EVLIST_SIGNAL	    0x04	/* waiting for its signal */
#define EVLIST_ACTIVE	    0x08	/* queued to run its callback */
#define EVLIST_INTERNAL	    0x10	/* the library's own, not counted as user work */
#define EVLIST_ACTIVE_LATER 0x20	/* queued for the next loop iteration */
#define EVLIST_FINALIZING   0x40	/* being finalized, no longer usable */
#define EVLIST_INIT	    0x80	/* assigned, i.e. initialized */
#define EVLIST_ALL          0xff	/* mask of all the above */

#ifndef TAILQ_ENTRY
#define EVENT_DEFINED_TQENTRY_
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;	/* following element, or NULL */	\
	struct type **tqe_prev;	/* the pointer that points to us */	\
}
#endif

#ifndef TAILQ_HEAD
#define EVENT_DEFINED_TQHEAD_
#define TAILQ_HEAD(name, type)						\
struct name {								\
	struct type *tqh_first;	/* first element, or NULL */		\
	struct type **tqh_last;	/* next-pointer of the last element */	\
}
#endif

#ifndef LIST_ENTRY
#define EVENT_DEFINED_LISTENTRY_
#define LIST_ENTRY(type)						\
struct {								\
	struct type *le_next;	/* following element, or NULL */	\
	struct type **le_prev;	/* the pointer that points to us */	\
}
#endif

#ifndef LIST_HEAD
#define EVENT_DEFINED_LISTHEAD_
#define LIST_HEAD(name, type)						\
struct name {								\
	struct type *lh_first;	/* first element, or NULL */		\
	}
#endif

struct event;

/* The part of an event the loop runs: its place in the active queue, state, priority, how to
 * call it back (evcb_closure selects which member of evcb_cb_union applies) and its argument.
 * Deferred callbacks inside the library are bare event_callbacks. */
struct event_callback {
	TAILQ_ENTRY(event_callback) evcb_active_next;
	short evcb_flags;		/* EVLIST_* */
	ev_uint8_t evcb_pri;		/* priority; lower runs first */
	ev_uint8_t evcb_closure;	/* kind of callback */
	union {
		void (*evcb_callback)(evutil_socket_t, short, void *);
		void (*evcb_selfcb)(struct event_callback *, void *);
		void (*evcb_evfinalize)(struct event *, void *);
		void (*evcb_cbfinalize)(struct event_callback *, void *);
	} evcb_cb_union;
	void *evcb_arg;
};

struct event_base;

/* One event: a callback plus what it waits for. */
struct event {
	struct event_callback ev_evcallback;

	/* Timeout bookkeeping: a link in a common-timeout queue, or an index in the timer heap. */
	union {
		TAILQ_ENTRY(event) ev_next_with_common_timeout;
		int min_heap_idx;
	} ev_timeout_pos;
	evutil_socket_t ev_fd;		/* file descriptor, or signal number */

	struct event_base *ev_base;

	/* Per-kind data: I/O events are listed per fd, signal events per signal. */
	union {
		struct {
			LIST_ENTRY (event) ev_io_next;
			struct timeval ev_timeout;	/* relative timeout of an EV_PERSIST event */
		} ev_io;

		struct {
			LIST_ENTRY (event) ev_signal_next;
			short ev_ncalls;		/* times left to run the callback */
			short *ev_pncalls;		/* lets a callback stop the repeat */
		} ev_signal;
	} ev_;

	short ev_events;		/* EV_* the event waits for */
	short ev_res;			/* EV_* that made it active */
	struct timeval ev_timeout;	/* absolute time it times out */
};

/* Queue and list heads of events, as the library's internals use them. */
TAILQ_HEAD (event_list, event);

#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif
#ifdef EVENT_DEFINED_TQHEAD_
#undef TAILQ_HEAD
#endif

LIST_HEAD (event_dlist, event);

#ifdef EVENT_DEFINED_LISTENTRY_
#undef LIST_ENTRY
#endif
#ifdef EVENT_DEFINED_LISTHEAD_
#undef LIST_HEAD
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
