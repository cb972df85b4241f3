/* Exported data objects read by programs (upstream's internal macros do): a PIE executable gets
 * its own copy of each by copy relocation, so the library must read and write them through the
 * interposable symbol. This program is built as PIE (Debian's default) and checks that what the
 * library does is visible in the program's copy, and the other way round. */
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include "check.h"

extern int event_debug_mode_on_;
extern struct event_base *event_global_current_base_;
extern uint32_t event_debug_logging_mask_;

/* struct bufferevent_ops as upstream's bufferevent-internal.h lays it out (no public header
 * has it); the members after mem_offset are function pointers, which this test only counts. */
struct bufferevent_ops {
	const char *type;
	off_t mem_offset;
	void (*fns[7])(void);
};
extern const struct bufferevent_ops bufferevent_ops_socket;
extern const struct bufferevent_ops bufferevent_ops_pair;
extern const struct bufferevent_ops bufferevent_ops_filter;

static void never_called(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

static void event_objects(void)
{
	struct event_base *base, *other;
	struct event ev;

	CHECK(event_debug_mode_on_ == 0);
	event_enable_debug_mode();
	CHECK(event_debug_mode_on_ == 1);

	CHECK(event_global_current_base_ == NULL);
	base = event_init();
	CHECK(base != NULL && event_global_current_base_ == base);
	/* The 1.x API reads the current base through the same symbol. */
	CHECK(event_get_method() != NULL);
	/* What the program stores there is what the library uses: event_set() takes that base. */
	other = event_base_new();
	CHECK(other != NULL);
	event_global_current_base_ = other;
	event_set(&ev, -1, 0, never_called, NULL);
	CHECK(event_get_base(&ev) == other);
	event_global_current_base_ = base;
	event_set(&ev, -1, 0, never_called, NULL);
	CHECK(event_get_base(&ev) == base);
	event_base_free(other);

	event_enable_debug_logging(EVENT_DBG_ALL);
	CHECK(event_debug_logging_mask_ == EVENT_DBG_ALL);
	event_enable_debug_logging(EVENT_DBG_NONE);

	event_base_free(base);
	CHECK(event_global_current_base_ == NULL);
}

/* Upstream's type name, mem_offset 0 (the struct bufferevent comes first in each kind's own
 * struct) and the operations set (all but one for socket and pair: the program's copy holds
 * the library's relocated table, function pointers included). */
static void check_table(const struct bufferevent_ops *ops, const char *type, int nfns)
{
	int i, n = 0;

	CHECK(ops->type != NULL && strcmp(ops->type, type) == 0);
	CHECK(ops->mem_offset == 0);
	for (i = 0; i < 7; i++)
		n += ops->fns[i] != NULL;
	CHECK(n == nfns);
}

/* The operation tables: `bev->be_ops == &bufferevent_ops_socket` (how programs and upstream's
 * BEV_IS_SOCKET-style macros tell kinds apart) must hold with the program's address. */
static void bufferevent_tables(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *sock, *pair[2] = {NULL, NULL}, *filter;

	CHECK(base != NULL);
	check_table(&bufferevent_ops_socket, "socket", 6);
	check_table(&bufferevent_ops_pair, "pair_elt", 6);
	check_table(&bufferevent_ops_filter, "filter", 7);

	sock = bufferevent_socket_new(base, -1, 0);
	CHECK(sock != NULL && sock->be_ops == &bufferevent_ops_socket);
	CHECK(bufferevent_pair_new(base, 0, pair) == 0);
	CHECK(pair[0] != NULL && pair[0]->be_ops == &bufferevent_ops_pair);
	CHECK(pair[1] != NULL && pair[1]->be_ops == &bufferevent_ops_pair);
	filter = bufferevent_filter_new(pair[0], NULL, NULL, 0, NULL, NULL);
	CHECK(filter != NULL && filter->be_ops == &bufferevent_ops_filter);

	/* The library tells the kinds apart by the same addresses. */
	CHECK(bufferevent_pair_get_partner(pair[0]) == pair[1]);
	CHECK(bufferevent_pair_get_partner(sock) == NULL);
	CHECK(bufferevent_get_underlying(filter) == pair[0]);
	CHECK(bufferevent_get_underlying(sock) == NULL);

	bufferevent_free(filter);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	bufferevent_free(sock);
	event_base_free(base);
}

int main(void)
{
	event_objects();
	bufferevent_tables();
	CHECK_EXIT();
}
