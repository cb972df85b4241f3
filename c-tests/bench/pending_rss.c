/* Memory for pending events: the growth of the peak resident set (VmHWM) from just after the base
 * exists to when N timer events made by event_new are all pending with distinct timeouts (so the
 * figure includes the events themselves and the timer queue).
 *
 * usage: pending_rss N             prints RESULT pending_rss_<N> in KiB. */
#include "bench_util.h"

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 100000);
	struct event_base *base = bench_start();
	/* The program's own array is allocated and touched before the baseline so it does not count. */
	struct event **events = calloc((size_t)n, sizeof(*events));
	char name[64];

	if (!events)
		bench_fail("calloc");
	memset(events, 0xff, (size_t)n * sizeof(*events));
	long baseline = bench_peak_rss_kib();
	for (long i = 0; i < n; i++) {
		struct timeval tv = {100 + i / 1000000, i % 1000000};
		if (!(events[i] = event_new(base, -1, 0, on_timeout, NULL)) || event_add(events[i], &tv) != 0)
			bench_fail("event_add");
	}
	long grown = bench_peak_rss_kib() - baseline;

	snprintf(name, sizeof(name), "pending_rss_%ld", n);
	bench_result(name, (double)grown, "KiB");
	for (long i = 0; i < n; i++)
		event_free(events[i]);
	free(events);
	event_base_free(base);
	return 0;
}
