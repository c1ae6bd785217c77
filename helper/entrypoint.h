/* The helper image's /entrypoint (applet "entrypoint") and gitlab-runner-build. */
#ifndef CIH_ENTRYPOINT_H
#define CIH_ENTRYPOINT_H

#include <stdio.h>

int entry_main(int argc, char **argv);
int entry_build_main(int argc, char **argv);
/* Copies ca_path to <local_dir>/ca.crt and rebuilds <etc_dir>/ca-certificates.crt
 * when ca_path is a regular file whose bytes differ from the installed copy,
 * printing "Updating CA certificates..." to progress first. 0 when nothing was
 * to do or it was done; an error otherwise. */
int entry_install_ca(const char *ca_path, const char *local_dir, const char *etc_dir,
		     FILE *progress);

#endif
