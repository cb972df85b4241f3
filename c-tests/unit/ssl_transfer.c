// LIBS: -lssl -lcrypto
/* TLS bufferevents in both modes (on a socket, over a socket bufferevent): the handshake in both
 * directions, 1 MiB echoed back and checked byte for byte, a clean shutdown (close_notify sent
 * with bufferevent_flush(BEV_FINISHED): EOF, even without allow_dirty_shutdown), dirty
 * shutdowns (the peer closes without close_notify: ERROR, or EOF with allow_dirty_shutdown,
 * with OpenSSL 3's unexpected-EOF error code kept for bufferevent_get_openssl_error), and
 * BEV_OPT_CLOSE_ON_FREE freeing every SSL. Each scenario's loop ends when both ends are freed; one
 * that never ends is a failure by the harness's timeout. */
#include "ssl_common.h"

#define TOTAL (1024 * 1024)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

struct echo_state {
	struct bufferevent *client, *server;
	int connected;
	int peer_cert_seen;
	size_t echoed, received;
	int mismatch;
	short client_end;
	int server_shut;
};

static void client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct echo_state *st = arg;
	if (what & BEV_EVENT_CONNECTED) {
		unsigned char *buf = malloc(TOTAL);
		X509 *peer = SSL_get1_peer_certificate(bufferevent_openssl_get_ssl(bev));
		size_t i;
		st->connected++;
		st->peer_cert_seen = peer != NULL;
		X509_free(peer);
		for (i = 0; i < TOTAL; i++)
			buf[i] = pattern(i);
		CHECK(bufferevent_write(bev, buf, TOTAL) == 0);
		free(buf);
		return;
	}
	st->client_end = what;
	bufferevent_free(bev);
	st->client = NULL;
}

static void client_readcb(struct bufferevent *bev, void *arg)
{
	struct echo_state *st = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(in, chunk, sizeof(chunk))) > 0) {
		int i;
		for (i = 0; i < n; i++)
			if (chunk[i] != pattern(st->received + i))
				st->mismatch = 1;
		st->received += n;
	}
}

static void server_readcb(struct bufferevent *bev, void *arg)
{
	struct echo_state *st = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	st->echoed += evbuffer_get_length(in);
	evbuffer_add_buffer(bufferevent_get_output(bev), in);
}

/* Everything echoed and written: end the TLS session cleanly. */
static void server_writecb(struct bufferevent *bev, void *arg)
{
	struct echo_state *st = arg;
	if (st->echoed == TOTAL && !st->server_shut) {
		st->server_shut = 1;
		CHECK(bufferevent_flush(bev, EV_WRITE, BEV_FINISHED) == 1);
	}
}

static void server_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct echo_state *st = arg;
	if (what & BEV_EVENT_CONNECTED) {
		st->connected++;
		return;
	}
	/* The client went away after our close_notify. */
	bufferevent_free(bev);
	st->server = NULL;
}

static void echo_and_close(struct event_base *base, enum tls_mode mode)
{
	struct echo_state st;
	int freed_before = ssl_objects_freed;

	memset(&st, 0, sizeof(st));
	tls_pair(base, mode, &st.client, &st.server);
	bufferevent_setcb(st.client, client_readcb, NULL, client_eventcb, &st);
	bufferevent_setcb(st.server, server_readcb, server_writecb, server_eventcb, &st);
	bufferevent_enable(st.client, EV_READ | EV_WRITE);
	bufferevent_enable(st.server, EV_READ | EV_WRITE);
	event_base_dispatch(base);

	fprintf(stderr, "%s: connected %d, echoed %zu, received %zu, client end 0x%x\n", mode_name(mode), st.connected,
	    st.echoed, st.received, st.client_end);
	CHECK(st.connected == 2);
	CHECK(st.peer_cert_seen);
	CHECK(st.echoed == TOTAL);
	CHECK(st.received == TOTAL);
	CHECK(!st.mismatch);
	CHECK(st.server_shut);
	/* close_notify arrived: a clean EOF although dirty shutdowns are not allowed. */
	CHECK(st.client_end == (BEV_EVENT_READING | BEV_EVENT_EOF));
	if (st.client)
		bufferevent_free(st.client);
	if (st.server)
		bufferevent_free(st.server);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(ssl_objects_freed == freed_before + 2);
}

struct dirty_state {
	struct bufferevent *client;
	int connected;
	short client_end;
	unsigned long first_error;
};

static void dirty_client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct dirty_state *st = arg;
	if (what & BEV_EVENT_CONNECTED) {
		st->connected++;
		return;
	}
	st->client_end = what;
	st->first_error = bufferevent_get_openssl_error(bev);
	while (bufferevent_get_openssl_error(bev))
		;
	bufferevent_free(bev);
	st->client = NULL;
}

/* The server goes away as soon as it is connected: no close_notify. */
static void dirty_server_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct dirty_state *st = arg;
	if (what & BEV_EVENT_CONNECTED)
		st->connected++;
	bufferevent_free(bev);
}

static void dirty_shutdown(struct event_base *base, enum tls_mode mode, int allow)
{
	struct dirty_state st;
	struct bufferevent *server;
	int freed_before = ssl_objects_freed;

	memset(&st, 0, sizeof(st));
	tls_pair(base, mode, &st.client, &server);
	bufferevent_openssl_set_allow_dirty_shutdown(st.client, allow);
	CHECK(bufferevent_openssl_get_allow_dirty_shutdown(st.client) == allow);
	CHECK(bufferevent_openssl_get_allow_dirty_shutdown(server) == 0);
	bufferevent_setcb(st.client, NULL, NULL, dirty_client_eventcb, &st);
	bufferevent_setcb(server, NULL, NULL, dirty_server_eventcb, &st);
	bufferevent_enable(st.client, EV_READ | EV_WRITE);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	event_base_dispatch(base);

	fprintf(stderr, "%s, allow_dirty_shutdown %d: connected %d, client end 0x%x, error %lx\n", mode_name(mode), allow,
	    st.connected, st.client_end, st.first_error);
	CHECK(st.connected == 2);
	CHECK(st.client_end == (BEV_EVENT_READING | (allow ? BEV_EVENT_EOF : BEV_EVENT_ERROR)));
	/* OpenSSL 3's reason for it, however the EOF was seen (the socket BIO, the underlying). */
	CHECK(ERR_GET_LIB(st.first_error) == ERR_LIB_SSL);
	CHECK(ERR_GET_REASON(st.first_error) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
	if (st.client)
		bufferevent_free(st.client);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(ssl_objects_freed == freed_before + 2);
}

int main(void)
{
	struct event_base *base = event_base_new();
	enum tls_mode modes[] = {MODE_SOCKET, MODE_FILTER};
	size_t i;

	CHECK(base != NULL);
	ssl_setup();
	for (i = 0; i < 2; i++) {
		echo_and_close(base, modes[i]);
		dirty_shutdown(base, modes[i], 0);
		dirty_shutdown(base, modes[i], 1);
	}
	event_base_free(base);
	ssl_teardown();
	CHECK_EXIT();
}
