// AES-GCM for libsrtp2 (RFC 7714) on OpenSSL EVP.
//
// libsrtp2 builds the 12-byte IV from the session salt, SSRC and index (RFC 7714 §8.1, §9.1) and
// calls: set_iv, set_aad (once or more), then encrypt + get_tag, or decrypt over ciphertext||tag.
// The key schedule and GHASH tables are made once in init; per packet set_iv only loads the IV.
//
// Security note: like upstream's OpenSSL backend, decrypt writes the unverified plaintext into
// the caller's buffer before it learns that the tag is wrong and returns auth_fail. Callers must
// never use a buffer whose unprotect failed (the SRTP module only returns a verdict then).
#include <string.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include "crypto_internal.h"

#define SOTTO_GCM_IV_LEN 12

typedef struct {
    EVP_CIPHER_CTX *ctx;
    int key_size; // 16 or 32
    int tag_len;  // 16, or 8 for the truncated-tag variants libsrtp2 also defines
    int keyed;
} sotto_gcm_state;

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len, int key_size,
                                   srtp_cipher_type_id_t id, const srtp_cipher_type_t *type) {
    if (key_len != key_size + SRTP_AEAD_SALT_LEN || (tag_len != 16 && tag_len != 8)) {
        return srtp_err_status_bad_param;
    }
    srtp_cipher_t *c = calloc(1, sizeof(srtp_cipher_t));
    sotto_gcm_state *s = calloc(1, sizeof(sotto_gcm_state));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (c == NULL || s == NULL || ctx == NULL) {
        free(c);
        free(s);
        EVP_CIPHER_CTX_free(ctx);
        return srtp_err_status_alloc_fail;
    }
    s->ctx = ctx;
    s->key_size = key_size;
    s->tag_len = tag_len;
    c->type = type;
    c->state = s;
    c->key_len = key_len;
    c->algorithm = id;
    *cp = c;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_alloc_128(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
    return gcm_alloc(cp, key_len, tag_len, SRTP_AES_128_KEY_LEN, SRTP_AES_GCM_128, &CSottoSRTPCrypto_aes_gcm_128);
}

static srtp_err_status_t gcm_alloc_256(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
    return gcm_alloc(cp, key_len, tag_len, SRTP_AES_256_KEY_LEN, SRTP_AES_GCM_256, &CSottoSRTPCrypto_aes_gcm_256);
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c) {
    if (c == NULL) {
        return srtp_err_status_bad_param;
    }
    sotto_gcm_state *s = c->state;
    if (s != NULL) {
        EVP_CIPHER_CTX_free(s->ctx);
        OPENSSL_cleanse(s, sizeof(*s));
        free(s);
    }
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *state, const uint8_t *key) {
    sotto_gcm_state *s = state;
    const EVP_CIPHER *evp = s->key_size == SRTP_AES_256_KEY_LEN ? CSottoSRTPCrypto_evp_aes_256_gcm
                                                                : CSottoSRTPCrypto_evp_aes_128_gcm;
    if (evp == NULL) {
        return srtp_err_status_init_fail;
    }
    // Only the key is used; libsrtp2 keeps the salt and folds it into each IV itself.
    if (EVP_CipherInit_ex(s->ctx, evp, NULL, key, NULL, 1) != 1) {
        return srtp_err_status_init_fail;
    }
    s->keyed = 1;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t direction) {
    sotto_gcm_state *s = state;
    if (!s->keyed || (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt)) {
        return srtp_err_status_bad_param;
    }
    // Key NULL keeps the schedule; the default GCM IV length is the 12 octets RFC 7714 uses.
    int enc = direction == srtp_direction_encrypt ? 1 : 0;
    if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, enc) != 1) {
        return srtp_err_status_init_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t aad_len) {
    sotto_gcm_state *s = state;
    if (aad_len == 0) {
        return srtp_err_status_ok;
    }
    int out = 0;
    if (EVP_CipherUpdate(s->ctx, NULL, &out, aad, (int)aad_len) != 1) {
        return srtp_err_status_algo_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len) {
    sotto_gcm_state *s = state;
    if (*len == 0) {
        return srtp_err_status_ok;
    }
    int out = 0;
    if (EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)*len) != 1) {
        return srtp_err_status_cipher_fail;
    }
    *len = (unsigned int)out;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len) {
    sotto_gcm_state *s = state;
    int out = 0;
    uint8_t none[1];
    if (EVP_CipherFinal_ex(s->ctx, none, &out) != 1 ||
        EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, s->tag_len, tag) != 1) {
        return srtp_err_status_algo_fail;
    }
    *len = (uint32_t)s->tag_len;
    return srtp_err_status_ok;
}

// Decrypts ciphertext||tag in place and verifies the tag; *len loses the tag on success.
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len) {
    sotto_gcm_state *s = state;
    if (*len < (unsigned int)s->tag_len) {
        return srtp_err_status_bad_param;
    }
    unsigned int body = *len - (unsigned int)s->tag_len;
    if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, buf + body) != 1) {
        return srtp_err_status_auth_fail;
    }
    int out = 0;
    if (body > 0 && EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)body) != 1) {
        return srtp_err_status_cipher_fail;
    }
    uint8_t none[1];
    if (EVP_CipherFinal_ex(s->ctx, none, &out) != 1) {
        return srtp_err_status_auth_fail;
    }
    *len = body;
    return srtp_err_status_ok;
}

const srtp_cipher_type_t CSottoSRTPCrypto_aes_gcm_128 = {
    gcm_alloc_128,
    gcm_dealloc,
    gcm_init,
    gcm_set_aad,
    gcm_encrypt,
    gcm_decrypt,
    gcm_set_iv,
    gcm_get_tag,
    "Sotto AES-128 GCM on OpenSSL EVP",
    &CSottoSRTPCrypto_aes_gcm_128_kat,
    SRTP_AES_GCM_128,
};

const srtp_cipher_type_t CSottoSRTPCrypto_aes_gcm_256 = {
    gcm_alloc_256,
    gcm_dealloc,
    gcm_init,
    gcm_set_aad,
    gcm_encrypt,
    gcm_decrypt,
    gcm_set_iv,
    gcm_get_tag,
    "Sotto AES-256 GCM on OpenSSL EVP",
    &CSottoSRTPCrypto_aes_gcm_256_kat,
    SRTP_AES_GCM_256,
};
