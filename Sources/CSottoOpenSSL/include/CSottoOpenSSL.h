// CSottoOpenSSL: the OpenSSL 3 calls the TLS module needs that Swift cannot import. Only TLS
// imports it; the SRTP crypto engine calls OpenSSL's functions directly from C and needs none of these.
//
// Each wrapper exists because the OpenSSL name is a function-like macro (usually over
// SSL_CTX_ctrl, SSL_ctrl or BIO_ctrl) or a constant built by a macro (the SSL_OP_* options are
// SSL_OP_BIT(n)); Swift's importer sees neither. The wrappers add no logic of their own.
#ifndef CSOTTOOPENSSL_H
#define CSOTTOOPENSSL_H

#include <stdint.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#ifdef __cplusplus
extern "C" {
#endif

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
long CSottoOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version);

/// SSL_CTX_set_max_proto_version is a macro over SSL_CTX_ctrl.
long CSottoOpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version);

/// SSL_CTX_set_mode is a macro over SSL_CTX_ctrl.
long CSottoOpenSSL_SSL_CTX_set_mode(SSL_CTX *context, long mode);

/// SSL_set_tlsext_host_name (SNI, RFC 6066 §3) is a macro over SSL_ctrl.
long CSottoOpenSSL_SSL_set_tlsext_host_name(SSL *connection, const char *name);

/// BIO_set_mem_eof_return is a macro over BIO_ctrl.
long CSottoOpenSSL_BIO_set_mem_eof_return(BIO *bio, long value);

/// SSL_OP_NO_COMPRESSION is built with SSL_OP_BIT(n), which Swift does not evaluate.
uint64_t CSottoOpenSSL_SSL_OP_NO_COMPRESSION(void);

/// SSL_OP_NO_RENEGOTIATION is built with SSL_OP_BIT(n), which Swift does not evaluate.
uint64_t CSottoOpenSSL_SSL_OP_NO_RENEGOTIATION(void);

/// SSL_OP_CIPHER_SERVER_PREFERENCE is built with SSL_OP_BIT(n), which Swift does not evaluate.
uint64_t CSottoOpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE(void);

/// SSL_OP_NO_TICKET is built with SSL_OP_BIT(n), which Swift does not evaluate.
uint64_t CSottoOpenSSL_SSL_OP_NO_TICKET(void);

/// X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS lives in <openssl/x509v3.h>, which the COpenSSL module
/// does not include.
unsigned int CSottoOpenSSL_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(void);

/// The certificate's subjectAltName entries, or NULL when it has none: X509_get_ext_d2i returns
/// `void *`, typed here. The caller frees the result with GENERAL_NAMES_free.
GENERAL_NAMES *CSottoOpenSSL_X509_subject_alt_names(X509 *certificate);

/// sk_GENERAL_NAME_num is a macro over OPENSSL_sk_num.
int CSottoOpenSSL_GENERAL_NAMES_count(const GENERAL_NAMES *names);

/// Entry `index` of `names` (sk_GENERAL_NAME_value is a macro): returns its type (GEN_DNS, GEN_URI,
/// GEN_IPADD, ...) and, for those three types only, points `bytes` and `length` at its value (text for
/// DNS and URI, 4 or 16 address bytes for IPADD; owned by `names`); for any other type `bytes` is NULL.
/// GENERAL_NAME's union cannot be read from Swift safely.
int CSottoOpenSSL_GENERAL_NAMES_entry(
    const GENERAL_NAMES *names, int index, const unsigned char **bytes, int *length);

#ifdef __cplusplus
}
#endif

#endif
