/* evhttp objects freed at awkward moments, on loopback: a client that disconnects in the middle
 * of its request body, a server that closes in the middle of a reply (chunked and with a
 * Content-Length), server and client callbacks that free the connection, the server or the
 * request under the library's feet (request, chunk, header and close callbacks), callbacks
 * that free their request (the server's instead of answering, the client's although the
 * library frees it), evhttp_free with requests in flight. The library must not crash, must tell clients what happened
 * (request callback with NULL, error callback with the reason), and must release every
 * socket (counted through /proc/self/fd) and, under valgrind, every byte. */
#include <dirent.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include "check.h"
#include "loopback.h"

static struct event_base *base;
static struct evhttp *http;
static unsigned short port;

/* What the server's and the client's callbacks saw. */
static int server_calls;
static struct evhttp_request *held; /* a server request left unanswered */
static int client_done, client_null, client_error, client_chunks;
static int client_status;

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void run_for(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void free_connection_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

static void free_server_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	evhttp_free(http);
	http = NULL;
}

/* The server: what it does depends on the path. */
static void server_cb(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evbuffer *b = evbuffer_new();
	struct timeval soon = { 0, 20000 };
	(void)arg;
	server_calls++;
	if (!strcmp(uri, "/ok")) {
		evbuffer_add_printf(b, "fine");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (!strcmp(uri, "/chunks")) {
		/* Three chunks, each as its own write. */
		evhttp_send_reply_start(req, 200, "OK");
		evbuffer_add_printf(b, "one");
		evhttp_send_reply_chunk(req, b);
		evbuffer_add_printf(b, "two");
		evhttp_send_reply_chunk(req, b);
		evbuffer_add_printf(b, "three");
		evhttp_send_reply_chunk(req, b);
		evhttp_send_reply_end(req);
	} else if (!strcmp(uri, "/close-mid-chunked")) {
		evhttp_send_reply_start(req, 200, "OK");
		evbuffer_add_printf(b, "partial");
		evhttp_send_reply_chunk(req, b);
		event_base_once(base, -1, EV_TIMEOUT, free_connection_later, evcon, &soon);
	} else if (!strcmp(uri, "/close-mid-length")) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", "100");
		evhttp_send_reply_start(req, 200, "OK");
		evbuffer_add_printf(b, "only ten b");
		evhttp_send_reply_chunk(req, b);
		event_base_once(base, -1, EV_TIMEOUT, free_connection_later, evcon, &soon);
	} else if (!strcmp(uri, "/free-connection")) {
		/* Frees the request with it. */
		evhttp_connection_free(evcon);
	} else if (!strcmp(uri, "/free-request")) {
		/* Freed instead of answered: the connection lives on until the client goes. */
		evhttp_request_free(req);
	} else if (!strcmp(uri, "/free-server")) {
		evhttp_free(http);
		http = NULL;
	} else if (!strcmp(uri, "/hold")) {
		held = req;
		event_base_once(base, -1, EV_TIMEOUT, free_server_later, NULL, &soon);
	} else {
		evhttp_send_error(req, 404, NULL);
	}
	evbuffer_free(b);
}

static void start_server(void)
{
	struct evhttp_bound_socket *bound;
	http = evhttp_new(base);
	evhttp_set_gencb(http, server_cb, NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	CHECK(bound != NULL);
	port = bound ? port_of(evhttp_bound_socket_get_fd(bound)) : 0;
}

/* ---- client side ---- */

static void client_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	client_done++;
	if (!req) {
		client_null++;
		return;
	}
	client_status = evhttp_request_get_response_code(req);
}

static void client_error_cb(enum evhttp_request_error error, void *arg)
{
	(void)arg;
	client_error = (int)error + 100;
}

static void reset_client(void)
{
	client_done = client_null = client_error = client_chunks = client_status = 0;
	server_calls = 0;
}

/* A GET through a fresh client connection; the connection is returned for more. */
static struct evhttp_connection *get(const char *path, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	if (!req)
		req = evhttp_request_new(client_cb, NULL);
	evhttp_request_set_error_cb(req, client_error_cb);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "test");
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, path) == 0);
	return evcon;
}

static void free_own_connection_cb(struct evhttp_request *req, void *arg)
{
	client_cb(req, NULL);
	evhttp_connection_free(arg);
}

/* Frees the request the library hands it (and would free itself: 2.1 then freed it twice). */
static void free_request_cb(struct evhttp_request *req, void *arg)
{
	client_cb(req, arg);
	if (req)
		evhttp_request_free(req);
}

static void cancel_in_chunk_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	client_chunks++;
	evhttp_cancel_request(req);
}

static void free_connection_in_chunk_cb(struct evhttp_request *req, void *arg)
{
	client_chunks++;
	evhttp_connection_free(evhttp_request_get_connection(req));
	(void)arg;
}

static int refuse_headers_cb(struct evhttp_request *req, void *arg)
{
	(void)req;
	(void)arg;
	return -1;
}

static void free_in_close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)arg;
	evhttp_connection_free(evcon);
}

