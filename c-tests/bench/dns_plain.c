/* The DNS ends of the dns benchmarks that are not under test: plain C on plain sockets, no
 * libevent, so that both libraries meet exactly the same peer and only the library differs.
 *
 *   dns_plain respond FD
 *       A UDP responder on the bound socket FD (inherited from dns_resolve): every query gets one
 *       A record, 10.x.y.z with x.y.z taken from the name's characters (bench_dns_answer in
 *       bench_dns.h), its question copied back exactly as sent (the resolvers check the case of
 *       the 0x20 randomisation against it). It answers in batches (recvmmsg/sendmmsg) so that it
 *       stays far cheaper than the resolver it serves, and runs until killed.
 *   dns_plain load PORT QUERIES INFLIGHT
 *       The load client for dns_server when dnsperf is not installed: QUERIES A queries for
 *       the names of bench_dns.h sent to 127.0.0.1:PORT, INFLIGHT outstanding at any time,
 *       every reply checked (id, NOERROR, one answer with the expected address). It prints the
 *       figures dnsperf prints, in dnsperf's words, so that dns_server reads either. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_dns.h"

#define BATCH 64
#define PACKET 512

static void die(const char *what)
{
	fprintf(stderr, "dns_plain: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The reply to one query in q (n bytes) written to r; its length, or 0 to ignore the packet. */
static size_t answer(const unsigned char *q, size_t n, unsigned char *r)
{
	size_t pos = 12, end;
	char name[256];
	size_t name_len = 0;
	uint32_t addr;

	if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return 0;
	while (pos < n && q[pos] != 0) {
		size_t len = q[pos];
		if (len > 63 || pos + 1 + len >= n || name_len + len + 1 >= sizeof(name))
			return 0;
		if (name_len)
			name[name_len++] = '.';
		memcpy(name + name_len, q + pos + 1, len);
		name_len += len;
		pos += 1 + len;
	}
	end = pos + 5; /* the root label, QTYPE and QCLASS */
	if (end > n || end + 16 > PACKET)
		return 0;
	name[name_len] = '\0';
	memcpy(r, q, end);
	r[2] = 0x80 | (q[2] & 0x01); /* QR, and RD as asked */
	r[3] = 0x80;                  /* RA, NOERROR */
	r[6] = 0, r[7] = 1;           /* one answer */
	r[8] = r[9] = r[10] = r[11] = 0;
	/* The owner is the question's name (a pointer to offset 12); type A, class IN, TTL 60. */
	static const unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
	memcpy(r + end, rr, sizeof(rr));
	addr = htonl(bench_dns_answer(name));
	memcpy(r + end + sizeof(rr), &addr, 4);
	return end + sizeof(rr) + 4;
}

