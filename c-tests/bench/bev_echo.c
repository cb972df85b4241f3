/* Small-message echo: CONNECTIONS loopback TCP connections, each doing 64-byte request/response
 * round trips until MESSAGES round trips are done in all. Server and clients share one event_base
 * in one thread: an evconnlistener accepts, each accepted socket bufferevent echoes what it reads
 * (evbuffer_add_buffer from its input to its output), each client is a socket bufferevent that
 * sends a request, waits for the whole echo, checks it and sends the next.
 *
 * usage: bev_echo CONNECTIONS MESSAGES
 * prints RESULT bev_echo_<CONNECTIONS> in round trips ("messages") per second, timed from the
 * first request (once every connection is established and accepted) to the last echo. MESSAGES
 * is rounded up to a multiple of CONNECTIONS, every connection doing the same number. */
#include "bench_bev.h"

#define MESSAGE 64
/* Where the message number goes in a request: ten digits, the last byte is a newline. */
#define NUMBER_END (MESSAGE - 1)
#define NUMBER_DIGITS 10

struct client {
	struct echo *echo;
	struct bufferevent *bev;
	long id, sent, answered;
	char expected[MESSAGE];
};

struct echo {
	struct event_base *base;
	struct client *clients;
	struct bufferevent **served;
	long connections, per_connection, connected, accepted, answered;
	double started;
};

/* "connection <id> ........ <ten-digit message number>\n": distinct per connection and message,
 * so a mixed-up or stale echo fails the check. The connection part is written once; each request
 * only renews the number, so the program's own work per message stays small next to the
 * library's (the instruction counts are of the whole process). */
static void init_request(struct client *c)
{
	int len = snprintf(c->expected, sizeof(c->expected), "connection %ld ", c->id);
	memset(c->expected + len, '.', MESSAGE - (size_t)len);
	c->expected[NUMBER_END] = '\n';
}

static void send_request(struct client *c)
{
	unsigned long number = (unsigned long)c->sent;
	for (int i = 1; i <= NUMBER_DIGITS; i++, number /= 10)
		c->expected[NUMBER_END - i] = (char)('0' + number % 10);
	if (bufferevent_write(c->bev, c->expected, MESSAGE) != 0)
		bench_fail("bufferevent_write of a request");
	c->sent++;
}

static void start_if_ready(struct echo *e)
{
	if (e->connected < e->connections || e->accepted < e->connections)
		return;
	e->started = bench_now();
	for (long i = 0; i < e->connections; i++)
		send_request(&e->clients[i]);
}

static void on_echo(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	char got[MESSAGE];

	while (evbuffer_get_length(input) >= MESSAGE) {
		if (evbuffer_remove(input, got, MESSAGE) != MESSAGE)
			bench_fail("evbuffer_remove of an echo");
		if (memcmp(got, c->expected, MESSAGE) != 0 || c->answered == c->sent)
			bench_fail("an echo differs from its request");
		c->answered++;
		if (++c->echo->answered == c->echo->connections * c->echo->per_connection)
			event_base_loopbreak(c->echo->base);
		else if (c->sent < c->echo->per_connection)
			send_request(c);
	}
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	(void)bev;

	if (what & BEV_EVENT_CONNECTED) {
		c->echo->connected++;
		start_if_ready(c->echo);
		return;
	}
	fprintf(stderr, "bev_echo: event 0x%x on client %ld\n", what, c->id);
	bench_fail("unexpected client event");
}

static void on_request(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev)) != 0)
		bench_fail("evbuffer_add_buffer in the echo server");
}

static void on_server_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	fprintf(stderr, "bev_echo: event 0x%x on a served connection\n", what);
	bench_fail("unexpected server-side event");
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct echo *e = arg;
	struct bufferevent *bev;
	(void)peer; (void)peer_len;

	if (e->accepted == e->connections)
		bench_fail("more connections than were made");
	bev = bench_accepted(listener, fd);
	bufferevent_setcb(bev, on_request, NULL, on_server_event, e);
	if (bufferevent_enable(bev, EV_READ) != 0)
		bench_fail("bufferevent_enable on a served connection");
	e->served[e->accepted++] = bev;
	start_if_ready(e);
}

int main(int argc, char **argv)
{
	struct echo e = {0};
	struct sockaddr_in addr;
	struct evconnlistener *listener;
	long messages;
	char name[64];

	e.connections = bench_arg(argc, argv, 1, 100);
	messages = bench_arg(argc, argv, 2, 100000);
	if (e.connections < 1 || messages < 1)
		bench_fail("CONNECTIONS and MESSAGES must be positive");
	e.per_connection = (messages + e.connections - 1) / e.connections;
	if (bench_raise_fd_limit_to(2 * e.connections + 64) < 2 * e.connections + 16)
		bench_fail("RLIMIT_NOFILE is too low for that many connections");
	e.base = bench_start();
	e.clients = calloc((size_t)e.connections, sizeof(*e.clients));
	e.served = calloc((size_t)e.connections, sizeof(*e.served));
	if (!e.clients || !e.served)
		bench_fail("calloc");

	listener = bench_listen_loopback(e.base, on_accept, &e, &addr);
	for (long i = 0; i < e.connections; i++) {
		struct client *c = &e.clients[i];
		c->echo = &e;
		c->id = i;
		init_request(c);
		c->bev = bench_connect(e.base, &addr);
		bufferevent_setcb(c->bev, on_echo, NULL, on_client_event, c);
		if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
			bench_fail("bufferevent_enable on a client");
	}

	if (event_base_dispatch(e.base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - e.started;
	long done = e.connections * e.per_connection;
	if (e.answered != done) {
		fprintf(stderr, "bev_echo: %ld of %ld round trips done\n", e.answered, done);
		return 1;
	}
	for (long i = 0; i < e.connections; i++)
		if (e.clients[i].answered != e.per_connection)
			bench_fail("a connection did not get all its echoes");
	snprintf(name, sizeof(name), "bev_echo_%ld", e.connections);
	bench_result(name, (double)done / elapsed, "msg/s");

	for (long i = 0; i < e.connections; i++) {
		bufferevent_free(e.clients[i].bev);
		bufferevent_free(e.served[i]);
	}
	evconnlistener_free(listener);
	event_base_free(e.base);
	free(e.clients);
	free(e.served);
	return 0;
}
