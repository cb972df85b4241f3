/* A buffered echo server and its client on libevent-rs, in one process on one event loop: what
 * programs built on bufferevents do, each step reported as it happens.
 *
 *   - an evconnlistener on 127.0.0.1 (a port the kernel picks) accepts the client's connection;
 *   - the server echoes everything with evbuffer_add_buffer and uses watermarks for flow control:
 *     when more than 64 KiB of echo wait in its output it stops reading, and its write callback
 *     (write low watermark 16 KiB) starts reading again once the client has caught up;
 *   - the client waits for a whole greeting line with a read low watermark, then sends 1 MiB
 *     while not reading for 200 ms, so the server has to pause, and checks every byte it gets back;
 *   - the server's read timeout (500 ms) closes the connection once the client has gone quiet,
 *     and the client sees the close.
 * Small kernel socket buffers make the watermarks matter at these sizes. The loop stops when
 * the client has seen the close, or after a five-second safety timeout.
 * Exit status 0 only if every step happened as expected. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define GREETING "hello, echo server\n"
#define BURST (1024 * 1024)
#define PIECE (16 * 1024)
#define OUTPUT_HIGH (64 * 1024)
#define OUTPUT_LOW (16 * 1024)
#define SOCKET_BUFFER (32 * 1024)

enum phase { GREETING_PHASE, BURST_PHASE, QUIET_PHASE };

struct echo {
	struct event_base *base;
	struct evconnlistener *listener;
	struct bufferevent *client, *served;
	struct event *resume_client;
	enum phase phase;

	int greetings_echoed;
	size_t burst_received;
	int burst_intact;
	int pauses, resumes;
	int server_paused;
	int idle_timeouts;
	int close_seen;
	int timed_out;
};

/* Byte i of the burst. */
static unsigned char burst_byte(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

static void small_socket_buffers(evutil_socket_t fd)
{
	int size = SOCKET_BUFFER;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* ---------------------------------------------------------------- the server */

static void server_read(struct bufferevent *bev, void *arg)
{
	struct echo *e = arg;
	struct evbuffer *output = bufferevent_get_output(bev);

	evbuffer_add_buffer(output, bufferevent_get_input(bev));
	if (!e->server_paused && evbuffer_get_length(output) > OUTPUT_HIGH) {
		bufferevent_disable(bev, EV_READ);
		e->server_paused = 1;
		if (e->pauses++ == 0)
			printf("server: over %d KiB of echo waiting, stops reading until the client catches up\n",
			    OUTPUT_HIGH / 1024);
	}
}

/* Runs when the output has drained to the write low watermark. */
static void server_write(struct bufferevent *bev, void *arg)
{
	struct echo *e = arg;

	if (!e->server_paused)
		return;
	e->server_paused = 0;
	bufferevent_enable(bev, EV_READ);
	if (e->resumes++ == 0)
		printf("server: output down to %d KiB, reads again\n", OUTPUT_LOW / 1024);
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo *e = arg;

	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
		e->idle_timeouts++;
		printf("server: nothing read for 500 ms, closes the connection\n");
	} else {
		printf("server: connection event 0x%x, closing\n", what);
	}
	bufferevent_free(bev);
	e->served = NULL;
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct echo *e = arg;
	struct timeval read_timeout = {0, 500000};
	char host[INET_ADDRSTRLEN] = "?";
	(void)peer_len;

	inet_ntop(AF_INET, &((struct sockaddr_in *)peer)->sin_addr, host, sizeof(host));
	printf("server: accepted a connection from %s:%d\n", host,
	    ntohs(((struct sockaddr_in *)peer)->sin_port));
	small_socket_buffers(fd);
	e->served = bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!e->served) {
		fprintf(stderr, "echo: bufferevent_socket_new failed\n");
		event_base_loopbreak(e->base);
		return;
	}
	bufferevent_setcb(e->served, server_read, server_write, server_event, e);
	bufferevent_setwatermark(e->served, EV_WRITE, OUTPUT_LOW, 0);
	bufferevent_set_timeouts(e->served, &read_timeout, NULL);
	bufferevent_enable(e->served, EV_READ | EV_WRITE);
}

/* ---------------------------------------------------------------- the client */

static void send_burst(struct echo *e)
{
	static unsigned char piece[PIECE];
	struct timeval not_reading = {0, 200000};

	for (size_t sent = 0; sent < BURST; sent += PIECE) {
		for (size_t i = 0; i < PIECE; i++)
			piece[i] = burst_byte(sent + i);
		bufferevent_write(e->client, piece, PIECE);
	}
	printf("client: sent %d KiB and does not read for 200 ms\n", BURST / 1024);
	bufferevent_disable(e->client, EV_READ);
	evtimer_add(e->resume_client, &not_reading);
}

