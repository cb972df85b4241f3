/* evhttp URIs and encodings through the C ABI: results are allocated through the program's
 * event_set_mem_functions (and freed with its free), %00 never turns into a C string that ends
 * early (upstream issue 1904), NULL arguments give the error result instead of a crash, and a
 * getter's pointer survives setting another part. Against the system library
 * (LIBEVENT_UNDER_TEST=system) the %00 and NULL-argument checks fail by design: 2.1.12 decodes
 * %00 into the C strings of evhttp_decode_uri and query values, and dereferences NULL. */
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Upstream's internal decoder (http-internal.h), which its regress tests call. */
int evhttp_decode_uri_internal(const char *uri, size_t length, char *ret, int decode_plus);

static long live_blocks;

static void *cnt_malloc(size_t n)
{
	live_blocks++;
	return malloc(n);
}

static void *cnt_realloc(void *p, size_t n)
{
	if (!p)
		live_blocks++;
	return realloc(p, n);
}

static void cnt_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

static size_t count(const struct evkeyvalq *q)
{
	size_t n = 0;
	const struct evkeyval *kv;
	for (kv = q->tqh_first; kv; kv = kv->next.tqe_next)
		n++;
	return n;
}

static void allocation_goes_through_mem_functions(void)
{
	long before = live_blocks;
	char *s = evhttp_uriencode("a b/c", -1, 1);
	CHECK(s && strcmp(s, "a+b%2Fc") == 0);
	CHECK(live_blocks == before + 1);
	cnt_free(s);

	s = evhttp_htmlescape("<&>");
	CHECK(s && strcmp(s, "&lt;&amp;&gt;") == 0);
	cnt_free(s);

	s = evhttp_decode_uri("/x+y?a+b");
	CHECK(s && strcmp(s, "/x+y?a b") == 0);
	cnt_free(s);

	struct evkeyvalq q;
	CHECK(evhttp_parse_query_str("a=1&b=x+y", &q) == 0);
	CHECK(count(&q) == 2);
	CHECK(strcmp(evhttp_find_header(&q, "b"), "x y") == 0);
	CHECK(live_blocks > before);
	evhttp_clear_headers(&q);
	CHECK(live_blocks == before);
}

static void nul_is_never_silent(void)
{
	size_t sz = 0;
	char buf[16];
	struct evkeyvalq q;

	/* Binary-safe decoding reports the length: NULs kept. */
	char *s = evhttp_uridecode("a%00b", 0, &sz);
	CHECK(s && sz == 3 && memcmp(s, "a\0b", 3) == 0);
	cnt_free(s);
	/* C-string results refuse them. */
	CHECK(evhttp_decode_uri("/admin/secret%00.jpg") == NULL);
	CHECK(evhttp_decode_uri_internal("/admin%00.png", 13, buf, 0) == -1);
	CHECK(evhttp_decode_uri_internal("/admin%2500", 11, buf, 0) == 9);
	CHECK(strcmp(buf, "/admin%00") == 0);
	CHECK(evhttp_parse_query_str("user=admin%00&x=1", &q) == -1);
	CHECK(q.tqh_first == NULL);
	CHECK(evhttp_parse_query("http://h/p?a=1&user=ad%00min", &q) == -1);
	CHECK(q.tqh_first == NULL);
	/* Escapes of other control bytes are data. */
	CHECK(evhttp_parse_query_str("v=a%0Ab", &q) == 0);
	CHECK(strcmp(evhttp_find_header(&q, "v"), "a\nb") == 0);
	evhttp_clear_headers(&q);
}

static void query_failures(void)
{
	struct evkeyvalq q;
	/* An uninitialised head is fine: it is initialised first. */
	memset(&q, 0xa5, sizeof(q));
	CHECK(evhttp_parse_query_str("q=test&&q2", &q) == -1);
	CHECK(q.tqh_first == NULL && q.tqh_last == &q.tqh_first);
	memset(&q, 0xa5, sizeof(q));
	CHECK(evhttp_parse_query("not a uri", &q) == -1);
	CHECK(q.tqh_first == NULL);
	CHECK(evhttp_parse_query("http://h/", &q) == 0);
	CHECK(q.tqh_first == NULL);
}

static void null_arguments(void)
{
	struct evkeyvalq q;
	char buf[8];
	CHECK(evhttp_uri_parse(NULL) == NULL);
	CHECK(evhttp_uri_parse_with_flags(NULL, EVHTTP_URI_NONCONFORMANT) == NULL);
	CHECK(evhttp_uri_get_host(NULL) == NULL);
	CHECK(evhttp_uri_get_port(NULL) == -1);
	CHECK(evhttp_uri_set_host(NULL, "h") == -1);
	CHECK(evhttp_uri_set_port(NULL, 80) == -1);
	CHECK(evhttp_uri_join(NULL, buf, sizeof(buf)) == NULL);
	evhttp_uri_set_flags(NULL, 0);
	evhttp_uri_free(NULL);
	CHECK(evhttp_encode_uri(NULL) == NULL);
	CHECK(evhttp_uriencode(NULL, 3, 0) == NULL);
	CHECK(evhttp_decode_uri(NULL) == NULL);
	CHECK(evhttp_uridecode(NULL, 0, NULL) == NULL);
	CHECK(evhttp_htmlescape(NULL) == NULL);
	CHECK(evhttp_parse_query(NULL, &q) == -1);
	CHECK(evhttp_parse_query_str("a=1", NULL) == -1);
	CHECK(evhttp_decode_uri_internal(NULL, 0, buf, 0) == -1);
}

static void uri_parts(void)
{
	char buf[64];
	struct evhttp_uri *uri = evhttp_uri_parse("http://user@[::1]:8080/p?q=1#f");
	CHECK(uri != NULL);
	if (!uri)
		return;
	const char *host = evhttp_uri_get_host(uri);
	CHECK(strcmp(host, "[::1]") == 0);
	CHECK(evhttp_uri_get_port(uri) == 8080);
	CHECK(evhttp_uri_set_path(uri, "/other") == 0);
	CHECK(evhttp_uri_set_path(uri, "no slash?") == -1);
	CHECK(evhttp_uri_set_query(uri, NULL) == 0);
	/* The host's pointer is still the host. */
	CHECK(host == evhttp_uri_get_host(uri) && strcmp(host, "[::1]") == 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK(strcmp(buf, "http://user@[::1]:8080/other#f") == 0);
	CHECK(evhttp_uri_join(uri, buf, strlen("http://user@[::1]:8080/other#f")) == NULL);
	evhttp_uri_free(uri);

	uri = evhttp_uri_new();
	CHECK(evhttp_uri_get_path(uri) == NULL && evhttp_uri_get_port(uri) == -1);
	CHECK(evhttp_uri_set_path(uri, "/a b") == -1);
	evhttp_uri_set_flags(uri, EVHTTP_URI_NONCONFORMANT);
	CHECK(evhttp_uri_set_path(uri, "/a b") == 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) && strcmp(buf, "/a b") == 0);
	evhttp_uri_free(uri);

	CHECK(evhttp_uri_parse("http://h/a b") == NULL);
	uri = evhttp_uri_parse_with_flags("http://h/a b", EVHTTP_URI_NONCONFORMANT);
	CHECK(uri && strcmp(evhttp_uri_get_path(uri), "/a b") == 0);
	evhttp_uri_free(uri);
}

int main(void)
{
	event_set_mem_functions(cnt_malloc, cnt_realloc, cnt_free);
	allocation_goes_through_mem_functions();
	nul_is_never_silent();
	query_failures();
	null_arguments();
	uri_parts();
	CHECK_EXIT();
}
