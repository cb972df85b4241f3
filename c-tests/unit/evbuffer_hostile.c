/* Hostile input to evbuffers: the security fixes upstream made after 2.1.12, each with the
 * input that triggered it, and bad arguments, which get upstream's error result and a log
 * message. After every refused call the buffer must still hold exactly what it held.
 *
 * - CVE-2014-6272: sizes near SIZE_MAX and EV_SSIZE_MAX to add/prepend/expand/reserve/pullup/
 *   copyout/write/ptr_set overflowed length arithmetic in old versions; they must fail (or be
 *   clamped where upstream clamps) and never wrap.
 * - CVE-2026-63381: evbuffer_add_buffer_reference() into an empty buffer that still had an
 *   (empty) chain freed that chain but kept pointing at it (a use-after-free in 2.1.12, fixed
 *   in 2.1.13). Exercised in both free orders; run under valgrind it shows any stale access.
 * NULL buffers are checked too, where upstream itself would crash: that is our hardening. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>
#include "check.h"
#include "warnings.h"

/* True if the buffer holds exactly the len bytes at want. */
static int holds(struct evbuffer *b, const char *want, size_t len)
{
	unsigned char *p;
	if (evbuffer_get_length(b) != len)
		return 0;
	if (len == 0)
		return 1;
	p = evbuffer_pullup(b, -1);
	return p != NULL && memcmp(p, want, len) == 0;
}

static void cve_2014_6272_sizes(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer *other = evbuffer_new();
	struct evbuffer_iovec v[2];
	struct evbuffer_ptr p;
	char data[16] = "1";
	char out[16];
	int fds[2];

	evbuffer_add(b, "1", 1);
	warned();

	CHECK(evbuffer_add(b, data, SIZE_MAX) == -1 && warned());
	CHECK(evbuffer_add(b, data, SIZE_MAX - 1) == -1 && warned());
	CHECK(evbuffer_add(b, data, EV_SSIZE_MAX) == -1 && warned());
	CHECK(evbuffer_prepend(b, data, SIZE_MAX) == -1 && warned());
	CHECK(evbuffer_prepend(b, data, EV_SSIZE_MAX) == -1 && warned());
	CHECK(evbuffer_add_reference(b, data, SIZE_MAX, NULL, NULL) == -1 && warned());
	CHECK(evbuffer_expand(b, SIZE_MAX) == -1 && warned());
	CHECK(evbuffer_expand(b, EV_SSIZE_MAX) == -1 && warned());
	CHECK(evbuffer_expand(b, (size_t)EV_SSIZE_MAX - 64) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, EV_SSIZE_MAX, v, 1) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, EV_SSIZE_MAX, v, 2) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, EV_SSIZE_MAX - 64, v, 2) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, -1, v, 2) == -1 && warned());
	CHECK(evbuffer_pullup(b, EV_SSIZE_MAX) == NULL);
	CHECK(evbuffer_pullup(b, 2) == NULL);
	CHECK(holds(b, "1", 1));

	/* Vectors whose lengths add up past SIZE_MAX add nothing. */
	v[0].iov_base = data;
	v[0].iov_len = SIZE_MAX / 2 + 1;
	v[1].iov_base = data;
	v[1].iov_len = SIZE_MAX / 2 + 1;
	CHECK(evbuffer_add_iovec(b, v, 2) == 0 && warned());
	CHECK(holds(b, "1", 1));

	/* Copies and removals are clamped to what there is. */
	CHECK(evbuffer_copyout(b, out, SIZE_MAX) == 1 && out[0] == '1');
	CHECK(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_SET) == 0);
	CHECK(evbuffer_copyout_from(b, &p, out, SIZE_MAX) == -1 && warned());
	CHECK(evbuffer_ptr_set(b, &p, 0, EVBUFFER_PTR_SET) == 0);
	CHECK(evbuffer_copyout_from(b, &p, out, EV_SSIZE_MAX) == 1);

	/* Positions past the end, or moved past SIZE_MAX, fail and say "not found". */
	CHECK(evbuffer_ptr_set(b, &p, SIZE_MAX, EVBUFFER_PTR_SET) == -1 && p.pos == -1);
	CHECK(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_SET) == 0);
	CHECK(evbuffer_ptr_set(b, &p, SIZE_MAX, EVBUFFER_PTR_ADD) == -1);
	CHECK(evbuffer_ptr_set(b, &p, (size_t)EV_SSIZE_MAX, EVBUFFER_PTR_SET) == -1 && p.pos == -1);

	/* A search for a pattern longer than the buffer, or absurdly long, finds nothing. */
	p = evbuffer_search(b, data, 2, NULL);
	CHECK(p.pos == -1);
	p = evbuffer_search(b, data, SIZE_MAX, NULL);
	CHECK(p.pos == -1 && warned());

	/* Writes of "at most" huge amounts write what there is. */
	CHECK(pipe(fds) == 0);
	evbuffer_add(other, "abc", 3);
	CHECK(evbuffer_write_atmost(other, fds[1], EV_SSIZE_MAX) == 3);
	CHECK(evbuffer_get_length(other) == 0);
	CHECK(evbuffer_read(other, fds[0], INT_MAX) == 3);
	CHECK(holds(other, "abc", 3));
	close(fds[0]);
	close(fds[1]);

	/* File segments whose offset + length would overflow are refused. */
	CHECK(pipe(fds) == 0);
	CHECK(evbuffer_file_segment_new(fds[0], EV_SSIZE_MAX, 10, 0) == NULL && warned());
	CHECK(evbuffer_file_segment_new(fds[0], 0, -5, 0) == NULL && warned());
	CHECK(evbuffer_file_segment_new(fds[0], -1, 10, 0) == NULL && warned());
	close(fds[0]);
	close(fds[1]);

	/* Draining more than there is empties the buffer (upstream clamps). */
	CHECK(evbuffer_drain(b, SIZE_MAX) == 0 && evbuffer_get_length(b) == 0);
	CHECK(evbuffer_add(b, "2", 1) == 0 && holds(b, "2", 1));

	evbuffer_free(b);
	evbuffer_free(other);
}

