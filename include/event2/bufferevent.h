/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/bufferevent.h: buffered I/O. A bufferevent owns an input and an output evbuffer
 * and moves data between them and something else on its own: a socket
 * (bufferevent_socket_new), the other half of an in-process pair (bufferevent_pair_new), or an
 * underlying bufferevent through a pair of filter functions (bufferevent_filter_new). The
 * program reads from the input buffer and writes to the output buffer; callbacks say when the
 * input has reached its low watermark, when the output has drained to its low watermark, and
 * when something else happened (BEV_EVENT_*: EOF, an error, a timeout, a finished connect).
 *
 * Reading and writing run only while enabled (bufferevent_enable/disable with EV_READ and
 * EV_WRITE). Reading pauses while the input holds at least the read high watermark.
 * Bandwidth can be capped per bufferevent or per group of bufferevents with token buckets
 * (ev_token_bucket_cfg_new, bufferevent_set_rate_limit, bufferevent_rate_limit_group_*).
 *
 * Conventions: int results are 0 on success and -1 on error unless said otherwise. */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>

/* Bits of the "what" argument of an event callback: where it happened (READING or WRITING)
 * and what happened (EOF, ERROR, TIMEOUT, CONNECTED). */
#define BEV_EVENT_READING	0x01	/* while reading */
#define BEV_EVENT_WRITING	0x02	/* while writing */
#define BEV_EVENT_EOF		0x10	/* the other end closed */
#define BEV_EVENT_ERROR		0x20	/* an error; errno (EVUTIL_SOCKET_ERROR()) says which */
#define BEV_EVENT_TIMEOUT	0x40	/* a read or write timeout expired */
#define BEV_EVENT_CONNECTED	0x80	/* a connect started by the bufferevent finished */

/* Opaque here; event2/bufferevent_struct.h shows its layout to old programs. */
struct bufferevent;
struct event_base;
struct evbuffer;
struct sockaddr;

/* Callbacks a program sets with bufferevent_setcb(). The data callback runs for the input
 * (enough data arrived) or the output (drained far enough); the event callback gets an OR of
 * BEV_EVENT_* bits, accumulated over several events when callbacks are deferred.
 * bufferevent_compat.h may have declared these already (it needs them too). */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);
#endif

/* Options for creating a bufferevent. CLOSE_ON_FREE: freeing it closes the socket or frees
 * the underlying bufferevent. THREADSAFE: it gets a lock, so several threads may use it.
 * DEFER_CALLBACKS: callbacks run from the event loop rather than from inside the operation
 * that caused them. UNLOCK_CALLBACKS: deferred callbacks run without the lock held. */
enum bufferevent_options {
	BEV_OPT_CLOSE_ON_FREE = (1<<0),
	BEV_OPT_THREADSAFE = (1<<1),
	BEV_OPT_DEFER_CALLBACKS = (1<<2),
	BEV_OPT_UNLOCK_CALLBACKS = (1<<3)
};

/* A bufferevent on a socket (not a pipe). fd may be -1 and set later with bufferevent_setfd()
 * or bufferevent_socket_connect(). NULL on error. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options);

/* Starts a non-blocking connect (creating the socket if the bufferevent has none); success
 * is reported later as BEV_EVENT_CONNECTED. A NULL address means the socket is already
 * connecting. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect(struct bufferevent *, const struct sockaddr *, int);

struct evdns_base;

/* Resolves hostname (a name, an IPv4 address, an IPv6 address with or without brackets) for
 * family AF_INET, AF_INET6 or AF_UNSPEC, then connects as bufferevent_socket_connect() does.
 * Without an evdns_base the lookup blocks. bufferevent_socket_get_dns_error() gives the
 * EVUTIL_EAI_* code of the last failed lookup. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname(struct bufferevent *,
    struct evdns_base *, int, const char *, int);
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/* Moves a socket bufferevent to another base (before it is enabled). */
EVENT2_EXPORT_SYMBOL
int bufferevent_base_set(struct event_base *base, struct bufferevent *bufev);
EVENT2_EXPORT_SYMBOL
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/* Priority of a socket bufferevent's events. */
EVENT2_EXPORT_SYMBOL
int bufferevent_priority_set(struct bufferevent *bufev, int pri);
EVENT2_EXPORT_SYMBOL
int bufferevent_get_priority(const struct bufferevent *bufev);

/* Releases the bufferevent. Data still in the output buffer is not necessarily written.
 * It may be called from the bufferevent's own callbacks. */
EVENT2_EXPORT_SYMBOL
void bufferevent_free(struct bufferevent *bufev);

