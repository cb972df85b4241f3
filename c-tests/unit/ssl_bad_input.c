// LIBS: -lssl -lcrypto
/* Bad input for TLS bufferevents: errors through the event callback, never a crash.
 * - NULL SSL, NULL bufferevent, a state outside the enum (the SSL is still freed with
 *   CLOSE_ON_FREE), an SSL on another socket than the one given, the TLS calls on a
 *   bufferevent of another kind;
 * - a peer that sends garbage instead of TLS records;
 * - a peer that closes in the middle of a record (the partial record is never delivered);
 * - a handshake that fails (the client verifies and does not trust the self-signed
 *   certificate), with OpenSSL's reason kept for bufferevent_get_openssl_error;
 * - renegotiation: refused by TLS 1.3 (-1), and refused by a TLS 1.2 server with
 *   SSL_OP_NO_RENEGOTIATION (an ERROR event). */
#include <unistd.h>

#include "ssl_common.h"

static void api_misuse(struct event_base *base)
{
	struct bufferevent *plain = bufferevent_socket_new(base, -1, 0);
	evutil_socket_t sp[2];
	int freed_before = ssl_objects_freed;
	SSL *ssl;

	CHECK(bufferevent_openssl_socket_new(base, -1, NULL, BUFFEREVENT_SSL_OPEN, 0) == NULL);
	CHECK(bufferevent_openssl_filter_new(base, plain, NULL, BUFFEREVENT_SSL_OPEN, 0) == NULL);
	CHECK(bufferevent_openssl_filter_new(base, NULL, NULL, BUFFEREVENT_SSL_OPEN, 0) == NULL);
	CHECK(bufferevent_openssl_get_ssl(NULL) == NULL);
	CHECK(bufferevent_openssl_get_allow_dirty_shutdown(NULL) == -1);
	bufferevent_openssl_set_allow_dirty_shutdown(NULL, 1);
	CHECK(bufferevent_ssl_renegotiate(NULL) == -1);
	CHECK(bufferevent_get_openssl_error(NULL) == 0);

	/* Another kind of bufferevent is no TLS one. */
	CHECK(bufferevent_openssl_get_ssl(plain) == NULL);
	CHECK(bufferevent_openssl_get_allow_dirty_shutdown(plain) == -1);
	bufferevent_openssl_set_allow_dirty_shutdown(plain, 1);
	CHECK(bufferevent_ssl_renegotiate(plain) == -1);
	CHECK(bufferevent_get_openssl_error(plain) == 0);

	/* Failed constructors own the SSL with CLOSE_ON_FREE. */
	CHECK(bufferevent_openssl_socket_new(base, -1, new_ssl(client_ctx), (enum bufferevent_ssl_state)7, BEV_OPT_CLOSE_ON_FREE) == NULL);
	CHECK(bufferevent_openssl_filter_new(base, NULL, new_ssl(client_ctx), BUFFEREVENT_SSL_OPEN, BEV_OPT_CLOSE_ON_FREE) == NULL);
	CHECK(ssl_objects_freed == freed_before + 2);
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ssl = new_ssl(client_ctx);
	SSL_set_fd(ssl, sp[0]);
	CHECK(bufferevent_openssl_socket_new(base, sp[1], ssl, BUFFEREVENT_SSL_CONNECTING, 0) == NULL);
	CHECK(ssl_objects_freed == freed_before + 2);
	SSL_free(ssl);
	CHECK(ssl_objects_freed == freed_before + 3);
	close(sp[0]);
	close(sp[1]);
	bufferevent_free(plain);
}

struct outcome {
	int connected;
	short what;
	unsigned long error;
	size_t data;
	int events;
};

/* Records the first end of the connection and frees the bufferevent. */
static void record_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct outcome *o = arg;
	if (what & BEV_EVENT_CONNECTED) {
		o->connected++;
		return;
	}
	o->events++;
	o->what = what;
	o->error = bufferevent_get_openssl_error(bev);
	while (bufferevent_get_openssl_error(bev))
		;
	bufferevent_free(bev);
}

