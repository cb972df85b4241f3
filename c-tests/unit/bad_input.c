/* Bad arguments get upstream's error result and a message through the log callback, never a
 * crash; debug mode turns misuse of events into the documented abort. NULL handles are checked
 * here too, where upstream itself would crash: that is our hardening, not upstream behaviour. */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include "check.h"

static int warnings;
static char last_msg[512];

static void log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		warnings++;
	strncpy(last_msg, msg, sizeof(last_msg) - 1);
}

/* True if exactly one new warning arrived since the last call. */
static int warned(void)
{
	int w = warnings;
	warnings = 0;
	return w >= 1;
}

static void noop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

static struct event_base *reentry_base;
static int reentry_result = 42;
static void reenter_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	reentry_result = event_base_loop(reentry_base, EVLOOP_NONBLOCK);
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();
	if (pid == 0) {
		/* Keep the expected abort quiet. */
		event_set_log_callback(log_cb);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static void add_unassigned_in_debug_mode(void)
{
	struct event_base *base;
	struct event ev;
	event_enable_debug_mode();
	base = event_base_new();
	memset(&ev, 0, sizeof(ev));
	ev.ev_base = base;
	event_add(&ev, NULL);
}

static void free_twice_in_debug_mode(void)
{
	struct event_base *base;
	struct event *ev;
	event_enable_debug_mode();
	base = event_base_new();
	ev = event_new(base, -1, 0, noop_cb, NULL);
	event_free(ev);
	/* The memory is gone; debug mode must notice before touching it as an event. Use a
	 * copy of the pointer value only. */
	event_free(ev);
}

static void debug_mode_twice(void)
{
	event_enable_debug_mode();
	event_enable_debug_mode();
}

static void debug_mode_too_late(void)
{
	struct event_base *base = event_base_new();
	(void)base;
	event_enable_debug_mode();
}

int main(void)
{
	struct event_base *base;
	struct event *ev;
	struct event stack_ev;
	struct timeval tv = { 0, 0 };
	int status;

	/* Debug mode: misuse aborts, as upstream documents. These run first, in children, since
	 * debug mode must be switched on before the first base exists. */
	status = in_child(add_unassigned_in_debug_mode);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = in_child(free_twice_in_debug_mode);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = in_child(debug_mode_twice);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	status = in_child(debug_mode_too_late);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	event_set_log_callback(log_cb);
	base = event_base_new();
	CHECK(base != NULL);

	/* NULL handles: an error result and a message. */
	CHECK(event_add(NULL, NULL) == -1 && warned());
	CHECK(event_del(NULL) == -1 && warned());
	CHECK(event_base_loop(NULL, 0) == -1 && warned());
	/* The 1.x calls with no current base (event_init never called) are the same NULL base. */
	CHECK(event_loop(EVLOOP_NONBLOCK) == -1 && warned());
	CHECK(event_base_dispatch(NULL) == -1 && warned());
	CHECK(event_base_loopexit(NULL, &tv) == -1 && warned());
	CHECK(event_base_loopbreak(NULL) == -1 && warned());
	CHECK(event_base_get_method(NULL) == NULL && warned());
	CHECK(event_config_avoid_method(NULL, "epoll") == -1 && warned());
	CHECK(event_pending(NULL, EV_READ, NULL) == 0 && warned());
	CHECK(event_priority_set(NULL, 0) == -1 && warned());
	CHECK(event_base_once(NULL, -1, EV_TIMEOUT, noop_cb, NULL, &tv) == -1 && warned());
	event_active(NULL, EV_READ, 1);
	CHECK(warned());
	event_base_free(NULL); /* no current base: a warning, nothing freed */
	CHECK(warned());

	/* An event that never got a base. */
	memset(&stack_ev, 0, sizeof(stack_ev));
	CHECK(event_add(&stack_ev, NULL) == -1 && warned());
	CHECK(strstr(last_msg, "no event_base") != NULL);

	/* EV_SIGNAL cannot be combined with I/O. */
	CHECK(event_assign(&stack_ev, base, SIGUSR1, EV_SIGNAL | EV_READ, noop_cb, NULL) == -1 && warned());
	CHECK(event_new(base, SIGUSR1, EV_SIGNAL | EV_WRITE, noop_cb, NULL) == NULL && warned());

	/* Signal numbers out of range are refused at add time. */
	ev = evsignal_new(base, -1, noop_cb, NULL);
	CHECK(ev && event_add(ev, NULL) != 0);
	event_free(ev);
	ev = evsignal_new(base, NSIG, noop_cb, NULL);
	CHECK(ev && event_add(ev, NULL) != 0);
	event_free(ev);

	/* fds beyond any table we would build fail cleanly. */
	ev = event_new(base, INT_MAX, EV_READ, noop_cb, NULL);
	CHECK(ev && event_add(ev, NULL) != 0);
	event_free(ev);

	/* Priorities out of range. */
	CHECK(event_base_priority_init(base, 0) == -1);
	CHECK(event_base_priority_init(base, EVENT_MAX_PRIORITIES) == -1);
	CHECK(event_base_priority_init(base, 3) == 0);
	ev = event_new(base, -1, 0, noop_cb, NULL);
	CHECK(event_priority_set(ev, -1) == -1);
	CHECK(event_priority_set(ev, 3) == -1);
	CHECK(event_priority_set(ev, 2) == 0 && event_get_priority(ev) == 2);
	/* An active event cannot change priority. */
	event_active(ev, EV_TIMEOUT, 1);
	CHECK(event_priority_set(ev, 0) == -1);
	event_free(ev);

	/* event_base_once refuses signals and edge-triggered events. */
	CHECK(event_base_once(base, SIGUSR1, EV_SIGNAL, noop_cb, NULL, NULL) == -1);
	CHECK(event_base_once(base, 0, EV_READ | EV_ET, noop_cb, NULL, NULL) == -1);

	/* Re-entering the loop from a callback fails with a message. */
	reentry_base = base;
	ev = event_new(base, -1, 0, reenter_cb, NULL);
	event_active(ev, EV_TIMEOUT, 1);
	warnings = 0;
	CHECK(event_base_loop(base, EVLOOP_ONCE) == 0);
	CHECK(reentry_result == -1 && warned());
	CHECK(strstr(last_msg, "reentrant") != NULL);
	event_free(ev);

	event_base_free(base);

	CHECK_EXIT();
}
