/* Listeners (event2/listener.h) on loopback: the accept callback and the peer address it gets,
 * the options that shape the sockets (CLOSE_ON_FREE, CLOSE_ON_EXEC, LEAVE_SOCKETS_BLOCKING,
 * REUSEABLE_PORT, DISABLED), enabling, disabling and freeing from inside the callback, a
 * callback set later, a threadsafe listener freed from another thread while the loop runs,
 * get_fd/get_base. Bad arguments are in listener_bad_input.c. Passes against upstream 2.1.12
 * too (LIBEVENT_UNDER_TEST=system). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include "check.h"
#include "loopback.h"
#include "warnings.h"

static struct evconnlistener *bind_loopback(struct event_base *base, evconnlistener_cb cb,
    void *arg, unsigned flags, unsigned short port)
{
	struct sockaddr_in sin = loopback(port);
	return evconnlistener_new_bind(base, cb, arg, flags, -1, (struct sockaddr *)&sin, sizeof(sin));
}

/* A client connected to the listener's port from 127.0.0.1; *local gets its own address. */
static int connect_client(struct evconnlistener *lev, struct sockaddr_in *local)
{
	struct sockaddr_in any = loopback(0), to = loopback(port_of(evconnlistener_get_fd(lev)));
	socklen_t len = sizeof(*local);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 ||
	    getsockname(fd, (struct sockaddr *)local, &len) != 0) {
		perror("connect_client");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Runs the loop for at most ms milliseconds (or until it has nothing left to do). */
static void run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* What the accept callback saw. */
struct accepted {
	int calls;
	int fd;
	struct sockaddr_in peer;
	int socklen;
	int nonblocking, cloexec;
	int free_listener; /* evconnlistener_free from inside the callback */
	int disable_listener;
};

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int socklen, void *arg)
{
	struct accepted *a = arg;
	a->calls++;
	a->socklen = socklen;
	if (socklen == sizeof(a->peer))
		memcpy(&a->peer, addr, sizeof(a->peer));
	a->nonblocking = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
	a->cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	if (a->disable_listener)
		CHECK(evconnlistener_disable(lev) == 0);
	if (a->free_listener)
		evconnlistener_free(lev);
}

static struct accepted fresh(void)
{
	struct accepted a;
	memset(&a, 0, sizeof(a));
	a.fd = -1;
	return a;
}

/* One connection accepted with the given options: the peer's address, the accepted socket's
 * flags (nonblocking unless LEAVE_SOCKETS_BLOCKING, close-on-exec with CLOSE_ON_EXEC, as the
 * listening socket), DEFERRED_ACCEPT waiting for the client's first byte, and that the
 * accepted socket is the server end of the client's connection. */
