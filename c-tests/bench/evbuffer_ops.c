/* evbuffer micro-operations, each timed on its own and checked for the right result.
 *
 * usage: evbuffer_ops OPERATION ROUNDS       prints RESULT evbuffer_<OPERATION> in operations/s
 *   add_drain   1024 evbuffer_add of 1..64-byte pieces, then evbuffer_drain in 1..48-byte pieces
 *               until empty; one operation = one add or one drain
 *   readln      evbuffer_readln(EVBUFFER_EOL_CRLF) over 10 000 lines of 20..100 bytes that were
 *               added in 4 KiB pieces, as reads deliver them (the adds are not timed); one
 *               operation = one line
 *   search      evbuffer_search for a 12-byte needle that occurs every 64 KiB in 1 MiB of
 *               pseudo-random lowercase text added in 4 KiB pieces; each search starts just past
 *               the previous hit; one operation = one search (17 per round, the last one fails)
 *   add_buffer  evbuffer_add_buffer of one 1 MiB buffer onto another, then evbuffer_remove_buffer
 *               of 1 MiB back; one operation = one of those two calls
 *   pullup      evbuffer_pullup(-1) of 64 KiB held in 256 reference chains of 256 bytes
 *               (evbuffer_add_reference; building and draining are not timed); one operation =
 *               one pullup */
#include "bench_util.h"
#include <event2/buffer.h>

#define MIB (1024 * 1024)
#define READ_PIECE 4096

static struct evbuffer *new_buffer(void)
{
	struct evbuffer *buf = evbuffer_new();
	if (!buf)
		bench_fail("evbuffer_new");
	return buf;
}

/* Adds len bytes in READ_PIECE pieces, as a socket read loop would. */
static void add_in_pieces(struct evbuffer *buf, const char *data, size_t len)
{
	for (size_t off = 0; off < len; off += READ_PIECE) {
		size_t piece = len - off < READ_PIECE ? len - off : READ_PIECE;
		if (evbuffer_add(buf, data + off, piece) != 0)
			bench_fail("evbuffer_add");
	}
}

static double add_drain(long rounds, long *ops)
{
	static char piece[64];
	struct evbuffer *buf = new_buffer();
	double start = bench_now();

	for (long round = 0; round < rounds; round++) {
		size_t added = 0, drained = 0;
		for (int i = 0; i < 1024; i++) {
			size_t len = 1 + (size_t)(i * 7 + round) % 64;
			if (evbuffer_add(buf, piece, len) != 0)
				bench_fail("evbuffer_add");
			added += len;
		}
		if (evbuffer_get_length(buf) != added)
			bench_fail("evbuffer_get_length after the adds");
		for (int i = 0; drained < added; i++) {
			size_t len = 1 + (size_t)(i * 5 + round) % 48;
			if (len > added - drained)
				len = added - drained;
			if (evbuffer_drain(buf, len) != 0)
				bench_fail("evbuffer_drain");
			drained += len;
			++*ops;
		}
		*ops += 1024;
	}
	double elapsed = bench_now() - start;
	if (evbuffer_get_length(buf) != 0)
		bench_fail("the buffer is not empty after the drains");
	evbuffer_free(buf);
	return elapsed;
}

static double readln(long rounds, long *ops)
{
	enum { LINES = 10000 };
	static size_t lengths[LINES];
	char *text = malloc(LINES * 102);
	size_t text_len = 0;
	unsigned long long rng = 42;
	struct evbuffer *buf = new_buffer();
	double elapsed = 0;

	if (!text)
		bench_fail("malloc");
	for (int i = 0; i < LINES; i++) {
		lengths[i] = 20 + bench_rand(&rng) % 81;
		for (size_t j = 0; j < lengths[i]; j++)
			text[text_len++] = (char)('a' + (i + j) % 26);
		text[text_len++] = '\r';
		text[text_len++] = '\n';
	}
	for (long round = 0; round < rounds; round++) {
		int line = 0;
		char *got;
		size_t n;
		add_in_pieces(buf, text, text_len);
		double start = bench_now();
		while ((got = evbuffer_readln(buf, &n, EVBUFFER_EOL_CRLF))) {
			if (line >= LINES || n != lengths[line] || got[0] != (char)('a' + line % 26))
				bench_fail("evbuffer_readln returned a wrong line");
			free(got);
			line++;
		}
		elapsed += bench_now() - start;
		if (line != LINES || evbuffer_get_length(buf) != 0)
			bench_fail("evbuffer_readln did not return every line");
		*ops += LINES;
	}
	evbuffer_free(buf);
	free(text);
	return elapsed;
}

