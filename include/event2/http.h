/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/http.h: evhttp, the HTTP/1.0 and 1.1 server and client of libevent_extra, and its
 * helpers for headers, URIs and query strings.
 *
 * Server: an evhttp lives on an event_base, accepts connections on bound sockets or
 * listeners, parses each request and hands it (a struct evhttp_request) to the callback set
 * for its path, or to the generic callback. The callback answers with evhttp_send_reply,
 * evhttp_send_error or the chunked evhttp_send_reply_start / _chunk / _end sequence, now or
 * later; the request is freed once its reply has been written.
 *
 * Client: an evhttp_connection to a host and port sends requests made with
 * evhttp_request_new through evhttp_make_request and calls each request's callback with the
 * response.
 *
 * URIs: struct evhttp_uri is a URI-Reference (RFC 3986) split into its parts; no part is
 * percent-decoded. The encode/decode helpers return strings the caller frees with free().
 *
 * Conventions: int results are 0 on success and -1 on error unless said otherwise. The 1.x
 * names are in event2/http_compat.h, the request's fields in event2/http_struct.h. */
#ifndef EVENT2_HTTP_H_INCLUDED_
#define EVENT2_HTTP_H_INCLUDED_

#include <event2/util.h>
#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;
struct event_base;
struct bufferevent;
struct evhttp_connection;

/* Status codes that evhttp itself uses or checks. */
#define HTTP_OK			200	/* OK */
#define HTTP_NOCONTENT		204	/* No Content */
#define HTTP_MOVEPERM		301	/* Moved Permanently */
#define HTTP_MOVETEMP		302	/* Found (moved temporarily) */
#define HTTP_NOTMODIFIED	304	/* Not Modified */
#define HTTP_BADREQUEST		400	/* Bad Request */
#define HTTP_NOTFOUND		404	/* Not Found */
#define HTTP_BADMETHOD		405	/* Method Not Allowed */
#define HTTP_ENTITYTOOLARGE	413	/* Payload Too Large */
#define HTTP_EXPECTATIONFAILED	417	/* Expectation Failed */
#define HTTP_INTERNAL		500	/* Internal Server Error */
#define HTTP_NOTIMPLEMENTED	501	/* Not Implemented */
#define HTTP_SERVUNAVAIL	503	/* Service Unavailable */

/* Opaque types. */
struct evhttp;
struct evhttp_request;
struct evkeyvalq;
struct evhttp_bound_socket;
struct evconnlistener;
struct evdns_base;

/* enum evhttp_cmd_type, evhttp_request_kind, evhttp_request_error. */
#include <event2/http_enums.h>

/* ---- Server --------------------------------------------------------------------------- */

/* A server without sockets on base. NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_new(struct event_base *base);

/* Listens on address:port (any number of times, for more addresses or ports). */
EVENT2_EXPORT_SYMBOL
int evhttp_bind_socket(struct evhttp *http, const char *address, ev_uint16_t port);

/* evhttp_bind_socket() that returns a handle on the new socket (NULL on error), valid until
 * the server is freed or the socket removed with evhttp_del_accept_socket(). */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_socket_with_handle(struct evhttp *http, const char *address, ev_uint16_t port);

/* Accepts connections on fd, a socket that is already bound and listening. */
EVENT2_EXPORT_SYMBOL
int evhttp_accept_socket(struct evhttp *http, evutil_socket_t fd);

/* evhttp_accept_socket() that returns a handle on the socket (NULL on error). */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_accept_socket_with_handle(struct evhttp *http, evutil_socket_t fd);

/* Accepts the connections of listener, which the returned handle then owns (it is freed
 * with the handle). */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_listener(struct evhttp *http, struct evconnlistener *listener);

/* The listener behind a bound socket. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evhttp_bound_socket_get_listener(struct evhttp_bound_socket *bound);

/* The callback of evhttp_foreach_bound_socket(). */
typedef void evhttp_bound_socket_foreach_fn(struct evhttp_bound_socket *, void *);

/* Calls function(bound, argument) for each bound socket of http. The callback must not add
 * or remove sockets, listeners or connections. */
EVENT2_EXPORT_SYMBOL
void evhttp_foreach_bound_socket(struct evhttp *http, evhttp_bound_socket_foreach_fn *function, void *argument);

/* Stops accepting on bound_socket and frees it: its fd is closed, or its listener freed. */
EVENT2_EXPORT_SYMBOL
void evhttp_del_accept_socket(struct evhttp *http, struct evhttp_bound_socket *bound_socket);

