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
#include <limits.h>
#include <string.h>
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

#endif
