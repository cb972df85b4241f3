/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/thread.h: making the library thread-safe. A program either calls
 * evthread_use_pthreads() once before creating any event_base, or supplies its own lock,
 * condition-variable and thread-id functions through the callback tables below. */
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>

/* Modes passed to the lock and unlock callbacks: shared/exclusive for read-write locks, and
 * "try" for a lock attempt that must not block. */
#define EVTHREAD_WRITE	0x04
#define EVTHREAD_READ	0x08
#define EVTHREAD_TRY	0x10

/* Version of struct evthread_lock_callbacks this header describes. */
#define EVTHREAD_LOCK_API_VERSION 1

/* Lock types the library may ask alloc() for (0 is a plain mutex). */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
#define EVTHREAD_LOCKTYPE_READWRITE 2

/* User-supplied locking. lock_api_version must be EVTHREAD_LOCK_API_VERSION;
 * supported_locktypes is a mask of the EVTHREAD_LOCKTYPE_* values alloc() can create.
 * lock/unlock get EVTHREAD_* mode bits and return 0 on success. */
struct evthread_lock_callbacks {
	int lock_api_version;
	unsigned supported_locktypes;
	void *(*alloc)(unsigned locktype);
	void (*free)(void *lock, unsigned locktype);
	int (*lock)(unsigned mode, void *lock);
	int (*unlock)(unsigned mode, void *lock);
};

/* Installs the lock functions (copied); must happen before any base exists. 0 on success. */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

/* Version of struct evthread_condition_callbacks this header describes. */
#define EVTHREAD_CONDITION_API_VERSION 1

struct timeval;

/* User-supplied condition variables. wait_condition releases lock while waiting and returns
 * 0 when signalled, 1 on timeout, -1 on error; signal_condition wakes one waiter, or all of
 * them when broadcast is nonzero. */
struct evthread_condition_callbacks {
	int condition_api_version;
	void *(*alloc_condition)(unsigned condtype);
	void (*free_condition)(void *cond);
	int (*signal_condition)(void *cond, int broadcast);
	int (*wait_condition)(void *cond, void *lock,
	    const struct timeval *timeout);
};

/* Installs the condition functions (copied). 0 on success. */
EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(
	const struct evthread_condition_callbacks *);

/* Installs the function that identifies the calling thread. */
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(
	unsigned long (*id_fn)(void));

/* Uses POSIX threads for all of the above. 0 on success. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);
/* Tells programs that evthread_use_pthreads() exists. */
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/* Wraps the installed locks with checks for misuse (double lock, unlock by another thread);
 * the second name is an old misspelling kept for compatibility. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

struct event_base;
/* Lets other threads wake base's loop when they change its events. 0 on success. */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_THREAD_H_INCLUDED_ */
