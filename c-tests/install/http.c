/* Built by c-tests/install-test.sh with `pkg-config --cflags --libs libevent` against an
 * installed prefix, through the libevent 1.x top-level headers (all five, so each must compile
 * on its own terms): an evhttp server on an ephemeral port of 127.0.0.1 and an evhttp client
 * fetching /hello from it in the same loop. Prints which shared object serves the calls. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <evdns.h>
#include <event.h>
#include <evhttp.h>
#include <evrpc.h>
#include <evutil.h>

#define GREETING "hello from evhttp"

static int status;
static char body[64];

static void serve_hello(struct evhttp_request *req, void *arg)
{
	(void)arg;
	struct evbuffer *reply = evbuffer_new();
	evbuffer_add_printf(reply, "%s", GREETING);
	evhttp_send_reply(req, HTTP_OK, "OK", reply);
	evbuffer_free(reply);
}

static void on_response(struct evhttp_request *req, void *base)
{
	if (req) {
		status = evhttp_request_get_response_code(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		evbuffer_remove(in, body, sizeof body - 1);
	}
	event_base_loopexit(base, NULL);
}

static const char *serving_object(void *addr)
{
	Dl_info info;
	return dladdr(addr, &info) && info.dli_fname ? info.dli_fname : "(unknown)";
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct evhttp_bound_socket *bound = http ? evhttp_bind_socket_with_handle(http, "127.0.0.1", 0) : NULL;
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	if (!bound || evhttp_set_cb(http, "/hello", serve_hello, NULL) != 0 ||
	    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&addr, &len) != 0) {
		fprintf(stderr, "starting the server failed\n");
		return 1;
	}
	struct evhttp_connection *conn =
	    evhttp_connection_base_new(base, NULL, "127.0.0.1", ntohs(addr.sin_port));
	struct evhttp_request *req = evhttp_request_new(on_response, base);
	if (!conn || !req || evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/hello") != 0) {
		fprintf(stderr, "sending the request failed\n");
		return 1;
	}
	struct timeval limit = {10, 0};
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	evhttp_connection_free(conn);
	evhttp_free(http);
	event_base_free(base);
	printf("evhttp_new served by %s\n", serving_object((void *)evhttp_new));
	printf("event_base_new served by %s\n", serving_object((void *)event_base_new));
	if (status != HTTP_OK || strcmp(body, GREETING) != 0) {
		fprintf(stderr, "GET /hello gave status %d and '%s'\n", status, body);
		return 1;
	}
	printf("GET /hello: %d '%s'\n", status, body);
	return 0;
}
