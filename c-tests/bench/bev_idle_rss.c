/* Memory for idle connections: the growth of the peak resident set (VmHWM) while N socket
 * bufferevents are created on N accepted connections, given callbacks, a read timeout and
 * watermarks, enabled for reading, and the loop has run once (so the backend knows every fd).
 * The connections are accepted before the baseline: only the library's memory counts.
 *
 * usage: bev_idle_rss N            prints RESULT bev_idle_rss_<N> in KiB.
 *
 * The peers live in a child process, which connects N times to an abstract AF_UNIX listening
 * socket of the parent and holds its ends until the parent is done: so each process needs only
 * N + a few fds (a hard RLIMIT_NOFILE of 20 000 would not fit both ends of 10 000 socketpairs). */
#include "bench_util.h"
#include <event2/bufferevent.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child: n connections to addr, held open until the parent closes its end of `done`. */
static void hold_peers(const struct sockaddr_un *addr, socklen_t addr_len, long n, int done)
{
	char byte;
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (const struct sockaddr *)addr, addr_len) != 0) {
			perror("bev_idle_rss: peer connect");
			_exit(1);
		}
	}
	while (read(done, &byte, 1) < 0)
		;
	_exit(0);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	bench_fail("an idle connection became readable");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	fprintf(stderr, "bev_idle_rss: event 0x%x on an idle connection\n", what);
	bench_fail("an idle connection got an event");
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 10000);
	static const struct timeval idle_timeout = {3600, 0};
	struct sockaddr_un addr = {0};
	socklen_t addr_len;
	int listener, done[2], status;
	pid_t child;
	int *fds;
	struct bufferevent **bevs;
	char name[64];

	/* Parent and child wait for each other: if one of them fails, this ends both. */
	alarm(120);
	if (bench_raise_fd_limit_to(n + 64) < n + 16)
		bench_fail("RLIMIT_NOFILE is too low for that many connections");
	/* Abstract name (leading NUL): no file to clean up, private to this network namespace. */
	addr.sun_family = AF_UNIX;
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "bev_idle_rss-%d", (int)getpid()));
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, addr_len) != 0 || listen(listener, 4096) != 0)
		bench_fail("the AF_UNIX listening socket");
	if (pipe(done) != 0)
		bench_fail("pipe");
	if ((child = fork()) < 0)
		bench_fail("fork");
	if (child == 0) {
		close(listener);
		close(done[1]);
		hold_peers(&addr, addr_len, n, done[0]);
	}
	close(done[0]);
	fds = calloc((size_t)n, sizeof(*fds));
	bevs = calloc((size_t)n, sizeof(*bevs));
	if (!fds || !bevs)
		bench_fail("calloc");
	for (long i = 0; i < n; i++)
		if ((fds[i] = accept(listener, NULL, NULL)) < 0)
			bench_fail("accept");
	close(listener);
	struct event_base *base = bench_start();

	long baseline = bench_peak_rss_kib();
	for (long i = 0; i < n; i++) {
		if (!(bevs[i] = bufferevent_socket_new(base, fds[i], BEV_OPT_CLOSE_ON_FREE)))
			bench_fail("bufferevent_socket_new");
		bufferevent_setcb(bevs[i], on_read, NULL, on_event, NULL);
		bufferevent_setwatermark(bevs[i], EV_READ, 0, 64 * 1024);
		bufferevent_set_timeouts(bevs[i], &idle_timeout, NULL);
		if (bufferevent_enable(bevs[i], EV_READ) != 0)
			bench_fail("bufferevent_enable");
	}
	if (event_base_loop(base, EVLOOP_NONBLOCK) < 0)
		bench_fail("event_base_loop");
	long grown = bench_peak_rss_kib() - baseline;

	snprintf(name, sizeof(name), "bev_idle_rss_%ld", n);
	bench_result(name, (double)grown, "KiB");
	for (long i = 0; i < n; i++)
		bufferevent_free(bevs[i]);
	event_base_free(base);
	close(done[1]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("the peer process failed");
	free(fds);
	free(bevs);
	return 0;
}
