#ifndef CIH_SLSA_INTERNAL_H
#define CIH_SLSA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../archive/select.h"

struct slsa_time {
	int64_t sec; /* Unix time, UTC */
	int32_t nsec;
};

/* Go's time.Parse(time.RFC3339, value), error texts included (CIH_EUSAGE). */
int slsa__parse_time(const char *value, struct slsa_time *out);
/* protojson's Timestamp: UTC, "Z", 0, 3, 6 or 9 fraction digits; years 1 to 9999. */
int slsa__format_time(const struct slsa_time *t, char out[40]);

/* SHA-256 of each items[i] (regular files), each read once, by up to `threads`
 * threads; the error is the one of the first failing item in order. */
int slsa__hash_files(const struct sel_entry *const *items, size_t n, unsigned char (*digests)[32],
		     int threads);

#endif
