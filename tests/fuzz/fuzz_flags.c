/* argv split on NUL bytes through the command-mode parser (reordering included). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helper/flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool b = false;
	const char *s = NULL;
	int64_t i = 0, d = 0;
	struct flag_list l = { 0 };
	const struct flag tbl[] = {
		{ "bool", "b", FLAG_BOOL, &b, NULL, "", 0, NULL },
		{ "str", NULL, FLAG_STR, &s, NULL, "", 0, NULL },
		{ "int", "i", FLAG_INT, &i, NULL, "", 0, NULL },
		{ "dur", NULL, FLAG_DURATION, &d, NULL, "", 0, NULL },
		{ "list", "l", FLAG_LIST, &l, NULL, "", 0, NULL },
	};
	char *copy = malloc(size + 1), **argv = calloc(size + 2, sizeof(*argv));
	int argc = 0;

	if (!copy || !argv)
		goto out;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t pos = 0; pos <= size; pos += strlen(copy + pos) + 1)
		argv[argc++] = copy + pos;
	char **av = argv;
	flags_parse(tbl, 5, (size && data[0] & 1) ? FLAGS_APP : FLAGS_COMMAND, &argc, &av, NULL);
	flags_list_dispose(&l);
out:
	free(copy);
	free(argv);
	return 0;
}
