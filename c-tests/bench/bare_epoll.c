/* The floor for upstream's test/bench.c: the same pipe chain and the same system calls (socketpair,
 * epoll_wait with a zero timeout, one recv and one send per readable socket), with no event library
 * in between. Same flags (-n pipes, -a active, -w writes) and the same output (25 lines, each the
 * microseconds of one run), so the runner treats both programs alike.
 *
 * Like bench.c, every run first re-registers all read sockets (bench.c's event_del + event_add:
 * EPOLL_CTL_DEL and EPOLL_CTL_ADD) and polls once, outside the timed part: at 10 000 sockets that
 * churn of kernel state makes the timed loop that follows 1.7x slower, so a floor without it
 * would not be one. Deliberately different: no clock is read inside the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RUNS 25
#define MAX_READY 4096

static int *sockets; /* pairs: [2i] is read by the loop, [2i + 1] is written to */
static int num_pipes = 100, num_active = 1, num_writes = -1;
static long count, fired, writes, failures;

static void on_readable(long index)
{
	unsigned char ch;
	long next = index + 1;
	ssize_t n = recv(sockets[2 * index], &ch, 1, 0);
	if (n >= 0)
		count += n;
	else
		failures++;
	if (writes) {
		if (next >= num_pipes)
			next -= num_pipes;
		if (send(sockets[2 * next + 1], "e", 1, 0) != 1)
			failures++;
		writes--;
		fired++;
	}
}

static void watch(int epfd, long i, int first_run)
{
	struct epoll_event want = {.events = EPOLLIN, .data.u64 = (unsigned long long)i};
	if ((!first_run && epoll_ctl(epfd, EPOLL_CTL_DEL, sockets[2 * i], NULL) == -1) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, sockets[2 * i], &want) == -1) {
		perror("epoll_ctl");
		exit(1);
	}
}

static long run_once(int epfd, int first_run)
{
	static struct epoll_event ready[MAX_READY];
	struct timeval start, end;
	long stride = (long)(num_pipes / num_active) * 2;

	for (long i = 0; i < num_pipes; i++)
		watch(epfd, i, first_run);
	(void)epoll_wait(epfd, ready, MAX_READY, 0);
	fired = 0;
	for (long i = 0; i < num_active; i++, fired++)
		(void)send(sockets[i * stride + 1], "e", 1, 0);
	count = 0;
	writes = num_writes;
	gettimeofday(&start, NULL);
	do {
		int n = epoll_wait(epfd, ready, MAX_READY, 0);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			exit(1);
		}
		for (int i = 0; i < n; i++)
			on_readable((long)ready[i].data.u64);
	} while (count != fired);
	gettimeofday(&end, NULL);
	return (end.tv_sec - start.tv_sec) * 1000000L + (end.tv_usec - start.tv_usec);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int c, epfd;

	while ((c = getopt(argc, argv, "n:a:w:")) != -1) {
		switch (c) {
		case 'n': num_pipes = atoi(optarg); break;
		case 'a': num_active = atoi(optarg); break;
		case 'w': num_writes = atoi(optarg); break;
		default: fprintf(stderr, "usage: bare_epoll [-n pipes] [-a active] [-w writes]\n"); return 1;
		}
	}
	if (num_writes < 0)
		num_writes = num_pipes;
	rl.rlim_cur = rl.rlim_max = (rlim_t)num_pipes * 2 + 50;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		perror("setrlimit");
		return 1;
	}
	sockets = calloc((size_t)num_pipes * 2, sizeof(int));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!sockets || epfd < 0) {
		perror("setup");
		return 1;
	}
	for (long i = 0; i < num_pipes; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, &sockets[2 * i]) == -1) {
			perror("socketpair");
			return 1;
		}
	}
	for (int run = 0; run < RUNS; run++)
		printf("%ld\n", run_once(epfd, run == 0));
	if (failures)
		fprintf(stderr, "bare_epoll: %ld failed send/recv\n", failures);
	return failures != 0;
}
