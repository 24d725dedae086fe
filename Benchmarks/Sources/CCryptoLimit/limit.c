// See CCryptoLimit.h. SHA1_* are deprecated in OpenSSL 3.0 but are the allocation-free way to
// restart a keyed HMAC per packet; Sotto's own HMAC type uses them for the same reason.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "CCryptoLimit.h"

struct CCryptoLimit_cm {
    EVP_CIPHER_CTX *ctx;
    SHA_CTX inner;
    SHA_CTX outer;
};

struct CCryptoLimit_gcm {
    EVP_CIPHER_CTX *ctx;
};

CCryptoLimit_cm *CCryptoLimit_cm_new(const uint8_t *key, int key_len, const uint8_t *auth_key) {
    CCryptoLimit_cm *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        free(c);
        return NULL;
    }
    const EVP_CIPHER *evp = key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
    EVP_EncryptInit_ex(c->ctx, evp, NULL, key, NULL);
    uint8_t ipad[64], opad[64];
    for (int i = 0; i < 64; i++) {
        uint8_t k = i < 20 ? auth_key[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    SHA1_Init(&c->inner);
    SHA1_Update(&c->inner, ipad, 64);
    SHA1_Init(&c->outer);
    SHA1_Update(&c->outer, opad, 64);
    return c;
}

int CCryptoLimit_cm_packet(CCryptoLimit_cm *c, const uint8_t *iv, uint8_t *packet, int header_len,
                           int payload_len, int tag_len) {
    int out = 0;
    if (EVP_EncryptInit_ex(c->ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(c->ctx, packet + header_len, &out, packet + header_len, payload_len) != 1) {
        return 0;
    }
    static const uint8_t roc[4] = {0, 0, 0, 0};
    uint8_t inner[SHA_DIGEST_LENGTH], full[SHA_DIGEST_LENGTH];
    SHA_CTX h = c->inner;
    SHA1_Update(&h, packet, (size_t)(header_len + payload_len));
    SHA1_Update(&h, roc, sizeof(roc));
    SHA1_Final(inner, &h);
    h = c->outer;
    SHA1_Update(&h, inner, sizeof(inner));
    SHA1_Final(full, &h);
    memcpy(packet + header_len + payload_len, full, (size_t)tag_len);
    return 1;
}

void CCryptoLimit_cm_free(CCryptoLimit_cm *c) {
    if (c != NULL) {
        EVP_CIPHER_CTX_free(c->ctx);
        free(c);
    }
}

CCryptoLimit_gcm *CCryptoLimit_gcm_new(const uint8_t *key, int key_len) {
    CCryptoLimit_gcm *g = calloc(1, sizeof(*g));
    if (g == NULL || (g->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        free(g);
        return NULL;
    }
    EVP_EncryptInit_ex(g->ctx, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL, key, NULL);
    return g;
}

int CCryptoLimit_gcm_packet(CCryptoLimit_gcm *g, const uint8_t *iv, uint8_t *packet, int header_len,
                            int payload_len) {
    int out = 0;
    uint8_t none[1];
    return EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, iv) == 1 &&
           EVP_EncryptUpdate(g->ctx, NULL, &out, packet, header_len) == 1 &&
           (payload_len == 0 ||
            EVP_EncryptUpdate(g->ctx, packet + header_len, &out, packet + header_len, payload_len) == 1) &&
           EVP_EncryptFinal_ex(g->ctx, none, &out) == 1 &&
           EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, 16, packet + header_len + payload_len) == 1;
}

void CCryptoLimit_gcm_free(CCryptoLimit_gcm *g) {
    if (g != NULL) {
        EVP_CIPHER_CTX_free(g->ctx);
        free(g);
    }
}
