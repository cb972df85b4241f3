/* Rate-limit token buckets (ev_token_bucket_cfg_new and the internal ev_token_bucket_*_
 * helpers that upstream exports) with the inputs OSS-Fuzz found hostile in upstream's 2.1
 * code: tick lengths that make every tick computation divide by zero (under a millisecond,
 * or a millisecond count that wraps the unsigned field to 0), rates and bursts beyond
 * EV_RATE_LIMIT_MAX or near SIZE_MAX, tick counts that overflow rate * ticks, buckets
 * refilled by hand beyond their burst, and NULL arguments.
 *
 * The first part is documented behaviour that upstream 2.1.12 shows too. The second part is
 * the fixed behaviour: 2.1.12 crashes (SIGFPE) or wraps there, so against the system library
 * (LIBEVENT_UNDER_TEST=system) those cases fail by design. Each hostile case runs in a child
 * process, so one crash is reported as that case's failure without hiding the others. */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "check.h"
#include "warnings.h"

/* Upstream's ratelim-internal.h layouts and internal prototypes (exported by libevent_core). */
struct ev_token_bucket {
	ev_ssize_t read_limit, write_limit;
	ev_uint32_t last_updated;
};
struct ev_token_bucket_cfg {
	size_t read_rate;
	size_t read_maximum;
	size_t write_rate;
	size_t write_maximum;
	struct timeval tick_timeout;
	unsigned msec_per_tick;
};
int ev_token_bucket_update_(struct ev_token_bucket *bucket,
    const struct ev_token_bucket_cfg *cfg, ev_uint32_t current_tick);
ev_uint32_t ev_token_bucket_get_tick_(const struct timeval *tv,
    const struct ev_token_bucket_cfg *cfg);
int ev_token_bucket_init_(struct ev_token_bucket *bucket,
    const struct ev_token_bucket_cfg *cfg, ev_uint32_t current_tick, int reinitialize);

static struct ev_token_bucket_cfg *cfg_with_tick(long sec, long usec)
{
	struct timeval tick = { sec, usec };
	return ev_token_bucket_cfg_new(1, 1, 1, 1, &tick);
}

/* ---- documented behaviour (upstream 2.1.12 agrees) ------------------------------------- */

