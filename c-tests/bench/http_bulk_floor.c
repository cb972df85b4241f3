/* The floor of http_bulk.c: the same transfer with no library. One process, one epoll set, a
 * server socket and a client socket over TCP on 127.0.0.1, moving TOTAL MiB in requests of
 * REQUEST MiB each on one keep-alive connection, every byte checked, as http_bulk does:
 *
 *   down: the client sends "GET /down"; the server answers with a head and REQUEST MiB written
 *         with writev straight from one 1 MiB block (as evbuffer_add_reference lets a library
 *         do); the client reads the body into one reused buffer, compares it and forgets it.
 *   up:   the client sends "POST /up" with a Content-Length head and REQUEST MiB written with
 *         writev from the block; the server keeps the whole body (as evhttp does) in one buffer
 *         reused for every request, compares it once complete and answers with an empty body.
 *
 * What makes it a floor: no parsing beyond finding the end of a head, each socket registered
 * once (edge-triggered, in and out) so no epoll_ctl follows, reads as large as the data allows
 * (READ_CHUNK into the reused buffer, or the whole rest of an upload's body straight into its
 * place), writes of everything left in one writev, and a socket is only touched when epoll said
 * it can move bytes since its last short read or write. What it costs is the kernel's share of
 * the transfer plus one memcmp per byte; what a library costs above it is the library's.
 *
 * usage: http_bulk_floor up|down TOTAL_MIB REQUEST_MIB
 * prints RESULT http_bulk_<up|down> in MiB/s (from the first request to the last answer) and
 * "arrived intact" on stderr; exit status 1 on any wrong byte or length. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
/* Larger reads gain nothing: the receiving socket rarely holds more at one readiness. */
#define READ_CHUNK (1024 * 1024)
#define MAX_IOV 130 /* a head and up to 128 blocks (REQUEST_MIB is at most 128) */
#define HEAD_MAX 256

static unsigned char block[MIB];
static unsigned char chunk[READ_CHUNK];
static unsigned char *upload_body; /* the server's whole-body buffer (up) */
static size_t body_len;            /* REQUEST_MIB in bytes */
static int upload;

/* One direction of the connection's current message on one socket. */
struct peer {
	int fd;
	int readable, writable; /* epoll reported it and no short read or write since */
	/* writing: what is left to send */
	char head[HEAD_MAX];
	struct iovec iov[MAX_IOV];
	int iov_at, iov_n;
	/* reading: where in the head's end ("\r\n\r\n") the bytes so far stand, then the body */
	int head_tail, in_body;
	size_t body_got, body_want;
};

static void fail(const char *what)
{
	fprintf(stderr, "http_bulk_floor: FAILED: %s (%s)\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Queues a head, then `blocks` references to the block. */
static void queue(struct peer *p, const char *head, long blocks)
{
	size_t len = (size_t)snprintf(p->head, sizeof(p->head), "%s", head);
	p->iov[0] = (struct iovec){p->head, len};
	for (long i = 0; i < blocks; i++)
		p->iov[1 + i] = (struct iovec){block, MIB};
	p->iov_at = 0;
	p->iov_n = (int)(1 + blocks);
}

/* Sends what is queued; returns 1 once all of it is out. */
static int send_queued(struct peer *p)
{
	while (p->iov_at < p->iov_n && p->writable) {
		size_t want = 0;
		for (int i = p->iov_at; i < p->iov_n; i++)
			want += p->iov[i].iov_len;
		ssize_t n = writev(p->fd, p->iov + p->iov_at, p->iov_n - p->iov_at);
		if (n < 0 && errno == EAGAIN) {
			p->writable = 0;
			break;
		}
		if (n < 0)
			fail("writev");
		if ((size_t)n < want)
			p->writable = 0;
		while (n > 0) {
			struct iovec *v = &p->iov[p->iov_at];
			size_t take = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;
			v->iov_base = (char *)v->iov_base + take;
			v->iov_len -= take;
			n -= (ssize_t)take;
			if (v->iov_len == 0)
				p->iov_at++;
		}
	}
	return p->iov_at == p->iov_n;
}

/* Compares body bytes at `offset` of the message's body with the content. */
static void check(const unsigned char *data, size_t len, size_t offset)
{
	while (len > 0) {
		size_t in_block = offset % MIB, piece = MIB - in_block < len ? MIB - in_block : len;
		if (memcmp(data, block + in_block, piece) != 0)
			fail("a body differs from the content");
		data += piece;
		len -= piece;
		offset += piece;
	}
}

/* Takes body bytes that came with the head: checked on the spot (down) or moved to the
 * upload's place (up, checked once complete). */
static void take_body(struct peer *p, const unsigned char *data, size_t len, int keep)
{
	if (p->body_got + len > p->body_want)
		fail("more bytes than the message's length");
	if (keep)
		memcpy(upload_body + p->body_got, data, len);
	else
		check(data, len, p->body_got);
	p->body_got += len;
}

/* Reads the current message (a head, then body_want bytes); returns 1 once it is complete.
 * keep: the body goes into upload_body (the server's upload), else it is checked and dropped. */
static int receive(struct peer *p, int keep)
{
	while (p->readable && !(p->in_body && p->body_got == p->body_want)) {
		unsigned char *into = chunk;
		size_t room = sizeof(chunk);
		if (p->in_body && keep) {
			/* Straight into place, as much as is left: no second copy of the body. */
			into = upload_body + p->body_got;
			room = p->body_want - p->body_got;
		} else if (p->in_body && p->body_want - p->body_got < room) {
			room = p->body_want - p->body_got;
		}
		ssize_t n = recv(p->fd, into, room, 0);
		if (n < 0 && errno == EAGAIN) {
			p->readable = 0;
			break;
		}
		if (n <= 0)
			fail(n == 0 ? "the peer closed the connection" : "recv");
		if ((size_t)n < room)
			p->readable = 0;
		if (p->in_body && keep) {
			p->body_got += (size_t)n;
			continue;
		}
		size_t at = 0;
		while (!p->in_body && at < (size_t)n) {
			char c = (char)into[at++];
			p->head_tail = c == "\r\n\r\n"[p->head_tail] ? p->head_tail + 1 : (c == '\r');
			p->in_body = p->head_tail == 4;
		}
		if (at < (size_t)n) {
			if (!p->in_body)
				fail("a head too long");
			take_body(p, into + at, (size_t)n - at, keep);
		}
	}
	return p->in_body && p->body_got == p->body_want;
}

static void expect(struct peer *p, size_t body)
{
	p->head_tail = 0;
	p->in_body = 0;
	p->body_got = 0;
	p->body_want = body;
}

/* Queues the next request: the head evhttp's client sends, with the body for an upload. */
static void send_request(struct peer *client, long request_mib)
{
	char head[HEAD_MAX];
	if (upload)
		snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", body_len);
	else
		snprintf(head, sizeof(head), "GET /down HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	queue(client, head, upload ? request_mib : 0);
}

/* A connected pair over loopback TCP, both ends non-blocking. */
static void connect_pair(int *client, int *server)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len) != 0)
		fail("listening socket");
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		fail("connect");
	*server = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	if (*server < 0 || fcntl(*client, F_SETFL, O_NONBLOCK) != 0)
		fail("accept");
	close(lfd);
}

