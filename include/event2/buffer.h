/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/buffer.h: evbuffer, a queue of bytes made for network I/O. Bytes are appended at the
 * end and consumed from the front; internally they sit in a list of separately allocated
 * chunks, so moving a whole buffer into another, or reading from a socket, copies nothing
 * that need not be copied.
 *
 * Functions returning int give 0 (or a count) on success and -1 on failure unless said
 * otherwise. A buffer is not thread-safe until evbuffer_enable_locking() is called on it. */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <event2/util.h>

/* An evbuffer. Its contents are private: use the functions below. */
struct evbuffer;

/* A position inside a buffer, set by evbuffer_ptr_set() and the searches. pos is the byte
 * offset from the start (-1 for "not found"); internal_ is private. Any change to the buffer
 * makes existing positions stale. */
struct evbuffer_ptr {
	ev_ssize_t pos;

	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/* A run of memory: the system's struct iovec on this platform, so it may be passed straight
 * to readv()/writev(). */
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_

/* New, empty buffer; NULL when out of memory. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evbuffer_new(void);
/* Drops the buffer and all it holds. */
EVENT2_EXPORT_SYMBOL
void evbuffer_free(struct evbuffer *buf);

/* Makes the buffer usable from several threads: with lock NULL, a new recursive lock is made
 * (locking must be set up with evthread_use_pthreads() or the like); otherwise lock (a
 * recursive lock) is used and not freed. */
EVENT2_EXPORT_SYMBOL
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);
/* Hold the buffer's lock around several calls that must see it unchanged. */
EVENT2_EXPORT_SYMBOL
void evbuffer_lock(struct evbuffer *buf);
EVENT2_EXPORT_SYMBOL
void evbuffer_unlock(struct evbuffer *buf);

/* Flag: bytes leave this buffer only to a file descriptor (evbuffer_write*), drained without
 * being looked at, or moved whole into another buffer; file data may then stay in the file
 * and go out with sendfile. */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/* Sets or clears EVBUFFER_FLAG_* bits. */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);
EVENT2_EXPORT_SYMBOL
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/* Number of bytes in the buffer. */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_length(const struct evbuffer *buf);
/* Number of bytes available contiguously at the front (what evbuffer_pullup() would not have
 * to copy). */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/* Makes room for datlen more bytes at the end, in one piece, without adding any. */
EVENT2_EXPORT_SYMBOL
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/* Hands out free space at the end for at least size bytes, in at most n_vec pieces described
 * in vec; returns how many pieces were used. Write into them, set each iov_len to what was
 * written, and call evbuffer_commit_space() with the same vectors before any other change to
 * the buffer. */
EVENT2_EXPORT_SYMBOL
int
evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec);
/* Adds the bytes written into space from evbuffer_reserve_space(). Vectors that do not
 * describe that space are refused. */
EVENT2_EXPORT_SYMBOL
int evbuffer_commit_space(struct evbuffer *buf,
    struct evbuffer_iovec *vec, int n_vecs);

/* Appends a copy of datlen bytes at data. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);
/* Moves up to datlen bytes from the front into data_out; returns how many. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);
/* Copies up to datlen bytes from the front (or from pos) into data_out, leaving them in the
 * buffer; returns how many, or -1. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen);
/* Moves up to datlen bytes from the front of src to the end of dst, copying as little as
 * possible; returns how many were moved. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen);

/* What ends a line for evbuffer_readln() and evbuffer_search_eol(). */
enum evbuffer_eol_style {
	/* Any sequence of CR and LF characters. */
	EVBUFFER_EOL_ANY,
	/* LF, optionally preceded by a CR. */
	EVBUFFER_EOL_CRLF,
	/* Exactly CR LF. */
	EVBUFFER_EOL_CRLF_STRICT,
	/* A single LF. */
	EVBUFFER_EOL_LF,
	/* A single NUL byte. */
	EVBUFFER_EOL_NUL
};

/* Removes the first line and its line ending; returns the line as a NUL-terminated string the
 * caller frees, and its length in *n_read_out (when not NULL). NULL when no complete line is
 * there yet. */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
    enum evbuffer_eol_style eol_style);

/* Moves all of inbuf to the end of outbuf, without copying the bytes. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);
/* Appends the contents of inbuf to outbuf without copying them: outbuf shares inbuf's
 * memory, read-only, and keeps it alive. inbuf keeps its contents. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer_reference(struct evbuffer *outbuf,
    struct evbuffer *inbuf);

/* Called when a buffer no longer needs memory it was given with evbuffer_add_reference(). */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data,
    size_t datalen, void *extra);

