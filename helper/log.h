/* Logging to stderr in the runner, text (logfmt) or json format of
 * gitlab-runner-helper. Library modules log at debug only. */
#ifndef CIH_LOG_H
#define CIH_LOG_H

#include <stddef.h>

enum log_level { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL, LOG_PANIC };
enum log_format { LOG_FMT_RUNNER, LOG_FMT_TEXT, LOG_FMT_JSON };

struct log_field {
	const char *key;
	const char *value;
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_format(enum log_format format);
/* logrus.ParseLevel names, case-insensitive; sets the error on failure. */
int log_level_parse(enum log_level *out, const char *name);
int log_format_parse(enum log_format *out, const char *name);
/* Redirects output (tests); fd 2 by default. */
void log_set_fd(int fd);

void log_write(enum log_level level, const struct log_field *fields, size_t nfields,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_write(LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, NULL, 0, __VA_ARGS__)
#define log_fatal(...) log_write(LOG_FATAL, NULL, 0, __VA_ARGS__)
/* A message with the current error as the field error=... (logrus WithError). */
#define log_with_error(level, ...)                                                   \
	log_write((level), &(struct log_field){ "error", err_last()->msg }, 1, __VA_ARGS__)

#endif
