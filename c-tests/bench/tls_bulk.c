/* TLS through bufferevent_openssl_socket_new bufferevents over loopback TCP, both ends on one
 * event_base in one thread (so a figure is the cost of both ends: encryption and decryption).
 *
 * usage: tls_bulk bulk MIB [verify]
 *          MIB mebibytes written in 64 KiB bufferevent_write calls by the connecting end and read
 *          by the accepting one (an evconnlistener's connection, wrapped in the accepting state);
 *          prints RESULT tls_bulk in MiB/s, timed from the end of the handshake to the last byte
 *          read. "verify" copies every byte out and compares it with what was sent instead of
 *          draining (the timed runs leave that out so they measure the library, not memcmp).
 *        tls_bulk handshakes N
 *          N new TLS connections through an evconnlistener, HANDSHAKES_IN_FLIGHT at a time, each
 *          freed (BEV_OPT_CLOSE_ON_FREE: its SSL and socket too) as soon as both ends report
 *          BEV_EVENT_CONNECTED; full handshakes (no session cache, no tickets); prints RESULT
 *          tls_handshakes in handshakes/s.
 *
 * TLS 1.3 only, with the cipher suite forced to TLS_AES_128_GCM_SHA256 (AES-GCM, as the figures
 * upstream quotes), a P-256 certificate made in memory at start-up, no verification. */
#include "bench_bev.h"
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CHUNK (64 * 1024)
#define OUTPUT_FILL (1024 * 1024)
#define READ_HIGH (1024 * 1024)
/* Byte i of the stream is i % PATTERN_PERIOD (a prime: a lost or repeated piece shows). */
#define PATTERN_PERIOD 251
#define HANDSHAKES_IN_FLIGHT 4

static unsigned char pattern[CHUNK + PATTERN_PERIOD];
static unsigned char copy_out[READ_HIGH];

static void tls_fail(const char *what)
{
	ERR_print_errors_fp(stderr);
	bench_fail(what);
}