static void count_readcb(struct bufferevent *bev, void *arg)
{
	struct outcome *o = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	o->data += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* A server TLS bufferevent whose peer is a plain socket writing an HTTP request. */
static void garbage_peer(struct event_base *base, enum tls_mode mode)
{
	static const char junk[] = "GET / HTTP/1.0\r\nHost: example\r\n\r\n";
	struct outcome o;
	struct bufferevent *server;
	evutil_socket_t sp[2];

	memset(&o, 0, sizeof(o));
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	evutil_make_socket_nonblocking(sp[1]);
	server = tls_on_fd(base, mode, sp[1], new_ssl(server_ctx), BUFFEREVENT_SSL_ACCEPTING);
	bufferevent_setcb(server, count_readcb, NULL, record_eventcb, &o);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	CHECK(write(sp[0], junk, sizeof(junk) - 1) == (ssize_t)sizeof(junk) - 1);
	event_base_dispatch(base);
	fprintf(stderr, "garbage (%s): what 0x%x, error %lx\n", mode_name(mode), o.what, o.error);
	CHECK(o.connected == 0 && o.data == 0 && o.events == 1);
	CHECK(o.what & BEV_EVENT_ERROR);
	CHECK(o.error != 0);
	close(sp[0]);
}

/* Copies between two plain socket bufferevents; after the handshake, passes only the first
 * bytes of the next server record to the client, then closes both. */
static void relay_writecb(struct bufferevent *bev, void *arg);

struct relay {
	struct bufferevent *to_client, *to_server;
	struct outcome *client;
	int cut;
};

static void relay_readcb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	struct bufferevent *other = bev == r->to_client ? r->to_server : r->to_client;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (bev == r->to_server && r->client->connected && !r->cut) {
		/* Application data now: 10 bytes of the record, then the connection is cut. */
		if (evbuffer_get_length(in) < 10)
			return;
		r->cut = 1;
		evbuffer_remove_buffer(in, bufferevent_get_output(other), 10);
		bufferevent_setcb(r->to_client, NULL, relay_writecb, NULL, r);
		bufferevent_free(r->to_server);
		return;
	}
	if (r->cut) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(other), in);
}

/* The relay's client side is written out, then closed (CLOSE_ON_FREE). */
static void relay_writecb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	if (r->cut && bev == r->to_client)
		bufferevent_free(bev);
}

static void server_send_on_connect(struct bufferevent *bev, short what, void *arg)
{
	static char payload[1000];
	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_write(bev, payload, sizeof(payload));
		return;
	}
	bufferevent_free(bev);
}

static void closed_mid_record(struct event_base *base, enum tls_mode mode)
{
	struct outcome o;
	struct relay r;
	struct bufferevent *client, *server;
	evutil_socket_t c[2], s[2];

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, c) == 0);
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
	evutil_make_socket_nonblocking(c[0]);
	evutil_make_socket_nonblocking(c[1]);
	evutil_make_socket_nonblocking(s[0]);
	evutil_make_socket_nonblocking(s[1]);
	client = tls_on_fd(base, mode, c[0], new_ssl(client_ctx), BUFFEREVENT_SSL_CONNECTING);
	server = tls_on_fd(base, mode, s[0], new_ssl(server_ctx), BUFFEREVENT_SSL_ACCEPTING);
	r.to_client = bufferevent_socket_new(base, c[1], BEV_OPT_CLOSE_ON_FREE);
	r.to_server = bufferevent_socket_new(base, s[1], BEV_OPT_CLOSE_ON_FREE);
	r.client = &o;
	/* Mid-record is never a clean end, whatever dirty shutdowns are allowed to be. */
	bufferevent_openssl_set_allow_dirty_shutdown(client, 0);
	bufferevent_setcb(client, count_readcb, NULL, record_eventcb, &o);
	bufferevent_setcb(server, NULL, NULL, server_send_on_connect, NULL);
	bufferevent_setcb(r.to_client, relay_readcb, relay_writecb, NULL, &r);
	bufferevent_setcb(r.to_server, relay_readcb, NULL, NULL, &r);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	bufferevent_enable(r.to_client, EV_READ | EV_WRITE);
	bufferevent_enable(r.to_server, EV_READ | EV_WRITE);
	event_base_dispatch(base);
	fprintf(stderr, "cut mid-record (%s): connected %d, data %zu, what 0x%x, error %lx\n", mode_name(mode), o.connected, o.data,
	    o.what, o.error);
	CHECK(r.cut);
	CHECK(o.connected == 1 && o.data == 0 && o.events == 1);
	CHECK(o.what == (BEV_EVENT_READING | BEV_EVENT_ERROR));
}

