/* A small real program on libevent-rs: the things most programs do with an event loop, each
 * reported as it happens.
 *
 *   - a one-shot timer, whose callback starts the rest;
 *   - a persistent timer that fires three times and then removes itself;
 *   - a SIGUSR1 signal event, triggered with raise();
 *   - five ping/pong round trips over a socketpair;
 *   - a second thread that wakes the loop with event_active().
 *
 * The loop stops as soon as everything has happened, or after a five-second safety timeout.
 * Exit status 0 only if every step happened the expected number of times. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#define TICKS_WANTED 3
#define ROUND_TRIPS 5

struct demo {
	struct event_base *base;
	struct event *ticker;     /* persistent timer */
	struct event *wake;       /* activated by the second thread */
	int pair[2];              /* socketpair: [0] sends pings, [1] answers pongs */
	pthread_t thread;
	int thread_started;

	int one_shot_fired;
	int ticks;
	int signals;
	int pings_received;
	int pongs_received;
	int wakeups;
	int timed_out;
};

static int all_done(const struct demo *d)
{
	return d->one_shot_fired == 1 && d->ticks == TICKS_WANTED && d->signals == 1 &&
	    d->pings_received == ROUND_TRIPS && d->pongs_received == ROUND_TRIPS &&
	    d->wakeups == 1;
}

static void stop_if_done(struct demo *d)
{
	if (all_done(d))
		event_base_loopbreak(d->base);
}

static void send_message(int fd, const char *word, int n)
{
	char msg[32];
	int len = snprintf(msg, sizeof msg, "%s %d", word, n);

	if (send(fd, msg, (size_t)len, 0) != len)
		fprintf(stderr, "demo: send failed: %s\n", strerror(errno));
}

/* Each read gets one whole message: they are tiny, and the next one is only sent after the
 * answer to this one arrives. */
static int receive_message(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void on_ping(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	char buf[32];
	(void)what;

	if (receive_message(fd, buf, sizeof buf) < 0)
		return;
	d->pings_received++;
	printf("socketpair: side B got \"%s\", answers pong %d\n", buf, d->pings_received);
	send_message(fd, "pong", d->pings_received);
}

static void on_pong(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	char buf[32];
	(void)what;

	if (receive_message(fd, buf, sizeof buf) < 0)
		return;
	d->pongs_received++;
	printf("socketpair: side A got \"%s\"\n", buf);
	if (d->pongs_received < ROUND_TRIPS)
		send_message(fd, "ping", d->pongs_received + 1);
	stop_if_done(d);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;
	(void)what;

	d->ticks++;
	printf("persistent timer: tick %d of %d\n", d->ticks, TICKS_WANTED);
	if (d->ticks == TICKS_WANTED) {
		event_del(d->ticker);
		printf("persistent timer: removed itself\n");
	}
	stop_if_done(d);
}

static void on_signal(evutil_socket_t signum, short what, void *arg)
{
	struct demo *d = arg;
	(void)what;

	d->signals++;
	printf("signal event: got signal %d (SIGUSR1 is %d)\n", (int)signum, SIGUSR1);
	stop_if_done(d);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;

	d->wakeups++;
	printf("wake event: activated from the second thread (flags 0x%x)\n", what);
	stop_if_done(d);
}

/* Runs while the loop waits; event_active() from here must wake it (the base is threadsafe
 * because evthread_use_pthreads() was called before it was created). */
static void *wake_loop_from_thread(void *arg)
{
	struct demo *d = arg;

	usleep(20000);
	printf("second thread: calling event_active()\n");
	event_active(d->wake, EV_READ, 0);
	return NULL;
}

static void on_one_shot(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;
	(void)what;

	d->one_shot_fired++;
	printf("one-shot timer: fired; raising SIGUSR1, sending ping 1, starting the second thread\n");
	raise(SIGUSR1);
	send_message(d->pair[0], "ping", 1);
	if (pthread_create(&d->thread, NULL, wake_loop_from_thread, d) == 0)
		d->thread_started = 1;
	else
		fprintf(stderr, "demo: pthread_create failed\n");
}

static void on_safety_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;
	(void)what;

	d->timed_out = 1;
	printf("safety timeout: giving up after 5 s\n");
	event_base_loopbreak(d->base);
}

int main(void)
{
	struct demo d;
	memset(&d, 0, sizeof d);

	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "demo: evthread_use_pthreads failed\n");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, d.pair) != 0) {
		perror("socketpair");
		return 1;
	}
	evutil_make_socket_nonblocking(d.pair[0]);
	evutil_make_socket_nonblocking(d.pair[1]);

	d.base = event_base_new();
	if (!d.base) {
		fprintf(stderr, "demo: event_base_new failed\n");
		return 1;
	}
	printf("libevent %s, backend method: %s\n", event_get_version(), event_base_get_method(d.base));

	struct timeval one_shot_delay = {0, 10000}, tick_period = {0, 20000}, safety = {5, 0};
	struct event *one_shot = evtimer_new(d.base, on_one_shot, &d);
	struct event *safety_timer = evtimer_new(d.base, on_safety_timeout, &d);
	struct event *sig = evsignal_new(d.base, SIGUSR1, on_signal, &d);
	struct event *ping = event_new(d.base, d.pair[1], EV_READ | EV_PERSIST, on_ping, &d);
	struct event *pong = event_new(d.base, d.pair[0], EV_READ | EV_PERSIST, on_pong, &d);
	d.ticker = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	d.wake = event_new(d.base, -1, 0, on_wake, &d);
	if (!one_shot || !safety_timer || !sig || !ping || !pong || !d.ticker || !d.wake) {
		fprintf(stderr, "demo: event_new failed\n");
		return 1;
	}
	if (evtimer_add(one_shot, &one_shot_delay) || evtimer_add(safety_timer, &safety) ||
	    evsignal_add(sig, NULL) || event_add(ping, NULL) || event_add(pong, NULL) ||
	    event_add(d.ticker, &tick_period)) {
		fprintf(stderr, "demo: event_add failed\n");
		return 1;
	}

	printf("dispatching\n");
	int rc = event_base_dispatch(d.base);
	printf("loop ended (event_base_dispatch returned %d)\n", rc);
	if (d.thread_started)
		pthread_join(d.thread, NULL);

	event_free(one_shot);
	event_free(safety_timer);
	event_free(sig);
	event_free(ping);
	event_free(pong);
	event_free(d.ticker);
	event_free(d.wake);
	event_base_free(d.base);
	close(d.pair[0]);
	close(d.pair[1]);

	printf("summary: one-shot %d/1, ticks %d/%d, signals %d/1, pings %d/%d, pongs %d/%d, "
	       "thread wakeups %d/1\n",
	    d.one_shot_fired, d.ticks, TICKS_WANTED, d.signals, d.pings_received, ROUND_TRIPS,
	    d.pongs_received, ROUND_TRIPS, d.wakeups);
	if (rc == -1 || d.timed_out || !all_done(&d)) {
		printf("demo: FAILED\n");
		return 1;
	}
	printf("demo: everything happened\n");
	return 0;
}