/* The listening socket of a bound socket. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evhttp_bound_socket_get_fd(struct evhttp_bound_socket *bound_socket);

/* Frees the server, its sockets, connections and virtual hosts. */
EVENT2_EXPORT_SYMBOL
void evhttp_free(struct evhttp* http);

/* The largest request head (first line and headers) the server reads; a larger one is
 * answered with an error. -1 (or any negative) means no limit. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_headers_size(struct evhttp* http, ev_ssize_t max_headers_size);
/* The largest request body the server reads (413 above it); negative means no limit. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_body_size(struct evhttp* http, ev_ssize_t max_body_size);

/* The Content-Type a reply gets when the callback set none; NULL adds none. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_default_content_type(struct evhttp *http,
	const char *content_type);

/* Which methods (a bitwise OR of EVHTTP_REQ_*) reach the callbacks; others are answered with
 * 405. The default: GET, POST, HEAD, PUT and DELETE. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_allowed_methods(struct evhttp* http, ev_uint16_t methods);

/* Calls cb(req, cb_arg) for requests whose path is exactly path. 0 on success, -1 when path
 * has a callback already, -2 on other errors. */
EVENT2_EXPORT_SYMBOL
int evhttp_set_cb(struct evhttp *http, const char *path,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/* Removes the callback of a path: 0, or -1 when it had none. */
EVENT2_EXPORT_SYMBOL
int evhttp_del_cb(struct evhttp *, const char *);

/* The callback for requests no evhttp_set_cb() path matches (without one they get 404). */
EVENT2_EXPORT_SYMBOL
void evhttp_set_gencb(struct evhttp *http,
    void (*cb)(struct evhttp_request *, void *), void *arg);

/* Makes the bufferevent of each accepted connection with cb(base, arg) (for example an SSL
 * one); it must have no fd yet. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_bevcb(struct evhttp *http,
    struct bufferevent *(*cb)(struct event_base *, void *), void *arg);

/* Serves requests whose Host matches pattern (a case-insensitive shell glob such as
 * "*.example.com") with vhost's callbacks. vhost is an evhttp without sockets, freed with
 * http unless removed before; vhosts may have vhosts of their own. */
EVENT2_EXPORT_SYMBOL
int evhttp_add_virtual_host(struct evhttp* http, const char *pattern,
    struct evhttp* vhost);

/* Detaches a virtual host (the caller frees it then). */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_virtual_host(struct evhttp* http, struct evhttp* vhost);

/* Another host name the server (or virtual host) answers to. */
EVENT2_EXPORT_SYMBOL
int evhttp_add_server_alias(struct evhttp *http, const char *alias);

/* Removes an alias added with evhttp_add_server_alias(): 0, or -1 when there was none. */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_server_alias(struct evhttp *http, const char *alias);

/* The read and write timeout of the server's connections, in seconds. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout(struct evhttp *http, int timeout_in_secs);

/* The same as a struct timeval; NULL means the default. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout_tv(struct evhttp *http, const struct timeval* tv);

/* Server flag: a request over a limit is answered only after its whole body was read, so
 * that the client sees the answer instead of a reset connection. */
#define EVHTTP_SERVER_LINGERING_CLOSE	0x0001

/* Sets the EVHTTP_SERVER_* flags: 0, or -1 for an unknown flag. */
EVENT2_EXPORT_SYMBOL
int evhttp_set_flags(struct evhttp *http, int flags);

/* ---- Replies -------------------------------------------------------------------------- */

/* Answers req with an HTML error page for status error; reason NULL means the standard
 * reason phrase. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_error(struct evhttp_request *req, int error,
    const char *reason);

/* Answers req with code, reason and the contents of databuf (which is drained but still
 * belongs to the caller; NULL means an empty body). */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply(struct evhttp_request *req, int code,
    const char *reason, struct evbuffer *databuf);

/* Starts a streamed reply (chunked for HTTP/1.1 clients); the body follows with
 * evhttp_send_reply_chunk() and ends with evhttp_send_reply_end(). */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_start(struct evhttp_request *req, int code,
    const char *reason);

/* Sends databuf's contents as the next piece of a streamed reply (databuf is drained). */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk(struct evhttp_request *req,
    struct evbuffer *databuf);

/* evhttp_send_reply_chunk() that calls cb(connection, arg) once the piece has been written. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk_with_cb(struct evhttp_request *, struct evbuffer *,
    void (*cb)(struct evhttp_connection *, void *), void *arg);

/* Ends a streamed reply; the request is freed when it has been written. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_end(struct evhttp_request *req);

/* ---- Client --------------------------------------------------------------------------- */

/* A connection to address:port over bev (NULL: a socket bufferevent is made; otherwise bev
 * must have no fd and is freed with the connection). Host names are resolved with dnsbase,
 * or by blocking getaddrinfo() without one. Nothing connects before the first request. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_bufferevent_new(
	struct event_base *base, struct evdns_base *dnsbase, struct bufferevent* bev, const char *address, ev_uint16_t port);

/* The bufferevent of a connection. */
EVENT2_EXPORT_SYMBOL
struct bufferevent* evhttp_connection_get_bufferevent(struct evhttp_connection *evcon);

/* The server a connection was accepted by, or NULL for a client connection. */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_connection_get_server(struct evhttp_connection *evcon);

/* A request (or response holder) whose cb(req, arg) runs when it completes or fails. */
EVENT2_EXPORT_SYMBOL
struct evhttp_request *evhttp_request_new(
	void (*cb)(struct evhttp_request *, void *), void *arg);

/* Delivers the response body as it arrives: cb runs after each read that added body bytes
 * (never for an empty body) and may drain the input buffer, which is drained after it
 * anyway. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_chunked_cb(struct evhttp_request *,
    void (*cb)(struct evhttp_request *, void *));

/* cb runs once the response's headers are parsed; a negative result closes the
 * connection. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_header_cb(struct evhttp_request *,
    int (*cb)(struct evhttp_request *, void *));

/* Calls the callback with the EVREQ_HTTP_* reason when the request fails, before the
 * request's own callback. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_error_cb(struct evhttp_request *,
    void (*)(enum evhttp_request_error, void *));

/* Calls cb(req, cb_arg) when the reply to req has been written, just before req is freed. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_on_complete_cb(struct evhttp_request *req,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/* Frees a request and what it holds. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_free(struct evhttp_request *req);

/* evhttp_connection_base_bufferevent_new() with a socket bufferevent of its own. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_new(
	struct event_base *base, struct evdns_base *dnsbase,
	const char *address, ev_uint16_t port);

/* The address family host names are resolved for (AF_INET, AF_INET6, AF_UNSPEC). */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_family(struct evhttp_connection *evcon,
	int family);

/* Connection flags. REUSE_CONNECTED_ADDR: a retry reconnects to the address resolved
 * before instead of resolving again. READ_ON_WRITE_ERROR: after a failed write, read what
 * the server answered (it may have replied and closed). LINGERING_CLOSE: as
 * EVHTTP_SERVER_LINGERING_CLOSE. Flags from PUBLIC_FLAGS_END up are the library's own. */
#define EVHTTP_CON_REUSE_CONNECTED_ADDR	0x0008
#define EVHTTP_CON_READ_ON_WRITE_ERROR	0x0010
#define EVHTTP_CON_LINGERING_CLOSE	0x0020
#define EVHTTP_CON_PUBLIC_FLAGS_END	0x100000

/* Sets EVHTTP_CON_* flags: 0, or -1 for an unknown flag. */
EVENT2_EXPORT_SYMBOL
int evhttp_connection_set_flags(struct evhttp_connection *evcon,
	int flags);

/* Keeps req alive after its callback returns: the program frees it with
 * evhttp_request_free(). */
EVENT2_EXPORT_SYMBOL
void evhttp_request_own(struct evhttp_request *req);

/* 1 when the program owns req (evhttp_request_own), else 0. */
EVENT2_EXPORT_SYMBOL
int evhttp_request_is_owned(struct evhttp_request *req);

/* The connection req travels on, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_request_get_connection(struct evhttp_request *req);

/* The event_base of a connection. */
EVENT2_EXPORT_SYMBOL
struct event_base *evhttp_connection_get_base(struct evhttp_connection *req);

/* The largest response head the connection reads; negative means no limit. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_headers_size(struct evhttp_connection *evcon,
    ev_ssize_t new_max_headers_size);

/* The largest response body the connection reads; negative means no limit. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_body_size(struct evhttp_connection* evcon,
    ev_ssize_t new_max_body_size);

/* Closes and frees a connection; its pending requests are failed. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free(struct evhttp_connection *evcon);

/* Frees the connection by itself once its last request has completed or failed. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free_on_completion(struct evhttp_connection *evcon);

/* The local address outgoing connections are bound to. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_address(struct evhttp_connection *evcon,
    const char *address);

/* The local port outgoing connections are bound to. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_port(struct evhttp_connection *evcon,
    ev_uint16_t port);

/* The connection's read, write and connect timeout in seconds. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout(struct evhttp_connection *evcon,
    int timeout_in_secs);

/* The same as a struct timeval. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/* The wait before the first retry of a failed connect (see evhttp_connection_set_retries);
 * each further retry waits twice as long as the one before. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_initial_retry_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/* How often a failed connect is retried; -1 retries for ever. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_retries(struct evhttp_connection *evcon,
    int retry_max);

/* Calls the callback (connection, argument) whenever the connection closes. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_closecb(struct evhttp_connection *evcon,
    void (*)(struct evhttp_connection *, void *), void *);

/* The peer's address as a string (owned by the connection) and its port. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_get_peer(struct evhttp_connection *evcon,
    char **address, ev_uint16_t *port);

/* The peer's socket address (from getpeername() or the resolver), or NULL when not
 * connected. */
EVENT2_EXPORT_SYMBOL
const struct sockaddr*
evhttp_connection_get_addr(struct evhttp_connection *evcon);

/* Sends req with method type for uri over evcon, which owns req from then on (on failure
 * too: req is freed then). */
EVENT2_EXPORT_SYMBOL
int evhttp_make_request(struct evhttp_connection *evcon,
    struct evhttp_request *req,
    enum evhttp_cmd_type type, const char *uri);

/* Cancels a request whose callback has not run yet, without calling it, and frees it; a
 * request in progress resets its connection. Allowed from the request's chunked callback. */
EVENT2_EXPORT_SYMBOL
void evhttp_cancel_request(struct evhttp_request *req);

/* ---- Requests ------------------------------------------------------------------------- */

/* A parsed URI-Reference (RFC 3986): scheme, userinfo, host, port, path, query, fragment. */
struct evhttp_uri;

/* The request's URI as received (or as given to evhttp_make_request). */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_uri(const struct evhttp_request *req);
/* The request's URI, parsed. */
EVENT2_EXPORT_SYMBOL
const struct evhttp_uri *evhttp_request_get_evhttp_uri(const struct evhttp_request *req);
/* The request's method. */
EVENT2_EXPORT_SYMBOL
enum evhttp_cmd_type evhttp_request_get_command(const struct evhttp_request *req);

/* The response's status code. */
EVENT2_EXPORT_SYMBOL
int evhttp_request_get_response_code(const struct evhttp_request *req);
/* The response's reason phrase. */
EVENT2_EXPORT_SYMBOL
const char * evhttp_request_get_response_code_line(const struct evhttp_request *req);

/* The headers received. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_input_headers(struct evhttp_request *req);
/* The headers to send. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_output_headers(struct evhttp_request *req);
/* The body received. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_input_buffer(struct evhttp_request *req);
/* The body to send. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_output_buffer(struct evhttp_request *req);
/* The host a request was for: that of an absolute URI, else the Host header's, else
 * NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_host(struct evhttp_request *req);

/* ---- Header lists (struct evkeyvalq, in event2/keyvalq_struct.h) --------------------- */

/* The value of the first header named key (compared case-insensitively), or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_find_header(const struct evkeyvalq *headers,
    const char *key);

/* Removes the first header named key: 0, or -1 when there is none. */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_header(struct evkeyvalq *headers, const char *key);

/* Appends the header key: value (both copied). -1 when the key holds a CR or LF, or the
 * value a line break not followed by a space or tab (which would start another header). */
EVENT2_EXPORT_SYMBOL
int evhttp_add_header(struct evkeyvalq *headers, const char *key, const char *value);

/* Removes and frees every header of the list. */
EVENT2_EXPORT_SYMBOL
void evhttp_clear_headers(struct evkeyvalq *headers);

/* ---- Encoding helpers (results are freed by the caller with free()) ------------------- */

/* str with every byte but the RFC 3986 unreserved ones (letters, digits, "-._~") written as
 * %XX. NULL on error. */
EVENT2_EXPORT_SYMBOL
char *evhttp_encode_uri(const char *str);

/* evhttp_encode_uri() of the first size bytes of str (all of it up to its NUL when size is
 * negative, so NUL bytes can be encoded); with space_to_plus, spaces become "+". */
EVENT2_EXPORT_SYMBOL
char *evhttp_uriencode(const char *str, ev_ssize_t size, int space_to_plus);

/* Decodes %XX escapes in uri, and "+" as a space after the first "?". Deprecated: use
 * evhttp_uridecode(). */
EVENT2_EXPORT_SYMBOL
char *evhttp_decode_uri(const char *uri);

/* Decodes %XX escapes in uri, and "+" as a space when decode_plus is 1; *size_out (unless
 * NULL) gets the length of the result. */
EVENT2_EXPORT_SYMBOL
char *evhttp_uridecode(const char *uri, int decode_plus,
    size_t *size_out);

/* Appends the key=value pairs of the query of uri (after its "?") to headers, decoded.
 * Deprecated: use evhttp_uri_parse() and evhttp_parse_query_str(). */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query(const char *uri, struct evkeyvalq *headers);

/* Appends the key=value pairs of a query string ("a=1&b=2") to headers, decoded. On a
 * malformed query -1, and headers is left empty. */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query_str(const char *uri, struct evkeyvalq *headers);

/* html with <, >, ", ' and & written as &lt;, &gt;, &quot;, &#039; and &amp;. */
EVENT2_EXPORT_SYMBOL
char *evhttp_htmlescape(const char *html);

/* ---- URIs ----------------------------------------------------------------------------- */

/* An evhttp_uri with no part set (port -1). */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_new(void);

/* Sets the EVHTTP_URI_* flags that the setters check values against. */
EVENT2_EXPORT_SYMBOL
void evhttp_uri_set_flags(struct evhttp_uri *uri, unsigned flags);

/* The scheme, or NULL for a relative reference. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_scheme(const struct evhttp_uri *uri);
/* The userinfo (before "@" in the authority), or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_userinfo(const struct evhttp_uri *uri);
/* The host: a reg-name, an IPv4 address, a bracketed IPv6 or IP-future literal, or "".
 * NULL means no authority at all ("mailto:x@y"); "" an empty one ("file:///etc"). */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_host(const struct evhttp_uri *uri);
/* The port, or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_get_port(const struct evhttp_uri *uri);
/* The path, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_path(const struct evhttp_uri *uri);
/* The query without its "?", or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_query(const struct evhttp_uri *uri);
/* The fragment without its "#", or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_fragment(const struct evhttp_uri *uri);

/* Setters: NULL (port: -1) clears the part; -1 when the value is not valid for it. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_scheme(struct evhttp_uri *uri, const char *scheme);
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_userinfo(struct evhttp_uri *uri, const char *userinfo);
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_host(struct evhttp_uri *uri, const char *host);
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_port(struct evhttp_uri *uri, int port);
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_path(struct evhttp_uri *uri, const char *path);
/* The query without a leading "?". */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_query(struct evhttp_uri *uri, const char *query);
/* The fragment without a leading "#". */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_fragment(struct evhttp_uri *uri, const char *fragment);

/* Parses source_uri as an RFC 3986 URI-Reference, either an absolute URI
 * ("scheme://userinfo@host:port/path?query#fragment", parts optional as the grammar allows)
 * or a relative reference ("path?query#fragment"). Absent parts are NULL, an absent port
 * -1; nothing is percent-decoded. Scheme-specific rules are not checked. flags: a bitwise
 * OR of EVHTTP_URI_*. NULL when source_uri does not parse. */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse_with_flags(const char *source_uri,
    unsigned flags);

/* Flag: accept, in the path, query and fragment, characters RFC 3986 does not allow there
 * (as some clients send them). */
#define EVHTTP_URI_NONCONFORMANT 0x01

/* evhttp_uri_parse_with_flags(source_uri, 0). */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse(const char *source_uri);

/* Frees a URI from evhttp_uri_parse*() or evhttp_uri_new(). */
EVENT2_EXPORT_SYMBOL
void evhttp_uri_free(struct evhttp_uri *uri);

/* Writes the URI-Reference of uri's parts into buf (limit bytes, NUL included) and returns
 * buf, or NULL when it does not fit or the parts cannot form one. The parts are written as
 * they are, without escaping. */
EVENT2_EXPORT_SYMBOL
char *evhttp_uri_join(struct evhttp_uri *uri, char *buf, size_t limit);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_HTTP_H_INCLUDED_ */
