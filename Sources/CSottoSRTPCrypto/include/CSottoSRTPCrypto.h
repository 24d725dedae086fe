// CSottoSRTPCrypto: Sotto's SRTP crypto engine, in C because libsrtp2 calls it per packet.
//
// It exists because Debian's libsrtp2 is built on NSS and re-initialises a cipher context and an
// HMAC for every packet (about 6 us and 14 mallocs per protect). These OpenSSL-backed cipher and
// auth types are registered into the installed libsrtp2 through its public extension point
// (srtp_replace_cipher_type / srtp_replace_auth_type); they prepare the AES key schedule and the
// keyed HMAC state once per libsrtp2 context, so per packet only the IV is set and the data
// processed. libsrtp2 keeps doing key derivation, ROC, replay and layout.
//
// Only the SRTP module imports it (and SRTPTests, which checks each type against the RFC vectors).
#ifndef CSOTTOSRTPCRYPTO_H
#define CSOTTOSRTPCRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>

#ifdef __cplusplus
extern "C" {
#endif

/// AES-ICM (RFC 3711 §4.1.1) with a 128-bit key: OpenSSL EVP AES-128 block encryptions, keyed once per context.
extern const srtp_cipher_type_t CSottoSRTPCrypto_aes_icm_128;
/// AES-ICM (RFC 6188) with a 256-bit key: OpenSSL EVP AES-256 block encryptions, keyed once per context.
extern const srtp_cipher_type_t CSottoSRTPCrypto_aes_icm_256;
/// AES-GCM (RFC 7714) with a 128-bit key: OpenSSL EVP AES-128-GCM, keyed once per context.
extern const srtp_cipher_type_t CSottoSRTPCrypto_aes_gcm_128;
/// AES-GCM (RFC 7714) with a 256-bit key: OpenSSL EVP AES-256-GCM, keyed once per context.
extern const srtp_cipher_type_t CSottoSRTPCrypto_aes_gcm_256;
/// HMAC-SHA1 (RFC 2104 over OpenSSL's SHA-1), inner and outer states prepared once per context.
extern const srtp_auth_type_t CSottoSRTPCrypto_hmac_sha1;

/// Which step of the replacement failed (0 when none did).
typedef enum {
    CSottoSRTPCrypto_replace_ok = 0,
    CSottoSRTPCrypto_replace_fetch_failed = 1,    ///< OpenSSL could not provide an algorithm
    CSottoSRTPCrypto_replace_self_test_failed = 2, ///< a type failed libsrtp2's known-answer self-test
    CSottoSRTPCrypto_replace_register_failed = 3, ///< libsrtp2 refused the replacement
} CSottoSRTPCrypto_replace_step;

/// The outcome of CSottoSRTPCrypto_srtp_replace_types: the failed step, the libsrtp2 status, and
/// the description of the type concerned (a static string, or NULL).
typedef struct {
    CSottoSRTPCrypto_replace_step step;
    int status;
    const char *type_description;
} CSottoSRTPCrypto_replace_result;

/// Self-tests every Sotto type against its known answers with libsrtp2's own
/// srtp_cipher_type_self_test / srtp_auth_type_self_test, then registers them in place of the
/// stock types. Call once, after srtp_init() and before the first srtp_create(), while the
/// process is single-threaded: the replacement is process-wide.
CSottoSRTPCrypto_replace_result CSottoSRTPCrypto_srtp_replace_types(void);

#ifdef __cplusplus
}
#endif

#endif
