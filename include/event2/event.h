/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/event.h: the core API. An event_base is an event loop; an event is a callback that
 * the loop runs when a file descriptor becomes readable or writable, a signal arrives, or a
 * timeout expires. Typical use: event_base_new(), event_new() + event_add() per thing to
 * wait for, event_base_dispatch(), then event_free() and event_base_free().
 *
 * Conventions: functions returning int give 0 on success and -1 on error unless said
 * otherwise; timeouts are relative struct timevals, NULL meaning none. */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdio.h>

#include <event2/util.h>

/* Opaque to programs: an event loop, and a set of options for creating one. struct event is
 * opaque here too; event2/event_struct.h defines it for programs that embed events. */
struct event_base;
struct event;
struct event_config;

/* Debug mode: catches misuse of events (adding an uninitialized event, re-assigning a pending
 * one, ...) at a cost. Must be enabled before any event or base is created.
 * event_debug_unassign() tells debug mode that an event_assign()ed event is no longer used. */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/* Creating a base with default options; after fork(), a child re-initializes the base it
 * keeps using with event_reinit(). */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);

/* Runs the loop until no events are pending or active, or it is told to stop. 1 when it
 * ended for lack of events, 0 when it was stopped, -1 on error. */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *);

/* Name of the backend in use ("epoll", "poll", "select"), and the NULL-terminated list of
 * backends this build has. */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *);
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);

/* The base's monotonic clock (cached during callbacks unless EVENT_BASE_FLAG_NO_CACHE_TIME). */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/* Which events to count in event_base_get_num_events / event_base_get_max_events (OR them):
 * active ones, the library's internal ("virtual") ones, and added ones. */
#define EVENT_BASE_COUNT_ACTIVE                1U
#define EVENT_BASE_COUNT_VIRTUAL       2U
#define EVENT_BASE_COUNT_ADDED         4U

/* Current count, and the highest count seen (reset to the current one if clear is nonzero). */
EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *, unsigned int);
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *, unsigned int, int);

/* Configurations for event_base_new_with_config(). */
EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);
/* Excludes a backend by name. */
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

/* Backend capabilities a program can require: edge triggering, O(1) add/delete/dispatch,
 * arbitrary file descriptors (not only sockets), and EV_CLOSED detection. */
enum event_method_feature {
	EV_FEATURE_ET = 0x01,
	EV_FEATURE_O1 = 0x02,
	EV_FEATURE_FDS = 0x04,
	EV_FEATURE_EARLY_CLOSE = 0x08
};

/* Options for event_config_set_flag(): no locking even with threads enabled, ignore the
 * EVENT_* environment variables, start IOCP (Windows only), don't cache the time around
 * callbacks, let epoll use a change list, and use a precise (possibly slower) clock. */
enum event_base_config_flag {
	EVENT_BASE_FLAG_NOLOCK = 0x01,
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20
};

/* EV_FEATURE_* bits of the backend a base uses. */
EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);

/* Configuration setters: required EV_FEATURE_* bits, EVENT_BASE_FLAG_* bits, a CPU count
 * hint, and how often the loop re-checks for new events while running callbacks of
 * priority min_priority or worse (max_interval time or max_callbacks callbacks, -1 = no limit). */
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks,
    int min_priority);

/* Creates a base that satisfies cfg, or NULL if no backend does. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *);

/* Frees a base; pending events stay allocated but unusable. The _nofinalize form does not run
 * pending finalizer callbacks. */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *);
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/* Severities passed to a log callback, with their old underscore spellings. */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG   1
#define EVENT_LOG_WARN  2
#define EVENT_LOG_ERR   3

#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/* Redirects the library's log messages (default: stderr); NULL restores the default. The
 * callback must not call back into the library. */
typedef void (*event_log_cb)(int severity, const char *msg);
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

/* Called instead of exit() on a fatal error; it must not return into the library. */
typedef void (*event_fatal_cb)(int err);
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

/* Debug-log categories for event_enable_debug_logging(). */
#define EVENT_DBG_ALL 0xffffffffu
#define EVENT_DBG_NONE 0

EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/* Moves a not-yet-added event to another base. */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *, struct event *);

/* Flags for event_base_loop(): run one round (blocking until something is active), run one
 * round without blocking, and keep running even when no events are pending. */
#define EVLOOP_ONCE	0x01
#define EVLOOP_NONBLOCK	0x02
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04

/* event_base_dispatch() with EVLOOP_* flags; same results. */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *, int);

/* Stopping the loop: loopexit after a delay (NULL: after this round's callbacks), loopbreak
 * right after the current callback, loopcontinue re-polls right after it. got_exit/got_break
 * tell whether the last loop ended that way. */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *, const struct timeval *);
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *);
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *);
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *);
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *);

