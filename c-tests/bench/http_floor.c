/* The floor of the HTTP benchmarks: a bare epoll server, no library, that answers every request
 * with one fixed response, the one bench_http sends for the same content (status line, headers
 * of the same lengths, body bytes 0, 1, 2, ... 255, 0, ...), without parsing anything: a request
 * is whatever ends with an empty line. What it costs is the kernel's share of serving HTTP on
 * loopback; what a library costs above it is the library's.
 *
 * usage: http_floor PORT LENGTH keepalive|close
 *   PORT       on 127.0.0.1 (0: the kernel picks one)
 *   LENGTH     body bytes
 *   keepalive  answer every request on a connection (as many as arrive, in order);
 *   close      answer the first request with "Connection: close" and close, as evhttp does when
 *              the client asks for it.
 * Prints "LISTENING port=<port>" on stdout once it accepts connections; runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	int fd;
	int tail;           /* how many bytes of "\r\n\r\n" the previous read ended with */
	long owed;          /* responses still to send */
	size_t sent;        /* bytes of the current response already sent */
	int closing;        /* close once the owed response is out */
	int polling_out;    /* EPOLLOUT is on: the socket's buffer was full */
};

static char *response;
static size_t response_len;
static int close_mode;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The header lines evhttp writes for bench_http's reply, in its order (the date is fixed: only
 * its length matters to the client). */
static void build_response(size_t body_len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
	    "HTTP/1.1 200 Everything is fine\r\n"
	    "Date: Tue, 01 Dec 2026 12:00:00 GMT\r\n"
	    "Content-Length: %zu\r\n"
	    "Content-Type: text/html; charset=ISO-8859-1\r\n"
	    "%s\r\n",
	    body_len, close_mode ? "Connection: close\r\n" : "");
	response_len = (size_t)n + body_len;
	response = malloc(response_len);
	if (!response)
		die("malloc");
	memcpy(response, head, (size_t)n);
	for (size_t i = 0; i < body_len; i++)
		response[n + i] = (char)(i & 255);
}

/* Counts the requests (empty lines) in what arrived, carrying a partial "\r\n\r\n" over. */
static long count_requests(struct conn *c, const char *data, size_t len)
{
	static const char end[] = "\r\n\r\n";
	long found = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == end[c->tail])
			c->tail++;
		else
			c->tail = data[i] == '\r' ? 1 : 0;
		if (c->tail == 4) {
			found++;
			c->tail = 0;
		}
	}
	return found;
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Sends what is owed; returns 0 while the connection lives, -1 once it is closed. */
static int flush(int ep, struct conn *c)
{
	while (c->owed > 0) {
		ssize_t n = send(c->fd, response + c->sent, response_len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
			if (!c->polling_out)
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			c->polling_out = 1;
			return 0;
		}
		if (n < 0) {
			drop(ep, c);
			return -1;
		}
		c->sent += (size_t)n;
		if (c->sent == response_len) {
			c->sent = 0;
			c->owed--;
		}
	}
	if (c->closing) {
		drop(ep, c);
		return -1;
	}
	/* Only a connection that had to wait for room changes its events: one system call less per
	 * response than re-arming every time. */
	if (c->polling_out) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->polling_out = 0;
	}
	return 0;
}

/* One recv per readiness: epoll is level-triggered, so what is left is reported again, and the
 * usual request costs one system call in, not two. */
static void on_readable(int ep, struct conn *c)
{
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		drop(ep, c);
		return;
	}
	if (n > 0) {
		long requests = count_requests(c, buf, (size_t)n);
		if (close_mode && requests > 0 && !c->closing) {
			c->closing = 1;
			c->owed = 1;
		} else if (!close_mode) {
			c->owed += requests;
		}
	}
	flush(ep, c);
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[3], "keepalive") && strcmp(argv[3], "close"))) {
		fprintf(stderr, "usage: http_floor PORT LENGTH keepalive|close\n");
		return 2;
	}
	close_mode = !strcmp(argv[3], "close");
	build_response((size_t)atol(argv[2]));
	signal(SIGPIPE, SIG_IGN);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	socklen_t addr_len = sizeof(addr);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 4096) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &addr_len) != 0)
		die("listening socket");
	int ep = epoll_create1(0);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) != 0)
		die("epoll");
	printf("LISTENING port=%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	struct epoll_event events[256];
	for (;;) {
		int n = epoll_wait(ep, events, 256, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct conn *nc = calloc(1, sizeof(*nc));
					struct epoll_event ev = {.events = EPOLLIN};
					if (!nc)
						die("calloc");
					nc->fd = fd;
					ev.data.ptr = nc;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
						die("epoll_ctl add");
				}
				continue;
			}
			if (events[i].events & EPOLLIN)
				on_readable(ep, c);
			else if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				flush(ep, c);
		}
	}
}
