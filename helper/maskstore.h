/* proxy-exec's masking store, in upstream's format: D/masking.db holds 32 random
 * bytes A, then one line per phrase: base64(nonce(24) || ciphertext || tag(16)).
 * D/runner<hex sha256(path of masking.db)> holds 32 random bytes B, made anew
 * whenever masking.db is. Phrases are sealed with XChaCha20-Poly1305 under A ^ B. */
#ifndef CIH_MASKSTORE_H
#define CIH_MASKSTORE_H

#include <stddef.h>

#define MASKSTORE_KEY_LEN 32

struct maskstore {
	int fd;
	unsigned char key[MASKSTORE_KEY_LEN];
};

/* Opens dir/masking.db (dir "" is the working directory), creating it and a new
 * key file when it does not exist. */
int maskstore_open(struct maskstore *s, const char *dir);
/* Appends one sealed phrase; fsync'd before it returns. */
int maskstore_add(struct maskstore *s, const char *phrase, size_t len);
/* Calls fn with each stored phrase, oldest first; stops at fn's negative return.
 * A line that does not decode or authenticate is CIH_ECORRUPT. */
int maskstore_each(struct maskstore *s, int (*fn)(void *ctx, const char *phrase, size_t len),
		   void *ctx);
void maskstore_close(struct maskstore *s);
/* "<dir>/runner<hex sha256(db_path)>", malloc'd. */
char *maskstore_key_path(const char *dir, const char *db_path);

#endif