/* What an event waits for (the events argument) and what happened (the callback's short).
 * EV_PERSIST keeps the event pending after it runs; EV_ET asks for edge-triggered I/O;
 * EV_FINALIZE makes event_del not wait for a running callback in another thread; EV_CLOSED
 * reports the peer closing the connection. */
#define EV_TIMEOUT	0x01
#define EV_READ		0x02
#define EV_WRITE	0x04
#define EV_SIGNAL	0x08
#define EV_PERSIST	0x10
#define EV_ET		0x20
#define EV_FINALIZE	0x40
#define EV_CLOSED	0x80

/* Shorthands for pure timers (no fd), signal events (fd = signal number, persistent) and
 * user-triggered events. */
#define evtimer_assign(ev, b, cb, arg) \
	event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg)	       event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv)		event_add((ev), (tv))
#define evtimer_del(ev)			event_del(ev)
#define evtimer_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev)		event_initialized(ev)

#define evsignal_add(ev, tv)		event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg)			\
	event_assign((ev), (b), (x), EV_SIGNAL|EV_PERSIST, cb, (arg))
#define evsignal_new(b, x, cb, arg)				\
	event_new((b), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define evsignal_del(ev)		event_del(ev)
#define evsignal_pending(ev, tv)	event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev)	event_initialized(ev)

#define evuser_new(b, cb, arg)		event_new((b), -1, 0, (cb), (arg))
#define evuser_del(ev)			event_del(ev)
#define evuser_pending(ev, tv)		event_pending((ev), 0, (tv))
#define evuser_initialized(ev)		event_initialized(ev)
#define evuser_trigger(ev)		event_active((ev), 0, 0)

/* An event's callback: the fd (or signal), the EV_* that happened, and the user argument. */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/* Inside event_new()/event_assign() arguments: stands for the event being created, so a
 * callback can receive its own event as argument. */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/* Allocating, initializing (for program-owned struct event) and freeing events. */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *, evutil_socket_t, short, event_callback_fn, void *);
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *, struct event_base *, evutil_socket_t, short, event_callback_fn, void *);
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

/* Finalization: removes the event without waiting for a callback running in another thread,
 * then calls the finalizer from the loop (event_free_finalize also frees the event). */
typedef void (*event_finalize_callback_fn)(struct event *, void *);
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);

/* Runs a callback once (fd/signal event or timeout) without the program managing an event. */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *, evutil_socket_t, short, event_callback_fn, void *, const struct timeval *);

/* Makes an event pending, optionally with a timeout (re-adding resets the timeout). */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);

/* Cancels only the timeout of a pending event. */
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);

/* Makes an event non-pending and non-active. By default this waits for its callback if it
 * runs in another thread (unless EV_FINALIZE); _noblock never waits, _block always does. */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *);
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/* Makes an event active as if res had happened (ncalls: obsolete, signal events only). */
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/* Which of events the event is pending or active for; if tv is given and a timeout is
 * pending, stores when it expires. */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

/* The event whose callback is running in this base's loop, or NULL. */
EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/* Whether ev has been assigned (not merely zeroed memory). */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

/* Accessors for what an event was assigned with. */
#define event_get_signal(ev) ((int)event_get_fd(ev))

EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);

/* sizeof(struct event) of the running library, for programs that allocate events themselves. */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/* Version of the running library, as text and as 0xMMmmpp00, and of these headers. */
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

#define LIBEVENT_VERSION EVENT__VERSION
#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/* Priorities: a base has 1 (by default) up to EVENT_MAX_PRIORITIES levels; 0 runs first.
 * New events get the middle level. */
#define EVENT_MAX_PRIORITIES 256
EVENT2_EXPORT_SYMBOL
int	event_base_priority_init(struct event_base *, int);
EVENT2_EXPORT_SYMBOL
int	event_base_get_npriorities(struct event_base *eb);
EVENT2_EXPORT_SYMBOL
int	event_priority_set(struct event *, int);

/* Returns a special timeval equal to duration: events added with it share one queue instead of
 * the timer heap, which is cheaper when many events use the same timeout. */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

/* Replaces the allocator the library uses for everything it allocates or frees for the
 * program. Call before anything else; all three must be given together. */
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(
	void *(*malloc_fn)(size_t sz),
	void *(*realloc_fn)(void *ptr, size_t sz),
	void (*free_fn)(void *ptr));
/* Tells programs that event_set_mem_functions() is available in this build. */
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED

/* Writes a human-readable list of the base's events to output, for debugging. */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *, FILE *);

/* Activates every event waiting on fd for any of events, or on signal sig. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events);
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

/* Calls fn for every pending or active event of base until it returns nonzero (which is then
 * returned). fn must not add, remove or free events. */
typedef int (*event_base_foreach_event_cb)(const struct event_base *, const struct event *, void *);
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn, void *arg);

/* The wall-clock time as cached by the loop (or the real time outside callbacks), and a
 * refresh of that cache. */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base,
    struct timeval *tv);
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/* Frees the library's global state; nothing may be used afterwards. */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
