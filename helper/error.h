/* One error slot per thread: the failing function sets the message once, callers
 * propagate the negative code unchanged (libgit2 style). */
#ifndef CIH_ERROR_H
#define CIH_ERROR_H

#include <stddef.h>

enum {
	CIH_OK = 0,
	CIH_ERR = -1,       /* generic failure */
	CIH_ENOMEM = -2,
	CIH_EOS = -3,       /* a system call failed; errno text in the message */
	CIH_EUSAGE = -4,    /* bad flag, argument or environment value */
	CIH_ENOTFOUND = -5, /* missing file, unknown name, HTTP 404 */
	CIH_EEXISTS = -6,
	CIH_EUNSAFE = -7,   /* a path or entry was refused */
	CIH_ETOOBIG = -8,   /* a cap was hit */
	CIH_ECORRUPT = -9,  /* malformed input */
	CIH_ENET = -10,     /* network failure, worth a retry */
	CIH_ETLS = -11,     /* TLS handshake or verification failure */
	CIH_EHTTP = -12,
	CIH_EAUTH = -13,
	CIH_EGIT = -14,
	CIH_EABORT = -15,
	CIH_ETIMEOUT = -16,
	CIH_ECERT = -17,    /* the server certificate failed verification */
};

#define ERR_MSG_MAX 1024

struct err_info {
	int code;
	int http_status;
	char msg[ERR_MSG_MAX];
};

/* Each returns its code so that `return err_set(...)` reads naturally. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends ": <strerror(errno)>" and returns CIH_EOS. */
int err_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with an explicit errno value and code. */
int err_errno(int code, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepends "<context>: " to the current message; returns the current code. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void err_clear(void);
const struct err_info *err_last(void);
const char *err_code_name(int code);

#endif
