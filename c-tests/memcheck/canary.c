/* The memcheck mode's self-test: this program makes the library under test touch memory it must
 * not, in the two ways memcheck reports most often, so that a run proves valgrind is really
 * watching the library and that c-tests/valgrind.supp does not hide errors inside it.
 *
 *   1. a read of a freed struct event (event_get_fd after event_free): "Invalid read";
 *   2. a timeout whose fields were never written, which event_add must look at:
 *      "Conditional jump or move depends on uninitialised value(s)".
 *
 * Both are the caller's fault, deliberately; the point is that memcheck sees them inside the
 * library's own code. Never run outside the memcheck mode: reading freed memory is undefined
 * behaviour. Exit status 0 (the harness judges valgrind's report, not the result). */
#include <stdlib.h>
#include <sys/time.h>
#include <event2/event.h>

static void never_called(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct event *ev;
	struct timeval *tv;

	if (!base)
		return 1;

	ev = event_new(base, -1, 0, never_called, NULL);
	if (!ev)
		return 1;
	event_free(ev);
	/* 1: the library reads ev->ev_fd from freed memory. */
	(void)event_get_fd(ev);

	ev = event_new(base, -1, 0, never_called, NULL);
	/* malloc'd and never written: memcheck knows these bytes are undefined. */
	tv = malloc(sizeof(*tv));
	if (!ev || !tv)
		return 1;
	/* 2: the library decides what to do from tv's fields. */
	event_add(ev, tv);
	event_free(ev);
	free(tv);
	event_base_free(base);
	return 0;
}
