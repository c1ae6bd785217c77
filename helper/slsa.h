/* The artifacts' SLSA provenance statement, `--generate-artifacts-metadata`
 * (runner-helper-cli.md 6): an in-toto v0.1 Statement with a SLSA v1 predicate, laid
 * out as upstream's protojson (multi-line, one-space indent, predicate keys sorted,
 * empty fields omitted). Subjects are sorted by name (upstream's order is random). */
#ifndef CIH_SLSA_H
#define CIH_SLSA_H

#include <stddef.h>
#include <stdint.h>

#include "../archive/select.h"

struct slsa_opts {
	int64_t job_id, runner_id;
	const char *repo_url, *repo_digest, *job_name, *executor_name, *runner_name;
	const char *const *params; /* --metadata-parameter values: keys of "" */
	size_t nparams;
	const char *started_at, *ended_at; /* RFC 3339 as Go's time.Parse takes it */
	const char *schema_version;        /* anything but "v1" is warned about */
};

/* Checks the times (Go's parse error texts), logs `Unknown SLSA provenance version
 * <x>, defaulting to v1` unless the schema is v1, hashes every regular file of items
 * (each read once, in parallel when there are enough bytes; directories, symlinks and
 * path itself are left out) and writes path, mode 0644, atomically. NULL strings are
 * taken as "". Every error is meant to be fatal. */
int slsa_write(const struct slsa_opts *o, const struct sel_entry *items, size_t n, const char *path);

#endif