static void client_resume(evutil_socket_t fd, short what, void *arg)
{
	struct echo *e = arg;
	(void)fd;
	(void)what;

	printf("client: reads again\n");
	bufferevent_setwatermark(e->client, EV_READ, 0, 0);
	bufferevent_enable(e->client, EV_READ);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct echo *e = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;

	if (e->phase == GREETING_PHASE) {
		/* The read low watermark held this callback back until the whole line was there. */
		size_t len;
		char *line = evbuffer_readln(input, &len, EVBUFFER_EOL_LF);
		if (line && strcmp(line, "hello, echo server") == 0)
			e->greetings_echoed++;
		printf("client: got the greeting back in one piece: \"%s\"\n", line ? line : "(none)");
		free(line);
		e->phase = BURST_PHASE;
		send_burst(e);
		return;
	}
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		for (int i = 0; i < n; i++)
			if (chunk[i] != burst_byte(e->burst_received + (size_t)i))
				e->burst_intact = 0;
		e->burst_received += (size_t)n;
	}
	if (e->phase == BURST_PHASE && e->burst_received >= BURST) {
		printf("client: all %zu bytes came back%s; now stays quiet\n", e->burst_received,
		    e->burst_intact ? " intact" : " BUT DIFFERENT");
		e->phase = QUIET_PHASE;
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo *e = arg;
	(void)bev;

	if (what & BEV_EVENT_CONNECTED) {
		printf("client: connected, sends the greeting\n");
		bufferevent_write(e->client, GREETING, strlen(GREETING));
		return;
	}
	if ((what & BEV_EVENT_EOF) && e->phase == QUIET_PHASE)
		e->close_seen++;
	printf("client: the server closed the connection (event 0x%x)\n", what);
	event_base_loopbreak(e->base);
}

static void on_safety_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct echo *e = arg;
	(void)fd;
	(void)what;

	e->timed_out = 1;
	printf("safety timeout: giving up after 5 s\n");
	event_base_loopbreak(e->base);
}

int main(void)
{
	struct echo e;
	struct sockaddr_in addr = {0};
	socklen_t addr_len = sizeof(addr);
	struct timeval safety = {5, 0};
	struct event *safety_timer;
	evutil_socket_t fd;

	memset(&e, 0, sizeof(e));
	e.burst_intact = 1;
	if (!(e.base = event_base_new())) {
		fprintf(stderr, "echo: event_base_new failed\n");
		return 1;
	}
	printf("libevent %s, backend method: %s\n", event_get_version(), event_base_get_method(e.base));

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e.listener = evconnlistener_new_bind(e.base, on_accept, &e, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	    -1, (struct sockaddr *)&addr, sizeof(addr));
	if (!e.listener || getsockname(evconnlistener_get_fd(e.listener), (struct sockaddr *)&addr, &addr_len) != 0) {
		fprintf(stderr, "echo: cannot listen on 127.0.0.1\n");
		return 1;
	}
	printf("server: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));

	/* The client's own socket, so its buffers are small before it connects. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || evutil_make_socket_nonblocking(fd) != 0) {
		fprintf(stderr, "echo: socket failed\n");
		return 1;
	}
	small_socket_buffers(fd);
	e.client = bufferevent_socket_new(e.base, fd, BEV_OPT_CLOSE_ON_FREE);
	e.resume_client = evtimer_new(e.base, client_resume, &e);
	safety_timer = evtimer_new(e.base, on_safety_timeout, &e);
	if (!e.client || !e.resume_client || !safety_timer || evtimer_add(safety_timer, &safety) != 0) {
		fprintf(stderr, "echo: setting up the client failed\n");
		return 1;
	}
	bufferevent_setcb(e.client, client_read, NULL, client_event, &e);
	bufferevent_setwatermark(e.client, EV_READ, strlen(GREETING), 0);
	bufferevent_enable(e.client, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(e.client, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "echo: bufferevent_socket_connect failed\n");
		return 1;
	}

	printf("dispatching\n");
	int rc = event_base_dispatch(e.base);
	printf("loop ended (event_base_dispatch returned %d)\n", rc);

	if (e.served)
		bufferevent_free(e.served);
	bufferevent_free(e.client);
	evconnlistener_free(e.listener);
	event_free(e.resume_client);
	event_free(safety_timer);
	event_base_free(e.base);

	printf("summary: greeting echoed %d/1, burst %zu/%d bytes%s, server paused reading %d times "
	       "and resumed %d, idle timeouts %d/1, close seen by the client %d/1\n",
	    e.greetings_echoed, e.burst_received, BURST, e.burst_intact ? " intact" : " CORRUPTED",
	    e.pauses, e.resumes, e.idle_timeouts, e.close_seen);
	if (rc == -1 || e.timed_out || e.greetings_echoed != 1 || e.burst_received != BURST ||
	    !e.burst_intact || e.pauses < 1 || e.resumes != e.pauses || e.idle_timeouts != 1 ||
	    e.close_seen != 1) {
		printf("echo: FAILED\n");
		return 1;
	}
	printf("echo: everything happened\n");
	return 0;
}
