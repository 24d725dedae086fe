// CSottoShims: what Swift cannot import, or what must run in C.
//
// Today that is the set of OpenSSL-backed cipher and auth types that Sotto registers into the
// installed libsrtp2 through its public extension point (srtp_replace_cipher_type /
// srtp_replace_auth_type). Debian's libsrtp2 is built on NSS and re-initialises a cipher context
// and an HMAC for every packet (about 6 us and 14 mallocs per protect); these types prepare the
// AES key schedule and the keyed HMAC state once per libsrtp2 context, so per packet only the IV
// is set and the data processed. libsrtp2 keeps doing key derivation, ROC, replay and layout.
#ifndef CSOTTOSHIMS_H
#define CSOTTOSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>
#include "CSottoShims_OpenSSL.h"
#include "CSottoShims_Net.h"
#include "CSottoShims_Opus.h"
#include <malloc.h>

/// Bytes the allocator has handed out and not had back (glibc's mallinfo2, which Swift's Glibc module
/// does not expose): for tests that check memory returns to where it was.
static inline size_t CSottoShims_heap_in_use(void) { return mallinfo2().uordblks; }

#ifdef __cplusplus
extern "C" {
#endif

/// AES-ICM (RFC 3711 §4.1.1) with a 128-bit key: OpenSSL EVP AES-128 block encryptions, keyed once per context.
extern const srtp_cipher_type_t CSottoShims_aes_icm_128;
/// AES-ICM (RFC 6188) with a 256-bit key: OpenSSL EVP AES-256 block encryptions, keyed once per context.
extern const srtp_cipher_type_t CSottoShims_aes_icm_256;
/// AES-GCM (RFC 7714) with a 128-bit key: OpenSSL EVP AES-128-GCM, keyed once per context.
extern const srtp_cipher_type_t CSottoShims_aes_gcm_128;
/// AES-GCM (RFC 7714) with a 256-bit key: OpenSSL EVP AES-256-GCM, keyed once per context.
extern const srtp_cipher_type_t CSottoShims_aes_gcm_256;
/// HMAC-SHA1 (RFC 2104 over OpenSSL's SHA-1), inner and outer states prepared once per context.
extern const srtp_auth_type_t CSottoShims_hmac_sha1;

/// Which step of the replacement failed (0 when none did).
typedef enum {
    CSottoShims_replace_ok = 0,
    CSottoShims_replace_fetch_failed = 1,    ///< OpenSSL could not provide an algorithm
    CSottoShims_replace_self_test_failed = 2, ///< a type failed libsrtp2's known-answer self-test
    CSottoShims_replace_register_failed = 3, ///< libsrtp2 refused the replacement
} CSottoShims_replace_step;

/// The outcome of CSottoShims_srtp_replace_types: the failed step, the libsrtp2 status, and
/// the description of the type concerned (a static string, or NULL).
typedef struct {
    CSottoShims_replace_step step;
    int status;
    const char *type_description;
} CSottoShims_replace_result;

/// Self-tests every Sotto type against its known answers with libsrtp2's own
/// srtp_cipher_type_self_test / srtp_auth_type_self_test, then registers them in place of the
/// stock types. Call once, after srtp_init() and before the first srtp_create(), while the
/// process is single-threaded: the replacement is process-wide.
CSottoShims_replace_result CSottoShims_srtp_replace_types(void);

#ifdef __cplusplus
}
#endif

#endif
