/* evbuffer locking, reference counts and deferred callbacks, which upstream's evbuffer tests
 * leave to its bufferevent tests: evbuffer_enable_locking with a lock of its own, two threads
 * adding to one buffer, evbuffer_lock/unlock holding others off, the internal reference
 * counting bufferevents use (evbuffer_incref_and_lock_ / evbuffer_decref_and_unlock_, declared
 * here as upstream's evbuffer-internal.h does), and callbacks deferred to a base's loop. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "check.h"

void evbuffer_incref_and_lock_(struct evbuffer *buf);
void evbuffer_decref_and_unlock_(struct evbuffer *buf);

#define ADDS_PER_THREAD 20000

static void *adder(void *arg)
{
	struct evbuffer *b = arg;
	int i;
	for (i = 0; i < ADDS_PER_THREAD; i++)
		evbuffer_add(b, "0123456789", 10);
	return NULL;
}

/* Held by the main thread while the other thread tries to add: the add must wait. */
static volatile int added_while_locked;
static void *locked_adder(void *arg)
{
	evbuffer_add(arg, "x", 1);
	added_while_locked = 1;
	return NULL;
}

static int calls;
static struct evbuffer_cb_info last_info;
static void count_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	(void)arg;
	calls++;
	last_info = *info;
}

static void locking(void)
{
	struct evbuffer *b = evbuffer_new();
	pthread_t t1, t2;
	size_t i, len;
	unsigned char *p;

	CHECK(evbuffer_enable_locking(b, NULL) == 0);
	CHECK(evbuffer_enable_locking(b, NULL) == -1); /* already has a lock */

	pthread_create(&t1, NULL, adder, b);
	pthread_create(&t2, NULL, adder, b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	len = evbuffer_get_length(b);
	CHECK(len == 2 * ADDS_PER_THREAD * 10);
	p = evbuffer_pullup(b, -1);
	for (i = 0; p && i < len; i += 10)
		if (memcmp(p + i, "0123456789", 10) != 0)
			break;
	CHECK(p && i == len);

	evbuffer_lock(b);
	pthread_create(&t1, NULL, locked_adder, b);
	usleep(50000);
	CHECK(!added_while_locked);
	CHECK(evbuffer_get_length(b) == len); /* the lock is recursive */
	evbuffer_unlock(b);
	pthread_join(t1, NULL);
	CHECK(added_while_locked && evbuffer_get_length(b) == len + 1);

	/* A reference taken the bufferevent way keeps the buffer alive past evbuffer_free. */
	evbuffer_incref_and_lock_(b);
	evbuffer_unlock(b);
	evbuffer_free(b);
	CHECK(evbuffer_get_length(b) == len + 1);
	evbuffer_lock(b);
	evbuffer_decref_and_unlock_(b);
}

static void deferred(void)
{
	struct event_base *base = event_base_new();
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_cb_entry *e;

	CHECK(evbuffer_defer_callbacks(b, base) == 0);
	e = evbuffer_add_cb(b, count_cb, NULL);
	CHECK(e != NULL);
	evbuffer_add(b, "hello", 5);
	evbuffer_add(b, " world", 6);
	evbuffer_drain(b, 2);
	CHECK(calls == 0); /* nothing runs until the loop does */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(calls == 1);
	CHECK(last_info.orig_size == 0 && last_info.n_added == 11 && last_info.n_deleted == 2);

	/* A buffer freed by its user while a run is queued lives until the run. */
	evbuffer_add(b, "!", 1);
	evbuffer_free(b);
	CHECK(calls == 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(calls == 2 && last_info.orig_size == 9 && last_info.n_added == 1);

	/* Disabled callbacks do not run, and nothing is queued for them. */
	b = evbuffer_new();
	evbuffer_defer_callbacks(b, base);
	e = evbuffer_add_cb(b, count_cb, NULL);
	evbuffer_cb_clear_flags(b, e, EVBUFFER_CB_ENABLED);
	evbuffer_add(b, "x", 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(calls == 2);
	evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED);
	evbuffer_add(b, "y", 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(calls == 3 && last_info.n_added == 1); /* the disabled run consumed "x" */
	evbuffer_free(b);
	event_base_free(base);
}

int main(void)
{
	CHECK(evthread_use_pthreads() == 0);
	locking();
	deferred();
	CHECK_EXIT();
}
