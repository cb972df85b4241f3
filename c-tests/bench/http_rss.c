/* Memory of an evhttp server through a burst of concurrent requests: its resident set before
 * (VmRSS), at the peak of (VmHWM, the high-water mark) and after (VmRSS) a burst of N requests
 * that are all in flight at once.
 *
 * The server (this process, evhttp on the library under test) holds every request it gets until
 * all N have arrived (N connections, each with its request read and parsed), then answers each
 * with a 1 KiB body (N answers queued at once: the peak comes then); the clients asked for "Connection: close", so evhttp frees
 * each connection once its answer is out. When the last connection's close callback has run and
 * the loop has idled 200 ms more, the "after" figure is taken.
 *
 * The clients are a child process of plain sockets (no libevent): N non-blocking connections in
 * waves of 500 (to stay below the listen backlog), each sending one GET with a few headers, then
 * reading its answer to the end and checking its status line and length.
 *
 * The "before" figure is a server that has served requests already: a first child sends
 * WARMUP requests, answered at once, and this process's own arrays for the burst are written,
 * before it is taken. Otherwise the code and data pages that the first request of a server's
 * life faults in (the library's and libc's request paths, file-backed and clean) and the
 * harness's own bookkeeping, written during the burst, would count as memory the burst left
 * behind.
 *
 * usage: http_rss N
 * prints RESULT http_rss_before, http_rss_peak, http_rss_after (KiB) and http_rss_after_ratio
 * (after / before). */
#include "bench_util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_LEN 1024
#define WAVE 500
#define WARMUP 16

static struct event_base *base;
static struct evhttp_request **held;
static char *closed; /* per held request: its connection's close callback ran */
static long n_requests, n_held, n_closed;
static long rss_before, rss_peak, rss_after;
static char body[BODY_LEN];
static int warming_up; /* requests are answered at once, not held */

/* ---------------------------------------------------------------- the clients (child process) */

static const char request[] =
    "GET /burst HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: http_rss\r\n"
    "Accept: */*\r\nConnection: close\r\n\r\n";

static void client_fail(const char *what)
{
	perror(what);
	_exit(1);
}

/* Connects n clients to addr, sends every request, reads every answer to its end. */
static void clients(const struct sockaddr_in *addr, long n)
{
	int ep = epoll_create1(0);
	long done = 0, expected_len = -1;
	long *got = calloc((size_t)n, sizeof(long));
	char buf[65536];
	if (ep < 0 || !got)
		client_fail("client set-up");
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (unsigned long long)i << 32};
		if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
			client_fail("client connect");
		if (write(fd, request, sizeof(request) - 1) != (ssize_t)sizeof(request) - 1)
			client_fail("client write");
		ev.data.u64 |= (unsigned)fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			client_fail("epoll_ctl");
		if ((i + 1) % WAVE == 0)
			usleep(20000); /* lets the server accept the wave */
	}
	while (done < n) {
		struct epoll_event events[256];
		int k = epoll_wait(ep, events, 256, 30000);
		if (k <= 0)
			client_fail("no answers for 30 s");
		for (int j = 0; j < k; j++) {
			long i = (long)(events[j].data.u64 >> 32);
			int fd = (int)(events[j].data.u64 & 0xffffffffu);
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r < 0)
				client_fail("client read");
			if (got[i] == 0 && r > 0 && memcmp(buf, "HTTP/1.1 200 ", 13) != 0) {
				fprintf(stderr, "http_rss: an answer starts with %.40s\n", buf);
				_exit(1);
			}
			got[i] += r;
			if (r == 0) {
				/* Every answer has the same length (the Date header's is fixed). */
				if (expected_len < 0)
					expected_len = got[i];
				if (got[i] != expected_len || got[i] < BODY_LEN) {
					fprintf(stderr, "http_rss: answers of %ld and %ld bytes\n", expected_len, got[i]);
					_exit(1);
				}
				close(fd);
				done++;
			}
		}
	}
	_exit(0);
}

/* ---------------------------------------------------------------- the server */

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	rss_after = bench_status_kib("VmRSS");
	rss_peak = bench_peak_rss_kib();
	event_base_loopexit(base, NULL);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	char *flag = arg;
	static const struct timeval idle = {0, 200000};
	(void)evcon;
	if (*flag)
		return;
	*flag = 1;
	if (++n_closed == n_requests && event_base_once(base, -1, EV_TIMEOUT, on_idle, NULL, &idle) != 0)
		bench_fail("event_base_once");
}

/* Answers req with BODY_LEN bytes. */
static void reply(struct evhttp_request *req)
{
	struct evbuffer *buf = evbuffer_new();
	if (!buf || evbuffer_add(buf, body, sizeof(body)) != 0)
		bench_fail("evbuffer for a reply");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (warming_up) {
		reply(req);
		return;
	}
	if (n_held >= n_requests)
		bench_fail("more requests than clients");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, &closed[n_held]);
	held[n_held++] = req;
	if (n_held < n_requests)
		return;
	for (long i = 0; i < n_requests; i++)
		reply(held[i]);
}

/* Serves WARMUP requests from a child of clients, until it has exited and the server has
 * closed its connections. */
static void warm_up(const struct sockaddr_in *addr)
{
	int status;
	pid_t child = fork();
	if (child < 0)
		bench_fail("fork");
	if (child == 0)
		clients(addr, WARMUP);
	warming_up = 1;
	while (waitpid(child, &status, WNOHANG) == 0) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("the warm-up clients failed");
	for (int i = 0; i < 10; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	warming_up = 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {0};
	socklen_t addr_len = sizeof(addr);
	int listener, status, one = 1;
	struct evhttp *http;
	pid_t child;

	n_requests = bench_arg(argc, argv, 1, 10000);
	if (n_requests <= 0 || bench_raise_fd_limit_to(n_requests + 64) < n_requests + 64)
		bench_fail("cannot open N connections (RLIMIT_NOFILE)");
	held = malloc((size_t)n_requests * sizeof(*held));
	closed = malloc((size_t)n_requests);
	if (!held || !closed)
		bench_fail("malloc");
	/* Written now, so that their pages are in the baseline (explicit_bzero: a plain memset
	 * after malloc may become a calloc, which writes nothing). */
	explicit_bzero(held, (size_t)n_requests * sizeof(*held));
	explicit_bzero(closed, (size_t)n_requests);
	memset(body, 'x', sizeof(body));
	signal(SIGPIPE, SIG_IGN);

	/* Our own listening socket: evhttp_bind_socket's backlog (128 in 2.1) would make a burst
	 * wait for SYN retransmissions. */
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(listener, 4096) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &addr_len) != 0 ||
	    evutil_make_socket_nonblocking(listener) != 0)
		bench_fail("listening socket");

	base = bench_start();
	http = evhttp_new(base);
	if (!http || !evhttp_accept_socket_with_handle(http, listener))
		bench_fail("evhttp_accept_socket_with_handle");
	evhttp_set_gencb(http, on_request, NULL);
	warm_up(&addr);
	rss_before = bench_status_kib("VmRSS");

	child = fork();
	if (child < 0)
		bench_fail("fork");
	if (child == 0)
		clients(&addr, n_requests);
	event_base_dispatch(base);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("the clients failed");
	if (n_closed != n_requests || rss_after == 0)
		bench_fail("not every connection was closed");

	bench_result("http_rss_before", (double)rss_before, "KiB");
	bench_result("http_rss_peak", (double)rss_peak, "KiB");
	bench_result("http_rss_after", (double)rss_after, "KiB");
	bench_result("http_rss_after_ratio", (double)rss_after / (double)rss_before, "x");
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
