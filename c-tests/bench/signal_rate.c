/* Signal delivery rate: a persistent SIGUSR1 event; each iteration raise()s the signal and runs
 * the loop once, which must deliver it to the callback.
 *
 * usage: signal_rate COUNT         prints RESULT signal_rate in delivered signals per second. */
#include "bench_util.h"
#include <signal.h>

static long delivered;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig; (void)what; (void)arg;
	delivered++;
}

int main(int argc, char **argv)
{
	long count = bench_arg(argc, argv, 1, 100000);
	struct event_base *base = bench_start();
	struct event *sig = evsignal_new(base, SIGUSR1, on_signal, NULL);

	/* evsignal_new gives EV_SIGNAL|EV_PERSIST already; one add serves every delivery. */
	if (!sig || event_add(sig, NULL) != 0)
		bench_fail("evsignal_new");
	double start = bench_now();
	for (long i = 0; i < count; i++) {
		long before = delivered;
		raise(SIGUSR1);
		while (delivered == before)
			if (event_base_loop(base, EVLOOP_ONCE) < 0)
				bench_fail("event_base_loop");
	}
	double elapsed = bench_now() - start;

	if (delivered != count) {
		fprintf(stderr, "signal_rate: %ld delivered, expected %ld\n", delivered, count);
		return 1;
	}
	bench_result("signal_rate", (double)delivered / elapsed, "ops/s");
	event_free(sig);
	event_base_free(base);
	return 0;
}
