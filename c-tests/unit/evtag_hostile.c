/* Hostile input to evtag (event2/tag.h): the two advisories, each with the input that
 * triggers it, malformed records, and bad arguments.
 *
 * - CVE-2026-63383: a 6-byte malformed tag (five bytes with the continuation bit, then one
 *   more) in a buffer of several chains. 2.1.12 made the first 5 bytes contiguous and then read
 *   on past them. Here every byte is its own chain, referenced with evbuffer_add_reference at
 *   the very end of a page followed by an inaccessible page: a read past any chain's byte
 *   crashes the test instead of going unnoticed.
 * - CVE-2026-63384: a record length above INT_MAX, with that many bytes really in the buffer
 *   (a reference to reserved, never touched address space). 2.1.12 returned it as a negative
 *   int: evtag_unmarshal_string then allocated from it and evtag_consume drained everything.
 *   Here every reader refuses it; an allocator installed with event_set_mem_functions shows
 *   that nothing of that size is asked for.
 * - Truncated integers and tags, tags over 32 bits, lengths larger than the buffer: -1, with
 *   upstream's drains.
 * - NULL and other bad arguments: -1 (or nothing done) and a logged warning; upstream would
 *   crash on most of them. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/tag.h>
#include "check.h"
#include "warnings.h"

/* Exported by upstream without a declaration in tag.h (regress.c declares them too). */
int evtag_decode_int(ev_uint32_t *pnumber, struct evbuffer *evbuf);
int evtag_decode_int64(ev_uint64_t *pnumber, struct evbuffer *evbuf);
int evtag_encode_tag(struct evbuffer *evbuf, ev_uint32_t tag);
int evtag_decode_tag(ev_uint32_t *ptag, struct evbuffer *evbuf);

/* ---- an allocator that remembers the largest request ----------------------------------- */

static size_t largest_request;
static long live_blocks;

static void *counting_malloc(size_t n)
{
	if (n > largest_request)
		largest_request = n;
	void *p = malloc(n);
	if (p)
		live_blocks++;
	return p;
}

static void *counting_realloc(void *p, size_t n)
{
	if (n > largest_request)
		largest_request = n;
	if (!p)
		live_blocks++;
	return realloc(p, n);
}

static void counting_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

/* ---- buffers of guarded single-byte chains ---------------------------------------------- */

static size_t page;

static void unmap_page_pair(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	unsigned char *start = (unsigned char *)((uintptr_t)data & ~(uintptr_t)(page - 1));
	munmap(start, 2 * page);
}

/* A buffer of the n bytes at in, as chains of the given sizes (the last one repeated), each
 * referenced at the very end of a page of its own that an inaccessible page follows. */
static struct evbuffer *guarded_chunks(const unsigned char *in, size_t n, const size_t *sizes, size_t nsizes)
{
	struct evbuffer *b = evbuffer_new();
	for (size_t at = 0, k = 0; at < n; k++) {
		size_t len = sizes[k < nsizes ? k : nsizes - 1];
		if (len > n - at)
			len = n - at;
		unsigned char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(p != MAP_FAILED);
		if (p == MAP_FAILED)
			break;
		CHECK(mprotect(p + page, page, PROT_NONE) == 0);
		memcpy(p + page - len, in + at, len);
		CHECK(evbuffer_add_reference(b, p + page - len, len, unmap_page_pair, NULL) == 0);
		at += len;
	}
	return b;
}

/* One guarded chain per byte. */
static struct evbuffer *guarded_buffer(const unsigned char *in, size_t n)
{
	static const size_t one = 1;
	return guarded_chunks(in, n, &one, 1);
}

/* True if b holds exactly the n bytes at want. */
static int holds(struct evbuffer *b, const unsigned char *want, size_t n)
{
	unsigned char out[64];
	if (evbuffer_get_length(b) != n || n > sizeof(out))
		return 0;
	return evbuffer_copyout(b, out, n) == (ev_ssize_t)n && memcmp(out, want, n) == 0;
}

/* ---- CVE-2026-63383 ---------------------------------------------------------------------- */

