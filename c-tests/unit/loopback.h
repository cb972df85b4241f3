/* IPv4 loopback addresses and ports for the C unit tests that open sockets. */
#ifndef LIBEVENT_RS_LOOPBACK_H
#define LIBEVENT_RS_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/util.h>

/* 127.0.0.1:port. */
static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

/* The local port of a bound IPv4 socket (0 on failure). */
static unsigned short port_of(evutil_socket_t fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return 0;
	return ntohs(sin.sin_port);
}

#endif
