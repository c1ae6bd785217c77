#include "maskfilter.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "redact.h"

#define DIRECTIVE_LEN (sizeof(MASKFILTER_DIRECTIVE) - 1)

int maskfilter_set_add(struct maskfilter_set *s, const char *phrase, size_t len)
{
	struct maskfilter_phrase *v;
	char *copy;
	int rc;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].n == len && !memcmp(s->v[i].p, phrase, len))
			return 0;
	if (!(v = realloc(s->v, (s->n + 1) * sizeof(*v))))
		return err_set(CIH_ENOMEM, "out of memory");
	s->v = v;
	if (!(copy = malloc(len)))
		return err_set(CIH_ENOMEM, "out of memory");
	memcpy(copy, phrase, len);
	v[s->n++] = (struct maskfilter_phrase){ copy, len };
	s->maxlen = len > s->maxlen ? len : s->maxlen;
	s->first[(unsigned char)*phrase >> 3] |= (unsigned char)(1u << (*phrase & 7));
	if (s->on_new && (rc = s->on_new(s->ctx, phrase, len)) < 0)
		return rc;
	return 1;
}

void maskfilter_set_dispose(struct maskfilter_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		memset(s->v[i].p, 0, s->v[i].n);
		free(s->v[i].p);
	}
	free(s->v);
	*s = (struct maskfilter_set){ 0 };
}

void maskfilter_init(struct maskfilter *f, struct maskfilter_set *set)
{
	*f = (struct maskfilter){ .set = set, .pending = BUF_INIT, .at_bol = true, .out = BUF_INIT };
}

void maskfilter_dispose(struct maskfilter *f)
{
	buf_dispose(&f->pending);
	buf_dispose(&f->out);
}

static bool is_directive(const char *line, size_t n)
{
	return n >= DIRECTIVE_LEN && !memcmp(line, MASKFILTER_DIRECTIVE, DIRECTIVE_LEN);
}

/* The value of a directive line (its newline included or not); -1: too long. */
static long directive_value(const char *line, size_t n, const char **value)
{
	*value = line + DIRECTIVE_LEN;
	n -= DIRECTIVE_LEN;
	if (n > 0 && (*value)[n - 1] == '\n')
		n--;
	if (n > 0 && (*value)[n - 1] == '\r')
		n--;
	return n > MASKFILTER_PHRASE_MAX ? -1 : (long)n;
}

static int register_line(struct maskfilter *f, const char *line, size_t n)
{
	const char *value;
	long len = directive_value(line, n, &value);
	int rc;

	if (len <= 0)
		return 0;
	rc = maskfilter_set_add(f->set, value, (size_t)len);
	return rc < 0 ? rc : 0;
}

int maskfilter_feed(struct maskfilter *f, const char *data, size_t len)
{
	int rc;

	if (buf_put(&f->pending, data, len) < 0)
		return err_set(CIH_ENOMEM, "out of memory");
	while (f->scanned < f->pending.len) {
		char *line = f->pending.ptr + f->scanned;
		char *nl = memchr(line, '\n', f->pending.len - f->scanned);

		if (!nl)
			break;
		if ((f->scanned > 0 || f->at_bol) && is_directive(line, (size_t)(nl - line) + 1) &&
		    (rc = register_line(f, line, (size_t)(nl - line) + 1)) < 0)
			return rc;
		f->scanned = (size_t)(nl + 1 - f->pending.ptr);
	}
	return 0;
}

static void consume(struct maskfilter *f, size_t n)
{
	if (n == 0)
		return;
	f->at_bol = f->pending.ptr[n - 1] == '\n';
	memmove(f->pending.ptr, f->pending.ptr + n, f->pending.len - n);
	f->pending.len -= n;
	f->scanned = f->scanned > n ? f->scanned - n : 0;
}

/* Copies p[0..n) into out with phrases masked. Unless complete, stops where the rest
 * could still begin a phrase; returns how many bytes were taken. */
static size_t mask_into(struct maskfilter *f, const char *p, size_t n, bool complete)
{
	const struct maskfilter_set *s = f->set;
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t best = 0;
		bool partial = false;

		if (!(s->first[c >> 3] & (1u << (c & 7)))) {
			i++;
			continue;
		}
		for (size_t k = 0; k < s->n; k++) {
			const struct maskfilter_phrase *ph = &s->v[k];

			if (ph->n <= n - i) {
				if (ph->n > best && !memcmp(p + i, ph->p, ph->n))
					best = ph->n;
			} else if (!complete && !memcmp(p + i, ph->p, n - i)) {
				partial = true;
			}
		}
		if (partial)
			break;
		if (!best) {
			i++;
			continue;
		}
		buf_put(&f->out, p + run, i - run);
		buf_puts(&f->out, REDACT_MASK);
		i += best;
		run = i;
	}
	buf_put(&f->out, p + run, i - run);
	return i;
}

int maskfilter_drain(struct maskfilter *f, bool final)
{
	int rc;

	while (f->pending.len > 0) {
		const char *p = f->pending.ptr;
		size_t len = f->pending.len;
		char *nl = memchr(p, '\n', len);
		size_t line = nl ? (size_t)(nl - p) + 1 : len, took;
		bool complete = nl || final;

		if (f->discarding) {
			if (nl)
				buf_putc(&f->out, '\n');
			f->discarding = !nl;
			consume(f, line);
			continue;
		}
		if (f->at_bol && !memcmp(p, MASKFILTER_DIRECTIVE, len < DIRECTIVE_LEN ? len : DIRECTIVE_LEN)) {
			const char *value;

			if (!complete && (len < DIRECTIVE_LEN || len <= DIRECTIVE_LEN + MASKFILTER_PHRASE_MAX))
				break; /* may become a directive, or its value is still coming */
			if (len >= DIRECTIVE_LEN && directive_value(p, line, &value) < 0) {
				log_warn("add-mask value longer than %d bytes: not registered",
					 MASKFILTER_PHRASE_MAX);
				buf_puts(&f->out, MASKFILTER_DIRECTIVE REDACT_MASK);
				f->discarding = true;
				continue; /* the line is dropped up to its newline */
			}
			if (len >= DIRECTIVE_LEN && (rc = register_line(f, p, line)) < 0)
				return rc;
		}
		took = mask_into(f, p, line, complete);
		consume(f, took);
		if (took < line)
			break;
	}
	return f->out.failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}
