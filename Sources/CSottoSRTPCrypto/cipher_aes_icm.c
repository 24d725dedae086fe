// AES Integer Counter Mode for libsrtp2 (RFC 3711 §4.1.1, RFC 6188 for AES-256) on OpenSSL EVP.
//
// libsrtp2 hands the cipher key||salt (14-byte salt) at init and, per packet, a 16-byte IV that it
// has built from SSRC and packet index; the keystream is AES(k, C), AES(k, C + 1), ... from the
// counter block C = (salt << 16) XOR IV, XORed into the data.
//
// Why not EVP's AES-CTR: re-loading its IV costs about 135 ns per packet in OpenSSL 3.0 (the
// provider re-initialisation path), more than encrypting a 160-byte payload. So the AES block
// encryptions come from one EVP AES-ECB context keyed once per libsrtp2 context (AES-NI, no
// padding), fed the counter blocks, and the mode glue RFC 3711 defines (count, XOR) is done here.
// The bytes are those of EVP AES-CTR and of libsrtp2's own type: the known-answer self-test
// (RFC 3711 B.2, RFC 6188 §7.1) runs at registration, and the cross-check tests compare every suite
// and size against the stock types.
#include <string.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include "crypto_internal.h"

#define SOTTO_ICM_CHUNK_BLOCKS 64

typedef struct {
    uint8_t offset[16];     // the salt, shifted left 16 bits (its last two octets are zero)
    uint64_t counter_hi;    // the next counter block, as a 128-bit big-endian number
    uint64_t counter_lo;
    size_t keystream_used;  // octets of `keystream` already consumed
    size_t keystream_len;   // octets of `keystream` generated
    EVP_CIPHER_CTX *ecb;    // keyed once; per packet only counter blocks go through it
    int key_size;           // 16 or 32
    int keyed;
    uint8_t keystream[SOTTO_ICM_CHUNK_BLOCKS * 16];
} sotto_icm_state;

