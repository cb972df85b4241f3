/* What callbacks see of the other events that became ready in the same loop iteration: which
 * run, in which order, with which result bits, and what the base reports meanwhile. Upstream
 * marks all of them active before the first callback runs; libevent_rs may run them straight
 * from the backend's result (src/base/ready.rs) and must not differ in anything a program can
 * observe. Every scenario runs on epoll in its three modes and compares a trace with the one
 * upstream produces (checked with LIBEVENT_UNDER_TEST=system). poll and select are left out:
 * upstream starts their scan at a random fd, so its order is not fixed there. All of it runs
 * on bases without a lock, then with evthread_use_pthreads() (bases with one); scenarios 0-9
 * also run with an idle event on fd BIG_FD, which makes the fd table large enough for the
 * loop to prefetch what it looks up (the marks of 10-11 would count that event too). */
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include "check.h"

#define NPIPES 3

static struct event_base *base;
static int fds[NPIPES][2];
static int xfds[2]; /* readable from the start, watched only once A asks (scenario 7) */
static struct event *ev[NPIPES]; /* A, B, C: readers of pipes 0, 1, 2 */
static struct event *extra, *timer;
static char trace[512];
static int scenario;
#define BIG_FD 4200 /* above the 4096 slots where prefetching starts (src/evmap.rs) */
static int big_fd = -1; /* BIG_FD once the large-table pass runs */

static void note(const char *fmt, int value)
{
	char item[64];
	snprintf(item, sizeof(item), fmt, value);
	strncat(trace, item, sizeof(trace) - strlen(trace) - 1);
}

static void drain(evutil_socket_t fd)
{
	char buf[16];
	if (read(fd, buf, sizeof(buf)) < 0)
		note("read-failed ", 0);
}

/* The high-water marks count every ready event as active at once, before the first callback. */
static void note_maxima(void)
{
	note("max-active=%d ", event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0));
	note("max-added=%d ", event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0));
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	note("T:%d ", what);
}

static void extra_cb(evutil_socket_t fd, short what, void *arg)
{
	drain(fd);
	note("X:%d ", what);
}

static void reader_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(intptr_t)arg;
	drain(fd);
	note("%c", 'A' + i);
	note(":%d ", what);
	if (i != 0)
		return;
	/* What A does to the others, by scenario. */
	switch (scenario) {
	case 1:
		event_del(ev[1]);
		break;
	case 2:
		note("active=%d ", event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE));
		note("pending=%d ", event_pending(ev[1], EV_READ, NULL));
		break;
	case 3:
		event_base_loopbreak(base);
		break;
	case 4:
		event_active(timer, EV_TIMEOUT, 1);
		break;
	case 5:
		note("prio=%d ", event_priority_set(ev[2], 0));
		break;
	case 6:
		event_active(ev[1], EV_WRITE, 1);
		break;
	case 7:
		/* A new reader of a readable pipe: not watched when the backend reported, so it waits
		 * for the next iteration. */
		extra = event_new(base, xfds[0], EV_READ | EV_PERSIST, extra_cb, NULL);
		event_add(extra, NULL);
		break;
	case 8:
		note("self-pending=%d ", event_pending(ev[0], EV_READ, NULL));
		break;
	case 9:
		event_free(ev[2]);
		ev[2] = NULL;
		break;
	case 11:
		note_maxima();
		break;
	}
}

