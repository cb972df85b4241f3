/* Bulk transfer through evhttp: an evhttp server and an evhttp_connection client in one process
 * on one event_base, over TCP on 127.0.0.1, moving TOTAL MiB in requests of REQUEST MiB each on
 * one keep-alive connection.
 *
 *   down: GET /down; the server replies with REQUEST MiB added by reference (1 MiB blocks of
 *         evbuffer_add_reference, no copy on its side); the client takes the body as it arrives
 *         through evhttp_request_set_chunked_cb, checks every byte and drains it.
 *   up:   POST /up with REQUEST MiB added by reference to the request's output buffer; the
 *         server gets the whole body (evhttp buffers a request's body before the callback),
 *         checks every byte and answers 200 with an empty body.
 *
 * usage: http_bulk up|down TOTAL_MIB REQUEST_MIB
 * prints RESULT http_bulk_<up|down> in MiB/s (from the first request to the last answer), and
 * "arrived intact" on stderr. Fails (exit status 1) on any wrong byte, status or length. */
#include "bench_util.h"
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MIB (1024 * 1024)

static unsigned char block[MIB];
static struct event_base *base;
static struct evhttp_connection *client;
static long requests_left, request_mib;
static int upload;
static size_t received; /* bytes of the current answer (down) checked so far */

/* Compares what buf holds with the content, whose first byte is at `offset` of the stream.
 * evbuffer_peek fills at most the 64 vectors it is given (with a length of -1 it then returns
 * 64, not the number the whole buffer needs), so the walk goes on from where each batch ended
 * until every byte was seen; the position moves by the batch's length (EVBUFFER_PTR_ADD), so the
 * walk costs a library with many small chains no more than one with few large ones. */
static int matches(struct evbuffer *buf, size_t offset)
{
	struct evbuffer_iovec vec[64];
	struct evbuffer_ptr at;
	size_t total = evbuffer_get_length(buf), seen = 0;
	if (evbuffer_ptr_set(buf, &at, 0, EVBUFFER_PTR_SET) != 0)
		return 0;
	while (seen < total) {
		size_t batch = 0;
		int n = evbuffer_peek(buf, -1, &at, vec, 64);
		if (n <= 0)
			return 0;
		for (int i = 0; i < n && i < 64; i++) {
			const unsigned char *p = vec[i].iov_base;
			size_t left = vec[i].iov_len;
			batch += left;
			while (left > 0) {
				size_t in_block = offset % MIB, piece = MIB - in_block < left ? MIB - in_block : left;
				if (memcmp(p, block + in_block, piece) != 0)
					return 0;
				p += piece;
				left -= piece;
				offset += piece;
			}
		}
		seen += batch;
		if (seen < total && evbuffer_ptr_set(buf, &at, batch, EVBUFFER_PTR_ADD) != 0)
			return 0;
	}
	return seen == total;
}

static struct evbuffer *content(void)
{
	struct evbuffer *buf = evbuffer_new();
	if (!buf)
		bench_fail("evbuffer_new");
	for (long i = 0; i < request_mib; i++)
		if (evbuffer_add_reference(buf, block, MIB, NULL, NULL) != 0)
			bench_fail("evbuffer_add_reference");
	return buf;
}

static void on_down(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = content();
	(void)arg;
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void on_up(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST ||
	    evbuffer_get_length(in) != (size_t)request_mib * MIB || !matches(in, 0))
		bench_fail("the server did not get the uploaded body intact");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	(void)arg;
	if (!matches(in, received))
		bench_fail("the downloaded body differs from the content");
	received += len;
	evbuffer_drain(in, len);
}

static void send_next(void);

static void on_done(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (!req || evhttp_request_get_response_code(req) != HTTP_OK)
		bench_fail("a request failed");
	if (!upload) {
		/* What arrived after the last chunk callback, if anything, is still in the buffer. */
		on_chunk(req, NULL);
		if (received != (size_t)request_mib * MIB)
			bench_fail("the downloaded body has the wrong length");
	}
	if (--requests_left > 0)
		send_next();
	else
		event_base_loopexit(base, NULL);
}

static void send_next(void)
{
	struct evhttp_request *req = evhttp_request_new(on_done, NULL);
	char length[32];
	if (!req)
		bench_fail("evhttp_request_new");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	received = 0;
	if (upload) {
		struct evbuffer *body = content();
		snprintf(length, sizeof(length), "%ld", request_mib * MIB);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", length);
		evbuffer_add_buffer(evhttp_request_get_output_buffer(req), body);
		evbuffer_free(body);
	} else {
		evhttp_request_set_chunked_cb(req, on_chunk);
	}
	if (evhttp_make_request(client, req, upload ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, upload ? "/up" : "/down") != 0)
		bench_fail("evhttp_make_request");
}

int main(int argc, char **argv)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	long total_mib;
	double started, elapsed;
	char name[32];

	if (argc != 4 || (strcmp(argv[1], "up") && strcmp(argv[1], "down")))
		bench_fail("usage: http_bulk up|down TOTAL_MIB REQUEST_MIB");
	upload = !strcmp(argv[1], "up");
	total_mib = atol(argv[2]);
	request_mib = atol(argv[3]);
	if (request_mib <= 0 || total_mib < request_mib || total_mib % request_mib)
		bench_fail("TOTAL_MIB must be a multiple of REQUEST_MIB");
	requests_left = total_mib / request_mib;
	for (size_t i = 0; i < sizeof(block); i += 8) {
		unsigned long long r = bench_rand(&seed);
		memcpy(block + i, &r, 8);
	}

	base = bench_start();
	http = evhttp_new(base);
	if (!http || !(bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)))
		bench_fail("evhttp on 127.0.0.1");
	evhttp_set_cb(http, "/down", on_down, NULL);
	evhttp_set_cb(http, "/up", on_up, NULL);
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&addr, &addr_len) != 0)
		bench_fail("getsockname");
	client = evhttp_connection_base_new(base, NULL, "127.0.0.1", ntohs(addr.sin_port));
	if (!client)
		bench_fail("evhttp_connection_base_new");

	started = bench_now();
	send_next();
	event_base_dispatch(base);
	elapsed = bench_now() - started;
	if (requests_left != 0)
		bench_fail("the loop ended before the last answer");
	fprintf(stderr, "http_bulk: %ld MiB %s in %ld requests arrived intact\n", total_mib,
	    upload ? "uploaded" : "downloaded", total_mib / request_mib);
	snprintf(name, sizeof(name), "http_bulk_%s", argv[1]);
	bench_result(name, (double)total_mib / elapsed, "MiB/s");
	evhttp_connection_free(client);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