/* Appends datlen bytes at data without copying them; they must stay valid and unchanged
 * until cleanupfn(data, datlen, cleanupfn_arg) is called. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_reference(struct evbuffer *outbuf,
    const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/* Appends length bytes (to the end of the file when -1) at offset of the file fd, without
 * copying them where the system allows; the buffer owns fd and closes it when done. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
    ev_off_t length);

/* A range of a file that buffers can show without copying it, reference counted. */
struct evbuffer_file_segment;

/* evbuffer_file_segment_new() flags: close the descriptor with the segment; never map the
 * file; never use sendfile; do not lock the segment (it is used by one thread only). */
#define EVBUF_FS_CLOSE_ON_FREE    0x01
#define EVBUF_FS_DISABLE_MMAP     0x02
#define EVBUF_FS_DISABLE_SENDFILE 0x04
#define EVBUF_FS_DISABLE_LOCKING  0x08

/* Called when a segment is freed, with its flags. */
typedef void (*evbuffer_file_segment_cleanup_cb)(
    struct evbuffer_file_segment const* seg, int flags, void* arg);

/* A segment of length bytes (to the end of the file when -1) at offset of fd. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_file_segment *evbuffer_file_segment_new(
	int fd, ev_off_t offset, ev_off_t length, unsigned flags);
/* Drops the caller's reference; the segment goes when no buffer shows it any more. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);
/* Sets the function called when the segment is freed. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
	evbuffer_file_segment_cleanup_cb cb, void* arg);
/* Appends length bytes (the rest when -1) at offset within the segment (not within the
 * file). */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file_segment(struct evbuffer *buf,
    struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/* Appends printf-style formatted text; returns its length, or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
;
EVENT2_EXPORT_SYMBOL
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 0)))
#endif
;

/* Removes len bytes from the front (all of them when there are fewer). */
EVENT2_EXPORT_SYMBOL
int evbuffer_drain(struct evbuffer *buf, size_t len);

/* Writes the buffer (or at most howmuch bytes of it; all when negative) to fd and removes
 * what was written; returns the number of bytes written, or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);
EVENT2_EXPORT_SYMBOL
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
						  ev_ssize_t howmuch);

/* Reads up to howmuch bytes (a sensible amount when negative) from fd to the end; returns the
 * number read, 0 at end of file, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/* The first occurrence of len bytes at what, from start (the beginning when NULL) on; pos is
 * -1 when there is none. The _range form only finds occurrences that end by end. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start);
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end);

/* How evbuffer_ptr_set() moves a position: to an offset from the start, or on by one. */
enum evbuffer_ptr_how {
	EVBUFFER_PTR_SET,
	EVBUFFER_PTR_ADD
};

/* Sets or advances a position; -1 (and pos -1) when it would pass the end. The position just
 * after the last byte is allowed. */
EVENT2_EXPORT_SYMBOL
int
evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how);

/* The first line ending of eol_style from start (the beginning when NULL) on, its length in
 * *eol_len_out (0 when there is none, with pos -1). */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
    struct evbuffer_ptr *start, size_t *eol_len_out,
    enum evbuffer_eol_style eol_style);

/* Describes the memory holding at least len bytes (all when negative) from start_at (the
 * beginning when NULL) in up to n_vec vectors, without copying; returns the number of vectors
 * needed, which may exceed n_vec. The memory is the buffer's: read it, do not change it. */
EVENT2_EXPORT_SYMBOL
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
    struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec_out, int n_vec);

/* What a callback is told: the length before the changes it reports, and the bytes added and
 * removed since it last ran. */
struct evbuffer_cb_info {
	size_t orig_size;
	size_t n_added;
	size_t n_deleted;
};

/* A function called after the buffer changed. It may change the buffer itself. */
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer, const struct evbuffer_cb_info *info, void *arg);

/* One callback on a buffer. */
struct evbuffer_cb_entry;
/* Adds a callback (run before those added earlier); NULL when out of memory. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);
/* Removes a callback, by its entry or by its function and argument. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
			     struct evbuffer_cb_entry *ent);
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);

/* Callback flag: the callback runs (set when it is added). */
#define EVBUFFER_CB_ENABLED 1

/* Sets or clears flags of a callback. */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_set_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/* Makes the first size bytes (all when negative) contiguous and returns them; NULL when the
 * buffer holds fewer. */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/* Inserts a copy of size bytes at data at the front. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);
/* Moves all of src to the front of dst. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer* src);

/* Stops (or allows again) changes at the front (at_front nonzero: drains, removals,
 * prepends) or at the end (appends); refused changes fail with -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_freeze(struct evbuffer *buf, int at_front);
EVENT2_EXPORT_SYMBOL
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

struct event_base;
/* Runs the buffer's callbacks from base's loop instead of at once. */
EVENT2_EXPORT_SYMBOL
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/* Appends copies of the n_vec runs described by vec; returns the bytes added. */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_add_iovec(struct evbuffer * buffer, struct evbuffer_iovec * vec, int n_vec);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