static double search(long rounds, long *ops)
{
	static const char needle[] = "needle-12345";
	const size_t needle_len = sizeof(needle) - 1, spacing = 64 * 1024;
	char *text = malloc(MIB);
	unsigned long long rng = 7;
	struct evbuffer *buf = new_buffer();

	if (!text)
		bench_fail("malloc");
	for (size_t i = 0; i < MIB; i++)
		text[i] = (char)('a' + bench_rand(&rng) % 26);
	for (size_t at = spacing - needle_len; at + needle_len <= MIB; at += spacing)
		memcpy(text + at, needle, needle_len);
	add_in_pieces(buf, text, MIB);

	double start = bench_now();
	for (long round = 0; round < rounds; round++) {
		struct evbuffer_ptr ptr = evbuffer_search(buf, needle, needle_len, NULL);
		long hits = 0;
		while (ptr.pos != -1) {
			if ((size_t)ptr.pos != (hits + 1) * spacing - needle_len)
				bench_fail("evbuffer_search found the needle at the wrong place");
			hits++;
			if (evbuffer_ptr_set(buf, &ptr, needle_len, EVBUFFER_PTR_ADD) != 0)
				bench_fail("evbuffer_ptr_set");
			ptr = evbuffer_search(buf, needle, needle_len, &ptr);
		}
		if (hits != (long)(MIB / spacing))
			bench_fail("evbuffer_search missed a needle");
		*ops += hits + 1;
	}
	double elapsed = bench_now() - start;
	evbuffer_free(buf);
	free(text);
	return elapsed;
}

static double add_buffer(long rounds, long *ops)
{
	char *first = malloc(MIB), *second = malloc(MIB), *check = malloc(MIB);
	struct evbuffer *a = new_buffer(), *b = new_buffer();

	if (!first || !second || !check)
		bench_fail("malloc");
	memset(first, 'x', MIB);
	memset(second, 'y', MIB);
	add_in_pieces(a, first, MIB);
	add_in_pieces(b, second, MIB);

	/* b = B, a = A  ->  b = B A  ->  a = B, b = A: the contents swap every round. */
	double start = bench_now();
	for (long round = 0; round < rounds; round++) {
		if (evbuffer_add_buffer(b, a) != 0)
			bench_fail("evbuffer_add_buffer");
		if (evbuffer_remove_buffer(b, a, MIB) != MIB)
			bench_fail("evbuffer_remove_buffer");
		if (evbuffer_get_length(a) != MIB || evbuffer_get_length(b) != MIB)
			bench_fail("the lengths after add_buffer/remove_buffer");
		*ops += 2;
	}
	double elapsed = bench_now() - start;
	if (evbuffer_copyout(a, check, MIB) != MIB || memcmp(check, rounds % 2 ? second : first, MIB) != 0)
		bench_fail("add_buffer/remove_buffer moved the wrong bytes");
	evbuffer_free(a);
	evbuffer_free(b);
	free(first);
	free(second);
	free(check);
	return elapsed;
}

static double pullup(long rounds, long *ops)
{
	enum { CHAINS = 256, CHAIN_LEN = 256 };
	static char data[CHAINS * CHAIN_LEN];
	struct evbuffer *buf = new_buffer();
	double elapsed = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 % 253);
	for (long round = 0; round < rounds; round++) {
		for (int i = 0; i < CHAINS; i++)
			if (evbuffer_add_reference(buf, data + i * CHAIN_LEN, CHAIN_LEN, NULL, NULL) != 0)
				bench_fail("evbuffer_add_reference");
		double start = bench_now();
		unsigned char *flat = evbuffer_pullup(buf, -1);
		elapsed += bench_now() - start;
		if (!flat || memcmp(flat, data, sizeof(data)) != 0)
			bench_fail("evbuffer_pullup returned the wrong bytes");
		if (evbuffer_drain(buf, sizeof(data)) != 0)
			bench_fail("evbuffer_drain");
		++*ops;
	}
	evbuffer_free(buf);
	return elapsed;
}

static const struct {
	const char *name;
	double (*run)(long rounds, long *ops);
} operations[] = {
	{"add_drain", add_drain}, {"readln", readln}, {"search", search},
	{"add_buffer", add_buffer}, {"pullup", pullup},
};

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	long rounds = bench_arg(argc, argv, 2, 100), ops = 0;
	char name[64];

	bench_report_library();
	for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
		if (strcmp(op, operations[i].name) != 0)
			continue;
		double elapsed = operations[i].run(rounds, &ops);
		snprintf(name, sizeof(name), "evbuffer_%s", op);
		bench_result(name, (double)ops / elapsed, "ops/s");
		return 0;
	}
	bench_fail("OPERATION must be add_drain, readln, search, add_buffer or pullup");
	return 1;
}
