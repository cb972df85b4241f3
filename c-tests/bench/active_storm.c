/* Callbacks without I/O, the way deferred work reaches the loop.
 *
 * usage: active_storm MODE N ROUNDS
 *   MODE active  N events made active by event_active, then one non-blocking loop pass runs them;
 *   MODE once    N one-shot callbacks queued by event_base_once with a zero timeout (each allocates
 *                its event inside the library), then one non-blocking loop pass runs them.
 * Prints RESULT <mode>_storm_<N> in callbacks per second; every callback is checked to have run. */
#include "bench_util.h"

static long ran;

static void on_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	ran++;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "active";
	long n = bench_arg(argc, argv, 2, 10000), rounds = bench_arg(argc, argv, 3, 100);
	int use_once = strcmp(mode, "once") == 0;
	struct event_base *base = bench_start();
	struct event **events = calloc((size_t)n, sizeof(*events));
	static const struct timeval zero = {0, 0};
	char name[64];

	if (!use_once && strcmp(mode, "active") != 0)
		bench_fail("MODE must be 'active' or 'once'");
	if (!events)
		bench_fail("calloc");
	for (long i = 0; !use_once && i < n; i++)
		if (!(events[i] = event_new(base, -1, 0, on_callback, NULL)))
			bench_fail("event_new");

	double start = bench_now();
	for (long round = 0; round < rounds; round++) {
		for (long i = 0; i < n; i++) {
			if (use_once) {
				if (event_base_once(base, -1, EV_TIMEOUT, on_callback, NULL, &zero) != 0)
					bench_fail("event_base_once");
			} else {
				event_active(events[i], EV_READ, 1);
			}
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	double elapsed = bench_now() - start;

	if (ran != n * rounds) {
		fprintf(stderr, "active_storm: %ld callbacks ran, expected %ld\n", ran, n * rounds);
		return 1;
	}
	snprintf(name, sizeof(name), "%s_storm_%ld", mode, n);
	bench_result(name, (double)ran / elapsed, "ops/s");
	for (long i = 0; !use_once && i < n; i++)
		event_free(events[i]);
	free(events);
	event_base_free(base);
	return 0;
}
