// CSottoShims_OpenSSL: the OpenSSL 3 calls the TLS module needs that Swift cannot import.
//
// Each wrapper exists because the OpenSSL name is a function-like macro (usually over
// SSL_CTX_ctrl, SSL_ctrl or BIO_ctrl) or a constant built by a macro (the SSL_OP_* options are
// SSL_OP_BIT(n)); Swift's importer sees neither. The wrappers add no logic of their own.
#ifndef CSOTTOSHIMS_OPENSSL_H
#define CSOTTOSHIMS_OPENSSL_H

#include <stdint.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#ifdef __cplusplus
extern "C" {
#endif

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
static inline long CSottoShims_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return SSL_CTX_set_min_proto_version(context, version);
}

/// SSL_CTX_set_max_proto_version is a macro over SSL_CTX_ctrl.
static inline long CSottoShims_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version) {
    return SSL_CTX_set_max_proto_version(context, version);
}

/// SSL_CTX_set_mode is a macro over SSL_CTX_ctrl.
static inline long CSottoShims_SSL_CTX_set_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_mode(context, mode);
}

/// SSL_set_tlsext_host_name (SNI, RFC 6066 §3) is a macro over SSL_ctrl.
static inline long CSottoShims_SSL_set_tlsext_host_name(SSL *connection, const char *name) {
    return SSL_set_tlsext_host_name(connection, name);
}

/// BIO_set_mem_eof_return is a macro over BIO_ctrl.
static inline long CSottoShims_BIO_set_mem_eof_return(BIO *bio, long value) {
    return BIO_set_mem_eof_return(bio, value);
}

/// SSL_OP_NO_COMPRESSION is built with SSL_OP_BIT(n), which Swift does not evaluate.
static inline uint64_t CSottoShims_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }

/// SSL_OP_NO_RENEGOTIATION is built with SSL_OP_BIT(n), which Swift does not evaluate.
static inline uint64_t CSottoShims_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }

/// SSL_OP_CIPHER_SERVER_PREFERENCE is built with SSL_OP_BIT(n), which Swift does not evaluate.
static inline uint64_t CSottoShims_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }

/// X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS lives in <openssl/x509v3.h>, which the COpenSSL module
/// does not include.
static inline unsigned int CSottoShims_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(void) {
    return X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
}

#ifdef __cplusplus
}
#endif

#endif
