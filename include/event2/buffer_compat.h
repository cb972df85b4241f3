/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/buffer_compat.h: the evbuffer interface of libevent 1.x, kept for old programs. */
#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_

#include <event2/visibility.h>

/* Upstream's header includes nothing that defines size_t; programs include it after
 * event2/buffer.h, which does. So that it also compiles on its own without defining any
 * macro upstream's does not, size_t is declared here when no system header has yet (those
 * mark it with __size_t / _SIZE_T). */
#if !defined(__size_t) && !defined(_SIZE_T)
typedef __SIZE_TYPE__ size_t;
#endif

struct evbuffer;

/* Removes the first line, ended by any run of CR and LF, and returns it as a string the caller
 * frees; NULL when there is no complete line: evbuffer_readln() with EVBUFFER_EOL_ANY. */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readline(struct evbuffer *buffer);

/* The 1.x change callback: told the length before and after a change. */
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len, size_t new_len, void *arg);

/* Replaces all of the buffer's callbacks by cb (none when cb is NULL). */
EVENT2_EXPORT_SYMBOL
int evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);

/* Where len bytes at what first occur, made contiguous from the start of the buffer; NULL
 * when they do not occur. */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_find(struct evbuffer *buffer, const unsigned char *what, size_t len);

/* The 1.x spellings of evbuffer_get_length() and of evbuffer_pullup() of everything. */
#define EVBUFFER_LENGTH(x)	evbuffer_get_length(x)
#define EVBUFFER_DATA(x)	evbuffer_pullup((x), -1)

#endif /* EVENT2_BUFFER_COMPAT_H_INCLUDED_ */
