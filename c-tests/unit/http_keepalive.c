/* The evhttp server's connection rules, seen from a raw socket on loopback: pipelined requests
 * answered in order even when the first answer comes last; HTTP/1.0 closes unless it asks for
 * keep-alive (then the reply says keep-alive and carries Content-Length); HTTP/1.1 gets Date
 * and Content-Length and stays open; HEAD gets the headers without the body; Expect:
 * 100-continue gets "100 Continue" before the body is sent; a chunked request body is decoded
 * and its trailer never reaches the request's headers; malformed requests get 400 and unknown
 * methods 501, and the connection closes. Debian's fixed 2.1.12 differs in two places: it
 * sends the body the program gave a HEAD reply (the client then reads it as the next
 * response), and it takes "Bad Header" as a header name (not a token: refused here, as RFC
 * 9112 asks). Upstream's 2.1.12 also merges trailers into the headers (CVE-2026-63379). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "check.h"
#include "loopback.h"

static struct event_base *base;
static unsigned short port;

static void run_for(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void reply_later(evutil_socket_t fd, short what, void *arg)
{
	struct evhttp_request *req = arg;
	struct evbuffer *b = evbuffer_new();
	(void)fd;
	(void)what;
	evbuffer_add_printf(b, "late %s", evhttp_request_get_uri(req));
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* Answers with "<uri>" (after 50 ms for /slow), or for /echo with the body and whether a
 * header X-Trailer arrived. */
static void server_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	const char *uri = evhttp_request_get_uri(req);
	(void)arg;
	if (!strcmp(uri, "/slow")) {
		struct timeval later = { 0, 50000 };
		event_base_once(base, -1, EV_TIMEOUT, reply_later, req, &later);
	} else if (!strcmp(uri, "/echo")) {
		evbuffer_add_buffer(b, evhttp_request_get_input_buffer(req));
		evbuffer_add_printf(b, "|trailer=%s",
		    evhttp_find_header(evhttp_request_get_input_headers(req), "X-Trailer") ? "yes" : "no");
		evhttp_send_reply(req, 200, "OK", b);
	} else {
		evbuffer_add_printf(b, "%s", uri);
		evhttp_send_reply(req, 200, "OK", b);
	}
	evbuffer_free(b);
}

static int connect_server(void)
{
	struct sockaddr_in to = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("connect");
		return -1;
	}
	return fd;
}

/* What a raw client read; closed when the server closed the connection. */
struct reply {
	char data[8192];
	size_t len;
	int closed;
};

/* Sends `request`, lets the server run, and reads what came back without blocking. */
static void exchange(int fd, const char *request, struct reply *r)
{
	ssize_t n;
	if (request)
		CHECK(write(fd, request, strlen(request)) == (ssize_t)strlen(request));
	run_for(200);
	r->len = 0;
	r->closed = 0;
	for (;;) {
		n = recv(fd, r->data + r->len, sizeof(r->data) - 1 - r->len, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		r->closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
		break;
	}
	r->data[r->len] = '\0';
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

int main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct reply r;
	const char *a, *b, *c;
	int fd;

	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, server_cb, NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	CHECK(bound != NULL);
	port = port_of(evhttp_bound_socket_get_fd(bound));

	/* Three pipelined requests in one write, the first answered last by the program: the
	 * answers still come in order, and the close asked for by the last one happens. */
	fd = connect_server();
	exchange(fd,
	    "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    &r);
	a = strstr(r.data, "late /slow");
	b = strstr(r.data, "\r\n\r\n/b");
	c = strstr(r.data, "\r\n\r\n/c");
	CHECK(a && b && c && a < b && b < c);
	CHECK(count(r.data, "HTTP/1.1 200 OK\r\n") == 3);
	CHECK(count(r.data, "Connection: close\r\n") == 1);
	CHECK(r.closed);
	close(fd);

	/* HTTP/1.1 keeps the connection, with Date and Content-Length. */
	fd = connect_server();
	exchange(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	CHECK(strstr(r.data, "HTTP/1.1 200 OK\r\n") == r.data);
	CHECK(strstr(r.data, "\r\nDate: ") != NULL);
	CHECK(strstr(r.data, "\r\nContent-Length: 4\r\n") != NULL);
	CHECK(strstr(r.data, "\r\nContent-Type: text/html; charset=ISO-8859-1\r\n") != NULL);
	CHECK(!r.closed);
	/* HEAD: the length of the body it would get, no body. */
	exchange(fd, "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	CHECK(strstr(r.data, "HTTP/1.1 200 OK\r\n") == r.data);
	CHECK(strstr(r.data, "\r\n\r\n") == r.data + r.len - 4);
	CHECK(!r.closed);
	/* The connection still serves a request after the HEAD. */
	exchange(fd, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	CHECK(strstr(r.data, "\r\n\r\n/two") != NULL && !r.closed);
	close(fd);

	/* HTTP/1.0 closes by default, no Date. */
	fd = connect_server();
	exchange(fd, "GET /old HTTP/1.0\r\n\r\n", &r);
	CHECK(strstr(r.data, "HTTP/1.0 200 OK\r\n") == r.data);
	CHECK(strstr(r.data, "\r\nDate: ") == NULL);
	CHECK(strstr(r.data, "\r\n\r\n/old") != NULL && r.closed);
	close(fd);
	/* ... unless it asks for keep-alive. */
	fd = connect_server();
	exchange(fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
	CHECK(strstr(r.data, "\r\nConnection: keep-alive\r\n") != NULL);
	CHECK(strstr(r.data, "\r\nContent-Length: 4\r\n") != NULL);
	CHECK(!r.closed);
	exchange(fd, "GET /again HTTP/1.0\r\n\r\n", &r);
	CHECK(strstr(r.data, "\r\n\r\n/again") != NULL && r.closed);
	close(fd);

	/* Expect: 100-continue: the interim answer first, then the body is read. */
	fd = connect_server();
	exchange(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", &r);
	CHECK(!strcmp(r.data, "HTTP/1.1 100 Continue\r\n\r\n"));
	exchange(fd, "hello", &r);
	CHECK(strstr(r.data, "HTTP/1.1 200 OK\r\n") == r.data);
	CHECK(strstr(r.data, "\r\n\r\nhello|trailer=no") != NULL);
	close(fd);

	/* A chunked body with a trailer: decoded, the trailer dropped. */
	fd = connect_server();
	exchange(fd,
	    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: sneaked\r\n\r\n",
	    &r);
	CHECK(strstr(r.data, "\r\n\r\nabcdefg|trailer=no") != NULL);
	close(fd);

	/* Malformed: 400 and closed. Unknown method: 501 and closed. */
	fd = connect_server();
	exchange(fd, "GET /x HTTP/1.1\r\nBad Header: x\r\n\r\n", &r);
	CHECK(strstr(r.data, "HTTP/1.1 400 Bad Request\r\n") == r.data && r.closed);
	close(fd);
	fd = connect_server();
	exchange(fd, "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	CHECK(strstr(r.data, "HTTP/1.1 501 Not Implemented\r\n") == r.data && r.closed);
	close(fd);

	evhttp_free(http);
	event_base_free(base);
	CHECK_EXIT();
}
