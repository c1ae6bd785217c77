#include "level.h"

#include <string.h>

static const char *const names[] = { "fastest", "fast", "default", "slow", "slowest" };

bool level_parse(const char *name, enum level *out)
{
	*out = LEVEL_DEFAULT;
	if (!name || !*name)
		return true;
	for (int i = 0; i < 5; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum level)i;
			return true;
		}
	}
	return false;
}

const char *level_name(enum level l)
{
	return (unsigned)l < 5 ? names[l] : "default";
}

int level_zstd(enum level l, bool for_zip)
{
	switch (l) {
	case LEVEL_FASTEST: return for_zip ? 3 : 1;
	case LEVEL_FAST: return 1;
	case LEVEL_SLOW: return 7;
	case LEVEL_SLOWEST: return 11;
	default: return 3;
	}
}
