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
#include "bench_bulk.h"
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define HANDSHAKES_IN_FLIGHT 4

/* Both ends' settings, made once at start-up. */
static SSL_CTX *client_ctx, *server_ctx;

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

/* Says what went wrong, with the OpenSSL errors the bufferevent kept, and fails. */
static void report_event(struct bufferevent *bev, const char *side, short what)
{
	unsigned long err;

	fprintf(stderr, "tls_bulk: event 0x%x on the %s\n", what, side);
	while ((err = bufferevent_get_openssl_error(bev)))
		fprintf(stderr, "  %s\n", ERR_error_string(err, NULL));
	bench_fail("unexpected bufferevent event");
}

/* ---------------------------------------------------------------- bulk */

static void on_bulk_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk_transfer *t = arg;

	if (what != BEV_EVENT_CONNECTED) {
		fprintf(stderr, "tls_bulk: %lld of %lld bytes arrived\n", t->received, t->total);
		report_event(bev, bev == t->sender ? "sender" : "receiver", what);
	}
	if (bev == t->sender)
		bulk_start(t);
}

static void on_bulk_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct bulk_transfer *t = arg;
	(void)listener; (void)peer; (void)peer_len;

	if (t->receiver)
		bench_fail("a second connection arrived");
	bulk_setup_receiver(t, tls_bufferevent(t->base, server_ctx, fd, BUFFEREVENT_SSL_ACCEPTING), on_bulk_event);
}

static int bulk(struct event_base *base, long mib, int verify)
{
	struct bulk_transfer t = {0};
	struct sockaddr_in addr;
	struct evconnlistener *listener = bench_listen_loopback(base, on_bulk_accept, &t, &addr);
	int status;

	bulk_init(&t, base, mib, verify);
	bulk_setup_sender(&t, tls_connect(base, client_ctx, &addr), on_bulk_event);
	status = bulk_run(&t, "tls_bulk", "tls_bulk");
	evconnlistener_free(listener);
	return status;
}

/* ---------------------------------------------------------------- handshakes */

struct handshakes {
	struct event_base *base;
	struct sockaddr_in addr;
	long wanted, started, client_done, server_done;
};

static void watch(struct handshakes *h, struct bufferevent *bev);

static void start_connection(struct handshakes *h)
{
	h->started++;
	watch(h, tls_connect(h->base, client_ctx, &h->addr));
}

/* Either end's handshake is done: it is freed (its SSL and socket with it); a connecting end
 * that finishes makes room for the next connection. */
static void on_handshake_event(struct bufferevent *bev, short what, void *arg)
{
	struct handshakes *h = arg;
	int server = SSL_is_server(bufferevent_openssl_get_ssl(bev));

	if (what != BEV_EVENT_CONNECTED)
		report_event(bev, server ? "accepting end" : "connecting end", what);
	bufferevent_free(bev);
	if (server) {
		h->server_done++;
	} else {
		h->client_done++;
		if (h->started < h->wanted)
			start_connection(h);
	}
	if (h->client_done == h->wanted && h->server_done == h->wanted)
		event_base_loopbreak(h->base);
}

static void watch(struct handshakes *h, struct bufferevent *bev)
{
	bufferevent_setcb(bev, NULL, NULL, on_handshake_event, h);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		bench_fail("bufferevent_enable");
}

static void on_handshake_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct handshakes *h = arg;
	(void)listener; (void)peer; (void)peer_len;

	watch(h, tls_bufferevent(h->base, server_ctx, fd, BUFFEREVENT_SSL_ACCEPTING));
}

static int handshakes(struct event_base *base, long n)
{
	struct handshakes h = {0};
	struct evconnlistener *listener = bench_listen_loopback(base, on_handshake_accept, &h, &h.addr);
	double started = bench_now();

	h.base = base;
	h.wanted = n;
	while (h.started < HANDSHAKES_IN_FLIGHT && h.started < n)
		start_connection(&h);
	if (event_base_dispatch(base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - started;
	if (h.client_done != n || h.server_done != n) {
		fprintf(stderr, "tls_bulk: %ld and %ld of %ld handshakes done\n", h.client_done, h.server_done, n);
		return 1;
	}
	bench_result("tls_handshakes", (double)n / elapsed, "handshakes/s");
	evconnlistener_free(listener);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "bulk";
	struct event_base *base = bench_start();
	Dl_info info;
	int status = 1;

	/* The TLS functions must come from the library under test as well. */
	if (dladdr((void *)bufferevent_openssl_socket_new, &info) && info.dli_fname)
		fprintf(stderr, "tls_bulk: bufferevent_openssl_socket_new from %s\n", info.dli_fname);
	client_ctx = make_context(0);
	server_ctx = make_context(1);
	if (strcmp(mode, "bulk") == 0)
		status = bulk(base, bench_arg(argc, argv, 2, 1024), argc > 3 && strcmp(argv[3], "verify") == 0);
	else if (strcmp(mode, "handshakes") == 0)
		status = handshakes(base, bench_arg(argc, argv, 2, 2000));
	else
		bench_fail("the mode must be bulk or handshakes");
	SSL_CTX_free(client_ctx);
	SSL_CTX_free(server_ctx);
	event_base_free(base);
	return status;
}