/* Sets or reads the callbacks and their argument; NULL means no callback. */
EVENT2_EXPORT_SYMBOL
void bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg);
EVENT2_EXPORT_SYMBOL
void bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr,
    bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr,
    void **cbarg_ptr);

/* The file descriptor a bufferevent works on (-1 if none); not every kind can change it. */
EVENT2_EXPORT_SYMBOL
int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);
EVENT2_EXPORT_SYMBOL
evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/* The bufferevent a filter works on, or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/* Appends data (or the whole of buf, draining it) to the output buffer. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write(struct bufferevent *bufev,
    const void *data, size_t size);
EVENT2_EXPORT_SYMBOL
int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/* Removes up to size bytes from the input buffer and returns how many; or moves all of the
 * input buffer into buf. */
EVENT2_EXPORT_SYMBOL
size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);
EVENT2_EXPORT_SYMBOL
int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/* The input and output buffers. Programs must not set callbacks on them; after changing the
 * output of a filtering bufferevent directly, trigger it with bufferevent_flush(). */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/* Turns reading and/or writing (EV_READ, EV_WRITE) on or off, and says which are on. */
EVENT2_EXPORT_SYMBOL
int bufferevent_enable(struct bufferevent *bufev, short event);
EVENT2_EXPORT_SYMBOL
int bufferevent_disable(struct bufferevent *bufev, short event);
EVENT2_EXPORT_SYMBOL
short bufferevent_get_enabled(struct bufferevent *bufev);

/* Read and write timeouts (NULL: none). A timeout runs only while the bufferevent is trying
 * to read or write, restarts on every successful read or write and on enable; when it
 * expires, that direction is disabled and the event callback gets
 * BEV_EVENT_TIMEOUT|BEV_EVENT_READING or BEV_EVENT_TIMEOUT|BEV_EVENT_WRITING. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *timeout_read, const struct timeval *timeout_write);

/* Watermarks for EV_READ and/or EV_WRITE. Read: the read callback waits for lowmark bytes,
 * reading pauses at highmark (0: no limit; some kinds may overshoot it). Write: the write
 * callback runs once the output is down to lowmark; filters try not to fill an underlying
 * output beyond highmark except when flushing. bufferevent_getwatermark() takes exactly one of
 * EV_READ or EV_WRITE and fails for anything else. */
EVENT2_EXPORT_SYMBOL
void bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark);
EVENT2_EXPORT_SYMBOL
int bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark);

/* The bufferevent's lock (only with BEV_OPT_THREADSAFE; otherwise no-ops). */
EVENT2_EXPORT_SYMBOL
void bufferevent_lock(struct bufferevent *bufev);
EVENT2_EXPORT_SYMBOL
void bufferevent_unlock(struct bufferevent *bufev);

/* Reference counting: a bufferevent is released when its last reference goes.
 * bufferevent_decref() returns 1 if that happened, 0 otherwise. */
EVENT2_EXPORT_SYMBOL
void bufferevent_incref(struct bufferevent *bufev);
EVENT2_EXPORT_SYMBOL
int bufferevent_decref(struct bufferevent *bufev);

/* How hard a flush pushes data (also the mode passed to filters): as convenient, as much as
 * possible now, or everything including an end-of-stream marker. */
enum bufferevent_flush_mode {
	BEV_NORMAL = 0,
	BEV_FLUSH = 1,
	BEV_FINISHED = 2
};

/* Makes the bufferevent move data for EV_READ and/or EV_WRITE now: -1 on failure, 0 if no
 * data moved, 1 if some did. */
EVENT2_EXPORT_SYMBOL
int bufferevent_flush(struct bufferevent *bufev,
    short iotype,
    enum bufferevent_flush_mode mode);

/* Options of bufferevent_trigger() and bufferevent_trigger_event(): run the data callback
 * whatever the watermarks say, and defer the callback even when the bufferevent does not
 * defer its callbacks. Their values never clash with bufferevent_options except where they
 * mean the same. */
enum bufferevent_trigger_options {
	BEV_TRIG_IGNORE_WATERMARKS = (1<<16),
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};

/* Runs the read and/or write callback as if data had arrived or drained (honouring the
 * watermarks unless BEV_TRIG_IGNORE_WATERMARKS), or the event callback with "what". */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger(struct bufferevent *bufev, short iotype,
    int options);
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger_event(struct bufferevent *bufev, short what,
    int options);

/* What a filter function returns: it produced what it could; it needs more input before it
 * can produce anything; or it failed for good. */
