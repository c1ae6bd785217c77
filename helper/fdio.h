/* Writing a whole buffer to a file descriptor: the loop every writer needs. */
#ifndef CIH_FDIO_H
#define CIH_FDIO_H

#include <stddef.h>

/* Writes all of data, retrying after EINTR and short writes. 0, or -1 with errno
 * set (EIO when write() returned 0); the caller words the error. */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
