/* Unit tests: TEST(name) functions, collected by scripts/gen-test-index. Each test
 * runs in a fresh scratch directory (the cwd); a failed CHECK ends the test. */
#ifndef CIH_UNIT_H
#define CIH_UNIT_H

#include <stdint.h>
#include <string.h>

#include "../../helper/error.h"

#define TEST(name) void test_##name(void)

void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Runs fn after the current test whatever its outcome (servers, environment). */
void unit_defer(void (*fn)(void));
/* Starts python3 tests/servers/<script> [args...] (NULL-terminated); it prints
 * "PORT n". Stopped after the test. */
void unit_start_py_server(const char *script, const char *const *args, char port[16]);
/* A file of the test PKI (tests/integration/fixtures/make-tls). */
const char *unit_fixture(const char *name);
/* Ends the test as skipped (a peer it needs is not there), with the reason. */
void unit_skip(const char *why) __attribute__((noreturn));
/* Writes a file in the scratch directory (or anywhere) for a test. */
void unit_write_file(const char *path, const char *content);
struct buf;
/* "path mode size mtime sha" lines (links: target, dirs: mode) for everything under
 * dir, sorted: two trees compare equal as text. */
void unit_describe_tree(const char *dir, struct buf *out);
/* Reads what a test redirected the log into. */
const char *unit_log_output(void);
void unit_log_capture(void);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c))                                                           \
			unit_fail(__FILE__, __LINE__, "%s", #c);                    \
	} while (0)
#define CHECK_OK(e)                                                                 \
	do {                                                                        \
		int rc_ = (e);                                                      \
		if (rc_ < 0)                                                        \
			unit_fail(__FILE__, __LINE__, "%s = %d: %s", #e, rc_,       \
				  err_last()->msg);                                 \
	} while (0)
#define CHECK_FAILS(e, code)                                                        \
	do {                                                                        \
		int rc_ = (e);                                                      \
		if (rc_ != (code))                                                  \
			unit_fail(__FILE__, __LINE__, "%s = %d, want %d (%s)", #e,  \
				  rc_, (code), err_last()->msg);                    \
	} while (0)
#define CHECK_STR(a, b)                                                             \
	do {                                                                        \
		const char *a_ = (a), *b_ = (b);                                    \
		if (!a_ || !b_ || strcmp(a_, b_))                                   \
			unit_fail(__FILE__, __LINE__, "%s:\n  got  \"%s\"\n  want \"%s\"", \
				  #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
	} while (0)
#define CHECK_INT(a, b)                                                             \
	do {                                                                        \
		long long a_ = (long long)(a), b_ = (long long)(b);                 \
		if (a_ != b_)                                                       \
			unit_fail(__FILE__, __LINE__, "%s = %lld, want %lld", #a, a_, b_); \
	} while (0)
#define CHECK_ERR(sub)                                                              \
	do {                                                                        \
		if (!strstr(err_last()->msg, (sub)))                                \
			unit_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",   \
				  err_last()->msg, (sub));                          \
	} while (0)

#endif