int main(int argc, char **argv)
{
	struct peer client = {0}, server = {0};
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	char head[HEAD_MAX];
	long total_mib, request_mib, requests_left;
	int ep, client_sending = 1, server_sending = 0;

	if (argc != 4 || (strcmp(argv[1], "up") && strcmp(argv[1], "down")))
		fail("usage: http_bulk_floor up|down TOTAL_MIB REQUEST_MIB");
	upload = !strcmp(argv[1], "up");
	total_mib = atol(argv[2]);
	request_mib = atol(argv[3]);
	if (request_mib <= 0 || request_mib > MAX_IOV - 2 || total_mib < request_mib || total_mib % request_mib)
		fail("TOTAL_MIB must be a multiple of REQUEST_MIB (at most 128)");
	requests_left = total_mib / request_mib;
	body_len = (size_t)request_mib * MIB;
	/* The same content as http_bulk's (xorshift64 from the same seed). */
	for (size_t i = 0; i < sizeof(block); i += 8) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		memcpy(block + i, &seed, 8);
	}
	if (upload && !(upload_body = malloc(body_len)))
		fail("malloc");

	connect_pair(&client.fd, &server.fd);
	ep = epoll_create1(0);
	for (struct peer *p = &client; p; p = p == &client ? &server : NULL) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = p};
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) != 0)
			fail("epoll");
	}

	double started = now();
	send_request(&client, request_mib);
	expect(&server, upload ? body_len : 0);
	while (requests_left > 0) {
		struct epoll_event events[2];
		int n = epoll_wait(ep, events, 2, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct peer *p = events[i].data.ptr;
			p->readable |= !!(events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP));
			p->writable |= !!(events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP));
		}
		/* Each step stops at a short read or write; the next edge resumes it. */
		for (int moved = 1; moved && requests_left > 0;) {
			moved = 0;
			if (client_sending && client.writable && send_queued(&client)) {
				client_sending = 0;
				expect(&client, upload ? 0 : body_len);
				moved = 1;
			}
			if (!server_sending && server.readable && receive(&server, upload)) {
				if (upload)
					check(upload_body, body_len, 0);
				snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", upload ? 0 : body_len);
				queue(&server, head, upload ? 0 : request_mib);
				server_sending = 1;
				moved = 1;
			}
			if (server_sending && server.writable && send_queued(&server)) {
				server_sending = 0;
				expect(&server, upload ? body_len : 0);
				moved = 1;
			}
			if (!client_sending && client.readable && receive(&client, 0)) {
				if (--requests_left > 0) {
					send_request(&client, request_mib);
					client_sending = 1;
				}
				moved = 1;
			}
		}
	}
	double elapsed = now() - started;
	fprintf(stderr, "http_bulk_floor: %ld MiB %s in %ld requests arrived intact\n", total_mib,
	    upload ? "uploaded" : "downloaded", total_mib / request_mib);
	printf("RESULT name=http_bulk_%s value=%.6g unit=MiB/s\n", argv[1], (double)total_mib / elapsed);
	return 0;
}
