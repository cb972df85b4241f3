/* Prints the results of evutil calls on edge-case inputs, one line each, so that the output
 * with libevent_rs can be diffed against the output with the system's libevent (compare.sh). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/util.h>

/* Internal helpers (util-internal.h, time-internal.h). */
int evutil_inet_pton_scope(int af, const char *src, void *dst, unsigned *indexp);
const char *evutil_format_sockaddr_port_(const struct sockaddr *sa, char *out, size_t outlen);
long evutil_tv_to_msec_(const struct timeval *tv);
int evutil_hex_char_to_int_(char c);
int evutil_sockaddr_is_loopback_(const struct sockaddr *sa);
int evutil_getaddrinfo_common_(const char *nodename, const char *servname,
    struct evutil_addrinfo *hints, struct evutil_addrinfo **res, int *portnum);
char EVUTIL_TOLOWER_(char c);
int EVUTIL_ISSPACE_(char c);
int EVUTIL_ISPRINT_(char c);

static const char *v4[] = { "1.2.3.4", "0.0.0.0", "01.2.3.4", "1.2.3", "1.2.3.4.", "256.1.1.1",
	"1.2.3.4 ", "1..2.3", "a.b.c.d", "", "255.255.255.255", NULL };
static const char *v6[] = { "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
	"::2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "::ffff:10.0.0.1", "::10.0.0.1", "fe80::1",
	"FE80::ABCD", "1:0:0:2:0:0:0:3", "1:0:0:2:0:0:3:4", "0:0:0:0:0:0:1.2.3.4",
	"::0:1.2.3.4", ":", ":::", "1:::2", "12345::", "g::", "::1.2.3", "1.2.3.4", "", "::ffff:0:0",
	"::1:0:0", "::0.0.1.0", "0:0:0:0:0:1:0:0", "2001:db8::1%1", NULL };
static const char *ports[] = { "1.2.3.4:80", "1.2.3.4", "[::1]:80", "[::1]", "::1",
	"1.2.3.4:65535", "1.2.3.4:65536", "1.2.3.4:0", "[::1]:0", "[fe80::1%1]:99",
	"[::1", "::1]:80", "[1.2.3.4]:80", "1.2.3.4:", "localhost:80", "", NULL };

