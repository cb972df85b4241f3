/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/bufferevent_ssl.h: bufferevents that speak TLS through OpenSSL. The program makes
 * and configures the SSL object (context, certificates, verification) and hands it over; the
 * bufferevent then runs the handshake and carries plaintext in its input and output buffers,
 * the records going either straight to a socket or through another bufferevent.
 *
 * The library itself does not link OpenSSL: it finds OpenSSL's functions in the process the
 * first time it is given an SSL object (a program that has one has loaded libssl). */
#ifndef EVENT2_BUFFEREVENT_SSL_H_INCLUDED_
#define EVENT2_BUFFEREVENT_SSL_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <event2/bufferevent.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OpenSSL's SSL type; only pointers to it are passed here. */
struct ssl_st;

/* Where the SSL object stands when it is handed over: a connection to set up as the client
 * (CONNECTING) or as the server (ACCEPTING), or one whose handshake is already done (OPEN). */
enum bufferevent_ssl_state {
	BUFFEREVENT_SSL_OPEN = 0,
	BUFFEREVENT_SSL_CONNECTING = 1,
	BUFFEREVENT_SSL_ACCEPTING = 2
};

/* A TLS bufferevent whose records travel through `underlying` (which must use `base`).
 * NULL on failure; with BEV_OPT_CLOSE_ON_FREE the SSL is freed then too. With
 * BEV_OPT_CLOSE_ON_FREE, freeing the new bufferevent frees the SSL and `underlying`. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_openssl_filter_new(struct event_base *base,
    struct bufferevent *underlying, struct ssl_st *ssl,
    enum bufferevent_ssl_state state, int options);

/* A TLS bufferevent on socket `fd` (or -1: the SSL's own socket, or one set later with
 * bufferevent_setfd or bufferevent_socket_connect). NULL on failure; with
 * BEV_OPT_CLOSE_ON_FREE the SSL is freed then too. With BEV_OPT_CLOSE_ON_FREE, freeing the
 * new bufferevent frees the SSL and closes the socket. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_openssl_socket_new(struct event_base *base,
    evutil_socket_t fd, struct ssl_st *ssl,
    enum bufferevent_ssl_state state, int options);

/* A connection closed without TLS's close_notify (a "dirty" shutdown, which an attacker can
 * cause by cutting the connection) is reported as BEV_EVENT_ERROR by default; with
 * allow_dirty_shutdown set it is reported as BEV_EVENT_EOF. get returns -1 for a bufferevent
 * that is not a TLS one. */
EVENT2_EXPORT_SYMBOL
int bufferevent_openssl_get_allow_dirty_shutdown(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
void bufferevent_openssl_set_allow_dirty_shutdown(struct bufferevent *bev,
    int allow_dirty_shutdown);

/* The SSL object of a TLS bufferevent; NULL for other bufferevents. */
EVENT2_EXPORT_SYMBOL
struct ssl_st *bufferevent_openssl_get_ssl(struct bufferevent *bufev);

/* Starts a new handshake on the connection (TLS 1.2 and older; TLS 1.3 has none): 0, or -1
 * when OpenSSL refuses. Its outcome arrives through the event callback. */
EVENT2_EXPORT_SYMBOL
int bufferevent_ssl_renegotiate(struct bufferevent *bev);

/* Takes one of the OpenSSL error codes recorded when the connection failed, the most recent
 * first; 0 when none is left. */
EVENT2_EXPORT_SYMBOL
unsigned long bufferevent_get_openssl_error(struct bufferevent *bev);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_SSL_H_INCLUDED_ */
