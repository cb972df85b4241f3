/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/http_struct.h: the fields of struct evhttp_request, for programs that read them
 * directly. The accessors of event2/http.h are the stable way; this layout is 2.1's and
 * may change in later versions. */
#ifndef EVENT2_HTTP_STRUCT_H_INCLUDED_
#define EVENT2_HTTP_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>

/* The enums of the kind, type and error_cb fields (also part of event2/http.h). */
#include <event2/http_enums.h>

struct evhttp_connection;
struct evkeyvalq;
struct evhttp_uri;
struct evbuffer;

/* A request a server received, or a request a client sends together with its response. */
struct evhttp_request {
	/* Links in the connection's queue of requests (a TAILQ_ENTRY of <sys/queue.h>). */
#if defined(TAILQ_ENTRY)
	TAILQ_ENTRY(evhttp_request) next;
#else
	struct {
		struct evhttp_request *tqe_next;
		struct evhttp_request **tqe_prev;
	} next;
#endif

	/* The connection the request belongs to (NULL once detached). */
	struct evhttp_connection *evcon;
	/* EVHTTP_REQ_OWN_CONNECTION and the other bits below. */
	int flags;
/* Freeing the request frees its connection too. */
#define EVHTTP_REQ_OWN_CONNECTION	0x0001
/* The request was sent through a proxy (its URI is absolute). */
#define EVHTTP_PROXY_REQUEST		0x0002
/* The program owns the request (evhttp_request_own) and frees it itself. */
#define EVHTTP_USER_OWNED		0x0004
/* A caller up the stack still uses the request: freeing it waits for that caller. */
#define EVHTTP_REQ_DEFER_FREE		0x0008
/* Set while freeing is deferred: the caller up the stack frees it on return. */
#define EVHTTP_REQ_NEEDS_FREE		0x0010

	struct evkeyvalq *input_headers;
	struct evkeyvalq *output_headers;

	/* The peer's address as text, and its port. */
	char *remote_host;
	ev_uint16_t remote_port;

	/* What evhttp_request_get_host() returned, kept for the request's lifetime. */
	char *host_cache;

	enum evhttp_request_kind kind;
	enum evhttp_cmd_type type;

	/* Bytes of head and of body read so far, checked against the limits. */
	size_t headers_size;
	size_t body_size;

	/* The request target as received, and parsed. */
	char *uri;
	struct evhttp_uri *uri_elems;

	/* The HTTP version, e.g. 1 and 1. */
	char major;
	char minor;

	/* The response's status code and reason phrase. */
	int response_code;
	char *response_code_line;

	/* The body received, and how much of it (or of the current chunk) is still to come. */
	struct evbuffer *input_buffer;
	ev_int64_t ntoread;
	/* chunked: the body uses chunked transfer coding; userdone: the program has sent the
	 * whole of a streamed reply. */
	unsigned chunked:1,
	    userdone:1;

	/* The body to send. */
	struct evbuffer *output_buffer;

	/* Called when the request completes or fails (evhttp_request_new). */
	void (*cb)(struct evhttp_request *, void *);
	void *cb_arg;

	/* Called with each piece of the body as it arrives (evhttp_request_set_chunked_cb). */
	void (*chunk_cb)(struct evhttp_request *, void *);

	/* Called once the headers are parsed; a negative result closes the connection
	 * (evhttp_request_set_header_cb). */
	int (*header_cb)(struct evhttp_request *, void *);

	/* Called with the reason when the request fails (evhttp_request_set_error_cb). */
	void (*error_cb)(enum evhttp_request_error, void *);

	/* Called when the reply has been written (evhttp_request_set_on_complete_cb). */
	void (*on_complete_cb)(struct evhttp_request *, void *);
	void *on_complete_cb_arg;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_HTTP_STRUCT_H_INCLUDED_ */