static void six_byte_tag(void)
{
	/* One chain per byte, and the shape 2.1.12 read out of: the five bytes it made contiguous
	 * already are the first chain, and the sixth is in the next. */
	static const size_t one[] = { 1 }, five_one[] = { 5, 1 };
	static const size_t *shapes[] = { one, five_one };
	static const size_t nshapes[] = { 1, 2 };
	static const unsigned char inputs[][6] = {
		{ 0x80, 0x80, 0x80, 0x80, 0x8f, 0x01 },	/* the fifth byte continues */
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* and carries more than 4 bits */
		{ 0x81, 0x82, 0x83, 0x84, 0x90, 0x00 },	/* 5th byte ends, but over 32 bits */
	};
	for (size_t i = 0; i < 2 * sizeof(inputs) / sizeof(inputs[0]); i++) {
		const unsigned char *in = inputs[i / 2];
		struct evbuffer *b = guarded_chunks(in, 6, shapes[i % 2], nshapes[i % 2]);
		struct evbuffer *dst = evbuffer_new();
		ev_uint32_t u = 0;
		ev_uint64_t u64 = 0;
		char *s = NULL;
		struct timeval tv;
		unsigned char fixed[4];

		CHECK(evtag_peek(b, &u) == -1);
		CHECK(evtag_decode_tag(&u, b) == -1);
		CHECK(evtag_peek_length(b, &u) == -1);
		CHECK(evtag_payload_length(b, &u) == -1);
		/* Nothing decoded, so nothing is drained by any of them. */
		CHECK(evtag_unmarshal_header(b, &u) == -1);
		CHECK(evtag_consume(b) == -1);
		CHECK(evtag_unmarshal(b, &u, dst) == -1);
		CHECK(evtag_unmarshal_int(b, 0, &u) == -1);
		CHECK(evtag_unmarshal_int64(b, 0, &u64) == -1);
		CHECK(evtag_unmarshal_fixed(b, 0, fixed, sizeof(fixed)) == -1);
		CHECK(evtag_unmarshal_string(b, 0, &s) == -1 && s == NULL);
		CHECK(evtag_unmarshal_timeval(b, 0, &tv) == -1);
		CHECK(holds(b, in, 6));
		CHECK(evbuffer_get_length(dst) == 0);
		evbuffer_free(b);
		evbuffer_free(dst);
	}

	/* The same bytes guarded as a valid record read back: the guard itself is not the cause. */
	static const unsigned char ok[] = { 0xa1, 0x82, 0x04, 0x01, 0x05 };
	struct evbuffer *b = guarded_buffer(ok, sizeof(ok));
	ev_uint32_t u = 0;
	CHECK(evtag_peek(b, &u) == 3 && u == 0x10121);
	CHECK(evtag_peek_length(b, &u) == 0 && u == 5);
	CHECK(evtag_unmarshal_int(b, 0x10121, &u) == 1 && u == 5);
	CHECK(evbuffer_get_length(b) == 0);
	evbuffer_free(b);
}

/* ---- CVE-2026-63384 ---------------------------------------------------------------------- */