static void test_accept(struct event_base *base, unsigned flags)
{
	struct accepted a = fresh();
	struct evconnlistener *lev = bind_loopback(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE | flags, 0);
	struct sockaddr_in local;
	int client, lfd, cloexec = (flags & LEV_OPT_CLOSE_ON_EXEC) != 0;
	char c = 0;
	int n = -1, tries;

	CHECK(lev != NULL);
	if (!lev)
		return;
	lfd = evconnlistener_get_fd(lev);
	CHECK(evconnlistener_get_base(lev) == base);
	CHECK(lfd >= 0 && port_of(lfd) != 0);
	CHECK(((fcntl(lfd, F_GETFD) & FD_CLOEXEC) != 0) == cloexec);
	CHECK(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	client = connect_client(lev, &local);
	CHECK(client >= 0);
	if (flags & LEV_OPT_DEFERRED_ACCEPT) {
		/* Not accepted until the client has sent something. */
		run_for(base, 100);
		CHECK(a.calls == 0);
	}
	CHECK(write(client, "x", 1) == 1);
	run_for(base, 200);
	CHECK(a.calls == 1);
	CHECK(a.socklen == (int)sizeof(struct sockaddr_in));
	CHECK(a.peer.sin_family == AF_INET);
	CHECK(a.peer.sin_addr.s_addr == local.sin_addr.s_addr);
	CHECK(a.peer.sin_port == local.sin_port);
	CHECK(a.nonblocking == !(flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING));
	CHECK(a.cloexec == cloexec);
	for (tries = 0; tries < 100 && n != 1; tries++) {
		n = (int)read(a.fd, &c, 1);
		if (n != 1)
			usleep(1000);
	}
	CHECK(n == 1 && c == 'x');
	close(client);
	close(a.fd);
	evconnlistener_free(lev);
}

static void test_disabled_then_enable(struct event_base *base)
{
	struct accepted a = fresh();
	struct evconnlistener *lev = bind_loopback(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, 0);
	struct sockaddr_in local;
	int client;

	CHECK(lev != NULL);
	if (!lev)
		return;
	client = connect_client(lev, &local);
	run_for(base, 100);
	CHECK(a.calls == 0);
	CHECK(evconnlistener_enable(lev) == 0);
	run_for(base, 200);
	CHECK(a.calls == 1);
	/* Disabled from its own callback: the second connection waits. */
	a.disable_listener = 1;
	close(client);
	client = connect_client(lev, &local);
	{
		int client2 = connect_client(lev, &local);
		run_for(base, 200);
		CHECK(a.calls == 2);
		a.disable_listener = 0;
		CHECK(evconnlistener_enable(lev) == 0);
		run_for(base, 200);
		CHECK(a.calls == 3);
		close(client2);
	}
	close(client);
	close(a.fd);
	evconnlistener_free(lev);
}

static void test_set_cb_later(struct event_base *base)
{
	struct accepted a = fresh();
	struct evconnlistener *lev = bind_loopback(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, 0);
	struct sockaddr_in local;
	int client;

	CHECK(lev != NULL);
	if (!lev)
		return;
	client = connect_client(lev, &local);
	/* No callback: the listener is idle and the connection waits in the backlog. */
	run_for(base, 100);
	evconnlistener_set_cb(lev, accept_cb, &a);
	run_for(base, 200);
	CHECK(a.calls == 1);
	CHECK(a.peer.sin_port == local.sin_port);
	close(client);
	close(a.fd);
	evconnlistener_free(lev);
}

static void test_free_inside_callback(struct event_base *base)
{
	struct accepted a = fresh();
	struct evconnlistener *lev = bind_loopback(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, 0);
	struct sockaddr_in local;
	int client, client2, lfd;

	CHECK(lev != NULL);
	if (!lev)
		return;
	lfd = evconnlistener_get_fd(lev);
	a.free_listener = 1;
	client = connect_client(lev, &local);
	client2 = connect_client(lev, &local);
	/* The loop ends by itself: the listener was its only event. */
	CHECK(event_base_dispatch(base) == 1);
	/* Freed after the first connection, so the second was never accepted. */
	CHECK(a.calls == 1);
	CHECK(!is_open(lfd));
	close(client);
	close(client2);
	close(a.fd);
}

static void test_close_on_free(struct event_base *base)
{
	struct evconnlistener *lev = bind_loopback(base, NULL, NULL, 0, 0);
	int fd;

	CHECK(lev != NULL);
	if (!lev)
		return;
	fd = evconnlistener_get_fd(lev);
	evconnlistener_free(lev);
	CHECK(is_open(fd)); /* without LEV_OPT_CLOSE_ON_FREE the socket is the caller's */
	/* evconnlistener_new on a socket the caller made: free leaves it open too. */
	lev = evconnlistener_new(base, NULL, NULL, 0, 0, fd);
	CHECK(lev != NULL && evconnlistener_get_fd(lev) == fd);
	evconnlistener_free(lev);
	CHECK(is_open(fd));
	lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	CHECK(lev != NULL);
	evconnlistener_free(lev);
	CHECK(!is_open(fd));
}

static void test_reuseable_port(struct event_base *base)
{
	struct evconnlistener *a, *b, *c;
	unsigned short port;

	a = bind_loopback(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, 0);
	CHECK(a != NULL);
	if (!a)
		return;
	port = port_of(evconnlistener_get_fd(a));
	b = bind_loopback(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, port);
	CHECK(b != NULL);
	CHECK(b && port_of(evconnlistener_get_fd(b)) == port);
	/* Without the option the port is taken. */
	c = bind_loopback(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, port);
	CHECK(c == NULL && errno == EADDRINUSE);
	if (b)
		evconnlistener_free(b);
	evconnlistener_free(a);
}

/* A threadsafe listener freed by another thread while the loop runs in this one. */
struct threaded {
	struct event_base *base;
	struct evconnlistener *lev;
	struct accepted a;
	pthread_mutex_t mu;
	int client;
};

static void threaded_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int socklen, void *arg)
{
	struct threaded *t = arg;
	pthread_mutex_lock(&t->mu);
	accept_cb(lev, fd, addr, socklen, &t->a);
	pthread_mutex_unlock(&t->mu);
}

static void *freeing_thread(void *arg)
{
	struct threaded *t = arg;
	struct sockaddr_in local;
	int i, calls = 0;
	t->client = connect_client(t->lev, &local);
	for (i = 0; i < 2000 && calls == 0; i++) {
		usleep(1000);
		pthread_mutex_lock(&t->mu);
		calls = t->a.calls;
		pthread_mutex_unlock(&t->mu);
	}
	CHECK(evconnlistener_disable(t->lev) == 0);
	evconnlistener_free(t->lev);
	event_base_loopbreak(t->base);
	return NULL;
}

static void test_threadsafe_free_from_other_thread(void)
{
	struct threaded t;
	pthread_t th;
	struct timeval limit = { 5, 0 };

	memset(&t, 0, sizeof(t));
	t.a = fresh();
	pthread_mutex_init(&t.mu, NULL);
	t.base = event_base_new();
	t.lev = bind_loopback(t.base, threaded_accept_cb, &t, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE, 0);
	CHECK(t.lev != NULL);
	if (!t.lev)
		return;
	pthread_create(&th, NULL, freeing_thread, &t);
	event_base_loopexit(t.base, &limit);
	event_base_loop(t.base, EVLOOP_NO_EXIT_ON_EMPTY);
	pthread_join(th, NULL);
	CHECK(t.a.calls == 1);
	close(t.client);
	close(t.a.fd);
	event_base_free(t.base);
	pthread_mutex_destroy(&t.mu);
}

int main(void)
{
	struct event_base *base;

	event_set_log_callback(log_cb);
	CHECK(evthread_use_pthreads() == 0);
	base = event_base_new();
	CHECK(base != NULL);
	test_accept(base, LEV_OPT_REUSEABLE);
	test_accept(base, LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_LEAVE_SOCKETS_BLOCKING | LEV_OPT_DEFERRED_ACCEPT);
	test_disabled_then_enable(base);
	test_set_cb_later(base);
	test_free_inside_callback(base);
	test_close_on_free(base);
	test_reuseable_port(base);
	event_base_free(base);
	test_threadsafe_free_from_other_thread();
	CHECK(warnings == 0);
	CHECK_EXIT();
}
