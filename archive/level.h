/* Compression levels by name, shared by the zip and tar.zst writers
 * (runner-helper-cli.md 4.2). */
#ifndef CIH_ARCHIVE_LEVEL_H
#define CIH_ARCHIVE_LEVEL_H

#include <stdbool.h>

enum level { LEVEL_FASTEST, LEVEL_FAST, LEVEL_DEFAULT, LEVEL_SLOW, LEVEL_SLOWEST };

/* "fastest", "fast", "default" or "", "slow", "slowest" (exact case, as upstream);
 * false for anything else, *out then LEVEL_DEFAULT. */
bool level_parse(const char *name, enum level *out);
const char *level_name(enum level l);
/* The zstd level matching klauspost's speeds: SpeedFastest 1, SpeedDefault 3,
 * SpeedBetterCompression 7, SpeedBestCompression 11. fastest: tar.zst uses
 * SpeedFastest, zipzstd SpeedDefault (upstream registers no zstd "store"). */
int level_zstd(enum level l, bool for_zip);

#endif
