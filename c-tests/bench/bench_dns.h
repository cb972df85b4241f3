/* What the dns benchmarks ask and answer, shared by dns_server.c, dns_resolve.c and the plain
 * peer dns_plain.c (which links no libevent, so this header uses none of it). */
#ifndef BENCH_DNS_H
#define BENCH_DNS_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

/* Distinct names, so that nothing along the way could answer from a cache. */
#define BENCH_DNS_NAMES 4096

static inline void bench_dns_name(char *buf, size_t size, unsigned i)
{
	snprintf(buf, size, "host%u.bench.example", i % BENCH_DNS_NAMES);
}

/* The A record every server of the benchmarks gives for a name: 10.x.y.z from an FNV-1a hash of
 * the name in lower case (resolvers randomise the case of what they send, 0x20). Host order. */
static inline uint32_t bench_dns_answer(const char *name)
{
	uint32_t h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (unsigned char)tolower((unsigned char)*name)) * 16777619u;
	return (10u << 24) | (h & 0xffffffu);
}

/* Where the benchmark binaries are (dns_plain sits next to the program that starts it). */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void bench_dns_sibling(char *buf, size_t size, const char *program)
{
	char self[PATH_MAX / 2]; /* half: the sibling's path always fits a PATH_MAX buffer */
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	if (n <= 0) {
		snprintf(buf, size, "%s", program);
		return;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, size, "%s/%s", self, program);
}

/* A blocking UDP socket bound to an ephemeral port of 127.0.0.1, its address in *sin; -1 on failure.
 * Bound before any peer starts, so that its port is known. */
static inline int bench_dns_socket(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) != 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* `dns_plain respond` serving the blocking socket fd in a child process, until killed; its pid, or
 * -1 if fork failed. */
static inline pid_t bench_dns_responder(int fd)
{
	char plain[PATH_MAX];
	pid_t child;
	bench_dns_sibling(plain, sizeof(plain), "dns_plain");
	child = fork();
	if (child == 0) {
		dup2(fd, 3);
		execl(plain, plain, "respond", "3", (char *)NULL);
		fprintf(stderr, "bench: cannot run %s\n", plain);
		_exit(127);
	}
	return child;
}

#endif
