/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/keyvalq_struct.h: struct evkeyval, one key/value pair (an HTTP header, a URI query
 * parameter), and struct evkeyvalq, the tail queue of them that the HTTP API hands out.
 *
 * The queue links are the BSD <sys/queue.h> TAILQ shapes. When the program has not included
 * <sys/queue.h>, equivalent anonymous structs are used for the duration of this header, so the
 * layout is the same either way. EVENT_DEFINED_TQENTRY_ / EVENT_DEFINED_TQHEAD_ record that
 * this header supplied the macro (and removes it again at its end). */
#ifndef EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#define EVENT2_KEYVALQ_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

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

/* One header line or query parameter; both strings are owned by the list. */
struct evkeyval {
	TAILQ_ENTRY(evkeyval) next;
	char *key;
	char *value;
};

/* The list head: struct evkeyvalq { tqh_first, tqh_last }. */
TAILQ_HEAD (evkeyvalq, evkeyval);

#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif
#ifdef EVENT_DEFINED_TQHEAD_
#undef TAILQ_HEAD
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_KEYVALQ_STRUCT_H_INCLUDED_ */
