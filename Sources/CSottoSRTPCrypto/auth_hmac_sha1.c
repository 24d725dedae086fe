// HMAC-SHA1 for libsrtp2 (RFC 3711 §4.2.1: HMAC-SHA1 per RFC 2104, tag truncated to 80 or 32 bits).
//
// Why the low-level SHA1_* calls: every EVP-level way of resetting a keyed HMAC per packet in
// OpenSSL 3.0 (HMAC_Init_ex with a NULL key, EVP_MAC_init, EVP_MAC_CTX_dup, EVP_MD_CTX_copy_ex)
// allocates and costs about twice as much. RFC 2104's construction is
//     H((K ^ opad) || H((K ^ ipad) || text)),
// so hashing the two padded key blocks once at init and copying those SHA-1 states per packet
// gives the same bytes with no allocation. The SHA-1 compression itself is OpenSSL's. These calls
// are deprecated in OpenSSL 3.0 and bypass the provider layer (so not FIPS-validated); the stock
// types remain available (SOTTO_SRTP_CRYPTO=stock) for deployments that need that.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <string.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "crypto_internal.h"

#define SOTTO_SHA1_BLOCK 64

typedef struct {
    SHA_CTX inner_start; // SHA-1 state after absorbing K ^ ipad
    SHA_CTX outer_start; // SHA-1 state after absorbing K ^ opad
    SHA_CTX running;     // the current packet's inner hash
} sotto_hmac_state;

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len) {
    // RFC 3711 keys are 20 octets; longer-than-block keys (hashed first in RFC 2104) are refused.
    if (key_len < 0 || key_len > SOTTO_SHA1_BLOCK || out_len < 0 || out_len > SHA_DIGEST_LENGTH) {
        return srtp_err_status_bad_param;
    }
    srtp_auth_t *a = calloc(1, sizeof(srtp_auth_t));
    sotto_hmac_state *s = calloc(1, sizeof(sotto_hmac_state));
    if (a == NULL || s == NULL) {
        free(a);
        free(s);
        return srtp_err_status_alloc_fail;
    }
    a->type = &CSottoSRTPCrypto_hmac_sha1;
    a->state = s;
    a->out_len = out_len;
    a->key_len = key_len;
    a->prefix_len = 0;
    *ap = a;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a) {
    if (a == NULL) {
        return srtp_err_status_bad_param;
    }
    if (a->state != NULL) {
        OPENSSL_cleanse(a->state, sizeof(sotto_hmac_state));
        free(a->state);
    }
    OPENSSL_cleanse(a, sizeof(*a));
    free(a);
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len) {
    sotto_hmac_state *s = state;
    if (key_len < 0 || key_len > SOTTO_SHA1_BLOCK) {
        return srtp_err_status_bad_param;
    }
    uint8_t ipad[SOTTO_SHA1_BLOCK];
    uint8_t opad[SOTTO_SHA1_BLOCK];
    for (int i = 0; i < SOTTO_SHA1_BLOCK; i++) {
        uint8_t k = i < key_len ? key[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    int ok = SHA1_Init(&s->inner_start) && SHA1_Update(&s->inner_start, ipad, sizeof(ipad)) &&
             SHA1_Init(&s->outer_start) && SHA1_Update(&s->outer_start, opad, sizeof(opad));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    if (!ok) {
        return srtp_err_status_init_fail;
    }
    s->running = s->inner_start;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state) {
    sotto_hmac_state *s = state;
    s->running = s->inner_start; // a struct copy: no allocation, no re-keying
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len) {
    sotto_hmac_state *s = state;
    if (len < 0 || (len > 0 && SHA1_Update(&s->running, buf, (size_t)len) != 1)) {
        return srtp_err_status_auth_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len, uint8_t *tag) {
    sotto_hmac_state *s = state;
    if (tag_len < 0 || tag_len > SHA_DIGEST_LENGTH || hmac_update(state, buf, len) != srtp_err_status_ok) {
        return srtp_err_status_bad_param;
    }
    uint8_t inner[SHA_DIGEST_LENGTH];
    uint8_t full[SHA_DIGEST_LENGTH];
    SHA_CTX outer = s->outer_start;
    if (SHA1_Final(inner, &s->running) != 1 || SHA1_Update(&outer, inner, sizeof(inner)) != 1 ||
        SHA1_Final(full, &outer) != 1) {
        return srtp_err_status_auth_fail;
    }
    memcpy(tag, full, (size_t)tag_len);
    return srtp_err_status_ok;
}

const srtp_auth_type_t CSottoSRTPCrypto_hmac_sha1 = {
    hmac_alloc,
    hmac_dealloc,
    hmac_init,
    hmac_compute,
    hmac_update,
    hmac_start,
    "Sotto HMAC-SHA1 on OpenSSL SHA-1 with precomputed pads",
    &CSottoSRTPCrypto_hmac_sha1_kat,
    SRTP_HMAC_SHA1,
};
