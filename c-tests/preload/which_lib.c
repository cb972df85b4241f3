/* A program built the ordinary way against the system's libevent (headers from libevent-dev,
 * linked with -levent), used unchanged to check that LD_PRELOAD or our compatibility file names
 * make the dynamic loader serve libevent's functions from libevent_rs.so instead.
 *
 * Prints, for a few functions, the shared object that serves them ("<name> served by <path>"),
 * then runs a timer through a real loop; exits 0 only if the loop worked. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <event2/event.h>
#include <event2/thread.h>

static void report(const char *name, void *address)
{
	Dl_info info;
	char *path = NULL;

	if (dladdr(address, &info) && info.dli_fname)
		path = realpath(info.dli_fname, NULL);
	/* realpath resolves the compatibility symlinks to the file really loaded. */
	printf("%s served by %s\n", name, path ? path : "(unknown)");
	free(path);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	int *fired = arg;

	(void)fd;
	(void)what;
	++*fired;
}

int main(void)
{
	/* Built as PIE, so these are the functions' real addresses (through the GOT), not PLT slots
	 * inside this program. */
	report("event_base_new", (void *)event_base_new);
	report("event_get_version", (void *)event_get_version);
	report("evthread_use_pthreads", (void *)evthread_use_pthreads);

	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "evthread_use_pthreads failed\n");
		return 1;
	}
	struct event_base *base = event_base_new();
	if (!base) {
		fprintf(stderr, "event_base_new failed\n");
		return 1;
	}
	int fired = 0;
	struct event *timer = evtimer_new(base, on_timer, &fired);
	struct timeval ten_ms = {0, 10000};
	if (!timer || evtimer_add(timer, &ten_ms) != 0) {
		fprintf(stderr, "could not add a timer\n");
		return 1;
	}
	int rc = event_base_dispatch(base);
	printf("version %s, method %s, dispatch returned %d, timer fired %d time(s)\n",
	    event_get_version(), event_base_get_method(base), rc, fired);
	event_free(timer);
	event_base_free(base);
	/* dispatch returns 1 when it stops because no events are left, as here. */
	return (rc == 0 || rc == 1) && fired == 1 ? 0 : 1;
}
