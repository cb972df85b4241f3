/* Listener functions given bad arguments return upstream's error result (NULL or -1) with a
 * message through the log callback, never a crash: a NULL base (with no current base), a
 * negative or closed descriptor, a NULL or truncated address, a backlog of 0 for new_bind
 * (which would leave the socket not listening), NULL listeners. Upstream returns NULL for
 * most of these without a message, and crashes on NULL listeners: the messages and the NULL
 * checks are our hardening, as in bad_input.c. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "check.h"
#include "warnings.h"

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int socklen, void *arg)
{
	(void)lev; (void)addr; (void)socklen; (void)arg;
	close(fd);
}

int main(void)
{
	struct event_base *base;
	struct sockaddr_in sin;
	int fd;

	event_set_log_callback(log_cb);
	base = event_base_new();
	CHECK(base != NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	CHECK(evconnlistener_new(NULL, NULL, NULL, 0, -1, 0) == NULL && warned());
	CHECK(evconnlistener_new(base, NULL, NULL, 0, -1, -1) == NULL && warned());
	CHECK(evconnlistener_new(base, NULL, NULL, 0, 0, -1) == NULL && warned());
	fd = socket(AF_INET, SOCK_STREAM, 0);
	close(fd);
	CHECK(evconnlistener_new(base, NULL, NULL, 0, -1, fd) == NULL && warned());
	CHECK(evconnlistener_new(base, NULL, NULL, 0, 0, fd) == NULL && warned());
	CHECK(evconnlistener_new_bind(NULL, NULL, NULL, 0, -1, (struct sockaddr *)&sin, sizeof(sin)) == NULL && warned());
	CHECK(evconnlistener_new_bind(base, NULL, NULL, 0, -1, NULL, sizeof(sin)) == NULL && warned());
	CHECK(evconnlistener_new_bind(base, NULL, NULL, 0, -1, NULL, 0) == NULL && warned());
	CHECK(evconnlistener_new_bind(base, NULL, NULL, 0, -1, (struct sockaddr *)&sin, 1) == NULL && warned());
	CHECK(evconnlistener_new_bind(base, NULL, NULL, 0, -1, (struct sockaddr *)&sin, -5) == NULL && warned());
	CHECK(evconnlistener_new_bind(base, NULL, NULL, 0, 0, (struct sockaddr *)&sin, sizeof(sin)) == NULL && warned());
	CHECK(evconnlistener_enable(NULL) == -1 && warned());
	CHECK(evconnlistener_disable(NULL) == -1 && warned());
	CHECK(evconnlistener_get_fd(NULL) == -1 && warned());
	CHECK(evconnlistener_get_base(NULL) == NULL && warned());
	evconnlistener_set_cb(NULL, accept_cb, NULL);
	CHECK(warned());
	evconnlistener_set_error_cb(NULL, NULL);
	CHECK(warned());
	evconnlistener_free(NULL);
	CHECK(warned());

	/* A socket that is not a listening one is accepted by evconnlistener_new with backlog 0
	 * (upstream's regress listener/error relies on it); accept() then fails and is reported. */
	{
		int pair[2];
		struct evconnlistener *lev;
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
		lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 0, pair[0]);
		CHECK(lev != NULL);
		CHECK(write(pair[1], "x", 1) == 1);
		event_base_loop(base, EVLOOP_ONCE);
		/* No error callback: the failure is logged. */
		CHECK(warned());
		evconnlistener_free(lev);
		close(pair[1]);
	}
	event_base_free(base);
	CHECK_EXIT();
}
