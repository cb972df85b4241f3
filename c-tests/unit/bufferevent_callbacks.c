/* Bufferevent callbacks over a socketpair (no network): a callback may free its own
 * bufferevent (read, write and event callbacks, direct and deferred, with and without a lock
 * and UNLOCK_CALLBACKS); deferred callbacks run from the loop, not inside the call that caused
 * them; read watermarks bound what a read callback sees and a high watermark suspends reading. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>
#include "check.h"

static int freed;

static void free_in_readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
	freed++;
}

static void free_in_writecb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
	freed++;
}

static void free_in_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & BEV_EVENT_EOF) {
		bufferevent_free(bev);
		freed++;
	}
}

/* kind 0: read callback frees; 1: write callback; 2: event callback on EOF. */
static void free_from_callback(int kind, int options)
{
	struct event_base *base = event_base_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	evutil_make_socket_nonblocking(sv[0]);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], options | BEV_OPT_CLOSE_ON_FREE);
	CHECK(bev != NULL);
	freed = 0;
	switch (kind) {
	case 0:
		bufferevent_setcb(bev, free_in_readcb, NULL, NULL, NULL);
		bufferevent_enable(bev, EV_READ);
		CHECK(write(sv[1], "ping", 4) == 4);
		break;
	case 1:
		bufferevent_setcb(bev, NULL, free_in_writecb, NULL, NULL);
		bufferevent_write(bev, "pong", 4);
		break;
	default:
		bufferevent_setcb(bev, NULL, NULL, free_in_eventcb, NULL);
		bufferevent_enable(bev, EV_READ);
		shutdown(sv[1], SHUT_WR);
		break;
	}
	event_base_dispatch(base);
	CHECK(freed == 1);
	event_base_free(base);
	close(sv[1]);
}

static int reads, max_seen, min_seen;

static void wm_readcb(struct bufferevent *bev, void *arg)
{
	size_t n = evbuffer_get_length(bufferevent_get_input(bev));
	(void)arg;
	reads++;
	if ((int)n > max_seen)
		max_seen = (int)n;
	if (min_seen == 0 || (int)n < min_seen)
		min_seen = (int)n;
	evbuffer_drain(bufferevent_get_input(bev), n);
}

static void watermarks(void)
{
	struct event_base *base = event_base_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, wm_readcb, NULL, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 10, 20);
	bufferevent_enable(bev, EV_READ);
	char data[1000];
	memset(data, 'x', sizeof(data));
	CHECK(write(sv[1], data, sizeof(data)) == (ssize_t)sizeof(data));
	close(sv[1]);
	event_base_dispatch(base);
	CHECK(reads >= 50 && max_seen <= 20 && min_seen >= 10);
	bufferevent_free(bev);
	event_base_free(base);
}

static int deferred_reads;

static void count_readcb(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	deferred_reads++;
}

static void deferred(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(bev, count_readcb, NULL, NULL, NULL);
	bufferevent_trigger(bev, EV_READ, 0);
	CHECK(deferred_reads == 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(deferred_reads == 1);
	/* Triggered, then freed before the loop runs: the scheduled run calls nothing. */
	bufferevent_trigger(bev, EV_READ, 0);
	bufferevent_free(bev);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(deferred_reads == 1);
	event_base_free(base);
}

int main(void)
{
	const int variants[] = { 0, BEV_OPT_DEFER_CALLBACKS, BEV_OPT_THREADSAFE,
		BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS,
		BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS };
	evthread_use_pthreads();
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
		for (int kind = 0; kind < 3; kind++)
			free_from_callback(kind, variants[v]);
	watermarks();
	deferred();
	CHECK_EXIT();
}
