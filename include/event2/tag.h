/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/tag.h: tagged data in evbuffers, the format evrpc's generated code marshals its
 * structures in. A stream is a sequence of records, each a tag (a 32-bit number), a length and
 * that many payload bytes. Integers (lengths and int payloads) are written by nibbles: a count
 * nibble, then the value's nibbles, least significant first, so that a small value takes one
 * byte whatever its type; the encoding does not depend on the host's byte order. Tags take 1
 * to 5 bytes, 7 bits a byte, each byte but the last with its high bit set.
 *
 * Readers assume records come in increasing tag order, so that a reader meeting a tag it does
 * not know can stop there and leave the rest of the buffer alone.
 *
 * Every reader fails (-1) on data that does not decode, without logging it. Unlike 2.1.12,
 * a tag is read from at most 5 bytes (2.1.12 could read past the bytes it had made contiguous
 * in a buffer of several chains), and a record length above INT_MAX is refused by every
 * reader before anything is read or allocated for it. */
#ifndef EVENT2_TAG_H_INCLUDED_
#define EVENT2_TAG_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

/* ev_uint32_t, ev_uint64_t. */
#include <event2/util.h>

struct evbuffer;

/* Does nothing; kept for programs written for libevent 1.x, which had to call it first. */
EVENT2_EXPORT_SYMBOL
void evtag_init(void);

/* Reads and drains the header of the record at the front of evbuf, storing its tag in *ptag
 * (ptag may be NULL). Returns the payload length, which is then at the front, or -1 when the
 * header does not decode or the payload is not all in the buffer (the part of the header that
 * decoded is drained then). */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_header(struct evbuffer *evbuf, ev_uint32_t *ptag);

/* Appends a record: tag, then len bytes from data. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal(struct evbuffer *evbuf, ev_uint32_t tag, const void *data,
    ev_uint32_t len);
/* Appends a record whose payload is all of data, which is left empty (its chains move). */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_buffer(struct evbuffer *evbuf, ev_uint32_t tag,
    struct evbuffer *data);

/* Appends number in the integer encoding (1 to 5 bytes; 1 to 9 for the 64-bit one), without
 * a tag. */
EVENT2_EXPORT_SYMBOL
void evtag_encode_int(struct evbuffer *evbuf, ev_uint32_t number);
EVENT2_EXPORT_SYMBOL
void evtag_encode_int64(struct evbuffer *evbuf, ev_uint64_t number);

/* Appends a record holding an encoded integer. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint32_t integer);
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int64(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint64_t integer);

/* Appends a record holding the string's bytes, without its terminating NUL. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_string(struct evbuffer *buf, ev_uint32_t tag,
    const char *string);

/* Appends a record holding tv_sec and tv_usec, each as a 32-bit encoded integer. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_timeval(struct evbuffer *evbuf, ev_uint32_t tag,
    struct timeval *tv);

/* Removes the record at the front of src, moving its payload to the end of dst and storing
 * its tag in *ptag (ptag may be NULL). Returns the payload length, or -1. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal(struct evbuffer *src, ev_uint32_t *ptag,
    struct evbuffer *dst);
/* Stores the tag at the front of evbuf in *ptag (ptag may be NULL) without draining it.
 * Returns the number of bytes the tag takes, or -1. */
EVENT2_EXPORT_SYMBOL
int evtag_peek(struct evbuffer *evbuf, ev_uint32_t *ptag);
/* Stores in *plength the whole length (header and payload) of the record at the front,
 * without draining anything; the payload need not be in the buffer yet. 0, or -1 when the
 * header does not decode. */
EVENT2_EXPORT_SYMBOL
int evtag_peek_length(struct evbuffer *evbuf, ev_uint32_t *plength);
/* The same with only the payload length. */
EVENT2_EXPORT_SYMBOL
int evtag_payload_length(struct evbuffer *evbuf, ev_uint32_t *plength);
/* Removes the record at the front. 0, or -1 as evtag_unmarshal_header fails. */
EVENT2_EXPORT_SYMBOL
int evtag_consume(struct evbuffer *evbuf);

/* Removes a record with tag need_tag holding an encoded integer and stores the integer.
 * Returns the number of bytes its encoding took (not 0), or -1: for another tag (only the tag
 * is drained then), a missing payload, or a payload that is not an integer (the whole record
 * is drained then). */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint32_t *pinteger);
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int64(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint64_t *pinteger);

/* Removes a record with tag need_tag and a payload of exactly len bytes, copying the payload
 * to data. 0, or -1 with the header drained and the payload left. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_fixed(struct evbuffer *src, ev_uint32_t need_tag,
    void *data, size_t len);

/* Removes a record with tag need_tag and stores in *pstring a NUL-terminated copy of its
 * payload, allocated with the library's allocator (event_set_mem_functions): the caller frees
 * it with the matching free. 0, or -1 with the header drained and the payload left. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_string(struct evbuffer *evbuf, ev_uint32_t need_tag,
    char **pstring);

/* Removes a record with tag need_tag holding a timeval, as evtag_marshal_timeval writes it.
 * 0, or -1; once the header decoded, the payload is drained whether or not it matched. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_timeval(struct evbuffer *evbuf, ev_uint32_t need_tag,
    struct timeval *ptv);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_TAG_H_INCLUDED_ */
