/* Buffer chains and event_set_mem_functions: libevent_rs keeps a few freed chains per thread for
 * reuse. Chains made before the program replaced the allocator (held by that cache, from the C
 * library's malloc) must never be handed out afterwards, so that every chain the program's free
 * sees came from the program's malloc; and chains made afterwards must all go through it.
 * The replacement allocator tags its blocks, and its free checks the tag. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TAG 0x6c69626576656e74ULL
/* A header keeping the payload 16-byte aligned, as malloc's. */
#define HEADER 16

static long mallocs, frees, foreign_frees;

static void *tagged_malloc(size_t n)
{
	unsigned char *p = malloc(n + HEADER);
	if (!p)
		return NULL;
	*(uint64_t *)p = TAG;
	mallocs++;
	return p + HEADER;
}

static void tagged_free(void *q)
{
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - HEADER;
	if (*(uint64_t *)p != TAG) {
		/* Not ours: counting it is all we may do (freeing would be wrong either way). */
		foreign_frees++;
		return;
	}
	*(uint64_t *)p = 0;
	frees++;
	free(p);
}

static void *tagged_realloc(void *q, size_t n)
{
	if (!q)
		return tagged_malloc(n);
	unsigned char *p = (unsigned char *)q - HEADER;
	if (*(uint64_t *)p != TAG) {
		foreign_frees++;
		return NULL;
	}
	p = realloc(p, n + HEADER);
	return p ? p + HEADER : NULL;
}

/* Chains of every cached size: a 1 KiB one for a small add, up to 128 KiB for 64 KiB adds. */
static void churn(void)
{
	static char data[64 * 1024];
	memset(data, 'x', sizeof(data));
	for (int round = 0; round < 4; round++) {
		struct evbuffer *buf = evbuffer_new();
		CHECK(buf != NULL);
		if (!buf)
			return;
		for (size_t n = 16; n <= sizeof(data); n *= 2)
			CHECK(evbuffer_add(buf, data, n) == 0);
		CHECK(evbuffer_drain(buf, evbuffer_get_length(buf)) == 0);
		CHECK(evbuffer_add(buf, data, 100) == 0);
		evbuffer_free(buf);
	}
}

int main(void)
{
	/* With the C library's allocator: the freed chains stay in the cache. */
	churn();

	event_set_mem_functions(tagged_malloc, tagged_realloc, tagged_free);
	churn();
	event_set_mem_functions(NULL, NULL, NULL);

	CHECK(foreign_frees == 0);
	CHECK(mallocs > 0);
	CHECK(mallocs == frees);

	/* And back on the C library's allocator, nothing of the program's is reused or freed. */
	long before = frees;
	churn();
	CHECK(frees == before && foreign_frees == 0);
	CHECK_EXIT();
}
