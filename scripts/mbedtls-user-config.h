/* cihelper additions to mbedtls' default config (scripts/build-deps).
 * Passed to mbedtls' own build as MBEDTLS_USER_CONFIG_FILE and included from
 * the installed <mbedtls/mbedtls_config.h>, so libgit2 and cihelper see the
 * same struct layouts as the library. */
#define MBEDTLS_THREADING_C         /* libgit2 uses threads; PSA has global state */
#define MBEDTLS_THREADING_PTHREAD
