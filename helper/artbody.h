/* The artifacts-uploader request body (runner-helper-cli.md 1.2 step 6, 2.2): a
 * multipart/form-data stream whose single "file" part is the archive, produced by a
 * thread straight into a pipe while the HTTP client reads it. Nothing touches the
 * disk. Every rewind (a retry, a 307) stops the producer and starts the archive
 * again from the first byte, as upstream regenerates it. */
#ifndef CIH_ARTBODY_H
#define CIH_ARTBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../archive/level.h"
#include "../archive/select.h"
#include "../net/http.h"

enum artbody_format { ARTBODY_ZIP, ARTBODY_ZIPZSTD, ARTBODY_GZIP, ARTBODY_RAW, ARTBODY_TARZSTD };

struct artbody_opts {
	enum artbody_format format;
	enum level level;
	bool legacy_zip;     /* FF_USE_FASTZIP=false */
	int concurrency;     /* FASTZIP_ARCHIVER_CONCURRENCY */
	const char *filename; /* the part's file name */
	int64_t meter_freq_ns;
};

struct artbody;

/* items must stay valid while the body lives. */
int artbody_new(struct artbody **out, const struct artbody_opts *o, const struct sel_entry *items,
		size_t n);
/* Stops the producer, if one runs. */
void artbody_free(struct artbody *b);
/* The body to send (chunked) and its Content-Type with the boundary. */
const struct httpc_body *artbody_body(struct artbody *b);
const char *artbody_content_type(const struct artbody *b);
/* Ends the meter line of the last attempt (if the meter is on). */
void artbody_meter_done(struct artbody *b);

/* Parses --artifact-format ("" is zip); false when unknown. */
bool artbody_parse_format(const char *s, enum artbody_format *out);
/* basename(name) ("" and "." become "default") plus the format's extension. */
void artbody_filename(char *out, size_t size, const char *name, enum artbody_format f);

#endif
