#ifndef CIH_UPDATE_CA_H
#define CIH_UPDATE_CA_H

/* The update-ca-certificates applet. */
int update_ca_main(int argc, char **argv);

#endif
