/* Subcommands of the git look-alike. GITCMD(name, entry, flags): GITCMD_REPO
 * commands need a repository (they open it themselves; the flag only documents). */
#ifndef GITCMD
#error "define GITCMD before including gitcmds.h"
#endif
GITCMD("version", gcmd_version, 0)
GITCMD("config", gcmd_config, 0)
GITCMD("init", gcmd_init, 0)
GITCMD("remote", gcmd_remote, 0)
GITCMD("fetch", gcmd_fetch, 0)
GITCMD("clone", gcmd_clone, 0)
GITCMD("checkout", gcmd_checkout, 0)
GITCMD("clean", gcmd_clean, 0)
GITCMD("reset", gcmd_reset, 0)
GITCMD("rm", gcmd_rm, 0)
GITCMD("submodule", gcmd_submodule, 0)
GITCMD("credential", gcmd_credential, 0)
GITCMD("credential-store", gcmd_credential_store, 0)
GITCMD("lfs", lfs_main, 0)
