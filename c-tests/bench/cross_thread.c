/* Cross-thread activation: with evthread_use_pthreads, a second thread makes a batch of BATCH
 * distinct events active with event_active while the loop thread sits in event_base_loop; the last
 * callback of the batch posts a semaphore and the activating thread starts the next batch. This
 * measures the lock, the wake-up of the sleeping loop and the dispatch together.
 *
 * Both threads are pinned to one CPU: otherwise the figure mostly tells whether the scheduler put
 * them on the same core or on two (a 5x difference on an idle machine), not what the library costs.
 *
 * usage: cross_thread BATCH ROUNDS  prints RESULT cross_thread_<BATCH> in callbacks per second.
 * Locking is always on here: the program switches it on itself. */
#include "bench_util.h"
#include <event2/thread.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>

static struct event_base *base;
static struct event **events;
static long batch, rounds, ran;
static sem_t batch_done;

static void on_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (++ran % batch == 0)
		sem_post(&batch_done);
}

static void *activate_batches(void *unused)
{
	(void)unused;
	for (long round = 0; round < rounds; round++) {
		for (long i = 0; i < batch; i++)
			event_active(events[i], EV_READ, 1);
		while (sem_wait(&batch_done) != 0)
			;
	}
	event_base_loopbreak(base);
	return NULL;
}

/* Restricts the process (and so the thread created later) to the first CPU it may use. */
static void pin_to_one_cpu(void)
{
	cpu_set_t allowed, one_cpu;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		bench_fail("sched_getaffinity");
	CPU_ZERO(&one_cpu);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed)) {
			CPU_SET(cpu, &one_cpu);
			break;
		}
	if (sched_setaffinity(0, sizeof(one_cpu), &one_cpu) != 0)
		bench_fail("sched_setaffinity");
}

int main(int argc, char **argv)
{
	pthread_t activator;
	char name[64];

	pin_to_one_cpu();
	batch = bench_arg(argc, argv, 1, 100);
	rounds = bench_arg(argc, argv, 2, 10000);
	if (evthread_use_pthreads() != 0)
		bench_fail("evthread_use_pthreads");
	bench_report_library();
	if (!(base = event_base_new()) || !(events = calloc((size_t)batch, sizeof(*events))))
		bench_fail("setup");
	for (long i = 0; i < batch; i++)
		if (!(events[i] = event_new(base, -1, 0, on_callback, NULL)))
			bench_fail("event_new");
	sem_init(&batch_done, 0, 0);

	double start = bench_now();
	if (pthread_create(&activator, NULL, activate_batches, NULL) != 0)
		bench_fail("pthread_create");
	if (event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		bench_fail("event_base_loop");
	pthread_join(activator, NULL);
	double elapsed = bench_now() - start;

	if (ran != batch * rounds) {
		fprintf(stderr, "cross_thread: %ld callbacks ran, expected %ld\n", ran, batch * rounds);
		return 1;
	}
	snprintf(name, sizeof(name), "cross_thread_%ld", batch);
	bench_result(name, (double)ran / elapsed, "ops/s");
	for (long i = 0; i < batch; i++)
		event_free(events[i]);
	free(events);
	event_base_free(base);
	return 0;
}
