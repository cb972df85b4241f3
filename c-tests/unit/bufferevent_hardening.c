/* Bufferevents given bad or hostile input: upstream's error result with a log message, never a
 * crash or a write past a field.
 * - NULL bufferevents and arguments, getwatermark of both directions, a flush mode outside the
 *   enum;
 * - CVE-2026-63388: an AF_UNIX peer (110 bytes) stored through
 *   bufferevent_socket_set_conn_address_ is cut to the field's 28 bytes (sockaddr_in6);
 * - upstream issue 1842: an evbuffer referencing a bufferevent's output (add_buffer_reference
 *   holds a reference on it) outlives the bufferevent, then drains and frees it, which locks the
 *   bufferevent's lock: that lock must still exist (run with lock debugging, which checks every
 *   lock operation);
 * - a filter returning a value outside enum bufferevent_filter_result is treated as BEV_ERROR;
 * - bufferevent_free twice in debug mode is reported, not a use of freed memory. */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>
#include "check.h"
#include "warnings.h"

/* Internal helpers upstream exports (bufferevent-internal.h). */
void bufferevent_socket_set_conn_address_(struct bufferevent *bev, struct sockaddr *addr, size_t addrlen);
const struct sockaddr *bufferevent_socket_get_conn_address_(struct bufferevent *bev);

static void null_input(void)
{
	size_t lo, hi;
	CHECK(bufferevent_enable(NULL, EV_READ) == -1 && warned());
	CHECK(bufferevent_disable(NULL, EV_READ) == -1 && warned());
	CHECK(bufferevent_write(NULL, "x", 1) == -1 && warned());
	CHECK(bufferevent_read(NULL, &lo, 1) == 0 && warned());
	CHECK(bufferevent_get_input(NULL) == NULL && warned());
	CHECK(bufferevent_getfd(NULL) == -1 && warned());
	CHECK(bufferevent_socket_connect(NULL, NULL, 0) == -1 && warned());
	CHECK(bufferevent_pair_new(NULL, 0, NULL) == -1 && warned());
	CHECK(bufferevent_filter_new(NULL, NULL, NULL, 0, NULL, NULL) == NULL && warned());
	CHECK(bufferevent_rate_limit_group_new(NULL, NULL) == NULL && warned());
	bufferevent_free(NULL);
	CHECK(warned());

	struct event_base *base = event_base_new();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	CHECK(bev != NULL);
	CHECK(bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi) == -1 && warned());
	CHECK(bufferevent_getwatermark(bev, EV_READ, NULL, NULL) == 0);
	CHECK(bufferevent_flush(bev, EV_WRITE, (enum bufferevent_flush_mode)77) == -1 && warned());
	CHECK(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, NULL, 80) == -1 && warned());
	CHECK(bufferevent_socket_connect_hostname(bev, NULL, 12345, "localhost", 80) == -1 && warned());
	CHECK(bufferevent_decrement_read_limit(bev, 10) == -1 && warned());
	CHECK(bufferevent_priority_set(bev, 1000) == -1);
	bufferevent_free(bev);
	event_base_free(base);
}

static void unix_peer_address(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	struct sockaddr_un sun;
	memset(&sun, 'A', sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(sizeof(sun) == 110);
	bufferevent_socket_set_conn_address_(bev, (struct sockaddr *)&sun, sizeof(sun));
	const struct sockaddr *sa = bufferevent_socket_get_conn_address_(bev);
	CHECK(sa != NULL && sa->sa_family == AF_UNIX);
	/* The bufferevent is intact after the store: its callbacks and settings still work. */
	bufferevent_setwatermark(bev, EV_READ, 3, 9);
	size_t lo = 0, hi = 0;
	CHECK(bufferevent_getwatermark(bev, EV_READ, &lo, &hi) == 0 && lo == 3 && hi == 9);
	CHECK(bufferevent_get_max_single_read(bev) == 1048576); /* our defaults (core.rs MAX_SINGLE_READ_DEFAULT) */
	CHECK(bufferevent_get_max_single_write(bev) == 262144);
	bufferevent_free(bev);
	event_base_free(base);
}

static void buffer_outlives_bufferevent(void)
{
	struct event_base *base = event_base_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
	CHECK(bev != NULL);
	bufferevent_disable(bev, EV_WRITE);
	CHECK(bufferevent_write(bev, "hello world", 11) == 0);
	struct evbuffer *other = evbuffer_new();
	CHECK(evbuffer_add_buffer_reference(other, bufferevent_get_output(bev)) == 0);
	bufferevent_free(bev);
	/* Run the finalizers: the bufferevent is gone, its output lives on in `other`. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(evbuffer_get_length(other) == 11);
	char buf[16];
	CHECK(evbuffer_remove(other, buf, sizeof(buf)) == 11 && memcmp(buf, "hello world", 11) == 0);
	evbuffer_free(other);
	event_base_free(base);
	close(sv[1]);
}

static int garbage_calls;

static enum bufferevent_filter_result garbage_filter(struct evbuffer *src, struct evbuffer *dst,
    ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
	(void)src; (void)dst; (void)lim; (void)mode; (void)ctx;
	garbage_calls++;
	return (enum bufferevent_filter_result)1234;
}

static void filter_garbage(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	CHECK(bufferevent_pair_new(base, 0, pair) == 0);
	struct bufferevent *f = bufferevent_filter_new(pair[0], NULL, garbage_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	CHECK(f != NULL);
	bufferevent_enable(pair[1], EV_READ);
	CHECK(bufferevent_write(f, "data", 4) == 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* Called once, stopped at the error, reported, nothing passed through. */
	CHECK(garbage_calls == 1 && warned());
	CHECK(evbuffer_get_length(bufferevent_get_input(pair[1])) == 0);
	bufferevent_free(f);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void double_free_in_debug_mode(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	bufferevent_free(bev);
	CHECK(!warned());
	bufferevent_free(bev);
	CHECK(warned());
	event_base_free(base);
}

int main(void)
{
	event_set_log_callback(log_cb);
	event_enable_debug_mode();
	evthread_use_pthreads();
	evthread_enable_lock_debugging();
	null_input();
	unix_peer_address();
	buffer_outlives_bufferevent();
	filter_garbage();
	double_free_in_debug_mode();
	CHECK_EXIT();
}