static uint64_t load_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void store_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int key_size,
                                   srtp_cipher_type_id_t id, const srtp_cipher_type_t *type) {
    if (key_len != key_size + SRTP_SALT_LEN) {
        return srtp_err_status_bad_param;
    }
    srtp_cipher_t *c = calloc(1, sizeof(srtp_cipher_t));
    sotto_icm_state *s = calloc(1, sizeof(sotto_icm_state));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (c == NULL || s == NULL || ctx == NULL) {
        free(c);
        free(s);
        EVP_CIPHER_CTX_free(ctx);
        return srtp_err_status_alloc_fail;
    }
    s->ecb = ctx;
    s->key_size = key_size;
    c->type = type;
    c->state = s;
    c->key_len = key_len;
    c->algorithm = id;
    *cp = c;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_alloc_128(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
    (void)tag_len;
    return icm_alloc(cp, key_len, SRTP_AES_128_KEY_LEN, SRTP_AES_ICM_128, &CSottoSRTPCrypto_aes_icm_128);
}

static srtp_err_status_t icm_alloc_256(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
    (void)tag_len;
    return icm_alloc(cp, key_len, SRTP_AES_256_KEY_LEN, SRTP_AES_ICM_256, &CSottoSRTPCrypto_aes_icm_256);
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c) {
    if (c == NULL) {
        return srtp_err_status_bad_param;
    }
    sotto_icm_state *s = c->state;
    if (s != NULL) {
        EVP_CIPHER_CTX_free(s->ecb); // frees and cleanses the key schedule
        OPENSSL_cleanse(s, sizeof(*s));
        free(s);
    }
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key) {
    sotto_icm_state *s = state;
    const EVP_CIPHER *evp = s->key_size == SRTP_AES_256_KEY_LEN ? CSottoSRTPCrypto_evp_aes_256_ecb
                                                                : CSottoSRTPCrypto_evp_aes_128_ecb;
    if (evp == NULL) {
        return srtp_err_status_init_fail;
    }
    memset(s->offset, 0, sizeof(s->offset));
    memcpy(s->offset, key + s->key_size, SRTP_SALT_LEN);
    // The key schedule is computed here, once per libsrtp2 context (and again only on re-key).
    if (EVP_EncryptInit_ex(s->ecb, evp, NULL, key, NULL) != 1 || EVP_CIPHER_CTX_set_padding(s->ecb, 0) != 1) {
        return srtp_err_status_init_fail;
    }
    s->keystream_used = s->keystream_len = 0;
    s->keyed = 1;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t direction) {
    (void)direction; // counter mode: the same operation both ways
    sotto_icm_state *s = state;
    if (!s->keyed) {
        return srtp_err_status_init_fail;
    }
    uint8_t counter[16];
    for (int i = 0; i < 16; i++) {
        counter[i] = s->offset[i] ^ iv[i];
    }
    s->counter_hi = load_be64(counter);
    s->counter_lo = load_be64(counter + 8);
    // Unused keystream of the previous packet is never reused.
    s->keystream_used = s->keystream_len = 0;
    return srtp_err_status_ok;
}

// Encrypts the next up-to-64 counter blocks into s->keystream with one ECB call.
static int icm_refill(sotto_icm_state *s, size_t wanted) {
    size_t blocks = (wanted + 15) / 16;
    if (blocks > SOTTO_ICM_CHUNK_BLOCKS) {
        blocks = SOTTO_ICM_CHUNK_BLOCKS;
    }
    for (size_t b = 0; b < blocks; b++) {
        store_be64(s->keystream + 16 * b, s->counter_hi);
        store_be64(s->keystream + 16 * b + 8, s->counter_lo);
        s->counter_lo += 1;
        s->counter_hi += s->counter_lo == 0; // the carry of a 128-bit big-endian increment
    }
    int out = 0;
    if (EVP_EncryptUpdate(s->ecb, s->keystream, &out, s->keystream, (int)(blocks * 16)) != 1 ||
        out != (int)(blocks * 16)) {
        return 0;
    }
    s->keystream_len = blocks * 16;
    s->keystream_used = 0;
    return 1;
}

static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len) {
    sotto_icm_state *s = state;
    // RFC 3711 §4.1.1: at most 2^16 blocks of keystream per packet (the 16-bit block counter).
    if (*len > 0xFFFFu * 16u) {
        return srtp_err_status_terminus;
    }
    size_t remaining = *len;
    while (remaining > 0) {
        if (s->keystream_used == s->keystream_len && !icm_refill(s, remaining)) {
            return srtp_err_status_cipher_fail;
        }
        size_t take = s->keystream_len - s->keystream_used;
        if (take > remaining) {
            take = remaining;
        }
        const uint8_t *ks = s->keystream + s->keystream_used;
        for (size_t i = 0; i < take; i++) {
            buf[i] ^= ks[i];
        }
        buf += take;
        remaining -= take;
        s->keystream_used += take;
    }
    return srtp_err_status_ok;
}

const srtp_cipher_type_t CSottoSRTPCrypto_aes_icm_128 = {
    icm_alloc_128,
    icm_dealloc,
    icm_init,
    NULL, // set_aad: not an AEAD
    icm_encrypt,
    icm_encrypt,
    icm_set_iv,
    NULL, // get_tag: not an AEAD
    "Sotto AES-128 ICM on OpenSSL EVP AES-ECB",
    &CSottoSRTPCrypto_aes_icm_128_kat,
    SRTP_AES_ICM_128,
};

const srtp_cipher_type_t CSottoSRTPCrypto_aes_icm_256 = {
    icm_alloc_256,
    icm_dealloc,
    icm_init,
    NULL,
    icm_encrypt,
    icm_encrypt,
    icm_set_iv,
    NULL,
    "Sotto AES-256 ICM on OpenSSL EVP AES-ECB",
    &CSottoSRTPCrypto_aes_icm_256_kat,
    SRTP_AES_ICM_256,
};
