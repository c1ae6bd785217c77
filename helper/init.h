/* The helper image's init: a dumb-init work-alike (applet "dumb-init"). */
#ifndef CIH_INIT_H
#define CIH_INIT_H

int init_main(int argc, char **argv);
/* Parses -r's "s:r" (s in 1..31, r in 0..31); 0, or -1 when malformed. */
int init_parse_rewrite(const char *arg, int *from, int *to);

#endif
