/* Built by c-tests/install-test.sh with `pkg-config --cflags --libs libevent_core
 * libevent_pthreads` against an installed prefix: turns on pthreads locking, runs a timer and a
 * cross-thread event_active() through a loop, and prints which shared object serves the calls
 * (dladdr) so that the test can tell the installed libevent_rs.so from any other libevent. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/thread.h>

static int fired;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	if (what & EV_TIMEOUT)
		fired |= 1;
}

static void on_activated(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	if (what & EV_READ)
		fired |= 2;
}

static void *activate_from_thread(void *ev)
{
	event_active(ev, EV_READ, 0);
	return NULL;
}

/* The file that defines the function at addr: what the dynamic linker bound the call to. */
static const char *serving_object(void *addr)
{
	Dl_info info;
	return dladdr(addr, &info) && info.dli_fname ? info.dli_fname : "(unknown)";
}

int main(void)
{
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "evthread_use_pthreads failed\n");
		return 1;
	}
	struct event_base *base = event_base_new();
	struct timeval ten_ms = {0, 10000};
	struct event *timer = evtimer_new(base, on_timer, NULL);
	struct event *woken = event_new(base, -1, 0, on_activated, NULL);
	pthread_t thread;
	if (!base || !timer || !woken || evtimer_add(timer, &ten_ms) != 0 ||
	    pthread_create(&thread, NULL, activate_from_thread, woken) != 0) {
		fprintf(stderr, "setting up the loop failed\n");
		return 1;
	}
	pthread_join(thread, NULL);
	event_base_dispatch(base);
	event_free(timer);
	event_free(woken);
	event_base_free(base);
	printf("event_base_new served by %s\n", serving_object((void *)event_base_new));
	printf("evthread_use_pthreads served by %s\n", serving_object((void *)evthread_use_pthreads));
	if (fired != 3) {
		fprintf(stderr, "the loop ran %s\n", fired & 1 ? "the timer but not the activated event" :
		        "no timer");
		return 1;
	}
	printf("libevent %s: a timer and a cross-thread event_active ran\n", event_get_version());
	return 0;
}
