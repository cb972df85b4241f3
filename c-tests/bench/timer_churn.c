/* Timer churn: N timers added, re-added with a new timeout and deleted, ROUNDS times; 1% of them
 * are re-added with a zero timeout instead of being deleted and fire in a non-blocking loop pass.
 * Timeouts are pseudo-random between 1 ms and 10 s so the timer queue really has to order them.
 *
 * usage: timer_churn N ROUNDS      prints RESULT timer_churn_<N> in timer operations per second
 * (an operation is one event_add or event_del call; the firings are checked, not counted). */
#include "bench_util.h"

static long fired;

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	fired++;
}

static struct timeval random_timeout(unsigned long long *rng)
{
	long usec = 1000 + (long)(bench_rand(rng) % 10000000ULL);
	struct timeval tv = {usec / 1000000, usec % 1000000};
	return tv;
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 100000), rounds = bench_arg(argc, argv, 2, 10);
	struct event_base *base = bench_start();
	struct event **timers = calloc((size_t)n, sizeof(*timers));
	static const struct timeval now = {0, 0};
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;
	long ops = 0, expected_fired = 0;
	char name[64];
	double start;

	if (!timers)
		bench_fail("calloc");
	for (long i = 0; i < n; i++)
		if (!(timers[i] = event_new(base, -1, 0, on_timeout, NULL)))
			bench_fail("event_new");

	start = bench_now();
	for (long round = 0; round < rounds; round++) {
		for (long i = 0; i < n; i++) {
			struct timeval tv = random_timeout(&rng);
			event_add(timers[i], &tv);
		}
		for (long i = 0; i < n; i++) {
			struct timeval tv = random_timeout(&rng);
			event_add(timers[i], &tv);
		}
		for (long i = 0; i < n; i++) {
			if (i % 100 == 0) {
				event_add(timers[i], &now);
				expected_fired++;
			} else {
				event_del(timers[i]);
			}
		}
		ops += 3 * n;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	double elapsed = bench_now() - start;

	if (fired != expected_fired) {
		fprintf(stderr, "timer_churn: %ld timers fired, expected %ld\n", fired, expected_fired);
		return 1;
	}
	snprintf(name, sizeof(name), "timer_churn_%ld", n);
	bench_result(name, (double)ops / elapsed, "ops/s");
	for (long i = 0; i < n; i++)
		event_free(timers[i]);
	event_base_free(base);
	free(timers);
	return 0;
}