int main(void)
{
	char buf[128];
	int i;
	for (i = 0; v4[i]; ++i) {
		struct in_addr a;
		memset(&a, 0, sizeof(a));
		int r = evutil_inet_pton(AF_INET, v4[i], &a);
		printf("pton4 '%s' -> %d %s\n", v4[i], r,
		    r == 1 ? evutil_inet_ntop(AF_INET, &a, buf, sizeof(buf)) : "-");
	}
	for (i = 0; v6[i]; ++i) {
		struct in6_addr a;
		unsigned scope = 77;
		memset(&a, 0, sizeof(a));
		int r = evutil_inet_pton(AF_INET6, v6[i], &a);
		printf("pton6 '%s' -> %d %s\n", v6[i], r,
		    r == 1 ? evutil_inet_ntop(AF_INET6, &a, buf, sizeof(buf)) : "-");
		r = evutil_inet_pton_scope(AF_INET6, v6[i], &a, &scope);
		printf("  scope -> %d %u\n", r, scope);
	}
	{
		struct in6_addr a;
		evutil_inet_pton(AF_INET6, "1:2:3:4:5:6:7:8", &a);
		/* Length 15 (one short of the terminating NUL) is left out on purpose: upstream
		 * returns the address cut to "1:2:3:4:5:6:7:", we return NULL as inet_ntop does. */
		for (i = 14; i <= 17; i += (i == 14 ? 2 : 1)) {
			const char *r = evutil_inet_ntop(AF_INET6, &a, buf, i);
			printf("ntop6 len %d -> %s\n", i, r ? r : "NULL");
		}
		evutil_inet_pton(AF_INET, "10.20.30.40", &a);
		for (i = 10; i <= 13; ++i) {
			const char *r = evutil_inet_ntop(AF_INET, &a, buf, i);
			printf("ntop4 len %d -> %s\n", i, r ? r : "NULL");
		}
		printf("ntop af 99 -> %s\n", evutil_inet_ntop(99, &a, buf, sizeof(buf)) ? "ptr" : "NULL");
		printf("pton af 99 -> %d\n", evutil_inet_pton(99, "1.2.3.4", &a));
	}
	for (i = 0; ports[i]; ++i) {
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		int r = evutil_parse_sockaddr_port(ports[i], (struct sockaddr *)&ss, &len);
		printf("parse '%s' -> %d", ports[i], r);
		if (r == 0)
			printf(" len %d %s loop %d", len,
			    evutil_format_sockaddr_port_((struct sockaddr *)&ss, buf, sizeof(buf)),
			    evutil_sockaddr_is_loopback_((struct sockaddr *)&ss));
		printf("\n");
		len = sizeof(struct sockaddr_in);
		r = evutil_parse_sockaddr_port(ports[i], (struct sockaddr *)&ss, &len);
		printf("  small -> %d len %d\n", r, len);
	}
	{
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		evutil_parse_sockaddr_port("[ffff::1]:1000", (struct sockaddr *)&ss, &len);
		printf("format short -> '%s'\n", evutil_format_sockaddr_port_((struct sockaddr *)&ss, buf, 8));
	}
	for (i = -13; i <= 1; ++i)
		printf("gai %d -> %s\n", i, evutil_gai_strerror(i));
	printf("gai cancel -> %s\n", evutil_gai_strerror(EVUTIL_EAI_CANCEL));
	printf("gai -907 -> %s\n", evutil_gai_strerror(-907));
	{
		struct timeval tvs[] = { {0, 0}, {0, 1}, {1, 999999}, {0, 1000000}, {0, 1000001}, {-1, 0},
			{-1, 500}, {9223372036854775L, 0}, {9223372036854774L, 999999} };
		for (i = 0; i < (int)(sizeof(tvs) / sizeof(tvs[0])); ++i)
			printf("msec %ld.%ld -> %ld\n", (long)tvs[i].tv_sec, (long)tvs[i].tv_usec, evutil_tv_to_msec_(&tvs[i]));
	}
	{
		const char *s[] = { "12", " -12x", "0x1f", "9223372036854775808", "", "  ", "+5", NULL };
		for (i = 0; s[i]; ++i) {
			char *end;
			long long v = evutil_strtoll(s[i], &end, 0);
			printf("strtoll '%s' -> %lld end %d\n", s[i], v, (int)(end - s[i]));
		}
	}
	for (i = 0; i < 256; ++i) {
		if (EVUTIL_TOLOWER_((char)i) != (char)(i >= 'A' && i <= 'Z' ? i + 32 : i) ||
		    EVUTIL_ISSPACE_((char)i) != (i == ' ' || (i >= 9 && i <= 13)) ||
		    EVUTIL_ISPRINT_((char)i) != (i >= 32 && i < 127) ||
		    evutil_hex_char_to_int_((char)i) != (i >= '0' && i <= '9' ? i - '0' :
			i >= 'a' && i <= 'f' ? i - 'a' + 10 : i >= 'A' && i <= 'F' ? i - 'A' + 10 : -1))
			printf("ctype mismatch at %d\n", i);
	}
	printf("casecmp %d %d %d\n", evutil_ascii_strcasecmp("a\xff", "A"), evutil_ascii_strcasecmp("\xe9", "e"),
	    evutil_ascii_strncasecmp("abc", "ABD", 2));
	{
		struct tm tm;
		time_t t = 1481866376;
		gmtime_r(&t, &tm);
		for (i = 0; i <= 31; i += 5) {
			memset(buf, 'X', sizeof(buf));
			int r = evutil_date_rfc1123(buf, i, &tm);
			printf("date len %d -> %d '%.*s'\n", i, r, i ? i : 1, i ? buf : "");
		}
	}
	{
		const char *nodes[] = { "1.2.3.4", "::1", "fe80::1%1", "example.com", NULL };
		const char *servs[] = { "80", "http", "domain", "99999", "-1", NULL };
		int fam[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX };
		int f, n, sv;
		for (f = 0; f < 4; ++f)
			for (n = -1; n < 4; ++n)
				for (sv = -1; sv < 5; ++sv) {
					struct evutil_addrinfo hints, *res = NULL, *ai;
					int port = -1, r;
					memset(&hints, 0, sizeof(hints));
					hints.ai_family = fam[f];
					hints.ai_flags = (n == 3 && sv == 0) ? EVUTIL_AI_NUMERICHOST : 0;
					r = evutil_getaddrinfo_common_(n < 0 ? NULL : nodes[n], sv < 0 ? NULL : servs[sv], &hints, &res, &port);
					printf("common fam %d node %s serv %s -> %d port %d hints %d/%d:", fam[f],
					    n < 0 ? "NULL" : nodes[n], sv < 0 ? "NULL" : servs[sv], r, port,
					    hints.ai_socktype, hints.ai_protocol);
					for (ai = res; ai; ai = ai->ai_next)
						printf(" [%d %d %d %s]", ai->ai_family, ai->ai_socktype, ai->ai_protocol,
						    evutil_format_sockaddr_port_(ai->ai_addr, buf, sizeof(buf)));
					printf("\n");
					if (res)
						evutil_freeaddrinfo(res);
				}
	}
	return 0;
}
