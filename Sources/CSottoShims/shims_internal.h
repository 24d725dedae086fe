// Internal to CSottoShims: the OpenSSL algorithms fetched once at registration, and the
// known-answer vectors each type's self-test runs.
#ifndef CSOTTOSHIMS_INTERNAL_H
#define CSOTTOSHIMS_INTERNAL_H

#include <openssl/evp.h>
#include "CSottoShims.h"

/// Fetched once in CSottoShims_srtp_replace_types (an explicit fetch avoids OpenSSL 3's implicit
/// fetch, with its lock and allocations, on every context set-up). NULL until then.
extern EVP_CIPHER *CSottoShims_evp_aes_128_ecb;
extern EVP_CIPHER *CSottoShims_evp_aes_256_ecb;
extern EVP_CIPHER *CSottoShims_evp_aes_128_gcm;
extern EVP_CIPHER *CSottoShims_evp_aes_256_gcm;

extern const srtp_cipher_test_case_t CSottoShims_aes_icm_128_kat;
extern const srtp_cipher_test_case_t CSottoShims_aes_icm_256_kat;
extern const srtp_cipher_test_case_t CSottoShims_aes_gcm_128_kat;
extern const srtp_cipher_test_case_t CSottoShims_aes_gcm_256_kat;
extern const srtp_auth_test_case_t CSottoShims_hmac_sha1_kat;

#endif
