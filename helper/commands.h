/* gitlab-runner-helper subcommands, in the order help lists them.
 * COMMAND(name, entry, opts, usage) */
#ifndef COMMAND
#error "define COMMAND before including commands.h"
#endif
COMMAND("cache-init", cmd_cache_init, 0, "changed permissions for cache paths (internal)")
COMMAND("health-check", cmd_health_check, 0, "check health for a specific address")
COMMAND("tls-check", cmd_tls_check, 0, "show the trust store and check a TLS connection (cihelper)")