/* The referencing buffer `out` is made empty-with-a-chain in the three ways a buffer gets
 * there: expand, reserve without commit, and adding then draining part of a larger chain. */
static void make_empty_with_chain(struct evbuffer *out, int how)
{
	struct evbuffer_iovec v[1];
	switch (how) {
	case 0:
		CHECK(evbuffer_expand(out, 4096) == 0);
		break;
	case 1:
		CHECK(evbuffer_reserve_space(out, 100, v, 1) == 1);
		break;
	default:
		CHECK(evbuffer_reserve_space(out, 100, v, 1) == 1);
		v[0].iov_len = 0;
		CHECK(evbuffer_commit_space(out, v, 1) == 0);
		break;
	}
	CHECK(evbuffer_get_length(out) == 0);
}

static void cve_2026_63381_reference_into_empty(void)
{
	static const char text[] = "hello, referenced world";
	const size_t len = sizeof(text) - 1;
	int how, in_first;

	for (how = 0; how < 3; how++) {
		for (in_first = 0; in_first < 2; in_first++) {
			struct evbuffer *in = evbuffer_new();
			struct evbuffer *out = evbuffer_new();
			char got[64];

			evbuffer_add(in, text, len);
			make_empty_with_chain(out, how);
			CHECK(evbuffer_add_buffer_reference(out, in) == 0);
			CHECK(holds(out, text, len));
			/* Both buffers go on working: appends after the shared bytes, and the
			 * shared bytes are not changed through either buffer. */
			CHECK(evbuffer_add(out, "!", 1) == 0);
			CHECK(evbuffer_prepend(in, ">", 1) == 0);
			CHECK(evbuffer_get_length(out) == len + 1);
			CHECK(evbuffer_copyout(out, got, sizeof(got)) == (ev_ssize_t)len + 1);
			CHECK(memcmp(got, text, len) == 0 && got[len] == '!');
			if (in_first) {
				evbuffer_free(in);
				CHECK(evbuffer_remove(out, got, sizeof(got)) == (int)len + 1);
				CHECK(memcmp(got, text, len) == 0);
				evbuffer_free(out);
			} else {
				evbuffer_free(out);
				CHECK(evbuffer_remove(in, got, sizeof(got)) == (int)len + 1);
				CHECK(got[0] == '>' && memcmp(got + 1, text, len) == 0);
				evbuffer_free(in);
			}
		}
	}

	/* Referencing an empty buffer adds nothing and leaves both usable; referencing a buffer
	 * of references, or a buffer itself, is refused. */
	{
		struct evbuffer *empty = evbuffer_new();
		struct evbuffer *out = evbuffer_new();
		struct evbuffer *again = evbuffer_new();
		make_empty_with_chain(out, 0);
		CHECK(evbuffer_add_buffer_reference(out, empty) == 0);
		CHECK(evbuffer_get_length(out) == 0);
		CHECK(evbuffer_add(empty, text, len) == 0);
		CHECK(evbuffer_add_buffer_reference(out, empty) == 0);
		CHECK(evbuffer_add_buffer_reference(empty, empty) == -1 && warned());
		CHECK(evbuffer_add_buffer_reference(again, out) == -1 && warned());
		CHECK(evbuffer_add_buffer_reference(empty, out) == -1 && warned());
		evbuffer_free(empty);
		CHECK(holds(out, text, len));
		evbuffer_free(out);
		evbuffer_free(again);
	}
}

