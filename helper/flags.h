/* Table-driven flag parsing with gitlab-runner-helper's semantics (urfave/cli v1 on
 * top of Go's flag package): environment first, then the command line; known flags
 * move ahead of positionals; parsing stops at the first positional or "--". */
#ifndef CIH_FLAGS_H
#define CIH_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flag_type {
	FLAG_BOOL,     /* bool */
	FLAG_STR,      /* const char * */
	FLAG_INT,      /* int64_t */
	FLAG_DURATION, /* int64_t nanoseconds, Go syntax ("1h30m", "500ms") */
	FLAG_LIST,     /* struct flag_list, each occurrence appends */
};

/* urfave's own BoolFlag (the global --debug) reads an empty env value as false;
 * command flags (cli-helpers) read it as true. */
#define FLAG_ENV_EMPTY_FALSE 0x1u
/* An urfave-native flag: env errors are "could not parse X as bool value ...". */
#define FLAG_NATIVE 0x2u

struct flag_list {
	size_t n;
	const char **v;
};

struct flag {
	const char *name;  /* long name, used as --name or -name */
	const char *alias; /* second name or NULL */
	enum flag_type type;
	void *dest;
	const char *env; /* environment variable or NULL */
	const char *help;
	unsigned opts;
	bool *seen; /* set when given on the command line or env, may be NULL */
};

enum flags_mode {
	FLAGS_APP,     /* global flags: no reordering, stop at the command name */
	FLAGS_COMMAND, /* command flags: urfave's reordering of known flags */
};

/* Where flags_parse failed: urfave reports each stage differently at app level. */
enum flags_stage {
	FLAGS_STAGE_ENV,   /* an environment value did not convert */
	FLAGS_STAGE_ARGS,  /* the command line did not parse */
	FLAGS_STAGE_FORMS, /* both names of one flag were given */
};

/* Applies env values, then parses *argv (without the program/command name).
 * On success argc and argv hold the positional arguments. Errors are CIH_EUSAGE with
 * Go's wording, e.g. "flag provided but not defined: -x"; *stage (may be NULL)
 * says which step failed. */
int flags_parse(const struct flag *tbl, size_t n, enum flags_mode mode, int *argc, char ***argv,
		enum flags_stage *stage);
void flags_list_dispose(struct flag_list *l);

/* Go's time.ParseDuration. */
int flags_parse_duration(int64_t *out_ns, const char *s);
/* Go's time.Duration.String, the inverse of flags_parse_duration. */
void flags_format_duration(char *out, size_t size, int64_t ns);
/* Go's strconv.ParseBool. */
int flags_parse_bool(bool *out, const char *s);
/* Prints "   --name value, -a value\thelp [$ENV]" lines as urfave does. */
struct buf;
void flags_help(struct buf *out, const struct flag *tbl, size_t n);

#endif
