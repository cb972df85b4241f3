/* Shared helpers for the benchmark programs in c-tests/bench/.
 *
 * Every program is compiled once against the installed libevent headers and run unchanged against
 * both libraries, so nothing here may depend on which library serves the run. Conventions:
 *   - the measured figure is printed as one line `RESULT name=<n> value=<v> unit=<u>` on stdout;
 *   - the library that actually provides event_base_new is printed as `LIBRARY path=<p>` on stderr,
 *     so that the runner can check the run went to the library it meant;
 *   - locking is switched on from outside, by preloading threads_on.so (see there), so that the
 *     same binary measures the cost of locks; cross_thread.c switches it on itself. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#define _GNU_SOURCE
#include <dlfcn.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void bench_result(const char *name, double value, const char *unit)
{
	printf("RESULT name=%s value=%.6g unit=%s\n", name, value, unit);
	fflush(stdout);
}

static inline void bench_fail(const char *what)
{
	fprintf(stderr, "bench: FAILED: %s\n", what);
	exit(1);
}

/* Tells which shared object the dynamic linker bound event_base_new to. */
static inline void bench_report_library(void)
{
	Dl_info info;
	if (dladdr((void *)event_base_new, &info) && info.dli_fname)
		fprintf(stderr, "LIBRARY path=%s\n", info.dli_fname);
	else
		fprintf(stderr, "LIBRARY path=unknown\n");
}

/* Common start of every program: the library reported, a fresh base. */
static inline struct event_base *bench_start(void)
{
	struct event_base *base;
	bench_report_library();
	base = event_base_new();
	if (!base)
		bench_fail("event_base_new");
	return base;
}

/* Raises the soft fd limit to the hard one and returns how many fds a program may open. */
static inline long bench_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}

/* Raises RLIMIT_NOFILE so that at least `want` fds can be open, lifting the hard limit too when
 * the process may (root); returns how many fds the program may open afterwards. */
static inline long bench_raise_fd_limit_to(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < want) {
		struct rlimit higher = {(rlim_t)want, (rlim_t)want};
		if (setrlimit(RLIMIT_NOFILE, &higher) == 0)
			return want;
	}
	return bench_raise_fd_limit();
}

/* A "<field>: <n> kB" line of /proc/self/status (VmRSS, VmHWM ...), in KiB. */
static inline long bench_status_kib(const char *field)
{
	char line[256], format[64];
	long kib = -1;
	FILE *status = fopen("/proc/self/status", "r");
	if (!status)
		bench_fail("/proc/self/status");
	snprintf(format, sizeof(format), "%s: %%ld kB", field);
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, format, &kib) == 1)
			break;
	fclose(status);
	if (kib < 0)
		bench_fail("a field missing in /proc/self/status");
	return kib;
}

/* The peak resident set size so far (VmHWM), in KiB. */
static inline long bench_peak_rss_kib(void)
{
	return bench_status_kib("VmHWM");
}

/* Deterministic pseudo-random numbers (xorshift64), the same sequence for both libraries. */
static inline unsigned long long bench_rand(unsigned long long *state)
{
	unsigned long long x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static inline long bench_arg(int argc, char **argv, int index, long fallback)
{
	return argc > index ? atol(argv[index]) : fallback;
}

#endif
