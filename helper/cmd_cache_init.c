/* cache-init <path>...: chmod 0777 each path (Docker executor cache volumes).
 * Failures are logged and the exit status stays 0, as upstream. */
#include <sys/stat.h>

#include "app.h"
#include "error.h"
#include "log.h"

int cmd_cache_init(int argc, char **argv)
{
	int rc;

	argc--, argv++;
	if (app_command_flags(NULL, 0, &argc, &argv, &rc))
		return rc;
	if (argc == 0) {
		log_fatal("No arguments passed, at least 1 path is required.");
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		if (chmod(argv[i], 0777) < 0) {
			err_os("chmod %s", argv[i]);
			log_with_error(LOG_ERROR, "failed to chmod path");
		}
	}
	return 0;
}