static void length_above_int_max(void)
{
	/* Lengths 2^31, 2^32 - 2 and UINT32_MAX, tag 9; then the claimed bytes, all there. */
	static const unsigned char headers[][6] = {
		{ 0x09, 0x7f, 0x00, 0x00, 0x00, 0x80 },
		{ 0x09, 0x7e, 0xff, 0xff, 0xff, 0xf0 },
		{ 0x09, 0x7f, 0xff, 0xff, 0xff, 0xf0 },
	};
	const size_t reserved = (size_t)UINT32_MAX + 16;
	void *space = mmap(NULL, reserved, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(space != MAP_FAILED);
	if (space == MAP_FAILED)
		return;
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		for (int op = 0; op < 9; op++) {
			struct evbuffer *b = evbuffer_new(), *dst = evbuffer_new();
			ev_uint32_t u = 0;
			ev_uint64_t u64 = 0;
			char *s = NULL;
			struct timeval tv;
			unsigned char fixed[4];
			int r = 0;
			size_t peeked_left = 6 + reserved;

			evbuffer_add(b, headers[i], 6);
			evbuffer_add_reference(b, space, reserved, NULL, NULL);
			largest_request = 0;
			switch (op) {
			case 0: r = evtag_unmarshal_header(b, &u); break;
			case 1: r = evtag_consume(b); break;
			case 2: r = evtag_unmarshal(b, &u, dst); break;
			case 3: r = evtag_unmarshal_string(b, 9, &s); break;
			case 4: r = evtag_unmarshal_timeval(b, 9, &tv); break;
			case 5: r = evtag_unmarshal_int(b, 9, &u); break;
			case 6: r = evtag_unmarshal_int64(b, 9, &u64); break;
			case 7: r = evtag_unmarshal_fixed(b, 9, fixed, sizeof(fixed)); break;
			/* The peeks drain nothing. */
			case 8: r = evtag_peek_length(b, &u) | evtag_payload_length(b, &u); peeked_left = 0; break;
			}
			CHECK(r == -1);
			CHECK(s == NULL);
			/* The header is gone, the payload is not (2.1.12's consume drained it all). */
			CHECK(evbuffer_get_length(b) == (peeked_left ? reserved : 6 + reserved));
			CHECK(evbuffer_get_length(dst) == 0);
			CHECK(largest_request < 0x80000000u);
			evbuffer_free(b);
			evbuffer_free(dst);
		}
	}
	/* INT_MAX itself is a record length: consumed, and the rest stays. */
	struct evbuffer *b = evbuffer_new();
	static const unsigned char int_max[] = { 0x09, 0x7f, 0xff, 0xff, 0xff, 0x70 };
	evbuffer_add(b, int_max, sizeof(int_max));
	evbuffer_add_reference(b, space, reserved, NULL, NULL);
	ev_uint32_t u = 0;
	CHECK(evtag_payload_length(b, &u) == 0 && u == INT_MAX);
	CHECK(evtag_consume(b) == 0);
	CHECK(evbuffer_get_length(b) == reserved - INT_MAX);
	evbuffer_free(b);
	munmap(space, reserved);
}

/* ---- truncated and oversized ------------------------------------------------------------- */

static void truncated(void)
{
	ev_uint32_t u = 7;
	ev_uint64_t u64 = 7;
	char *s = NULL;
	struct timeval tv;

	/* Integers: 3 nibbles need 2 bytes; 9 nibbles do not fit 32 bits (64 bits need 5 bytes
	 * for them, and get only 4). Nothing is drained, nothing stored. */
	static const unsigned char short_int[] = { 0x20 };
	static const unsigned char wide_int[] = { 0x80, 0x11, 0x22, 0x33 };
	struct evbuffer *b = guarded_buffer(short_int, 1);
	CHECK(evtag_decode_int(&u, b) == -1 && u == 7 && holds(b, short_int, 1));
	CHECK(evtag_decode_int64(&u64, b) == -1 && u64 == 7);
	evbuffer_free(b);
	b = guarded_buffer(wide_int, 4);
	CHECK(evtag_decode_int(&u, b) == -1 && evtag_decode_int64(&u64, b) == -1);
	CHECK(holds(b, wide_int, 4));
	evbuffer_free(b);

	/* Tags cut short. */
	static const unsigned char short_tag[] = { 0x80, 0x80 };
	b = guarded_buffer(short_tag, 2);
	CHECK(evtag_decode_tag(&u, b) == -1 && evtag_peek(b, &u) == -1 && holds(b, short_tag, 2));
	evbuffer_free(b);

	/* A length larger than the buffer: tag and length drained, the 2 payload bytes stay. */
	static const unsigned char long_len[] = { 0x28, 0x0b, 'H', 'e' };
	b = guarded_buffer(long_len, 4);
	CHECK(evtag_peek_length(b, &u) == 0 && u == 13);
	CHECK(evtag_unmarshal_string(b, 40, &s) == -1 && s == NULL);
	CHECK(holds(b, long_len + 2, 2));
	evbuffer_free(b);

	/* A timeval whose second number runs past its payload: the payload is drained anyway. */
	static const unsigned char bad_tv[] = { 0x07, 0x02, 0x01, 0x10, 0x10, 0x99 };
	b = guarded_buffer(bad_tv, sizeof(bad_tv));
	CHECK(evtag_unmarshal_timeval(b, 7, &tv) == -1);
	CHECK(holds(b, bad_tv + 4, 2));
	evbuffer_free(b);
}

