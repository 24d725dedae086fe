// See CSottoOpenSSL.h: each function is the OpenSSL macro or constant of the same name, nothing more.
#include "CSottoOpenSSL.h"

long CSottoOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return SSL_CTX_set_min_proto_version(context, version);
}

long CSottoOpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version) {
    return SSL_CTX_set_max_proto_version(context, version);
}

long CSottoOpenSSL_SSL_CTX_set_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_mode(context, mode);
}

long CSottoOpenSSL_SSL_set_tlsext_host_name(SSL *connection, const char *name) {
    return SSL_set_tlsext_host_name(connection, name);
}

long CSottoOpenSSL_BIO_set_mem_eof_return(BIO *bio, long value) {
    return BIO_set_mem_eof_return(bio, value);
}

uint64_t CSottoOpenSSL_SSL_OP_NO_COMPRESSION(void) {
    return SSL_OP_NO_COMPRESSION;
}

uint64_t CSottoOpenSSL_SSL_OP_NO_RENEGOTIATION(void) {
    return SSL_OP_NO_RENEGOTIATION;
}

uint64_t CSottoOpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE(void) {
    return SSL_OP_CIPHER_SERVER_PREFERENCE;
}

uint64_t CSottoOpenSSL_SSL_OP_NO_TICKET(void) {
    return SSL_OP_NO_TICKET;
}

unsigned int CSottoOpenSSL_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(void) {
    return X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
}

GENERAL_NAMES *CSottoOpenSSL_X509_subject_alt_names(X509 *certificate) {
    return X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
}

int CSottoOpenSSL_GENERAL_NAMES_count(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

int CSottoOpenSSL_GENERAL_NAMES_entry(
    const GENERAL_NAMES *names, int index, const unsigned char **bytes, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
    *bytes = NULL;
    *length = 0;
    if (name == NULL) {
        return -1;
    }
    if (name->type == GEN_DNS || name->type == GEN_URI || name->type == GEN_IPADD) {
        const ASN1_STRING *value = name->type == GEN_DNS ? name->d.dNSName
            : name->type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.iPAddress;
        *bytes = ASN1_STRING_get0_data(value);
        *length = ASN1_STRING_length(value);
    }
    return name->type;
}
