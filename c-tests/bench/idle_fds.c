/* Many idle fds, few active: both ends of FDS/2 socket pairs are watched for reading (persistent
 * events), and in every round 1% of them (spread over the whole set, moving each round) get one
 * byte from their peer; the loop runs until all of that round's callbacks have read their byte.
 *
 * usage: idle_fds FDS ROUNDS       prints RESULT idle_fds_<FDS> in dispatched events per second
 * FDS is lowered to what RLIMIT_NOFILE allows. */
#include "bench_util.h"
#include <sys/socket.h>
#include <unistd.h>

static int *fds;      /* fds[i] and fds[i ^ 1] are the two ends of one socket pair */
static long received; /* bytes read by callbacks so far */

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	char byte;
	(void)what; (void)arg;
	if (recv(fd, &byte, 1, 0) == 1)
		received++;
}

int main(int argc, char **argv)
{
	long want = bench_arg(argc, argv, 1, 10000), rounds = bench_arg(argc, argv, 2, 2000);
	long limit = bench_raise_fd_limit() - 64;
	long n = (want < limit ? want : limit) & ~1L;
	long active = n / 100 > 0 ? n / 100 : 1, stride = n / active;
	struct event_base *base = bench_start();
	struct event **events = calloc((size_t)n, sizeof(*events));
	char name[64];

	fds = calloc((size_t)n, sizeof(int));
	if (!fds || !events)
		bench_fail("calloc");
	for (long i = 0; i < n; i += 2)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[i]) != 0)
			bench_fail("socketpair");
	for (long i = 0; i < n; i++) {
		events[i] = event_new(base, fds[i], EV_READ | EV_PERSIST, on_readable, NULL);
		if (!events[i] || event_add(events[i], NULL) != 0)
			bench_fail("event_add");
	}

	double start = bench_now();
	for (long round = 0; round < rounds; round++) {
		long target = received + active;
		for (long k = 0; k < active; k++) {
			long i = (k * stride + round) % n;
			if (send(fds[i ^ 1], "x", 1, 0) != 1)
				bench_fail("send");
		}
		while (received < target)
			if (event_base_loop(base, EVLOOP_ONCE) < 0)
				bench_fail("event_base_loop");
	}
	double elapsed = bench_now() - start;

	snprintf(name, sizeof(name), "idle_fds_%ld", n);
	bench_result(name, (double)received / elapsed, "ops/s");
	for (long i = 0; i < n; i++)
		event_free(events[i]);
	for (long i = 0; i < n; i++)
		close(fds[i]);
	event_base_free(base);
	return 0;
}
