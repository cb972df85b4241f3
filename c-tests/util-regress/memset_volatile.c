/* evutil_memset_volatile_ is exported data: a PIE program (copy relocation) reads it, replaces
 * it, and evutil_memclear_ must then call the replacement. */
#include <stdio.h>
#include <string.h>
extern void *(*volatile evutil_memset_volatile_)(void *, int, size_t);
void evutil_memclear_(void *mem, size_t len);
static int calls;
static void *my_memset(void *p, int c, size_t n) { calls++; return memset(p, c, n); }
int main(void) {
	char buf[8] = "secret";
	int initially_memset = evutil_memset_volatile_ == memset;
	evutil_memclear_(buf, sizeof buf);
	evutil_memset_volatile_ = my_memset;
	strcpy(buf, "again");
	evutil_memclear_(buf, sizeof buf);
	printf("initial=memset:%d cleared:%d replacement_called:%d\n", initially_memset, buf[0] == 0, calls);
	return !(initially_memset && buf[0] == 0 && calls == 1);
}
