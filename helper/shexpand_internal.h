/* Shared by shexpand.c (words and parameters) and shexpand_arith.c; not an API. */
#ifndef CIH_HELPER_SHEXPAND_INTERNAL_H
#define CIH_HELPER_SHEXPAND_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "shexpand.h"

struct sx {
	const char *s;
	size_t n, i;
	shexp_lookup_fn lookup;
	void *ctx;
	int quiet;       /* > 0: inside a part that is parsed but not evaluated */
	bool failed;     /* a syntax error: parsing stopped */
	char perr[512];  /* the syntax error, which wins */
	char eerr[512];  /* the first expansion error */
};

/* Where a word is: a heredoc-like top level, "...", a ${...} operand, the pattern
 * of ${x/pattern/...}, an arithmetic operand. */
enum sx_mode { SX_DOC, SX_DQ, SX_EXP, SX_REPL, SX_ARITH };

/* Terminators for an arithmetic expression inside ${...}. */
enum sx_arith_end { SX_END_DPAREN, SX_END_BRACK, SX_END_SLICE, SX_END_INDEX };

void sx_syntax(struct sx *x, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sx_fail(struct sx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "line:col" of a byte offset, as mvdan prints positions. */
void sx_pos(const struct sx *x, size_t off, char out[32]);
/* The value of a variable, "" when unset or empty (they are the same here). */
const char *sx_var(struct sx *x, const char *name, size_t len);
/* A "$..." at x->i (any form), appended to out. */
void sx_dollar(struct sx *x, struct buf *out);
/* The parts of one word up to the byte that ends it in mode m: lit gets the value
 * with quotes removed, pat (optional) the same with quoted glob characters escaped. */
void sx_word(struct sx *x, enum sx_mode m, struct buf *lit, struct buf *pat);
/* ${...} at x->i. */
void sx_param(struct sx *x, struct buf *out);
/* Shell pattern matching of mvdan's pattern.Regexp (mode 0: '*' crosses '/'). */
int sx_pattern_ok(const char *pat);
/* Longest (or shortest) match of pat at s[0..] anchored at both ends of the span
 * s[from..to]; see the callers. */
bool sx_pmatch(const char *pat, const char *s, size_t len);
/* A quoted or unquoted word part inside an arithmetic expression. */
bool sx_arith_word(struct sx *x, struct buf *out);
/* Parses (and, unless quiet, evaluates) an arithmetic expression; false when the
 * expression is missing. */
bool sx_arith(struct sx *x, int64_t *v);
/* The closing token check after sx_arith, with mvdan's messages. */
void sx_arith_close(struct sx *x, enum sx_arith_end end, size_t open);
/* Go's strconv-based atoi of shell arithmetic: base 10, saturating, 0 on junk. */
int64_t sx_atoi(const char *s);
bool sx_valid_name(const char *s, size_t n);

#endif
