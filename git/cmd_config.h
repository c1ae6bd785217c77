/* Shared by cmd_config.c (options, writes) and cmd_config_get.c (reads). */
#ifndef CIH_GIT_CMD_CONFIG_H
#define CIH_GIT_CMD_CONFIG_H

enum cfg_type { T_NONE, T_BOOL, T_INT, T_BOOL_OR_INT, T_PATH, T_BOOL_OR_STR };

struct cfg_opts {
	const char *file;        /* the one file read or written; NULL: the sequence */
	const char *repo_config; /* the repository's config file, NULL outside one */
	int scope;               /* enum gconf_scope of file */
	int includes;
	int show_origin, show_scope, name_only, end_nul;
	enum cfg_type type;
	const char *default_value;
};

/* --get (all 0), --get-all (all 1), --get-regexp (key_regexp 1): git's status */
int cfg_get(const struct cfg_opts *o, const char *key, const char *pattern, int all, int key_regexp);
/* --list */
int cfg_list(const struct cfg_opts *o);
/* normalize_value: the value as stored for --type; NULL after git's fatal (128) */
char *cfg_normalize(const struct cfg_opts *o, const char *key, const char *value);

#endif
