/* A client connection whose request failed mid-body starts the next request on a clean output.
 *
 * evhttp resets a failed connection: closes the socket and discards what its bufferevent still
 * had to send. A socket bufferevent keeps the start of its output frozen (only its own writes
 * may take bytes from there), so the discard must lift that freeze; when it did not, the drain
 * was refused ("evbuffer_drain: the start of the buffer is frozen"), the unsent rest of the
 * failed body stayed, and the next request on the connection went out behind it: the server
 * read body bytes where a request line belonged.
 *
 * A server thread (blocking sockets) resets the first connection after reading a little of a
 * 16 MiB POST, then reads the second connection's request and records how it starts. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "loopback.h"

#define BODY (16 << 20)

static int listener;
static char second_head[64];
static int frozen_warnings;
static struct event_base *base;
static struct evhttp_connection *evcon;
static int first_done, second_code = -1;
static size_t output_after_failure = (size_t)-1;

static void on_log(int severity, const char *msg)
{
	(void)severity;
	if (strstr(msg, "frozen"))
		frozen_warnings++;
}

static void *server(void *arg)
{
	(void)arg;
	char buf[4096];
	/* First connection: a little of the POST, then a reset (SO_LINGER 0). */
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	(void)!recv(fd, buf, sizeof(buf), 0);
	struct linger lg = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	/* Second connection: the head, recorded, answered with 200. */
	fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	size_t got = 0;
	char head[8192];
	while (got < sizeof(head) - 1) {
		ssize_t n = recv(fd, head + got, sizeof(head) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		head[got] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	memcpy(second_head, head, got < sizeof(second_head) - 1 ? got : sizeof(second_head) - 1);
	const char *reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	(void)!send(fd, reply, strlen(reply), 0);
	close(fd);
	return NULL;
}

static void second_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	second_code = req ? evhttp_request_get_response_code(req) : 0;
	event_base_loopexit(base, NULL);
}

static void start_second(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	output_after_failure = evbuffer_get_length(bufferevent_get_output(bev));
	struct evhttp_request *req = evhttp_request_new(second_cb, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/second") == 0);
}

static void first_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	first_done = 1;
	/* Failed: no answer (NULL, or a request without a response code). */
	CHECK(req == NULL || evhttp_request_get_response_code(req) == 0);
	/* The next request is made from the loop, once the failure is fully handled. */
	event_base_once(base, -1, EV_TIMEOUT, start_second, NULL, NULL);
}

int main(void)
{
	event_set_log_callback(on_log);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = loopback(0);
	CHECK(bind(listener, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(listener, 4) == 0);
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, server, NULL) == 0);

	base = event_base_new();
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port_of(listener));
	CHECK(evcon != NULL);
	evhttp_connection_set_retries(evcon, 0);
	struct evhttp_request *req = evhttp_request_new(first_cb, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
	char *body = malloc(BODY);
	memset(body, 'x', BODY);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, BODY);
	free(body);
	CHECK(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/first") == 0);
	struct timeval limit = {10, 0};
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	pthread_join(thread, NULL);

	CHECK(first_done);
	CHECK(output_after_failure == 0);
	CHECK(frozen_warnings == 0);
	CHECK(strncmp(second_head, "GET /second HTTP/1.1\r\n", 22) == 0);
	CHECK(second_code == 200);
	if (strncmp(second_head, "GET /second", 11) != 0)
		fprintf(stderr, "second request began with \"%.20s\"\n", second_head);
	evhttp_connection_free(evcon);
	event_base_free(base);
	close(listener);
	CHECK_EXIT();
}
