/* A listener that cannot accept because the process has no descriptor left (EMFILE) must not
 * spin: it reports the error through the error callback, then stops accepting for a short
 * pause (100 ms, doubling) instead of failing again at once, forever. Over ~300 ms that is a
 * handful of error callbacks, where a busy loop makes thousands. Once a descriptor is free,
 * the next try accepts the connection that waited. Loopback only. Against upstream 2.1.12
 * (LIBEVENT_UNDER_TEST=system) this test fails by design: it spins, with some 370 000 error
 * callbacks in the 300 ms on this machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "check.h"

#define MAX_FILLERS 256

static int errors, emfile_seen, accepted = -1;

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int socklen, void *arg)
{
	(void)lev; (void)addr; (void)socklen;
	accepted = fd;
	event_base_loopbreak(arg);
}

static void error_cb(struct evconnlistener *lev, void *arg)
{
	(void)lev; (void)arg;
	errors++;
	if (EVUTIL_SOCKET_ERROR() == EMFILE)
		emfile_seen++;
}

static void give_up(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	event_base_loopbreak(arg);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin, to;
	socklen_t len = sizeof(to);
	struct evconnlistener *lev;
	struct rlimit rl;
	struct timeval window = { 0, 300000 }, limit = { 5, 0 };
	struct event *timeout;
	int fillers[MAX_FILLERS], nfillers = 0, client, errors_in_window;

	CHECK(base != NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, base, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	CHECK(lev != NULL);
	if (!lev)
		CHECK_EXIT();
	evconnlistener_set_error_cb(lev, error_cb);
	timeout = evtimer_new(base, give_up, base);

	/* The client's connection completes in the backlog: no accept() is needed for that. */
	CHECK(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&to, &len) == 0);
	client = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(client >= 0 && connect(client, (struct sockaddr *)&to, sizeof(to)) == 0);

	/* A small descriptor table, filled to the last slot. */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = (rlim_t)(client + 1 + MAX_FILLERS / 2);
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (nfillers < MAX_FILLERS) {
		int fd = dup(0);
		if (fd < 0)
			break;
		fillers[nfillers++] = fd;
	}
	CHECK(nfillers < MAX_FILLERS && errno == EMFILE);

	evtimer_add(timeout, &window);
	event_base_dispatch(base);
	errors_in_window = errors;
	fprintf(stderr, "error callbacks in 300 ms with no descriptor free: %d\n", errors_in_window);
	CHECK(errors_in_window >= 1);
	CHECK(errors_in_window <= 10);
	CHECK(emfile_seen == errors);
	CHECK(accepted == -1);

	/* Descriptors come free: the next try after the pause accepts the waiting connection.
	 * Two, because accept() fails with EMFILE whenever the table is full, even with no
	 * connection pending, and the listener tries once more after each accepted one. */
	close(fillers[--nfillers]);
	close(fillers[--nfillers]);
	evtimer_add(timeout, &limit);
	event_base_dispatch(base);
	CHECK(accepted >= 0);
	CHECK(errors == errors_in_window);

	while (nfillers > 0)
		close(fillers[--nfillers]);
	if (accepted >= 0)
		close(accepted);
	close(client);
	event_free(timeout);
	evconnlistener_free(lev);
	event_base_free(base);
	CHECK_EXIT();
}
