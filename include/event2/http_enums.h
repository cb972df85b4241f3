/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/http_enums.h: the enums that event2/http.h declares and that struct evhttp_request
 * (event2/http_struct.h) has fields of. Both headers include this one, so either can come
 * first or alone. Include event2/http.h instead of this file.
 *
 * "#pragma once" rather than a guard macro: a program that includes only http.h or only
 * http_struct.h sees exactly the macros upstream's header defines. */
#pragma once

/* Request methods, one bit each so that a set of them fits evhttp_set_allowed_methods(). */
enum evhttp_cmd_type {
	EVHTTP_REQ_GET     = 1 << 0,
	EVHTTP_REQ_POST    = 1 << 1,
	EVHTTP_REQ_HEAD    = 1 << 2,
	EVHTTP_REQ_PUT     = 1 << 3,
	EVHTTP_REQ_DELETE  = 1 << 4,
	EVHTTP_REQ_OPTIONS = 1 << 5,
	EVHTTP_REQ_TRACE   = 1 << 6,
	EVHTTP_REQ_CONNECT = 1 << 7,
	EVHTTP_REQ_PATCH   = 1 << 8
};

/* Whether a struct evhttp_request carries a request (server side) or a response (client). */
enum evhttp_request_kind { EVHTTP_REQUEST, EVHTTP_RESPONSE };

/* Why a request failed, as its error callback (evhttp_request_set_error_cb) is told. */
enum evhttp_request_error {
	EVREQ_HTTP_TIMEOUT,		/* the connection's timeout expired */
	EVREQ_HTTP_EOF,			/* the peer closed the connection */
	EVREQ_HTTP_INVALID_HEADER,	/* a malformed first line or header, or a header callback refused */
	EVREQ_HTTP_BUFFER_ERROR,	/* reading or writing the socket failed */
	EVREQ_HTTP_REQUEST_CANCEL,	/* evhttp_cancel_request() was called */
	EVREQ_HTTP_DATA_TOO_LONG	/* the body went over the connection's max body size */
};