enum bufferevent_filter_result {
	BEV_OK = 0,
	BEV_NEED_MORE = 1,
	BEV_ERROR = 2
};

/* A filter: moves data from src to dst, transformed, writing at most dst_limit bytes when it
 * can (-1: no limit; more overruns dst's high watermark). mode is BEV_NORMAL, BEV_FLUSH or
 * BEV_FINISHED (end of stream: emit any trailer). */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(
    struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
    enum bufferevent_flush_mode mode, void *ctx);

/* A bufferevent on top of another one: data read from underlying goes through input_filter,
 * data written goes through output_filter (NULL: copied unchanged). free_context(ctx) runs
 * when the filter is freed. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying,
		       bufferevent_filter_cb input_filter,
		       bufferevent_filter_cb output_filter,
		       int options,
		       void (*free_context)(void *),
		       void *ctx);

/* Two bufferevents connected to each other in memory, like the two ends of a socketpair
 * without the sockets: what one writes, the other reads. pair_get_partner gives the other
 * end while it exists, NULL afterwards. */
EVENT2_EXPORT_SYMBOL
int bufferevent_pair_new(struct event_base *base, int options,
    struct bufferevent *pair[2]);
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/* Rate limiting. A configuration gives, per tick, the average number of bytes that may be
 * read and written (the rate) and the most in any one tick (the burst). A group shares one
 * budget among its members. */
struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;

/* The largest rate or burst a configuration accepts. */
#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

/* A rate-limit configuration; tick_len NULL means one second, fractions of a millisecond
 * are dropped. NULL if a rate is 0, a rate exceeds its burst, or a value exceeds
 * EV_RATE_LIMIT_MAX. Limits are best-effort. A configuration is not reference-counted: free
 * it only when nothing uses it. */
EVENT2_EXPORT_SYMBOL
struct ev_token_bucket_cfg *ev_token_bucket_cfg_new(
	size_t read_rate, size_t read_burst,
	size_t write_rate, size_t write_burst,
	const struct timeval *tick_len);
EVENT2_EXPORT_SYMBOL
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg);

/* Applies cfg to one bufferevent (NULL: no per-bufferevent limit). Socket bufferevents honour
 * it; other kinds may not. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_rate_limit(struct bufferevent *bev,
    struct ev_token_bucket_cfg *cfg);

/* Groups: created on a base (which runs the group's refill timer), reconfigured, given the
 * smallest share worth handing one member per tick (64 bytes by default), freed once empty.
 * A bufferevent belongs to at most one group; adding it to another moves it, NULL removes it. */
EVENT2_EXPORT_SYMBOL
struct bufferevent_rate_limit_group *bufferevent_rate_limit_group_new(
	struct event_base *base,
	const struct ev_token_bucket_cfg *cfg);
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_cfg(
	struct bufferevent_rate_limit_group *,
	const struct ev_token_bucket_cfg *);
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_min_share(
	struct bufferevent_rate_limit_group *, size_t);
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *);
EVENT2_EXPORT_SYMBOL
int bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g);
EVENT2_EXPORT_SYMBOL
int bufferevent_remove_from_rate_limit_group(struct bufferevent *bev);

/* Caps on one read or write operation (0: the default). */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/* The bufferevent's own read/write bucket (EV_SSIZE_MAX without a per-bufferevent limit; may
 * be negative after overspending; the group is not consulted), and how much it may read or
 * write right now, all limits considered. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_read_limit(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_write_limit(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
const struct ev_token_bucket_cfg *bufferevent_get_token_bucket_cfg(const struct bufferevent * bev);

/* A group's read/write bucket (may be negative). */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(
	struct bufferevent_rate_limit_group *);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(
	struct bufferevent_rate_limit_group *);

/* Takes bytes out of a bufferevent's own bucket (a negative amount puts some in), suspending
 * or resuming it accordingly; the group bucket is left alone. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_read_limit(struct bufferevent *bev, ev_ssize_t decr);
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_write_limit(struct bufferevent *bev, ev_ssize_t decr);

/* The same for a group's bucket, suspending or resuming all its members. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_read(
	struct bufferevent_rate_limit_group *, ev_ssize_t);
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_write(
	struct bufferevent_rate_limit_group *, ev_ssize_t);

/* Bytes read and written by a group's members since it was created or last reset. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_get_totals(
    struct bufferevent_rate_limit_group *grp,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out);
EVENT2_EXPORT_SYMBOL
void
bufferevent_rate_limit_group_reset_totals(
	struct bufferevent_rate_limit_group *grp);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
