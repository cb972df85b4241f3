/* A program that never uses TLS gets no libssl because of us: after running an event loop and
 * even calling a TLS constructor (with a pointer that is no SSL: the library must fail before
 * looking at it, since the process has no OpenSSL), /proc/self/maps names no libssl or
 * libcrypto. Linked without OpenSSL on purpose. */
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "check.h"

/* Whether any mapping of the process is a file whose name contains `what`. */
static int mapped(const char *what)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f != NULL);
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			found = 1;
	fclose(f);
	return found;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg += 1;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct timeval tv = {0, 1000};
	int fired = 0;
	long not_an_ssl = 0;

	CHECK(base != NULL);
	CHECK(mapped("libevent_rs") || mapped("libevent-2.1") || mapped("libevent_core"));
	CHECK(!mapped("/libssl."));
	CHECK(event_base_once(base, -1, EV_TIMEOUT, on_timer, &fired, &tv) == 0);
	CHECK(event_base_dispatch(base) >= 0);
	CHECK(fired == 1);
	CHECK(bufferevent_openssl_socket_new(base, -1, (struct ssl_st *)&not_an_ssl, BUFFEREVENT_SSL_OPEN, 0) == NULL);
	CHECK(!mapped("/libssl."));
	CHECK(!mapped("/libcrypto."));
	event_base_free(base);
	CHECK_EXIT();
}