/* One iteration with all pipes readable; returns the trace. */
static const char *run(int base_flags, int which, int one_shot_a, int with_timer)
{
	struct event_config *cfg = event_config_new();
	struct event *big = NULL;
	int i;

	event_config_avoid_method(cfg, "poll");
	event_config_avoid_method(cfg, "select");
	event_config_set_flag(cfg, base_flags);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	CHECK(base != NULL);
	CHECK(!strncmp(event_base_get_method(base), "epoll", 5));
	scenario = which;
	trace[0] = '\0';
	extra = NULL;

	if (big_fd >= 0) {
		big = event_new(base, big_fd, EV_READ | EV_PERSIST, extra_cb, NULL);
		event_add(big, NULL);
	}
	for (i = 0; i < NPIPES; i++) {
		short flags = (i == 0 && one_shot_a) ? EV_READ : EV_READ | EV_PERSIST;
		CHECK(pipe(fds[i]) == 0);
		ev[i] = event_new(base, fds[i][0], flags, reader_cb, (void *)(intptr_t)i);
		event_add(ev[i], NULL);
	}
	timer = evtimer_new(base, timer_cb, NULL);
	if (with_timer) {
		struct timeval zero = {0, 0};
		evtimer_add(timer, &zero);
	}
	CHECK(pipe(xfds) == 0);
	for (i = 0; i < NPIPES; i++)
		CHECK(write(fds[i][1], "x", 1) == 1);
	CHECK(write(xfds[1], "x", 1) == 1);

	event_base_loop(base, EVLOOP_ONCE);
	note("| ", 0);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (which >= 10)
		note_maxima();

	for (i = 0; i < NPIPES; i++) {
		if (ev[i])
			event_free(ev[i]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
	if (extra)
		event_free(extra);
	close(xfds[0]);
	close(xfds[1]);
	event_free(timer);
	if (big)
		event_free(big);
	event_base_free(base);
	return trace;
}

struct scenario {
	int which, one_shot_a, with_timer;
	const char *expected;
};

int main(void)
{
	/* The expected traces are upstream 2.1.12's (the same on all three backends). */
	static const struct scenario scenarios[] = {
		{0, 0, 0, "A:2 B:2 C:2 | "},
		{1, 0, 0, "A:2 C:2 | "},                  /* deleted before its turn: not run */
		{2, 0, 0, "A:2 active=2 pending=2 B:2 C:2 | "},
		{3, 0, 0, "A:2 | B:2 C:2 "},              /* loopbreak leaves the rest active */
		{4, 0, 0, "A:2 B:2 C:2 T:1 | "},          /* activated by A: after the ready ones */
		{5, 0, 0, "A:2 prio=-1 B:2 C:2 | "},      /* an active event's priority is fixed */
		{6, 0, 0, "A:2 B:6 C:2 | "},              /* activated again: result bits merge */
		{7, 0, 0, "A:2 B:2 C:2 | X:2 "},
		{8, 1, 0, "A:2 self-pending=0 B:2 C:2 | "}, /* one-shot: deleted before its callback */
		{9, 0, 0, "A:2 B:2 | "},                  /* freed before its turn */
		{0, 0, 1, "A:2 B:2 C:2 T:1 | "},          /* expired timers queue behind ready fds */
		/* High-water marks: all ready events active at once (and counted as added again). */
		{10, 0, 0, "A:2 B:2 C:2 | max-active=3 max-added=6 "},
		{10, 0, 1, "A:2 B:2 C:2 T:1 | max-active=4 max-added=7 "},
		{10, 1, 0, "A:2 B:2 C:2 | max-active=3 max-added=6 "},
		{11, 0, 0, "A:2 max-active=3 max-added=6 B:2 C:2 | max-active=3 max-added=6 "},
		{11, 0, 1, "A:2 max-active=4 max-added=7 B:2 C:2 T:1 | max-active=4 max-added=7 "},
		{11, 1, 1, "A:2 max-active=4 max-added=7 B:2 C:2 T:1 | max-active=4 max-added=7 "},
	};
	const int modes[] = {0, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST, EVENT_BASE_FLAG_PRECISE_TIMER};
	size_t s, m;
	int locked, large, idle[2];
	struct rlimit rl;

	/* The large-table pass needs fd BIG_FD: raise the soft limit (the hard one must allow it). */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_cur <= BIG_FD) {
		rl.rlim_cur = BIG_FD + 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "the large-table pass needs RLIMIT_NOFILE above %d (hard limit %ld)\n",
			    BIG_FD, (long)rl.rlim_max);
	}
	CHECK(pipe(idle) == 0);

	for (locked = 0; locked < 2; locked++) {
		if (locked)
			CHECK(evthread_use_pthreads() == 0);
		for (large = 0; large < 2; large++) {
			big_fd = -1;
			if (large) {
				big_fd = dup2(idle[0], BIG_FD);
				CHECK(big_fd == BIG_FD);
			}
			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
				for (s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
					const struct scenario *sc = &scenarios[s];
					const char *got;
					if (large && sc->which >= 10)
						continue;
					got = run(modes[m], sc->which, sc->one_shot_a, sc->with_timer);
					if (strcmp(got, sc->expected)) {
						fprintf(stderr, "%s%s, epoll flags %#x, scenario %d: got \"%s\", expected \"%s\"\n",
						    locked ? "with locks" : "no locks", large ? ", large fd table" : "",
						    modes[m], sc->which, got, sc->expected);
						check_failures++;
					}
				}
			}
			if (big_fd >= 0)
				close(big_fd);
		}
	}
	close(idle[0]);
	close(idle[1]);
	CHECK_EXIT();
}
