/* Entry points chosen by the basename of argv[0], or by `cihelper <applet> ...`.
 * APPLET(name, entry, summary) */
#ifndef APPLET
#error "define APPLET before including applets.h"
#endif
APPLET("gitlab-runner-helper", app_main, "GitLab Runner helper commands")
APPLET("git", gitcli_main, "the git look-alike for runner get-sources scripts")
APPLET("git-lfs", lfs_main, "Git LFS: git-lfs <command> (also git lfs <command>)")
