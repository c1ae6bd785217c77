/* Shell expansion of a --path/--exclude value as mvdan.cc/sh/v3 shell.Expand(value,
 * nil) does it: the text is read like a heredoc body (quotes are literal; a backslash
 * escapes only \ $ and `), then parameters ($X ${X} ${X:-d} ${X#p} ${X:o:l} ${#X}
 * ${!X} ${X/p/r} ${X^^} ...) and arithmetic ($((...)) $[...]) are expanded.
 * Variables come from the environment, and an empty one counts as unset. Command
 * substitution is refused ("unexpected command substitution at 1:1"); assignments
 * are refused ("environment is read-only"). */
#ifndef CIH_HELPER_SHEXPAND_H
#define CIH_HELPER_SHEXPAND_H

/* The value of a variable, or NULL; the result is copied before the next call. */
typedef const char *(*shexp_lookup_fn)(const char *name, void *ctx);

/* *out is malloc'd. A syntax error or a failed expansion gives CIH_EUSAGE with
 * mvdan's message ("1:1: reached EOF without matching `${` with `}`"). */
int shexp_expand(const char *in, char **out);
/* The same with another variable source (tests). */
int shexp_expand_with(const char *in, shexp_lookup_fn lookup, void *ctx, char **out);

#endif