static void bad_arguments(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2], fake[1];
	struct evbuffer_ptr p;
	size_t n = 7;
	char out[8];

	/* NULL buffers. */
	CHECK(evbuffer_add(NULL, "x", 1) == -1 && warned());
	CHECK(evbuffer_prepend(NULL, "x", 1) == -1 && warned());
	CHECK(evbuffer_drain(NULL, 1) == -1 && warned());
	CHECK(evbuffer_remove(NULL, out, 1) == -1 && warned());
	CHECK(evbuffer_copyout(NULL, out, 1) == -1 && warned());
	CHECK(evbuffer_get_length(NULL) == 0 && warned());
	CHECK(evbuffer_pullup(NULL, 1) == NULL && warned());
	CHECK(evbuffer_expand(NULL, 1) == -1 && warned());
	CHECK(evbuffer_add_buffer(b, NULL) == -1 && warned());
	CHECK(evbuffer_remove_buffer(NULL, b, 1) == -1 && warned());
	CHECK(evbuffer_readln(NULL, &n, EVBUFFER_EOL_LF) == NULL && n == 0 && warned());
	CHECK(evbuffer_search(NULL, "x", 1, NULL).pos == -1 && warned());
	CHECK(evbuffer_add_printf(NULL, "%d", 1) == -1 && warned());
	CHECK(evbuffer_add_cb(NULL, NULL, NULL) == NULL && warned());
	CHECK(evbuffer_remove_cb_entry(b, NULL) == -1 && warned());
	CHECK(evbuffer_write(NULL, 1) == -1 && warned());
	CHECK(evbuffer_read(NULL, 0, 1) == -1 && warned());
	evbuffer_free(NULL);
	CHECK(warned());
	/* NULL data with a length. */
	CHECK(evbuffer_add(b, NULL, 1) == -1 && warned());
	CHECK(evbuffer_add(b, NULL, 0) == 0);

	evbuffer_add(b, "hello\nworld", 11);

	/* Unknown modes and styles. */
	CHECK(evbuffer_readln(b, &n, (enum evbuffer_eol_style)99) == NULL && n == 0 && warned());
	CHECK(evbuffer_ptr_set(b, &p, 0, (enum evbuffer_ptr_how)5) == -1 && warned());

	/* Positions past the end. */
	memset(&p, 0, sizeof(p));
	p.pos = 100;
	CHECK(evbuffer_copyout_from(b, &p, out, 1) == -1 && warned());
	CHECK(evbuffer_search(b, "o", 1, &p).pos == -1);
	p.pos = -5;
	CHECK(evbuffer_copyout_from(b, &p, out, 1) == -1 && warned());
	CHECK(evbuffer_ptr_set(b, &p, 0, EVBUFFER_PTR_SET) == 0);
	CHECK(evbuffer_ptr_set(b, &p, 11, EVBUFFER_PTR_ADD) == 0 && p.pos == 11);
	CHECK(evbuffer_peek(b, -1, &p, v, 2) == 0);
	CHECK(evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_LF).pos == -1 && n == 0);
	CHECK(holds(b, "hello\nworld", 11));

	/* Committing vectors that were not reserved, or more than was reserved. */
	fake[0].iov_base = out;
	fake[0].iov_len = 1;
	CHECK(evbuffer_commit_space(b, fake, 1) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, 10, v, 1) == 1);
	v[0].iov_len += 1;
	CHECK(evbuffer_commit_space(b, v, 1) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, 10, v, 2) >= 1);
	memcpy(v[0].iov_base, "!", 1);
	v[0].iov_len = 1;
	CHECK(evbuffer_commit_space(b, v, 1) == 0);
	CHECK(holds(b, "hello\nworld!", 12));
	CHECK(evbuffer_reserve_space(b, 10, NULL, 1) == -1 && warned());
	CHECK(evbuffer_reserve_space(b, 10, v, 0) == -1 && warned());
	CHECK(evbuffer_commit_space(b, v, -1) == -1 && warned());

	/* Removing or draining more than there is. */
	memset(out, 0, sizeof(out));
	CHECK(evbuffer_remove(b, out, 6) == 6 && memcmp(out, "hello\n", 6) == 0);
	CHECK(evbuffer_drain(b, 1000) == 0 && evbuffer_get_length(b) == 0);
	CHECK(evbuffer_remove(b, out, 5) == 0);
	CHECK(evbuffer_write(b, 1) == -1); /* nothing to write: -1, as upstream */

	/* Writes to a frozen end, and drains from a frozen front. */
	evbuffer_add(b, "keep", 4);
	warned();
	evbuffer_freeze(b, 0);
	CHECK(evbuffer_add(b, "x", 1) == -1 && warned());
	CHECK(evbuffer_add_printf(b, "%s", "x") == -1 && warned());
	CHECK(evbuffer_reserve_space(b, 1, v, 1) == -1 && warned());
	CHECK(evbuffer_add_reference(b, "x", 1, NULL, NULL) == -1 && warned());
	evbuffer_unfreeze(b, 0);
	evbuffer_freeze(b, 1);
	CHECK(evbuffer_drain(b, 1) == -1 && warned());
	CHECK(evbuffer_prepend(b, "x", 1) == -1 && warned());
	CHECK(evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY) == NULL);
	evbuffer_unfreeze(b, 1);
	CHECK(holds(b, "keep", 4));

	evbuffer_free(b);
}

int main(void)
{
	event_set_log_callback(log_cb);
	cve_2014_6272_sizes();
	cve_2026_63381_reference_into_empty();
	bad_arguments();
	CHECK_EXIT();
}
