/* evhttp functions given NULL or bad arguments return upstream's error result (-1, NULL, or
 * nothing) with a warning through the log callback, never a crash: every evhttp_* export of
 * the server, connection, request and header parts with a NULL object or string, bad flags,
 * a closed socket, a request made twice. Upstream crashes on most NULL objects: the checks are
 * our hardening (as bad_input.c for the core). Flags it does not know give 1, as upstream. */
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_compat.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include "check.h"
#include "loopback.h"
#include "warnings.h"

static void cb(struct evhttp_request *req, void *arg)
{
	(void)req;
	(void)arg;
}

static void bound_cb(struct evhttp_bound_socket *b, void *arg)
{
	(void)b;
	++*(int *)arg;
}

int main(void)
{
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	struct evhttp_bound_socket *bound;
	struct evkeyvalq headers;
	struct timeval tv = { 1, 0 };
	char *addr = NULL;
	ev_uint16_t port = 0;
	int fd, n = 0;

	(void)loopback;
	event_set_log_callback(log_cb);
	base = event_base_new();
	CHECK(base != NULL);

	/* Headers. */
	TAILQ_INIT(&headers);
	CHECK(evhttp_add_header(NULL, "a", "b") == -1 && warned());
	CHECK(evhttp_add_header(&headers, NULL, "b") == -1 && warned());
	CHECK(evhttp_add_header(&headers, "a", NULL) == -1 && warned());
	CHECK(evhttp_find_header(NULL, "a") == NULL && warned());
	CHECK(evhttp_find_header(&headers, NULL) == NULL && warned());
	CHECK(evhttp_remove_header(NULL, "a") == -1 && warned());
	CHECK(evhttp_remove_header(&headers, NULL) == -1 && warned());
	evhttp_clear_headers(NULL);
	CHECK(warned());
	/* Line breaks in names or values are refused (header injection), quietly as upstream. */
	CHECK(evhttp_add_header(&headers, "X", "a\r\nEvil: 1") == -1);
	CHECK(evhttp_add_header(&headers, "X\n", "a") == -1);
	CHECK(TAILQ_FIRST(&headers) == NULL);

	/* Server. */
	evhttp_free(NULL);
	CHECK(warned());
	CHECK(evhttp_bind_socket(NULL, "127.0.0.1", 0) == -1 && warned());
	CHECK(evhttp_bind_socket_with_handle(NULL, "127.0.0.1", 0) == NULL && warned());
	CHECK(evhttp_accept_socket(NULL, 0) == -1 && warned());
	CHECK(evhttp_accept_socket_with_handle(NULL, 0) == NULL && warned());
	CHECK(evhttp_bind_listener(NULL, NULL) == NULL && warned());
	CHECK(evhttp_bound_socket_get_fd(NULL) == -1 && warned());
	CHECK(evhttp_bound_socket_get_listener(NULL) == NULL && warned());
	evhttp_foreach_bound_socket(NULL, bound_cb, &n);
	CHECK(warned());
	CHECK(evhttp_set_cb(NULL, "/", cb, NULL) == -1 && warned());
	CHECK(evhttp_del_cb(NULL, "/") == -1 && warned());
	evhttp_set_gencb(NULL, cb, NULL);
	CHECK(warned());
	evhttp_set_bevcb(NULL, NULL, NULL);
	CHECK(warned());
	CHECK(evhttp_add_virtual_host(NULL, "a", NULL) == -1 && warned());
	CHECK(evhttp_remove_virtual_host(NULL, NULL) == -1 && warned());
	CHECK(evhttp_add_server_alias(NULL, "a") == -1 && warned());
	CHECK(evhttp_remove_server_alias(NULL, "a") == -1 && warned());
	evhttp_set_allowed_methods(NULL, 0);
	CHECK(warned());
	evhttp_set_max_headers_size(NULL, 1);
	CHECK(warned());
	evhttp_set_max_body_size(NULL, 1);
	CHECK(warned());
	evhttp_set_default_content_type(NULL, "a");
	CHECK(warned());
	evhttp_set_timeout(NULL, 1);
	CHECK(warned());
	evhttp_set_timeout_tv(NULL, &tv);
	CHECK(warned());
	CHECK(evhttp_set_flags(NULL, 0) == -1 && warned());

	http = evhttp_new(base);
	CHECK(http != NULL);
	CHECK(evhttp_set_cb(http, NULL, cb, NULL) == -1 && warned());
	CHECK(evhttp_set_cb(http, "/", NULL, NULL) == -1 && warned());
	CHECK(evhttp_set_cb(http, "/", cb, NULL) == 0);
	CHECK(evhttp_set_cb(http, "/", cb, NULL) == -1); /* taken: quietly, as upstream */
	CHECK(evhttp_del_cb(http, NULL) == -1 && warned());
	CHECK(evhttp_add_virtual_host(http, NULL, http) == -1 && warned());
	CHECK(evhttp_add_virtual_host(http, "a", http) == -1 && warned());
	CHECK(evhttp_add_virtual_host(http, "a", NULL) == -1 && warned());
	CHECK(evhttp_remove_virtual_host(http, http) == -1); /* not a virtual host of it */
	CHECK(evhttp_add_server_alias(http, NULL) == -1 && warned());
	CHECK(evhttp_remove_server_alias(http, "none") == -1);
	CHECK(evhttp_set_flags(http, 0x100) == 1);
	CHECK(evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE) == 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	close(fd);
	CHECK(evhttp_accept_socket(http, fd) == -1 && warned());
	CHECK(evhttp_accept_socket(http, -1) == -1 && warned());
	evhttp_del_accept_socket(http, NULL);
	CHECK(warned());
	evhttp_foreach_bound_socket(http, NULL, &n);
	CHECK(warned());
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	CHECK(bound != NULL);
	evhttp_foreach_bound_socket(http, bound_cb, &n);
	CHECK(n == 1);

	/* Replies to NULL requests. */
	evhttp_send_reply(NULL, 200, "OK", NULL);
	CHECK(warned());
	evhttp_send_error(NULL, 400, NULL);
	CHECK(warned());
	evhttp_send_reply_start(NULL, 200, "OK");
	CHECK(warned());
	evhttp_send_reply_chunk(NULL, NULL);
	CHECK(warned());
	evhttp_send_reply_chunk_with_cb(NULL, NULL, NULL, NULL);
	CHECK(warned());
	evhttp_send_reply_end(NULL);
	CHECK(warned());

	/* Requests. */
	evhttp_request_free(NULL);
	CHECK(warned());
	evhttp_request_own(NULL);
	CHECK(warned());
	CHECK(evhttp_request_is_owned(NULL) == 0 && warned());
	evhttp_request_set_chunked_cb(NULL, cb);
	CHECK(warned());
	evhttp_request_set_header_cb(NULL, NULL);
	CHECK(warned());
	evhttp_request_set_error_cb(NULL, NULL);
	CHECK(warned());
	evhttp_request_set_on_complete_cb(NULL, cb, NULL);
	CHECK(warned());
	CHECK(evhttp_request_get_connection(NULL) == NULL && warned());
	CHECK(evhttp_request_get_uri(NULL) == NULL && warned());
	CHECK(evhttp_request_get_evhttp_uri(NULL) == NULL && warned());
	CHECK(evhttp_request_get_host(NULL) == NULL && warned());
	CHECK(evhttp_request_get_command(NULL) == 0 && warned());
	CHECK(evhttp_request_get_response_code(NULL) == -1 && warned());
	CHECK(evhttp_request_get_response_code_line(NULL) == NULL && warned());
	CHECK(evhttp_request_get_input_headers(NULL) == NULL && warned());
	CHECK(evhttp_request_get_output_headers(NULL) == NULL && warned());
	CHECK(evhttp_request_get_input_buffer(NULL) == NULL && warned());
	CHECK(evhttp_request_get_output_buffer(NULL) == NULL && warned());
	evhttp_cancel_request(NULL);
	CHECK(warned());

	/* A fresh request: empty accessors, a reply without a connection frees it. */
	req = evhttp_request_new(cb, NULL);
	CHECK(req != NULL);
	CHECK(evhttp_request_get_uri(req) == NULL);
	CHECK(evhttp_request_get_host(req) == NULL);
	CHECK(evhttp_request_get_connection(req) == NULL);
	CHECK(evhttp_request_is_owned(req) == 0);
	evhttp_request_own(req);
	CHECK(evhttp_request_is_owned(req) == 1);
	evhttp_send_reply(req, 200, "OK", NULL); /* no connection: upstream frees it */

	/* Connections. */
	CHECK(evhttp_connection_base_new(base, NULL, NULL, 80) == NULL && warned());
	CHECK(evhttp_connection_base_bufferevent_new(base, NULL, NULL, NULL, 80) == NULL && warned());
	evhttp_connection_free(NULL);
	CHECK(warned());
	evhttp_connection_free_on_completion(NULL);
	CHECK(warned());
	evhttp_connection_set_base(NULL, base);
	CHECK(warned());
	evhttp_connection_set_local_address(NULL, "127.0.0.1");
	CHECK(warned());
	evhttp_connection_set_local_port(NULL, 1);
	CHECK(warned());
	evhttp_connection_set_timeout(NULL, 1);
	CHECK(warned());
	evhttp_connection_set_timeout_tv(NULL, &tv);
	CHECK(warned());
	evhttp_connection_set_initial_retry_tv(NULL, &tv);
	CHECK(warned());
	evhttp_connection_set_retries(NULL, 1);
	CHECK(warned());
	evhttp_connection_set_closecb(NULL, NULL, NULL);
	CHECK(warned());
	evhttp_connection_set_family(NULL, AF_INET);
	CHECK(warned());
	CHECK(evhttp_connection_set_flags(NULL, 0) == -1 && warned());
	evhttp_connection_set_max_headers_size(NULL, 1);
	CHECK(warned());
	evhttp_connection_set_max_body_size(NULL, 1);
	CHECK(warned());
	evhttp_connection_get_peer(NULL, &addr, &port);
	CHECK(warned());
	CHECK(evhttp_connection_get_addr(NULL) == NULL && warned());
	CHECK(evhttp_connection_get_base(NULL) == NULL && warned());
	CHECK(evhttp_connection_get_bufferevent(NULL) == NULL && warned());
	CHECK(evhttp_connection_get_server(NULL) == NULL && warned());
	CHECK(evhttp_make_request(NULL, NULL, EVHTTP_REQ_GET, "/") == -1 && warned());

	/* To our own listening server, which the loop never runs: the connect stays pending. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port_of(evhttp_bound_socket_get_fd(bound)));
	CHECK(evcon != NULL);
	evhttp_connection_get_peer(evcon, NULL, &port);
	CHECK(warned());
	evhttp_connection_get_peer(evcon, &addr, &port);
	CHECK(addr != NULL && strcmp(addr, "127.0.0.1") == 0 && port == port_of(evhttp_bound_socket_get_fd(bound)));
	CHECK(evhttp_connection_get_base(evcon) == base);
	CHECK(evhttp_connection_get_server(evcon) == NULL);
	CHECK(evhttp_connection_set_flags(evcon, 0x40000) == 1);
	CHECK(evhttp_connection_set_flags(evcon, EVHTTP_CON_REUSE_CONNECTED_ADDR) == 0);
	evhttp_connection_set_base(evcon, NULL);
	CHECK(warned());
	CHECK(evhttp_make_request(evcon, NULL, EVHTTP_REQ_GET, "/") == -1 && warned());
	req = evhttp_request_new(cb, NULL);
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, NULL) == -1 && warned());
	/* Queued (the connect goes on in the background), then queued again: refused. */
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/") == 0);
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/") == -1 && warned());
	evhttp_connection_free(evcon); /* frees the queued request too */

	evhttp_free(http);
	event_base_free(base);
	CHECK_EXIT();
}
