/* Entry points chosen by the basename of argv[0], or by `cihelper <applet> ...`.
 * APPLET(name, entry, summary) */
#ifndef APPLET
#error "define APPLET before including applets.h"
#endif
APPLET("gitlab-runner-helper", app_main, "GitLab Runner helper commands")
APPLET("git", gitcli_main, "the git look-alike for runner get-sources scripts")
APPLET("git-lfs", lfs_main, "Git LFS: git-lfs <command> (also git lfs <command>)")
APPLET("dumb-init", init_main, "the image's init: dumb-init's signal forwarding and reaping")
APPLET("entrypoint", entry_main, "the image's /entrypoint: install the runner's CA, then exec")
APPLET("gitlab-runner-build", entry_build_main, "umask 0000, then exec /bin/bash")
APPLET("update-ca-certificates", update_ca_main, "rebuild /etc/ssl/certs/ca-certificates.crt")
