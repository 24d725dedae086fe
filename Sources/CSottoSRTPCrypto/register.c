// Registration of Sotto's OpenSSL-backed types into libsrtp2, in place of the stock (NSS) ones.
#include <openssl/evp.h>
#include "crypto_internal.h"

EVP_CIPHER *CSottoSRTPCrypto_evp_aes_128_ecb = NULL;
EVP_CIPHER *CSottoSRTPCrypto_evp_aes_256_ecb = NULL;
EVP_CIPHER *CSottoSRTPCrypto_evp_aes_128_gcm = NULL;
EVP_CIPHER *CSottoSRTPCrypto_evp_aes_256_gcm = NULL;

static CSottoSRTPCrypto_replace_result result(CSottoSRTPCrypto_replace_step step, int status, const char *what) {
    CSottoSRTPCrypto_replace_result r = {step, status, what};
    return r;
}

CSottoSRTPCrypto_replace_result CSottoSRTPCrypto_srtp_replace_types(void) {
    // Fetched once for the life of the process, so that context set-up never takes OpenSSL's
    // implicit-fetch path.
    if (CSottoSRTPCrypto_evp_aes_128_ecb == NULL) {
        CSottoSRTPCrypto_evp_aes_128_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
        CSottoSRTPCrypto_evp_aes_256_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
        CSottoSRTPCrypto_evp_aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
        CSottoSRTPCrypto_evp_aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    }
    if (CSottoSRTPCrypto_evp_aes_128_ecb == NULL || CSottoSRTPCrypto_evp_aes_256_ecb == NULL ||
        CSottoSRTPCrypto_evp_aes_128_gcm == NULL || CSottoSRTPCrypto_evp_aes_256_gcm == NULL) {
        return result(CSottoSRTPCrypto_replace_fetch_failed, 0, "OpenSSL AES-ECB/AES-GCM");
    }

    const srtp_cipher_type_t *ciphers[] = {
        &CSottoSRTPCrypto_aes_icm_128, &CSottoSRTPCrypto_aes_icm_256,
        &CSottoSRTPCrypto_aes_gcm_128, &CSottoSRTPCrypto_aes_gcm_256,
    };
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        srtp_err_status_t st = srtp_cipher_type_self_test(ciphers[i]);
        if (st != srtp_err_status_ok) {
            return result(CSottoSRTPCrypto_replace_self_test_failed, (int)st, ciphers[i]->description);
        }
    }
    srtp_err_status_t st = srtp_auth_type_self_test(&CSottoSRTPCrypto_hmac_sha1);
    if (st != srtp_err_status_ok) {
        return result(CSottoSRTPCrypto_replace_self_test_failed, (int)st, CSottoSRTPCrypto_hmac_sha1.description);
    }

    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        st = srtp_replace_cipher_type(ciphers[i], ciphers[i]->id);
        if (st != srtp_err_status_ok) {
            return result(CSottoSRTPCrypto_replace_register_failed, (int)st, ciphers[i]->description);
        }
    }
    st = srtp_replace_auth_type(&CSottoSRTPCrypto_hmac_sha1, CSottoSRTPCrypto_hmac_sha1.id);
    if (st != srtp_err_status_ok) {
        return result(CSottoSRTPCrypto_replace_register_failed, (int)st, CSottoSRTPCrypto_hmac_sha1.description);
    }
    return result(CSottoSRTPCrypto_replace_ok, 0, NULL);
}
