#ifndef CIH_VERSION_H
#define CIH_VERSION_H

struct buf;

struct version_info {
	const char *version;  /* "0.1.0" or "development version" */
	const char *revision; /* 8 hex chars or "HEAD" */
	const char *branch;
	const char *toolchain;
	const char *built;
	const char *os;
	const char *arch; /* Go's GOARCH names: amd64 arm64 s390x ppc64le riscv64 */
};

const struct version_info *version_get(void);
/* The six-line block of `--version`. */
void version_block(struct buf *out);
/* "<version> (<revision>)" */
void version_short(struct buf *out);

#endif
