#include "version.h"

#include "buf.h"

/* The Makefile passes these to this file only, so a new commit recompiles one object. */
#ifndef CIH_VERSION
#define CIH_VERSION "development version"
#endif
#ifndef CIH_REVISION
#define CIH_REVISION "HEAD"
#endif
#ifndef CIH_BRANCH
#define CIH_BRANCH "HEAD"
#endif
#ifndef CIH_BUILT
#define CIH_BUILT "unknown"
#endif
#ifndef CIH_MUSL_VERSION
#define CIH_MUSL_VERSION "unknown"
#endif

#if defined(__x86_64__)
#define ARCH "amd64"
#elif defined(__aarch64__)
#define ARCH "arm64"
#elif defined(__s390x__)
#define ARCH "s390x"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define ARCH "ppc64le"
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH "riscv64"
#else
#error "unsupported architecture"
#endif

static const struct version_info info = {
	CIH_VERSION, CIH_REVISION, CIH_BRANCH,
	"n/a (C, gcc " __VERSION__ ", musl " CIH_MUSL_VERSION ")",
	CIH_BUILT, "linux", ARCH,
};

const struct version_info *version_get(void)
{
	return &info;
}

void version_block(struct buf *out)
{
	buf_printf(out,
		   "Version:      %s\nGit revision: %s\nGit branch:   %s\nGO version:   %s\n"
		   "Built:        %s\nOS/Arch:      %s/%s\n",
		   info.version, info.revision, info.branch, info.toolchain, info.built, info.os,
		   info.arch);
}

void version_short(struct buf *out)
{
	buf_printf(out, "%s (%s)", info.version, info.revision);
}
