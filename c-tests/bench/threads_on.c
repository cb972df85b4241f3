/* LD_PRELOAD shim: switches libevent's locking on (evthread_use_pthreads) before the program's
 * main runs, so that any program - upstream's test/bench.c as well as ours - can be measured with
 * and without locks from the same binary. It announces itself on stderr so the runner can check
 * that the threaded variant really was threaded. */
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void switch_locking_on(void)
{
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "threads_on: evthread_use_pthreads failed\n");
		exit(1);
	}
	fprintf(stderr, "THREADS on\n");
}
