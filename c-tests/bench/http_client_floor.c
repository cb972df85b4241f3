/* The floor of bench_httpclient (upstream's test/bench_httpclient.c): the same client with no
 * library. N_REQUESTS HTTP/1.0 requests "GET /ref" to 127.0.0.1:8080, PARALLELISM connections
 * at a time, each on a new non-blocking socket with the options bench_httpclient sets
 * (SO_REUSEADDR, and SO_LINGER 0 so that closing sends a reset and leaves no TIME_WAIT), read
 * to the end of the stream, then closed and replaced by the next request until all are sent.
 *
 * What makes it a floor: the request is written right after connect() (on loopback the
 * handshake is usually done by then; EPOLLOUT is waited for only when the write cannot go
 * yet), the socket is added to epoll once, a readable socket is read until the end of the
 * stream or until it would block (the answer and its FIN usually arrive together: two reads),
 * and it is closed without removing it from epoll first (closing does that). No buffers beyond
 * one shared read buffer. What it costs is the kernel's share of a short HTTP/1.0 exchange on
 * loopback; what a library costs above it is the library's.
 *
 * Prints what bench_httpclient prints (a line per 1000 requests done, then the summary with its
 * "throughput" in requests per second, from after the first PARALLELISM launches to the end),
 * so that http_load.py reads both the same way; a failed request ends the run (exit status 1),
 * so its error count is always 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define PARALLELISM 200
#define N_REQUESTS 20000
#define PORT 8080

static const char request[] = "GET /ref HTTP/1.0\r\n\r\n";

struct conn {
	int fd;
	int sent;      /* the request is out */
	size_t n_read; /* bytes of the answer so far */
	struct timeval started;
};

static int ep, n_launched, n_handled;
static long long n_bytes;
static struct timeval total_latency;

static void fail(const char *what)
{
	fprintf(stderr, "http_client_floor: FAILED: %s (%s)\n", what, strerror(errno));
	exit(1);
}

/* Writes the request; 0 once it is out, -1 when the socket is not ready yet. */
static int try_send(struct conn *c)
{
	ssize_t n = send(c->fd, request, sizeof(request) - 1, MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(request) - 1) {
		c->sent = 1;
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == ENOTCONN))
		return -1;
	fail("send");
	return -1;
}

static void launch(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	struct linger linger = {.l_onoff = 1, .l_linger = 0};
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		fail("calloc");
	n_launched++;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) != 0)
		fail("socket");
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS)
		fail("connect");
	gettimeofday(&c->started, NULL);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (try_send(c) != 0)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		fail("epoll_ctl");
}

/* The answer is complete: account for it, close, launch the next request. */
static void finish(struct conn *c)
{
	struct timeval now, took;
	gettimeofday(&now, NULL);
	timersub(&now, &c->started, &took);
	timeradd(&took, &total_latency, &total_latency);
	n_handled++;
	n_bytes += (long long)c->n_read;
	if (n_handled % 1000 == 0)
		printf("%d requests done\n", n_handled);
	close(c->fd);
	free(c);
	if (n_launched < N_REQUESTS)
		launch();
}

static void on_event(struct conn *c, unsigned events)
{
	static char buf[65536];
	if (!c->sent) {
		if (try_send(c) != 0) {
			if (events & (EPOLLERR | EPOLLHUP))
				fail("connect");
			return;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			fail("epoll_ctl");
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			c->n_read += (size_t)n;
			continue;
		}
		if (n == 0) {
			finish(c);
			return;
		}
		if (errno == EAGAIN)
			return;
		fail("recv");
	}
}

int main(void)
{
	struct timeval start, end, total;
	struct epoll_event events[PARALLELISM];

	setvbuf(stdout, NULL, _IONBF, 0);
	ep = epoll_create1(0);
	if (ep < 0)
		fail("epoll_create1");
	for (int i = 0; i < PARALLELISM; i++)
		launch();
	gettimeofday(&start, NULL);
	while (n_handled < N_REQUESTS) {
		int n = epoll_wait(ep, events, PARALLELISM, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		for (int i = 0; i < n; i++)
			on_event(events[i].data.ptr, events[i].events);
	}
	gettimeofday(&end, NULL);
	timersub(&end, &start, &total);
	long long usec = total_latency.tv_sec * 1000000LL + total_latency.tv_usec;
	printf("\n%d requests in %d.%06d sec. (%.2f throughput)\n"
	       "Each took about %.02f msec latency\n"
	       "%lldbytes read. %d errors.\n",
	    n_handled, (int)total.tv_sec, (int)total.tv_usec,
	    n_handled / (total.tv_sec + total.tv_usec / 1e6),
	    (double)(usec / 1000) / n_handled, n_bytes, 0);
	return 0;
}