static void test_documented(void)
{
	struct ev_token_bucket_cfg *cfg;
	struct ev_token_bucket b;
	struct timeval now;

	/* Values kept as given; NULL tick length is one second. */
	cfg = ev_token_bucket_cfg_new(10, 20, 30, 40, NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		CHECK(cfg->read_rate == 10 && cfg->read_maximum == 20);
		CHECK(cfg->write_rate == 30 && cfg->write_maximum == 40);
		CHECK(cfg->tick_timeout.tv_sec == 1 && cfg->tick_timeout.tv_usec == 0);
		CHECK(cfg->msec_per_tick == 1000);
		ev_token_bucket_cfg_free(cfg);
	}

	/* A burst below its rate, a zero rate, anything above EV_RATE_LIMIT_MAX: refused. */
	CHECK(ev_token_bucket_cfg_new(20, 10, 1, 1, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(1, 1, 20, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(0, 10, 1, 1, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(1, 1, 0, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(1, (size_t)EV_RATE_LIMIT_MAX + 1, 1, 1, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(1, 1, 1, SIZE_MAX, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(SIZE_MAX, SIZE_MAX, 1, 1, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(SIZE_MAX - 1, SIZE_MAX, SIZE_MAX, SIZE_MAX, NULL) == NULL);
	ev_token_bucket_cfg_free(NULL);

	/* Fractions of a millisecond are dropped; ticks count from the epoch. */
	cfg = cfg_with_tick(0, 250999);
	CHECK(cfg != NULL && cfg->msec_per_tick == 250);
	if (cfg) {
		now.tv_sec = 10;
		now.tv_usec = 999999;
		CHECK(ev_token_bucket_get_tick_(&now, cfg) == 43);
		ev_token_bucket_cfg_free(cfg);
	}

	/* A bucket starts at the rate, gains the rate per tick up to the burst, and is left
	 * alone when no tick passed or the clock went back. */
	cfg = ev_token_bucket_cfg_new(10, 25, 100, 100, NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		memset(&b, 0xa5, sizeof(b));
		CHECK(ev_token_bucket_init_(&b, cfg, 7, 0) == 0);
		CHECK(b.read_limit == 10 && b.write_limit == 100 && b.last_updated == 7);
		CHECK(ev_token_bucket_update_(&b, cfg, 7) == 0);
		b.read_limit -= 10;
		b.write_limit -= 150;
		CHECK(ev_token_bucket_update_(&b, cfg, 8) == 1);
		CHECK(b.read_limit == 10 && b.write_limit == 50 && b.last_updated == 8);
		CHECK(ev_token_bucket_update_(&b, cfg, 100) == 1);
		CHECK(b.read_limit == 25 && b.write_limit == 100);
		CHECK(ev_token_bucket_update_(&b, cfg, 50) == 0);
		CHECK(b.last_updated == 100);
		/* Tick numbers wrap. */
		b.last_updated = UINT32_MAX - 1;
		b.read_limit = 0;
		CHECK(ev_token_bucket_update_(&b, cfg, 1) == 1);
		CHECK(b.read_limit == 25 && b.last_updated == 1);
		/* Re-initializing for a new configuration only lowers the bucket. */
		b.read_limit = 1000;
		b.write_limit = 5;
		CHECK(ev_token_bucket_init_(&b, cfg, 99, 1) == 0);
		CHECK(b.read_limit == 25 && b.write_limit == 5 && b.last_updated == 1);
		ev_token_bucket_cfg_free(cfg);
	}

	/* The largest configuration: rate * ticks would overflow, the bucket stops at the burst. */
	cfg = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
	    EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		CHECK(ev_token_bucket_init_(&b, cfg, 0, 0) == 0);
		CHECK(b.read_limit == EV_SSIZE_MAX);
		b.read_limit = -1;
		CHECK(ev_token_bucket_update_(&b, cfg, INT_MAX) == 1);
		CHECK(b.read_limit == EV_SSIZE_MAX);
		ev_token_bucket_cfg_free(cfg);
	}
}

/* ---- hostile inputs (fixed after 2.1.12) ------------------------------------------------ */

static void zero_and_sub_millisecond_ticks_are_refused(void)
{
	CHECK(cfg_with_tick(0, 0) == NULL);
	CHECK(cfg_with_tick(0, 999) == NULL);
}

static void wrapping_tick_lengths_are_refused(void)
{
	/* 536870912 s is 2^29 * 1000 ms: exactly 0 in 32 bits. */
	CHECK(cfg_with_tick(536870912L, 0) == NULL);
	/* 4294968 s wraps to 704 ms. */
	CHECK(cfg_with_tick(4294968L, 0) == NULL);
	CHECK(cfg_with_tick(LONG_MAX, 0) == NULL);
	/* The longest tick that fits is fine. */
	struct ev_token_bucket_cfg *cfg = cfg_with_tick(4294967L, 295000);
	CHECK(cfg != NULL && cfg->msec_per_tick == UINT32_MAX);
	ev_token_bucket_cfg_free(cfg);
}

static void negative_tick_lengths_are_refused(void)
{
	CHECK(cfg_with_tick(-1, 0) == NULL);
	CHECK(cfg_with_tick(0, -1) == NULL);
	CHECK(cfg_with_tick(-1000, 999999) == NULL);
}

/* A configuration C filled in itself with a zero tick: no division by zero. */
static void zero_tick_in_a_hand_made_cfg_does_not_divide_by_zero(void)
{
	struct ev_token_bucket_cfg cfg = { 10, 10, 10, 10, { 0, 0 }, 0 };
	struct timeval now = { 1, 500000 };
	CHECK(ev_token_bucket_get_tick_(&now, &cfg) == 1500);
}

/* A bucket refilled by hand beyond its burst stays as it is, instead of growing by
 * rate * ticks until the signed value overflows. */
static void refill_of_a_bucket_above_its_burst_does_not_overflow(void)
{
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX / 2,
	    EV_RATE_LIMIT_MAX / 2, 1, 1, NULL);
	struct ev_token_bucket b;
	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK(ev_token_bucket_init_(&b, cfg, 0, 0) == 0);
	b.read_limit = EV_SSIZE_MAX - 5;
	CHECK(ev_token_bucket_update_(&b, cfg, 1000) == 1);
	CHECK(b.read_limit == EV_SSIZE_MAX - 5);
	CHECK(b.write_limit == 1);
	ev_token_bucket_cfg_free(cfg);
}

/* The deepest deficit and the largest rate over the most ticks: 2.1.12's unsigned shortcut
 * wraps rate * ticks here and leaves the bucket negative. */
static void refill_of_the_deepest_deficit_does_not_wrap(void)
{
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX,
	    EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, NULL);
	struct ev_token_bucket b;
	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK(ev_token_bucket_init_(&b, cfg, 0, 0) == 0);
	b.write_limit = EV_SSIZE_MIN;
	CHECK(ev_token_bucket_update_(&b, cfg, INT_MAX) == 1);
	CHECK(b.write_limit == EV_SSIZE_MAX);
	ev_token_bucket_cfg_free(cfg);
}

/* A hand-made configuration beyond EV_RATE_LIMIT_MAX: buckets stay within ev_ssize_t. */
static void hand_made_huge_rates_stay_in_range(void)
{
	struct ev_token_bucket_cfg cfg = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, { 1, 0 }, 1000 };
	struct ev_token_bucket b;
	CHECK(ev_token_bucket_init_(&b, &cfg, 0, 0) == 0);
	CHECK(b.read_limit == EV_SSIZE_MAX && b.write_limit == EV_SSIZE_MAX);
	b.read_limit = 0;
	b.write_limit = EV_SSIZE_MIN;
	CHECK(ev_token_bucket_update_(&b, &cfg, 3) == 1);
	CHECK(b.read_limit == EV_SSIZE_MAX && b.write_limit == EV_SSIZE_MAX);
	b.read_limit = EV_SSIZE_MAX;
	CHECK(ev_token_bucket_init_(&b, &cfg, 0, 1) == 0);
	CHECK(b.read_limit == EV_SSIZE_MAX);
}

static void null_arguments_are_refused_with_a_warning(void)
{
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1, 1, 1, 1, NULL);
	struct ev_token_bucket b;
	struct timeval now = { 5, 0 };
	CHECK(cfg != NULL);
	if (!cfg)
		return;
	warnings = 0;
	CHECK(ev_token_bucket_init_(NULL, cfg, 0, 0) == -1);
	CHECK(ev_token_bucket_init_(&b, NULL, 0, 0) == -1);
	CHECK(ev_token_bucket_update_(NULL, cfg, 1) == -1);
	CHECK(ev_token_bucket_update_(&b, NULL, 1) == -1);
	CHECK(ev_token_bucket_get_tick_(NULL, cfg) == 0);
	CHECK(ev_token_bucket_get_tick_(&now, NULL) == 0);
	CHECK(warnings == 6);
	ev_token_bucket_cfg_free(cfg);
}

/* Runs a hostile case in a child: a crash or a failed check fails that case only. */
static void run_hostile(const char *name, void (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(check_failures ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "%s: killed by signal %d\n", name, WTERMSIG(status));
		else
			fprintf(stderr, "%s: failed\n", name);
		check_failures++;
	}
}

#define HOSTILE(fn) run_hostile(#fn, fn)

int main(void)
{
	event_set_log_callback(log_cb);
	test_documented();
	HOSTILE(zero_and_sub_millisecond_ticks_are_refused);
	HOSTILE(wrapping_tick_lengths_are_refused);
	HOSTILE(negative_tick_lengths_are_refused);
	HOSTILE(zero_tick_in_a_hand_made_cfg_does_not_divide_by_zero);
	HOSTILE(refill_of_a_bucket_above_its_burst_does_not_overflow);
	HOSTILE(refill_of_the_deepest_deficit_does_not_wrap);
	HOSTILE(hand_made_huge_rates_stay_in_range);
	HOSTILE(null_arguments_are_refused_with_a_warning);
	CHECK_EXIT();
}
