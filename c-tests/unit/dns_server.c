/* The evdns server (event2/dns.h, dns_struct.h) from C, on 127.0.0.1 only: a hand-built query
 * read back through struct evdns_server_request/evdns_server_question as C sees them, the
 * reply checked byte by byte; then a threadsafe port whose requests are answered by a worker
 * thread while the loop runs in another, closed from the main thread. Passes against upstream
 * 2.1.12 too (LIBEVENT_UNDER_TEST=system). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include "check.h"

/* A nonblocking UDP socket bound to 127.0.0.1 on a port the kernel picks. */
static int bound_socket(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)sin, &len) == 0);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* A client socket that waits at most a second for a reply. */
static int client_socket(void)
{
	struct timeval tv = {1, 0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	return fd;
}

/* "Www.Example.com" type A class IN, id `id`, RD set. */
static size_t build_query(unsigned char *q, unsigned id)
{
	static const unsigned char tail[] = "\3Www\7Example\3com\0\0\1\0\1";
	unsigned char head[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	head[0] = id >> 8;
	head[1] = id & 0xff;
	memcpy(q, head, 12);
	memcpy(q + 12, tail, sizeof(tail) - 1);
	return 12 + sizeof(tail) - 1;
}

static int requests_seen;

static void layout_cb(struct evdns_server_request *req, void *arg)
{
	struct sockaddr_in from;
	struct in_addr a;
	(void)arg;
	requests_seen++;
	CHECK(req->nquestions == 1);
	CHECK(req->questions[0]->type == EVDNS_TYPE_A);
	CHECK(req->questions[0]->dns_question_class == EVDNS_CLASS_INET);
	CHECK(strcmp(req->questions[0]->name, "Www.Example.com") == 0);
	CHECK(req->flags == 0x100); /* the query's RD */
	CHECK(evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&from, sizeof(from)) == sizeof(from));
	CHECK(from.sin_family == AF_INET && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	a.s_addr = htonl(0x0a000001);
	CHECK(evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, &a.s_addr, 300) == 0);
	evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
	CHECK(evdns_server_request_respond(req, 0) == 0);
}

static void test_layout_and_reply(void)
{
	/* Header: same id, QR|AA|RD, 1 question, 1 answer; the question echoed; the answer's name
	 * a pointer to the question's (offset 12), type A, class IN, TTL 300, 4 bytes. */
	static const unsigned char want[] = {0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
	    3, 'W', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	    0xc0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 10, 0, 0, 1};
	struct sockaddr_in sin;
	unsigned char q[64], reply[600];
	struct event_base *base = event_base_new();
	int fd = bound_socket(&sin), client = client_socket();
	struct evdns_server_port *port = evdns_add_server_port_with_base(base, fd, 0, layout_cb, NULL);
	size_t qlen = build_query(q, 0x1234);
	ssize_t n;
	CHECK(port != NULL);
	CHECK(sendto(client, q, qlen, 0, (struct sockaddr *)&sin, sizeof(sin)) == (ssize_t)qlen);
	event_base_loop(base, EVLOOP_ONCE);
	n = recv(client, reply, sizeof(reply), 0);
	CHECK(requests_seen == 1);
	CHECK(n == (ssize_t)sizeof(want) && memcmp(reply, want, sizeof(want)) == 0);
	evdns_close_server_port(port);
	/* The port closes its socket when it goes. */
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	close(client);
	event_base_free(base);
}

/* Requests handed from the loop's callback to a worker thread, which answers them. */
#define N_QUERIES 200
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct evdns_server_request *handed[N_QUERIES];
static int n_handed, n_answered, worker_done;

static void handoff_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	if (n_handed < N_QUERIES)
		handed[n_handed++] = req;
	else
		evdns_server_request_drop(req);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (n_answered < n_handed) {
			struct evdns_server_request *req = handed[n_answered++];
			struct in_addr a;
			pthread_mutex_unlock(&mu);
			a.s_addr = htonl(0x7f000002);
			CHECK(evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, &a.s_addr, 1) == 0);
			CHECK(evdns_server_request_respond(req, 0) >= 0);
			pthread_mutex_lock(&mu);
		}
		/* Checked after every batch: the main thread may have set it, and signalled nobody,
		 * while the lock was released for the last answer. */
		if (worker_done)
			break;
		pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *loop(void *base)
{
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void test_threads(void)
{
	struct sockaddr_in sin;
	unsigned char q[64], reply[600];
	char got[N_QUERIES] = {0};
	pthread_t loop_thread, worker_thread;
	struct event_base *base;
	struct evdns_server_port *port;
	int fd, client = client_socket(), i, replies = 0;

	CHECK(evthread_use_pthreads() == 0);
	evthread_enable_lock_debugging();
	base = event_base_new();
	fd = bound_socket(&sin);
	port = evdns_add_server_port_with_base(base, fd, 0, handoff_cb, NULL);
	CHECK(port != NULL);
	pthread_create(&loop_thread, NULL, loop, base);
	pthread_create(&worker_thread, NULL, worker, NULL);
	for (i = 0; i < N_QUERIES; i++) {
		size_t qlen = build_query(q, i);
		CHECK(sendto(client, q, qlen, 0, (struct sockaddr *)&sin, sizeof(sin)) == (ssize_t)qlen);
		/* A few in flight at a time: loopback drops what overflows the socket buffers. */
		if (i % 10 == 9)
			while (replies <= i - 5) {
				ssize_t n = recv(client, reply, sizeof(reply), 0);
				if (n < 12)
					break;
				got[(reply[0] << 8 | reply[1]) % N_QUERIES] = 1;
				replies++;
			}
	}
	while (replies < N_QUERIES) {
		ssize_t n = recv(client, reply, sizeof(reply), 0);
		if (n < 12)
			break;
		got[(reply[0] << 8 | reply[1]) % N_QUERIES] = 1;
		replies++;
	}
	CHECK(replies == N_QUERIES);
	for (i = 0; i < N_QUERIES; i++)
		CHECK(got[i]);
	/* Closed from this thread while the loop runs in another. */
	evdns_close_server_port(port);
	pthread_mutex_lock(&mu);
	worker_done = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(worker_thread, NULL);
	event_base_loopbreak(base);
	pthread_join(loop_thread, NULL);
	CHECK(n_answered == N_QUERIES);
	close(client);
	event_base_free(base);
}

int main(void)
{
	test_layout_and_reply();
	test_threads();
	CHECK_EXIT();
}
