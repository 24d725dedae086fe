// Internal to CSottoSRTPCrypto: the OpenSSL algorithms fetched once at registration, and the
// known-answer vectors each type's self-test runs.
#ifndef CSOTTOSRTPCRYPTO_INTERNAL_H
#define CSOTTOSRTPCRYPTO_INTERNAL_H

#include <openssl/evp.h>
#include "CSottoSRTPCrypto.h"

/// Fetched once in CSottoSRTPCrypto_srtp_replace_types (an explicit fetch avoids OpenSSL 3's implicit
/// fetch, with its lock and allocations, on every context set-up). NULL until then.
extern EVP_CIPHER *CSottoSRTPCrypto_evp_aes_128_ecb;
extern EVP_CIPHER *CSottoSRTPCrypto_evp_aes_256_ecb;
extern EVP_CIPHER *CSottoSRTPCrypto_evp_aes_128_gcm;
extern EVP_CIPHER *CSottoSRTPCrypto_evp_aes_256_gcm;

extern const srtp_cipher_test_case_t CSottoSRTPCrypto_aes_icm_128_kat;
extern const srtp_cipher_test_case_t CSottoSRTPCrypto_aes_icm_256_kat;
extern const srtp_cipher_test_case_t CSottoSRTPCrypto_aes_gcm_128_kat;
extern const srtp_cipher_test_case_t CSottoSRTPCrypto_aes_gcm_256_kat;
extern const srtp_auth_test_case_t CSottoSRTPCrypto_hmac_sha1_kat;

#endif
