/* Output added inside a socket bufferevent's callback goes out when that callback returns,
 * before the loop runs the next callback (src/bufferevent/write_soon.rs), and only then: not
 * when the program freed the bufferevent or disabled writing before returning, not for a
 * bufferevent of another base (its loop writes it), and nothing changes for callbacks that are
 * not a socket bufferevent's. Without threads and with BEV_OPT_THREADSAFE.
 *
 * Upstream 2.1.12 writes such output from the loop's next turn, after the other callbacks:
 * under LIBEVENT_UNDER_TEST=system the first check of written_before_next_callback fails by
 * design (twice: both variants); every other check holds there too. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>
#include "check.h"

enum after_write { KEEP, FREE, DISABLE };

struct scene {
	struct event_base *base, *other_base;
	int in[2];   /* the peer writes in[1]; `reader` reads in[0] */
	int out[2];  /* `writer` writes out[0]; its peer reads out[1] */
	int tick[2]; /* an fd for `next`, a plain event run right after reader's callback */
	struct bufferevent *reader, *writer;
	struct event *next;
	enum after_write after;
	int next_saw;  /* bytes at the writer's peer when `next` ran, -1 before it ran */
};

static int waiting(int fd)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && errno == EAGAIN ? 0 : (int)n;
}

static void reader_readcb(struct bufferevent *bev, void *arg)
{
	struct scene *s = arg;
	int before = waiting(s->out[1]);
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
	/* Made active first: the loop runs it before anything activated later in this turn. */
	event_active(s->next, EV_READ, 1);
	CHECK(bufferevent_write(s->writer, "reply", 5) == 0);
	if (s->after == FREE) {
		bufferevent_free(s->writer);
		s->writer = NULL;
	} else if (s->after == DISABLE) {
		bufferevent_disable(s->writer, EV_WRITE);
	}
	CHECK(waiting(s->out[1]) == before); /* not inside the callback */
}

static void next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scene *s = arg;
	(void)fd; (void)what;
	s->next_saw = waiting(s->out[1]);
}

static void setup(struct scene *s, int options, int writer_on_other_base)
{
	memset(s, 0, sizeof(*s));
	s->base = event_base_new();
	s->other_base = event_base_new();
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s->in) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s->out) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s->tick) == 0);
	evutil_make_socket_nonblocking(s->in[0]);
	evutil_make_socket_nonblocking(s->out[0]);
	s->reader = bufferevent_socket_new(s->base, s->in[0], options | BEV_OPT_CLOSE_ON_FREE);
	s->writer = bufferevent_socket_new(writer_on_other_base ? s->other_base : s->base, s->out[0],
	    options | BEV_OPT_CLOSE_ON_FREE);
	CHECK(s->reader && s->writer);
	bufferevent_setcb(s->reader, reader_readcb, NULL, NULL, s);
	bufferevent_enable(s->reader, EV_READ);
	s->next = event_new(s->base, s->tick[0], EV_READ, next_cb, s);
	s->next_saw = -1;
	CHECK(write(s->in[1], "ping", 4) == 4);
}

static void teardown(struct scene *s)
{
	bufferevent_free(s->reader);
	if (s->writer)
		bufferevent_free(s->writer);
	event_free(s->next);
	event_base_free(s->base);
	event_base_free(s->other_base);
	close(s->in[1]);
	close(s->out[1]);
	close(s->tick[0]);
	close(s->tick[1]);
}

/* One turn of the loop with the peer's "ping" waiting for `reader`, then one more. */
static void run(struct scene *s, int options, int writer_on_other_base, enum after_write after)
{
	setup(s, options, writer_on_other_base);
	s->after = after;
	event_base_loop(s->base, EVLOOP_ONCE);
	event_base_loop(s->base, EVLOOP_NONBLOCK);
}

static void written_before_next_callback(int options)
{
	struct scene s;
	run(&s, options, 0, KEEP);
	CHECK(s.next_saw == 5);
	CHECK(waiting(s.out[1]) == 5);
	teardown(&s);
}

static void freed_writes_nothing(int options)
{
	struct scene s;
	run(&s, options, 0, FREE);
	CHECK(s.next_saw == 0);
	/* Closed with its output unsent, as upstream's bufferevent_free does. */
	char buf[8];
	CHECK(recv(s.out[1], buf, sizeof(buf), MSG_DONTWAIT) == 0);
	teardown(&s);
}

static void disabled_waits_for_enable(int options)
{
	struct scene s;
	run(&s, options, 0, DISABLE);
	CHECK(s.next_saw == 0);
	CHECK(waiting(s.out[1]) == 0);
	bufferevent_enable(s.writer, EV_WRITE);
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	CHECK(waiting(s.out[1]) == 5);
	teardown(&s);
}

static void other_base_writes_from_its_loop(int options)
{
	struct scene s;
	run(&s, options, 1, KEEP);
	CHECK(s.next_saw == 0);
	CHECK(waiting(s.out[1]) == 0);
	event_base_loop(s.other_base, EVLOOP_NONBLOCK);
	CHECK(waiting(s.out[1]) == 5);
	teardown(&s);
}

/* Outside a socket bufferevent's callback (here: before the loop runs) the loop writes, in
 * its first turn. */
static void outside_callbacks_the_loop_writes(void)
{
	struct scene s;
	setup(&s, 0, 0);
	CHECK(bufferevent_write(s.writer, "early", 5) == 0);
	CHECK(waiting(s.out[1]) == 0);
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	CHECK(waiting(s.out[1]) >= 5);
	teardown(&s);
}

int main(void)
{
	const int variants[] = { 0, BEV_OPT_THREADSAFE };
	evthread_use_pthreads();
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		written_before_next_callback(variants[v]);
		freed_writes_nothing(variants[v]);
		disabled_waits_for_enable(variants[v]);
		other_base_writes_from_its_loop(variants[v]);
	}
	outside_callbacks_the_loop_writes();
	CHECK_EXIT();
}
