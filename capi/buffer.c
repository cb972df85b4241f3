/* The C-variadic entry points of event2/buffer.h: evbuffer_add_printf and evbuffer_add_vprintf.
 * Rust cannot define C-variadic functions on stable, so the text is formatted here and handed
 * to src/ffi/buffer.rs, which appends it to the buffer (and runs its callbacks). The exported
 * names are trampolines in src/ffi/variadic.rs that jump here with the caller's registers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct evbuffer;

/* Implemented in src/ffi/buffer.rs: appends len bytes; returns len or -1. */
int event_rs_evbuffer_add_formatted(struct evbuffer *buf, const char *text, size_t len);
/* Implemented in src/log.rs. */
void event_rs_log_message(int severity, const char *msg);

#define EVENT_LOG_WARN 2
/* Most texts fit here, so they cost no allocation; longer ones are formatted again into the
 * heap at their exact size. */
#define SMALL_TEXT 512

int capi_evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	char small[SMALL_TEXT], *text = small;
	va_list aq;
	int n, r;

	if (fmt == NULL) {
		event_rs_log_message(EVENT_LOG_WARN, "evbuffer_add_vprintf: NULL format");
		return -1;
	}
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text == NULL) {
			event_rs_log_message(EVENT_LOG_WARN, "evbuffer_add_vprintf: out of memory");
			return -1;
		}
		va_copy(aq, ap);
		n = vsnprintf(text, (size_t)n + 1, fmt, aq);
		va_end(aq);
	}
	r = n < 0 ? -1 : event_rs_evbuffer_add_formatted(buf, text, (size_t)n);
	if (text != small)
		free(text);
	return r;
}

int capi_evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = capi_evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}
