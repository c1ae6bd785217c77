/* Subcommands of the git look-alike. GITCMD(name, entry, flags): GITCMD_REPO
 * commands need a repository (they open it themselves; the flag only documents). */
#ifndef GITCMD
#error "define GITCMD before including gitcmds.h"
#endif
GITCMD("version", gcmd_version, 0)
GITCMD("config", gcmd_config, 0)
GITCMD("init", gcmd_init, 0)
GITCMD("remote", gcmd_remote, 0)
GITCMD("credential", gcmd_credential, 0)
GITCMD("credential-store", gcmd_credential_store, 0)
