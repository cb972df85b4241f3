/* A reduced regress runner: only upstream's "util" test group (test/regress_util.c), linked
 * against libevent_rs.  It supplies the few pieces of regress_main.c those tests use. */
#include <stdlib.h>
#include <unistd.h>

#include "event2/util.h"
#include "tinytest.h"
#include "regress.h"

pid_t regress_fork(void)
{
	return fork();
}

/* The util tests use basic_setup only to receive their setup_data string. */
static void *util_setup(const struct testcase_t *testcase)
{
	struct basic_test_data *data = calloc(1, sizeof(*data));
	if (data)
		data->setup_data = testcase->setup_data;
	return data;
}

static int util_cleanup(const struct testcase_t *testcase, void *ptr)
{
	(void)testcase;
	free(ptr);
	return 1;
}

const struct testcase_setup_t basic_setup = { util_setup, util_cleanup };

static struct testgroup_t groups[] = {
	{ "util/", util_testcases },
	END_OF_GROUPS
};

int main(int argc, const char **argv)
{
	return tinytest_main(argc, argv, groups) ? 1 : 0;
}