/* A self-signed P-256 certificate and its key, installed in ctx. */
static void install_certificate(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;

	if (!key || !cert)
		tls_fail("making a key and a certificate");
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if (!X509_sign(cert, key, EVP_sha256()) || SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		tls_fail("installing the certificate");
	X509_free(cert);
	EVP_PKEY_free(key);
}

static SSL_CTX *make_context(int server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1)
		tls_fail("SSL_CTX_new with TLS 1.3 and TLS_AES_128_GCM_SHA256");
	/* Every handshake a full one. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (server) {
		SSL_CTX_set_num_tickets(ctx, 0);
		install_certificate(ctx);
	}
	return ctx;
}

static struct bufferevent *tls_bufferevent(struct event_base *base, SSL_CTX *ctx, evutil_socket_t fd,
    enum bufferevent_ssl_state state)
{
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *bev;

	if (!ssl)
		tls_fail("SSL_new");
	bev = bufferevent_openssl_socket_new(base, fd, ssl, state, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		bench_fail("bufferevent_openssl_socket_new");
	return bev;
}

/* A connecting TLS bufferevent on a new socket to addr. */
static struct bufferevent *tls_connect(struct event_base *base, SSL_CTX *ctx, const struct sockaddr_in *addr)
{
	struct bufferevent *bev = tls_bufferevent(base, ctx, -1, BUFFEREVENT_SSL_CONNECTING);

	if (bufferevent_socket_connect(bev, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		bench_fail("bufferevent_socket_connect");
	return bev;
}

struct run {
	struct event_base *base;
	SSL_CTX *client_ctx, *server_ctx;
	struct sockaddr_in addr;
	/* bulk */
	struct bufferevent *sender, *receiver;
	long long total, sent, received;
	int verify;
	double started;
	/* handshakes */
	long wanted, started_connections, client_done, server_done;
};

static void report_event(struct run *r, struct bufferevent *bev, const char *side, short what)
{
	unsigned long err;

	fprintf(stderr, "tls_bulk: event 0x%x on the %s after %lld of %lld bytes, %ld/%ld handshakes\n",
	    what, side, r->received, r->total, r->client_done, r->server_done);
	while ((err = bufferevent_get_openssl_error(bev)))
		fprintf(stderr, "  %s\n", ERR_error_string(err, NULL));
	bench_fail("unexpected bufferevent event");
}

/* ---------------------------------------------------------------- bulk */

static void fill(struct run *r)
{
	struct evbuffer *output = bufferevent_get_output(r->sender);

	while (r->sent < r->total && evbuffer_get_length(output) < OUTPUT_FILL) {
		if (bufferevent_write(r->sender, pattern + r->sent % PATTERN_PERIOD, CHUNK) != 0)
			bench_fail("bufferevent_write");
		r->sent += CHUNK;
	}
}

static void on_writable(struct bufferevent *bev, void *arg)
{
	(void)bev;
	fill(arg);
}

static void on_readable(struct bufferevent *bev, void *arg)
{
	struct run *r = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(input);

	if (!r->verify) {
		evbuffer_drain(input, len);
		r->received += (long long)len;
	}
	while (r->verify && len > 0) {
		size_t piece = len < CHUNK ? len : CHUNK;
		if (evbuffer_remove(input, copy_out, piece) != (int)piece)
			bench_fail("evbuffer_remove");
		if (memcmp(copy_out, pattern + r->received % PATTERN_PERIOD, piece) != 0)
			bench_fail("the received bytes differ from the sent ones");
		r->received += (long long)piece;
		len -= piece;
	}
	if (r->received > r->total)
		bench_fail("received more bytes than were sent");
	if (r->received == r->total)
		event_base_loopbreak(r->base);
}

static void on_sender_event(struct bufferevent *bev, short what, void *arg)
{
	struct run *r = arg;

	if (what == BEV_EVENT_CONNECTED) {
		r->started = bench_now();
		fill(r);
		return;
	}
	report_event(r, bev, "sender", what);
}

static void on_receiver_event(struct bufferevent *bev, short what, void *arg)
{
	if (what != BEV_EVENT_CONNECTED)
		report_event(arg, bev, "receiver", what);
}

static void on_bulk_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct run *r = arg;
	(void)listener; (void)peer; (void)peer_len;

	if (r->receiver)
		bench_fail("a second connection arrived");
	r->receiver = tls_bufferevent(r->base, r->server_ctx, fd, BUFFEREVENT_SSL_ACCEPTING);
	bufferevent_setcb(r->receiver, on_readable, NULL, on_receiver_event, r);
	bufferevent_setwatermark(r->receiver, EV_READ, 0, READ_HIGH);
	if (bufferevent_enable(r->receiver, EV_READ) != 0)
		bench_fail("bufferevent_enable on the receiver");
}

static int bulk(struct run *r, long mib)
{
	struct evconnlistener *listener = bench_listen_loopback(r->base, on_bulk_accept, r, &r->addr);

	r->total = (long long)mib * 1024 * 1024;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i % PATTERN_PERIOD);
	r->sender = tls_connect(r->base, r->client_ctx, &r->addr);
	bufferevent_setcb(r->sender, NULL, on_writable, on_sender_event, r);
	bufferevent_setwatermark(r->sender, EV_WRITE, OUTPUT_FILL / 2, 0);
	if (bufferevent_enable(r->sender, EV_WRITE) != 0)
		bench_fail("bufferevent_enable on the sender");

	if (event_base_dispatch(r->base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - r->started;
	if (r->received != r->total) {
		fprintf(stderr, "tls_bulk: %lld of %lld bytes arrived\n", r->received, r->total);
		return 1;
	}
	bench_result("tls_bulk", (double)mib / elapsed, "MiB/s");
	if (r->verify)
		fprintf(stderr, "tls_bulk: all %lld bytes arrived intact\n", r->total);
	bufferevent_free(r->sender);
	bufferevent_free(r->receiver);
	evconnlistener_free(listener);
	return 0;
}

/* ---------------------------------------------------------------- handshakes */

static void start_connection(struct run *r);

static void check_finished(struct run *r)
{
	if (r->client_done == r->wanted && r->server_done == r->wanted)
		event_base_loopbreak(r->base);
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct run *r = arg;

	if (what != BEV_EVENT_CONNECTED)
		report_event(r, bev, "connecting end", what);
	bufferevent_free(bev);
	r->client_done++;
	if (r->started_connections < r->wanted)
		start_connection(r);
	check_finished(r);
}

static void on_server_event(struct bufferevent *bev, short what, void *arg)
{
	struct run *r = arg;

	if (what != BEV_EVENT_CONNECTED)
		report_event(r, bev, "accepting end", what);
	bufferevent_free(bev);
	r->server_done++;
	check_finished(r);
}

static void start_connection(struct run *r)
{
	struct bufferevent *bev = tls_connect(r->base, r->client_ctx, &r->addr);

	r->started_connections++;
	bufferevent_setcb(bev, NULL, NULL, on_client_event, r);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		bench_fail("bufferevent_enable on a connecting end");
}

static void on_handshake_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct run *r = arg;
	struct bufferevent *bev = tls_bufferevent(r->base, r->server_ctx, fd, BUFFEREVENT_SSL_ACCEPTING);
	(void)listener; (void)peer; (void)peer_len;

	bufferevent_setcb(bev, NULL, NULL, on_server_event, r);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		bench_fail("bufferevent_enable on an accepting end");
}

static int handshakes(struct run *r, long n)
{
	struct evconnlistener *listener = bench_listen_loopback(r->base, on_handshake_accept, r, &r->addr);

	r->wanted = n;
	r->started = bench_now();
	while (r->started_connections < HANDSHAKES_IN_FLIGHT && r->started_connections < n)
		start_connection(r);
	if (event_base_dispatch(r->base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - r->started;
	if (r->client_done != n || r->server_done != n) {
		fprintf(stderr, "tls_bulk: %ld and %ld of %ld handshakes done\n", r->client_done, r->server_done, n);
		return 1;
	}
	bench_result("tls_handshakes", (double)n / elapsed, "handshakes/s");
	evconnlistener_free(listener);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "bulk";
	struct run r = {0};
	Dl_info info;
	int status = 1;

	r.base = bench_start();
	/* The TLS functions must come from the library under test as well. */
	if (dladdr((void *)bufferevent_openssl_socket_new, &info) && info.dli_fname)
		fprintf(stderr, "tls_bulk: bufferevent_openssl_socket_new from %s\n", info.dli_fname);
	r.client_ctx = make_context(0);
	r.server_ctx = make_context(1);
	if (strcmp(mode, "bulk") == 0) {
		r.verify = argc > 3 && strcmp(argv[3], "verify") == 0;
		status = bulk(&r, bench_arg(argc, argv, 2, 1024));
	} else if (strcmp(mode, "handshakes") == 0) {
		status = handshakes(&r, bench_arg(argc, argv, 2, 2000));
	} else {
		bench_fail("the mode must be bulk or handshakes");
	}
	SSL_CTX_free(r.client_ctx);
	SSL_CTX_free(r.server_ctx);
	event_base_free(r.base);
	return status;
}