/* The client verifies the server's certificate against an empty trust store. */
static void failed_handshake(struct event_base *base, enum tls_mode mode)
{
	struct outcome oc, os;
	struct bufferevent *client, *server;
	SSL_CTX *strict = SSL_CTX_new(TLS_client_method());
	evutil_socket_t sp[2];
	int freed_before = ssl_objects_freed;

	memset(&oc, 0, sizeof(oc));
	memset(&os, 0, sizeof(os));
	SSL_CTX_set_verify(strict, SSL_VERIFY_PEER, NULL);
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	client = tls_on_fd(base, mode, sp[0], new_ssl(strict), BUFFEREVENT_SSL_CONNECTING);
	server = tls_on_fd(base, mode, sp[1], new_ssl(server_ctx), BUFFEREVENT_SSL_ACCEPTING);
	bufferevent_setcb(client, count_readcb, NULL, record_eventcb, &oc);
	bufferevent_setcb(server, count_readcb, NULL, record_eventcb, &os);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	event_base_dispatch(base);
	fprintf(stderr, "verification fails (%s): client 0x%x %lx, server 0x%x %lx\n", mode_name(mode), oc.what, oc.error, os.what,
	    os.error);
	CHECK(oc.connected == 0 && oc.events == 1 && (oc.what & BEV_EVENT_ERROR));
	CHECK(ERR_GET_REASON(oc.error) == SSL_R_CERTIFICATE_VERIFY_FAILED);
	/* The server hears the client's alert. */
	CHECK(os.connected == 0 && os.events == 1 && (os.what & BEV_EVENT_ERROR));
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(ssl_objects_freed == freed_before + 2);
	SSL_CTX_free(strict);
}

struct reneg {
	struct outcome o;
	int result;
	int asked;
};

static void reneg_client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct reneg *r = arg;
	if ((what & BEV_EVENT_CONNECTED) && !r->asked) {
		r->asked = 1;
		r->o.connected++;
		r->result = bufferevent_ssl_renegotiate(bev);
		if (r->result < 0)
			bufferevent_free(bev);
		return;
	}
	record_eventcb(bev, what, &r->o);
}

static void server_eventcb_free(struct bufferevent *bev, short what, void *arg)
{
	if (!(what & BEV_EVENT_CONNECTED))
		bufferevent_free(bev);
}

/* tls12: both ends at TLS 1.2 at most, the server refusing renegotiation; else TLS 1.3. */
static void renegotiation_refused(struct event_base *base, int tls12)
{
	struct reneg r;
	struct bufferevent *client, *server;
	evutil_socket_t sp[2];
	SSL *cs = new_ssl(client_ctx), *ss = new_ssl(server_ctx);

	memset(&r, 0, sizeof(r));
	if (tls12) {
		SSL_set_max_proto_version(cs, TLS1_2_VERSION);
		SSL_set_max_proto_version(ss, TLS1_2_VERSION);
		SSL_set_options(ss, SSL_OP_NO_RENEGOTIATION);
	}
	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	client = bufferevent_openssl_socket_new(base, sp[0], cs, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	server = bufferevent_openssl_socket_new(base, sp[1], ss, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(client, count_readcb, NULL, reneg_client_eventcb, &r);
	bufferevent_setcb(server, count_readcb, NULL, server_eventcb_free, NULL);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	event_base_dispatch(base);
	fprintf(stderr, "renegotiation (%s): result %d, what 0x%x, error %lx\n", tls12 ? "TLS 1.2, refused" : "TLS 1.3", r.result,
	    r.o.what, r.o.error);
	CHECK(r.asked);
	if (tls12) {
		/* Started, then refused by the server: an error, and OpenSSL says why. */
		CHECK(r.result == 0);
		CHECK(r.o.events == 1 && (r.o.what & BEV_EVENT_ERROR));
		CHECK(ERR_GET_REASON(r.o.error) == SSL_R_NO_RENEGOTIATION);
	} else {
		CHECK(r.result == -1);
	}
}

int main(void)
{
	struct event_base *base = event_base_new();
	enum tls_mode modes[] = {MODE_SOCKET, MODE_FILTER};
	size_t i;

	CHECK(base != NULL);
	ssl_setup();
	api_misuse(base);
	for (i = 0; i < 2; i++) {
		garbage_peer(base, modes[i]);
		closed_mid_record(base, modes[i]);
		failed_handshake(base, modes[i]);
	}
	renegotiation_refused(base, 0);
	renegotiation_refused(base, 1);
	event_base_free(base);
	ssl_teardown();
	CHECK_EXIT();
}