static _Noreturn void respond(int fd)
{
	static unsigned char in[BATCH][PACKET], out[BATCH][PACKET];
	struct sockaddr_storage from[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct mmsghdr in_msg[BATCH], out_msg[BATCH];
	int i;

	for (;;) {
		int got, replies = 0;
		memset(in_msg, 0, sizeof(in_msg));
		for (i = 0; i < BATCH; i++) {
			in_iov[i].iov_base = in[i];
			in_iov[i].iov_len = PACKET;
			in_msg[i].msg_hdr.msg_iov = &in_iov[i];
			in_msg[i].msg_hdr.msg_iovlen = 1;
			in_msg[i].msg_hdr.msg_name = &from[i];
			in_msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		/* Blocks for the first packet, then takes whatever else is already queued. */
		got = recvmmsg(fd, in_msg, BATCH, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			die("recvmmsg");
		}
		memset(out_msg, 0, sizeof(out_msg));
		for (i = 0; i < got; i++) {
			size_t len = answer(in[i], in_msg[i].msg_len, out[replies]);
			if (!len)
				continue;
			out_iov[replies].iov_base = out[replies];
			out_iov[replies].iov_len = len;
			out_msg[replies].msg_hdr.msg_iov = &out_iov[replies];
			out_msg[replies].msg_hdr.msg_iovlen = 1;
			out_msg[replies].msg_hdr.msg_name = &from[i];
			out_msg[replies].msg_hdr.msg_namelen = in_msg[i].msg_hdr.msg_namelen;
			replies++;
		}
		for (i = 0; i < replies;) {
			int sent = sendmmsg(fd, out_msg + i, replies - i, 0);
			if (sent < 0) {
				if (errno == EINTR)
					continue;
				die("sendmmsg");
			}
			i += sent;
		}
	}
}

/* A query for name number i with transaction id id into q; its length. */
static size_t make_query(unsigned char *q, unsigned i, unsigned id)
{
	char name[64];
	size_t pos = 12;
	char *label = name, *dot;

	bench_dns_name(name, sizeof(name), i);
	memset(q, 0, 12);
	q[0] = id >> 8, q[1] = id & 0xff;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* one question */
	for (;;) {
		size_t len;
		dot = strchr(label, '.');
		len = dot ? (size_t)(dot - label) : strlen(label);
		q[pos++] = (unsigned char)len;
		memcpy(q + pos, label, len);
		pos += len;
		if (!dot)
			break;
		label = dot + 1;
	}
	q[pos++] = 0;
	q[pos++] = 0, q[pos++] = 1; /* A */
	q[pos++] = 0, q[pos++] = 1; /* IN */
	return pos;
}

/* The reply r (n bytes) to the query for name number i: NOERROR, one A answer, the right
 * address in its last four bytes. */
static int reply_ok(const unsigned char *r, size_t n, unsigned i)
{
	char name[64];
	uint32_t addr;

	if (n < 12 + 16 || (r[3] & 0x0f) != 0 || r[6] != 0 || r[7] != 1)
		return 0;
	bench_dns_name(name, sizeof(name), i);
	memcpy(&addr, r + n - 4, 4);
	return ntohl(addr) == bench_dns_answer(name);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load(int port, unsigned queries, unsigned inflight)
{
	struct sockaddr_in sin;
	struct timeval two_seconds = { 2, 0 };
	unsigned char q[PACKET], r[PACKET];
	/* Which name each transaction id asked for (ids are the query numbers mod 65536, and
	 * fewer than 65536 are outstanding). */
	static unsigned asked[65536];
	unsigned sent = 0, done = 0, bad = 0, lost = 0;
	double t0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	if (inflight == 0 || inflight > 60000) {
		fprintf(stderr, "dns_plain: INFLIGHT must be 1-60000\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("connect");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof(two_seconds));
	t0 = now();
	while (done + lost < queries) {
		while (sent < queries && sent - done - lost < inflight) {
			unsigned id = sent & 0xffff;
			size_t len = make_query(q, sent, id);
			asked[id] = sent;
			if (send(fd, q, len, 0) < 0)
				die("send");
			sent++;
		}
		ssize_t n = recv(fd, r, sizeof(r), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				die("recv");
			/* Nothing for two seconds: whatever is outstanding is lost. */
			lost += sent - done - lost;
			continue;
		}
		if (n < 12)
			continue;
		if (!reply_ok(r, (size_t)n, asked[(r[0] << 8) | r[1]]))
			bad++;
		done++;
	}
	double elapsed = now() - t0;
	printf("  Queries sent:         %u\n", sent);
	printf("  Queries completed:    %u (%.2f%%)\n", done, 100.0 * done / queries);
	printf("  Queries lost:         %u (%.2f%%)\n", lost, 100.0 * lost / queries);
	printf("  Wrong answers:        %u\n", bad);
	printf("  Queries per second:   %f\n", done / elapsed);
	return bad || lost ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "respond"))
		respond(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "load"))
		return load(atoi(argv[2]), (unsigned)strtoul(argv[3], NULL, 10), (unsigned)strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: dns_plain respond FD | dns_plain load PORT QUERIES INFLIGHT\n");
	return 2;
}
