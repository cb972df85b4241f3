/* What the ssl_* C tests share: a throw-away key and self-signed certificate made in memory
 * when the test starts (no key is ever committed), client and server SSL objects, a count of
 * SSL objects OpenSSL has freed, and a pair of TLS bufferevents over a socketpair in either
 * mode (socket: the SSL on the socket; filter: over a socket bufferevent). */
#ifndef LIBEVENT_RS_SSL_COMMON_H
#define LIBEVENT_RS_SSL_COMMON_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "check.h"

static EVP_PKEY *test_key;
static X509 *test_cert;
static SSL_CTX *client_ctx, *server_ctx;
static int ssl_index;
static int ssl_objects_freed;

/* OpenSSL's ex_data free hook: runs when SSL_free releases an SSL we tagged. */
static void count_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (ptr)
		ssl_objects_freed++;
}

/* An EC key and a certificate for "localhost" valid for an hour, signed by itself. */
static void make_identity(void)
{
	X509_NAME *name;

	test_key = EVP_EC_gen("P-256");
	test_cert = X509_new();
	CHECK(test_key != NULL && test_cert != NULL);
	X509_set_version(test_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(test_cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(test_cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(test_cert), 3600);
	name = X509_get_subject_name(test_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(test_cert, name);
	X509_set_pubkey(test_cert, test_key);
	CHECK(X509_sign(test_cert, test_key, EVP_sha256()) > 0);
}

/* Contexts for both ends; the client does not verify (tests that want verification set it).
 * SIGPIPE is ignored, as in any program writing to sockets its peer may close. */
static void ssl_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	make_identity();
	client_ctx = SSL_CTX_new(TLS_client_method());
	server_ctx = SSL_CTX_new(TLS_server_method());
	CHECK(client_ctx != NULL && server_ctx != NULL);
	CHECK(SSL_CTX_use_certificate(server_ctx, test_cert) == 1);
	CHECK(SSL_CTX_use_PrivateKey(server_ctx, test_key) == 1);
	ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, count_ssl_free);
}

static void ssl_teardown(void)
{
	SSL_CTX_free(client_ctx);
	SSL_CTX_free(server_ctx);
	X509_free(test_cert);
	EVP_PKEY_free(test_key);
}

/* A new SSL of `ctx`, tagged so that its freeing is counted. */
static inline SSL *new_ssl(SSL_CTX *ctx)
{
	SSL *ssl = SSL_new(ctx);
	CHECK(ssl != NULL);
	SSL_set_ex_data(ssl, ssl_index, (void *)1);
	return ssl;
}

enum tls_mode { MODE_SOCKET, MODE_FILTER };

static inline const char *mode_name(enum tls_mode m)
{
	return m == MODE_SOCKET ? "socket" : "filter";
}

/* A TLS bufferevent on `fd`: on the socket itself, or over a socket bufferevent that it frees
 * (CLOSE_ON_FREE is always given here). */
static inline struct bufferevent *tls_on_fd(struct event_base *base, enum tls_mode mode, evutil_socket_t fd, SSL *ssl,
    enum bufferevent_ssl_state state)
{
	int opts = BEV_OPT_CLOSE_ON_FREE;
	struct bufferevent *under;

	if (mode == MODE_SOCKET)
		return bufferevent_openssl_socket_new(base, fd, ssl, state, opts);
	under = bufferevent_socket_new(base, fd, opts);
	CHECK(under != NULL);
	return bufferevent_openssl_filter_new(base, under, ssl, state, opts);
}

/* A client (connecting) and a server (accepting) TLS bufferevent over a new socketpair. */
static inline void tls_pair(struct event_base *base, enum tls_mode mode, struct bufferevent **client, struct bufferevent **server)
{
	evutil_socket_t sp[2];

	CHECK(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	*client = tls_on_fd(base, mode, sp[0], new_ssl(client_ctx), BUFFEREVENT_SSL_CONNECTING);
	*server = tls_on_fd(base, mode, sp[1], new_ssl(server_ctx), BUFFEREVENT_SSL_ACCEPTING);
	CHECK(*client != NULL && *server != NULL);
}

#endif
