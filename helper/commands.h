/* gitlab-runner-helper subcommands, in the order help lists them.
 * COMMAND(name, entry, opts, usage); CMD_RUNNER_LOG: the runner log format whatever
 * --log-format says (the transfer commands, as upstream). */
#ifndef COMMAND
#error "define COMMAND before including commands.h"
#endif
COMMAND("artifacts-downloader", cmd_artifacts_downloader, CMD_RUNNER_LOG, "download and extract build artifacts (internal)")
COMMAND("artifacts-uploader", cmd_artifacts_uploader, CMD_RUNNER_LOG, "create and upload build artifacts (internal)")
COMMAND("cache-archiver", cmd_cache_archiver, CMD_RUNNER_LOG, "create and upload cache artifacts (internal)")
COMMAND("cache-extractor", cmd_cache_extractor, CMD_RUNNER_LOG, "download and extract cache artifacts (internal)")
COMMAND("cache-init", cmd_cache_init, 0, "changed permissions for cache paths (internal)")
COMMAND("get-sources", cmd_get_sources, 0, "fetch the job's sources as the runner's get_sources stage does (cihelper)")
COMMAND("health-check", cmd_health_check, 0, "check health for a specific address")
COMMAND("proxy-exec", cmd_proxy_exec, 0, "execute internal commands (internal)")
COMMAND("read-logs", cmd_read_logs, 0, "reads job logs from a file, used by kubernetes executor (internal)")
COMMAND("tls-check", cmd_tls_check, 0, "show the trust store and check a TLS connection (cihelper)")
