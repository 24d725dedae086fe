// Registration of Sotto's OpenSSL-backed types into libsrtp2, in place of the stock (NSS) ones.
#include <openssl/evp.h>
#include "shims_internal.h"

EVP_CIPHER *CSottoShims_evp_aes_128_ecb = NULL;
EVP_CIPHER *CSottoShims_evp_aes_256_ecb = NULL;
EVP_CIPHER *CSottoShims_evp_aes_128_gcm = NULL;
EVP_CIPHER *CSottoShims_evp_aes_256_gcm = NULL;

static CSottoShims_replace_result result(CSottoShims_replace_step step, int status, const char *what) {
    CSottoShims_replace_result r = {step, status, what};
    return r;
}

CSottoShims_replace_result CSottoShims_srtp_replace_types(void) {
    // Fetched once for the life of the process, so that context set-up never takes OpenSSL's
    // implicit-fetch path.
    if (CSottoShims_evp_aes_128_ecb == NULL) {
        CSottoShims_evp_aes_128_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
        CSottoShims_evp_aes_256_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
        CSottoShims_evp_aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
        CSottoShims_evp_aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    }
    if (CSottoShims_evp_aes_128_ecb == NULL || CSottoShims_evp_aes_256_ecb == NULL ||
        CSottoShims_evp_aes_128_gcm == NULL || CSottoShims_evp_aes_256_gcm == NULL) {
        return result(CSottoShims_replace_fetch_failed, 0, "OpenSSL AES-ECB/AES-GCM");
    }

    const srtp_cipher_type_t *ciphers[] = {
        &CSottoShims_aes_icm_128, &CSottoShims_aes_icm_256,
        &CSottoShims_aes_gcm_128, &CSottoShims_aes_gcm_256,
    };
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        srtp_err_status_t st = srtp_cipher_type_self_test(ciphers[i]);
        if (st != srtp_err_status_ok) {
            return result(CSottoShims_replace_self_test_failed, (int)st, ciphers[i]->description);
        }
    }
    srtp_err_status_t st = srtp_auth_type_self_test(&CSottoShims_hmac_sha1);
    if (st != srtp_err_status_ok) {
        return result(CSottoShims_replace_self_test_failed, (int)st, CSottoShims_hmac_sha1.description);
    }

    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        st = srtp_replace_cipher_type(ciphers[i], ciphers[i]->id);
        if (st != srtp_err_status_ok) {
            return result(CSottoShims_replace_register_failed, (int)st, ciphers[i]->description);
        }
    }
    st = srtp_replace_auth_type(&CSottoShims_hmac_sha1, CSottoShims_hmac_sha1.id);
    if (st != srtp_err_status_ok) {
        return result(CSottoShims_replace_register_failed, (int)st, CSottoShims_hmac_sha1.description);
    }
    return result(CSottoShims_replace_ok, 0, NULL);
}