/* A raw client that sends part of a request, then closes. */
static void raw_partial_request(const char *bytes)
{
	struct sockaddr_in to = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0);
	CHECK(write(fd, bytes, strlen(bytes)) == (ssize_t)strlen(bytes));
	run_for(50);
	close(fd);
	run_for(50);
}

int main(void)
{
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	int fds;

	base = event_base_new();
	start_server();
	fds = open_fds();

	/* Baseline: a chunked reply arrives whole. */
	reset_client();
	evcon = get("/chunks", NULL);
	run_for(300);
	CHECK(client_done == 1 && client_status == 200 && client_error == 0);
	evhttp_connection_free(evcon);

	/* The client goes away in the middle of its body: the callback never runs and the server
	 * drops the connection. */
	reset_client();
	raw_partial_request("POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc");
	raw_partial_request("POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
	raw_partial_request("GET /ok HTTP/1.1\r\nHost: a\r\nX-Half: ");
	CHECK(server_calls == 0);
	CHECK(open_fds() == fds);
	/* The server's callback frees its request instead of answering: when the client goes, so
	 * does the connection. */
	raw_partial_request("GET /free-request HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK(server_calls == 1);
	CHECK(open_fds() == fds);

	/* The server closes in the middle of a chunked reply, and of one with a Content-Length:
	 * the client's callback gets NULL after its error callback got EOF. */
	reset_client();
	evcon = get("/close-mid-chunked", NULL);
	run_for(300);
	CHECK(client_done == 1 && client_null == 1 && client_error == 100 + EVREQ_HTTP_EOF);
	evhttp_connection_free(evcon);
	reset_client();
	evcon = get("/close-mid-length", NULL);
	run_for(300);
	CHECK(client_done == 1 && client_null == 1 && client_error == 100 + EVREQ_HTTP_EOF);
	evhttp_connection_free(evcon);
	CHECK(open_fds() == fds);

	/* The server's callback frees its connection (and the request with it). */
	reset_client();
	evcon = get("/free-connection", NULL);
	run_for(300);
	CHECK(server_calls == 1 && client_null == 1 && client_error == 100 + EVREQ_HTTP_EOF);
	evhttp_connection_free(evcon);
	CHECK(open_fds() == fds);

	/* The client's callback frees its own connection, on success. */
	reset_client();
	req = evhttp_request_new(free_own_connection_cb, NULL);
	evcon = get("/ok", req);
	req->cb_arg = evcon;
	run_for(300);
	CHECK(client_done == 1 && client_status == 200);

	/* The client's callback frees its request (not its own to free): freed once. */
	reset_client();
	req = evhttp_request_new(free_request_cb, NULL);
	evcon = get("/ok", req);
	run_for(300);
	CHECK(client_done == 1 && client_status == 200);
	evhttp_connection_free(evcon);

	/* A chunk callback cancels the request: no request callback, no error. */
	reset_client();
	req = evhttp_request_new(client_cb, NULL);
	evhttp_request_set_chunked_cb(req, cancel_in_chunk_cb);
	evcon = get("/chunks", req);
	run_for(300);
	CHECK(client_chunks == 1 && client_done == 0);
	/* The connection is reusable afterwards. */
	req = evhttp_request_new(client_cb, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "test");
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/ok") == 0);
	run_for(300);
	CHECK(client_done == 1 && client_status == 200);
	evhttp_connection_free(evcon);

	/* A chunk callback frees the connection (and the request with it). */
	reset_client();
	req = evhttp_request_new(client_cb, NULL);
	evhttp_request_set_chunked_cb(req, free_connection_in_chunk_cb);
	get("/chunks", req);
	run_for(300);
	CHECK(client_chunks == 1 && client_done == 0);

	/* A header callback refuses the response: the request fails with EOF. */
	reset_client();
	req = evhttp_request_new(client_cb, NULL);
	evhttp_request_set_header_cb(req, refuse_headers_cb);
	evcon = get("/ok", req);
	run_for(300);
	CHECK(client_null == 1 && client_error == 100 + EVREQ_HTTP_EOF);
	evhttp_connection_free(evcon);

	/* A close callback frees its connection when the server closes (Connection: close). */
	reset_client();
	req = evhttp_request_new(client_cb, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	evcon = get("/ok", req);
	evhttp_connection_set_closecb(evcon, free_in_close_cb, NULL);
	run_for(300);
	CHECK(client_done == 1 && client_status == 200);
	CHECK(open_fds() == fds);

	/* evhttp_free with a request in flight (held unanswered by the server's callback): the
	 * client learns of it through EOF. */
	reset_client();
	evcon = get("/hold", NULL);
	run_for(300);
	CHECK(held != NULL && http == NULL);
	CHECK(client_null == 1 && client_error == 100 + EVREQ_HTTP_EOF);
	evhttp_connection_free(evcon);

	/* The server's callback frees the whole server. */
	start_server();
	fds = open_fds();
	reset_client();
	evcon = get("/free-server", NULL);
	run_for(300);
	CHECK(server_calls == 1 && http == NULL && client_null == 1);
	evhttp_connection_free(evcon);
	/* The listening socket went with the server. */
	CHECK(open_fds() == fds - 1);

	event_base_free(base);
	CHECK_EXIT();
}
