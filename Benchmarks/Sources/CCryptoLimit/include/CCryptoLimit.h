// The floor under SRTP's per-packet cost: the cheapest OpenSSL calls that produce a protected
// packet's bytes, with none of libsrtp2's bookkeeping (ROC, replay, stream lookup, layout).
// The benchmarks time these as the "limit" rows that Sotto's numbers are compared against.
#ifndef CCRYPTOLIMIT_H
#define CCRYPTOLIMIT_H
#include <stdint.h>

typedef struct CCryptoLimit_cm CCryptoLimit_cm;
typedef struct CCryptoLimit_gcm CCryptoLimit_gcm;

/// AES-CTR keyed once (16- or 32-byte key) plus HMAC-SHA1 inner/outer SHA-1 states precomputed
/// from a 20-byte auth key.
CCryptoLimit_cm *CCryptoLimit_cm_new(const uint8_t *key, int key_len, const uint8_t *auth_key);
/// One AES-CM + HMAC-SHA1 packet: set the IV, encrypt the payload in place, HMAC over
/// header || payload || ROC, write tag_len bytes of tag after the payload. Returns 1 on success.
int CCryptoLimit_cm_packet(CCryptoLimit_cm *c, const uint8_t *iv, uint8_t *packet, int header_len,
                           int payload_len, int tag_len);
void CCryptoLimit_cm_free(CCryptoLimit_cm *c);

/// AES-GCM keyed once (16- or 32-byte key).
CCryptoLimit_gcm *CCryptoLimit_gcm_new(const uint8_t *key, int key_len);
/// One AES-GCM packet: set the 12-byte IV, header as AAD, encrypt the payload in place, append
/// the 16-byte tag. Returns 1 on success.
int CCryptoLimit_gcm_packet(CCryptoLimit_gcm *g, const uint8_t *iv, uint8_t *packet, int header_len,
                            int payload_len);
void CCryptoLimit_gcm_free(CCryptoLimit_gcm *g);
#endif