/* ---- strings come from the program's allocator ------------------------------------------- */

static void string_allocation(void)
{
	struct evbuffer *b = evbuffer_new();
	char *s = NULL;

	evtag_marshal_string(b, 40, "Hello world");
	largest_request = 0;
	CHECK(evtag_unmarshal_string(b, 40, &s) == 0);
	CHECK(s != NULL && strcmp(s, "Hello world") == 0);
	/* The string and its NUL; freed with the program's free, which main's final count of
	 * live blocks shows was the right one. */
	CHECK(largest_request == 12);
	counting_free(s);
	CHECK(evbuffer_get_length(b) == 0);
	evbuffer_free(b);
}

/* ---- bad arguments ----------------------------------------------------------------------- */

static void bad_arguments(void)
{
	struct evbuffer *b = evbuffer_new(), *other = evbuffer_new();
	ev_uint32_t u;
	ev_uint64_t u64;
	struct timeval tv = { 1, 2 };
	unsigned char data[4];

	warned();
	evtag_encode_int(NULL, 1);
	CHECK(warned());
	evtag_encode_int64(NULL, 1);
	CHECK(warned());
	evtag_marshal(NULL, 1, data, 4);
	CHECK(warned());
	evtag_marshal(b, 1, NULL, 4);
	CHECK(warned());
	evtag_marshal_buffer(b, 1, NULL);
	CHECK(warned());
	evtag_marshal_buffer(b, 1, b);
	CHECK(warned());
	evtag_marshal_int(NULL, 1, 1);
	CHECK(warned());
	evtag_marshal_int64(NULL, 1, 1);
	CHECK(warned());
	evtag_marshal_string(b, 1, NULL);
	CHECK(warned());
	evtag_marshal_timeval(b, 1, NULL);
	CHECK(warned());
	CHECK(evbuffer_get_length(b) == 0);

	/* A NULL buffer to evtag_encode_tag is documented: only the length. */
	CHECK(evtag_encode_tag(NULL, 0x10121) == 3 && !warned());

	evtag_marshal_timeval(b, 1, &tv);
	CHECK(evtag_decode_tag(&u, NULL) == -1 && warned());
	CHECK(evtag_peek(NULL, &u) == -1 && warned());
	CHECK(evtag_decode_int(NULL, b) == -1 && warned());
	CHECK(evtag_decode_int64(&u64, NULL) == -1 && warned());
	CHECK(evtag_peek_length(b, NULL) == -1 && warned());
	CHECK(evtag_payload_length(b, NULL) == -1 && warned());
	CHECK(evtag_unmarshal_header(NULL, &u) == -1 && warned());
	CHECK(evtag_consume(NULL) == -1 && warned());
	CHECK(evtag_unmarshal(b, &u, NULL) == -1 && warned());
	CHECK(evtag_unmarshal(b, &u, b) == -1 && warned());
	CHECK(evtag_unmarshal_int(b, 1, NULL) == -1 && warned());
	CHECK(evtag_unmarshal_int64(b, 1, NULL) == -1 && warned());
	CHECK(evtag_unmarshal_fixed(b, 1, NULL, 4) == -1 && warned());
	CHECK(evtag_unmarshal_string(b, 1, NULL) == -1 && warned());
	CHECK(evtag_unmarshal_timeval(b, 1, NULL) == -1 && warned());
	/* None of them touched the record. */
	CHECK(evbuffer_get_length(b) == 4);
	/* Optional out-pointers may be NULL. */
	CHECK(evtag_peek(b, NULL) == 1 && !warned());
	CHECK(evtag_unmarshal_header(b, NULL) == 2 && !warned());
	evbuffer_drain(b, 2);
	evtag_marshal_string(b, 3, "x");
	CHECK(evtag_unmarshal(b, NULL, other) == 1 && holds(other, (const unsigned char *)"x", 1));
	evbuffer_free(b);
	evbuffer_free(other);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
	event_set_log_callback(log_cb);
	evtag_init();

	six_byte_tag();
	length_above_int_max();
	truncated();
	string_allocation();
	bad_arguments();

	CHECK(live_blocks == 0);
	CHECK_EXIT();
}
