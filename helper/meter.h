/* The transfer meter of the transfer commands (runner-helper-cli.md 1.1.3): on stdout,
 * "\r<Label> <bytes>[/<total>] (<rate>)" and 16 spaces, a last line ending in "\n". */
#ifndef CIH_METER_H
#define CIH_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct meter {
	const char *label;
	int64_t total; /* <= 0: unknown */
	int64_t every_ms;
	uint64_t bytes;
	int64_t start_ms, last_ms;
	bool on;
};

/* freq_ns 0: off; below one second: one second. */
void meter_start(struct meter *m, const char *label, int64_t total, int64_t freq_ns);
void meter_add(struct meter *m, size_t n);
void meter_done(struct meter *m);

#endif
