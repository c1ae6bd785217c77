/* proxy-exec's add-mask filter for the child's stdout and stderr.
 *
 * A line that starts with "::add-mask::" registers the rest of it (a trailing "\r"
 * dropped; an empty value is ignored) as a phrase. From then on every occurrence of
 * a registered phrase, in either stream, is printed as "[MASKED]", the longest
 * phrase winning where several match at one place. The directive line itself is
 * printed, with its value masked: "::add-mask::[MASKED]".
 *
 * Output is held back only while it could still turn into something masked: a
 * line start that may become a directive, or a tail that is a proper prefix of a
 * phrase (at most the longest phrase minus one byte). A newline or the end of the
 * stream releases it. Directives are registered as soon as their line is complete,
 * before anything read in the same round is printed, so a phrase the child
 * announces on one stream and then prints on the other is masked. */
#ifndef CIH_MASKFILTER_H
#define CIH_MASKFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define MASKFILTER_DIRECTIVE "::add-mask::"
/* A longer value is not registered; its line is printed as the directive and
 * "[MASKED]". */
#define MASKFILTER_PHRASE_MAX (64 * 1024)

struct maskfilter_phrase {
	char *p;
	size_t n;
};

/* The phrases both streams share. on_new (may be NULL) hears each new phrase. */
struct maskfilter_set {
	struct maskfilter_phrase *v;
	size_t n, maxlen;
	unsigned char first[32]; /* bitmap of the phrases' first bytes */
	int (*on_new)(void *ctx, const char *phrase, size_t len);
	void *ctx;
};

/* One stream. Filtered bytes collect in out; the caller writes and clears it. */
struct maskfilter {
	struct maskfilter_set *set;
	struct buf pending; /* read, not yet in out */
	size_t scanned;     /* pending[0..scanned) was searched for directives */
	bool at_bol;        /* pending starts a line */
	bool discarding;    /* inside an over-long directive line */
	struct buf out;
};

/* 1 when the phrase is new, 0 when empty or known, or a negative error. */
int maskfilter_set_add(struct maskfilter_set *s, const char *phrase, size_t len);
void maskfilter_set_dispose(struct maskfilter_set *s);

void maskfilter_init(struct maskfilter *f, struct maskfilter_set *set);
/* Takes bytes read from the stream and registers the directives they complete. */
int maskfilter_feed(struct maskfilter *f, const char *data, size_t len);
/* Moves what can be printed into out; final (the stream closed): everything. */
int maskfilter_drain(struct maskfilter *f, bool final);
void maskfilter_dispose(struct maskfilter *f);

#endif
