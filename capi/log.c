/* Variadic entry points of libevent's logging and snprintf API.  Rust cannot define C-variadic
 * functions on stable, so the formatting happens here and the message goes to Rust
 * (src/log.rs) which owns the callbacks.  The exported names are Rust trampolines
 * (src/ffi/variadic.rs) that jump here with the caller's registers untouched. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Implemented in src/log.rs. */
void event_rs_log_message(int severity, const char *msg);
void event_rs_fatal_exit(int errcode);
unsigned event_rs_debug_mask(void);

#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG 1
#define EVENT_LOG_WARN 2
#define EVENT_LOG_ERR 3
#define EVENT_ERR_ABORT_ ((int)0xdeaddead)

int capi_evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
	int r;
	if (!buflen)
		return 0;
	r = vsnprintf(buf, buflen, format, ap);
	/* C99 already terminates; keep the guarantee explicit for buflen-sized results. */
	buf[buflen - 1] = '\0';
	return r;
}

int capi_evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	int r;
	va_list ap;
	va_start(ap, format);
	r = capi_evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return r;
}

/* Formats "<message>[: <errstr>]" and hands it to the Rust logger. */
void capi_event_logv_(int severity, const char *errstr, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t len;

	if (severity == EVENT_LOG_DEBUG && !event_rs_debug_mask())
		return;
	if (fmt != NULL)
		capi_evutil_vsnprintf(buf, sizeof(buf), fmt, ap);
	else
		buf[0] = '\0';
	if (errstr) {
		len = strlen(buf);
		if (len < sizeof(buf) - 3)
			capi_evutil_snprintf(buf + len, sizeof(buf) - len, ": %s", errstr);
	}
	event_rs_log_message(severity, buf);
}

static void log_with(int severity, const char *errstr, const char *fmt, va_list ap)
{
	capi_event_logv_(severity, errstr, fmt, ap);
}

void capi_event_err(int eval, const char *fmt, ...)
{
	va_list ap;
	int err = errno;
	va_start(ap, fmt);
	log_with(EVENT_LOG_ERR, strerror(err), fmt, ap);
	va_end(ap);
	event_rs_fatal_exit(eval);
}

void capi_event_warn(const char *fmt, ...)
{
	va_list ap;
	int err = errno;
	va_start(ap, fmt);
	log_with(EVENT_LOG_WARN, strerror(err), fmt, ap);
	va_end(ap);
}

void capi_event_sock_err(int eval, int sock, const char *fmt, ...)
{
	va_list ap;
	int err = errno;
	(void)sock;
	va_start(ap, fmt);
	log_with(EVENT_LOG_ERR, strerror(err), fmt, ap);
	va_end(ap);
	event_rs_fatal_exit(eval);
}

void capi_event_sock_warn(int sock, const char *fmt, ...)
{
	va_list ap;
	int err = errno;
	(void)sock;
	va_start(ap, fmt);
	log_with(EVENT_LOG_WARN, strerror(err), fmt, ap);
	va_end(ap);
}

void capi_event_errx(int eval, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_with(EVENT_LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	event_rs_fatal_exit(eval);
}

void capi_event_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_with(EVENT_LOG_WARN, NULL, fmt, ap);
	va_end(ap);
}

void capi_event_msgx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_with(EVENT_LOG_MSG, NULL, fmt, ap);
	va_end(ap);
}

void capi_event_debugx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_with(EVENT_LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}
