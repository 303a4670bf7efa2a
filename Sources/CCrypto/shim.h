/* OpenSSL's libcrypto for RS256: key generation, signing and verification, SHA-256.
   Wrapped here because some of its entry points are macros or variadic, and because a few
   multi-step sequences (a key from n/e, a self-signed certificate) read better as one call. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <string.h>

/* A new RSA key of `bits` bits with exponent 65537 (EVP_RSA_gen is a variadic macro). NULL on failure. */
static inline EVP_PKEY *kcx_rsa_generate(unsigned int bits) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL) return NULL;
    EVP_PKEY *key = NULL;
    if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
        EVP_PKEY_generate(ctx, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* The private key as DER (PKCS#8). Returns the length, or -1; *out must be freed with kcx_free. */
static inline int kcx_private_key_der(EVP_PKEY *key, unsigned char **out) {
    *out = NULL;
    PKCS8_PRIV_KEY_INFO *info = EVP_PKEY2PKCS8(key);
    if (info == NULL) return -1;
    int length = i2d_PKCS8_PRIV_KEY_INFO(info, out);
    PKCS8_PRIV_KEY_INFO_free(info);
    return length;
}

/* A private key read back from DER (PKCS#8 or traditional). NULL on failure. */
static inline EVP_PKEY *kcx_private_key_from_der(const unsigned char *der, long length) {
    const unsigned char *cursor = der;
    return d2i_AutoPrivateKey(NULL, &cursor, length);
}

/* Copies the big-endian bytes of the RSA parameter `name` ("n" or "e") into `out` (capacity `cap`).
   Returns the byte count, or -1. */
static inline int kcx_rsa_param(EVP_PKEY *key, const char *name, unsigned char *out, int cap) {
    BIGNUM *value = NULL;
    if (EVP_PKEY_get_bn_param(key, name, &value) <= 0 || value == NULL) return -1;
    int length = BN_num_bytes(value);
    int written = length <= cap ? BN_bn2bin(value, out) : -1;
    BN_free(value);
    return written;
}

/* An RSA public key from its modulus and exponent (big-endian bytes). NULL on failure. */
static inline EVP_PKEY *kcx_rsa_public_key(const unsigned char *n, size_t n_length,
                                           const unsigned char *e, size_t e_length) {
    BIGNUM *modulus = BN_bin2bn(n, (int)n_length, NULL);
    BIGNUM *exponent = BN_bin2bn(e, (int)e_length, NULL);
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    if (modulus == NULL || exponent == NULL || builder == NULL) goto done;
    if (!OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, modulus) ||
        !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, exponent)) goto done;
    params = OSSL_PARAM_BLD_to_param(builder);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params == NULL || ctx == NULL) goto done;
    if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        key = NULL;
    }
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    BN_free(modulus);
    BN_free(exponent);
    return key;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 (RS256). Writes at most `cap` bytes; returns the signature length or -1. */
static inline int kcx_rs256_sign(EVP_PKEY *key, const unsigned char *data, size_t length,
                                 unsigned char *out, size_t cap) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return -1;
    size_t written = cap;
    int ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) > 0 &&
             EVP_DigestSign(ctx, out, &written, data, length) > 0;
    EVP_MD_CTX_free(ctx);
    return ok ? (int)written : -1;
}

/* 1 when `signature` is a valid RS256 signature of `data` under `key`, else 0. */
static inline int kcx_rs256_verify(EVP_PKEY *key, const unsigned char *data, size_t length,
                                   const unsigned char *signature, size_t signature_length) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return 0;
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) > 0 &&
             EVP_DigestVerify(ctx, signature, signature_length, data, length) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 1 : 0;
}

/* SHA-256 (algorithm 256) or SHA-1 (algorithm 1) of `data` into `out` (32 or 20 bytes). 1 on success. */
static inline int kcx_digest(int algorithm, const unsigned char *data, size_t length, unsigned char *out) {
    const EVP_MD *md = algorithm == 1 ? EVP_sha1() : EVP_sha256();
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, md, NULL);
}

/* A self-signed X.509 certificate for `key` with subject CN=`common_name`, valid `days` days from now,
   as DER. Returns the length, or -1; *out must be freed with kcx_free. */
static inline int kcx_self_signed_certificate(EVP_PKEY *key, const char *common_name, long days,
                                              unsigned char **out) {
    *out = NULL;
    X509 *certificate = X509_new();
    if (certificate == NULL) return -1;
    int length = -1;
    unsigned char serial[8];
    BIGNUM *serial_number = NULL;
    if (RAND_bytes(serial, sizeof serial) != 1) goto done;
    serial[0] &= 0x7f;
    serial_number = BN_bin2bn(serial, sizeof serial, NULL);
    if (serial_number == NULL || BN_to_ASN1_INTEGER(serial_number, X509_get_serialNumber(certificate)) == NULL) goto done;
    if (X509_set_version(certificate, 2) != 1) goto done;
    if (X509_gmtime_adj(X509_getm_notBefore(certificate), 0) == NULL) goto done;
    if (X509_gmtime_adj(X509_getm_notAfter(certificate), days * 24L * 3600L) == NULL) goto done;
    if (X509_set_pubkey(certificate, key) != 1) goto done;
    X509_NAME *name = X509_get_subject_name(certificate);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0) != 1) goto done;
    if (X509_set_issuer_name(certificate, name) != 1) goto done;
    if (X509_sign(certificate, key, EVP_sha256()) <= 0) goto done;
    length = i2d_X509(certificate, out);
done:
    BN_free(serial_number);
    X509_free(certificate);
    return length;
}

/* The certificates of a truststore file as one PEM bundle, for libcurl's CA list: every certificate
   of a PKCS#12 file (DER), or the one certificate of a DER X.509 file. `password` may be NULL (no
   password: NULL and "" are both tried, as PKCS12_parse does). Returns
     0  *out holds the PEM text (*out_length bytes, free with kcx_free);
     1  the bytes are neither PKCS#12 nor a DER certificate;
     2  the PKCS#12 integrity check (MAC) fails with this password: a wrong or missing password;
     3  the PKCS#12 file cannot be decrypted (wrong password without a MAC, or an algorithm this
        OpenSSL lacks even with its legacy provider);
     4  it holds no certificate. */
static inline int kcx_truststore_pem(const unsigned char *der, long length, const char *password,
                                     char **out, long *out_length) {
    *out = NULL;
    *out_length = 0;
    const unsigned char *cursor = der;
    PKCS12 *p12 = d2i_PKCS12(NULL, &cursor, length);
    STACK_OF(X509) *certificates = NULL;
    EVP_PKEY *key = NULL;
    X509 *certificate = NULL;
    BIO *pem = NULL;
    int result = 3;
    if (p12 == NULL) {
        cursor = der;
        certificate = d2i_X509(NULL, &cursor, length);
        if (certificate == NULL || cursor != der + length) { result = 1; goto done; }
    } else {
        if (PKCS12_mac_present(p12)) {
            int verified = password != NULL && password[0] != 0
                ? PKCS12_verify_mac(p12, password, -1)
                : (PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0));
            if (!verified) { result = 2; goto done; }
        }
        if (!PKCS12_parse(p12, password, &key, &certificate, &certificates)) {
            /* RC2/3DES bags (older keytool and openssl -legacy) need the legacy provider. */
            ERR_clear_error();
            if (OSSL_PROVIDER_load(NULL, "legacy") == NULL || OSSL_PROVIDER_load(NULL, "default") == NULL ||
                !PKCS12_parse(p12, password, &key, &certificate, &certificates)) {
                result = 3;
                goto done;
            }
        }
    }
    pem = BIO_new(BIO_s_mem());
    if (pem == NULL) { result = 3; goto done; }
    int count = 0;
    if (certificate != NULL) {
        if (!PEM_write_bio_X509(pem, certificate)) { result = 3; goto done; }
        count++;
    }
    for (int i = 0; certificates != NULL && i < sk_X509_num(certificates); i++) {
        if (!PEM_write_bio_X509(pem, sk_X509_value(certificates, i))) { result = 3; goto done; }
        count++;
    }
    if (count == 0) { result = 4; goto done; }
    char *text = NULL;
    long size = BIO_get_mem_data(pem, &text);
    *out = OPENSSL_malloc(size > 0 ? (size_t)size : 1);
    if (*out == NULL) { result = 3; goto done; }
    memcpy(*out, text, (size_t)size);
    *out_length = size;
    result = 0;
done:
    BIO_free(pem);
    X509_free(certificate);
    EVP_PKEY_free(key);
    sk_X509_pop_free(certificates, X509_free);
    PKCS12_free(p12);
    ERR_clear_error();
    return result;
}

/* The private key stored under `alias` (compared without case, as Java's PKCS12 keystore does) in a
   PKCS#12 keystore, for signing a client assertion. `store_password` opens the file (its MAC and
   encrypted bags), `key_password` the key's shrouded bag. The friendly names of every key are
   written to *out_aliases, one per line (free with kcx_free), so a missing alias can be named. Returns
     0  *out_key holds the key (free with EVP_PKEY_free);
     1  the bytes are not PKCS#12;
     2  the integrity check (MAC) fails: a wrong store password;
     3  the contents cannot be decrypted (wrong password without a MAC, or an unknown algorithm);
     5  no key has that alias;
     6  the key's bag cannot be decrypted with `key_password`: a wrong key password;
     7  the key is not an RSA key. */
static inline STACK_OF(PKCS12_SAFEBAG) *kcx_pkcs12_bags(PKCS7 *p7, const char *password, int password_length) {
    if (PKCS7_type_is_data(p7)) return PKCS12_unpack_p7data(p7);
    if (!PKCS7_type_is_encrypted(p7)) return NULL;
    STACK_OF(PKCS12_SAFEBAG) *bags = PKCS12_unpack_p7encdata(p7, password, password_length);
    if (bags == NULL) {
        ERR_clear_error();
        if (OSSL_PROVIDER_load(NULL, "legacy") != NULL && OSSL_PROVIDER_load(NULL, "default") != NULL) {
            bags = PKCS12_unpack_p7encdata(p7, password, password_length);
        }
    }
    return bags;
}

static inline int kcx_pkcs12_private_key(const unsigned char *der, long length, const char *store_password,
                                         const char *key_password, const char *alias, EVP_PKEY **out_key,
                                         char **out_aliases, long *out_aliases_length) {
    *out_key = NULL;
    *out_aliases = NULL;
    *out_aliases_length = 0;
    const unsigned char *cursor = der;
    PKCS12 *p12 = d2i_PKCS12(NULL, &cursor, length);
    if (p12 == NULL) { ERR_clear_error(); return 1; }
    STACK_OF(PKCS7) *safes = NULL;
    BIO *names = BIO_new(BIO_s_mem());
    EVP_PKEY *key = NULL;
    int result = 3;
    int wrong_key_password = 0;
    /* An empty password may be stored as none at all (PKCS12_parse tries both too). */
    const char *store = store_password;
    int store_length = (int)strlen(store_password);
    if (PKCS12_mac_present(p12)) {
        if (store_length == 0 && !PKCS12_verify_mac(p12, "", 0)) {
            store = NULL;
            if (!PKCS12_verify_mac(p12, NULL, 0)) { result = 2; goto done; }
        } else if (store_length > 0 && !PKCS12_verify_mac(p12, store_password, store_length)) {
            result = 2;
            goto done;
        }
    }
    if (names == NULL || (safes = PKCS12_unpack_authsafes(p12)) == NULL) goto done;
    for (int i = 0; i < sk_PKCS7_num(safes); i++) {
        STACK_OF(PKCS12_SAFEBAG) *bags = kcx_pkcs12_bags(sk_PKCS7_value(safes, i), store, store == NULL ? 0 : store_length);
        if (bags == NULL) { result = 3; goto done; }
        for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
            PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
            int nid = PKCS12_SAFEBAG_get_nid(bag);
            if (nid != NID_keyBag && nid != NID_pkcs8ShroudedKeyBag) continue;
            char *name = PKCS12_get_friendlyname(bag);
            if (name != NULL) { BIO_puts(names, name); BIO_puts(names, "\n"); }
            int matches = name != NULL && OPENSSL_strcasecmp(name, alias) == 0;
            OPENSSL_free(name);
            if (!matches || key != NULL) continue;
            if (nid == NID_keyBag) {
                key = EVP_PKCS82PKEY(PKCS12_SAFEBAG_get0_p8inf(bag));
            } else {
                int key_length = (int)strlen(key_password);
                PKCS8_PRIV_KEY_INFO *info = PKCS12_decrypt_skey(bag, key_password, key_length);
                if (info == NULL && key_length == 0) info = PKCS12_decrypt_skey(bag, NULL, 0);
                if (info == NULL) {
                    ERR_clear_error();
                    if (OSSL_PROVIDER_load(NULL, "legacy") != NULL && OSSL_PROVIDER_load(NULL, "default") != NULL) {
                        info = PKCS12_decrypt_skey(bag, key_password, key_length);
                    }
                }
                if (info == NULL) { wrong_key_password = 1; continue; }
                key = EVP_PKCS82PKEY(info);
                PKCS8_PRIV_KEY_INFO_free(info);
            }
        }
        sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    }
    if (key != NULL) {
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
            EVP_PKEY_free(key);
            result = 7;
        } else {
            *out_key = key;
            result = 0;
        }
    } else {
        result = wrong_key_password ? 6 : 5;
    }
done:
    if (names != NULL) {
        char *text = NULL;
        long size = BIO_get_mem_data(names, &text);
        if (size > 0 && (*out_aliases = OPENSSL_malloc((size_t)size)) != NULL) {
            memcpy(*out_aliases, text, (size_t)size);
            *out_aliases_length = size;
        }
        BIO_free(names);
    }
    sk_PKCS7_pop_free(safes, PKCS7_free);
    PKCS12_free(p12);
    ERR_clear_error();
    return result;
}

/* The public key of a DER X.509 certificate (`certificate` 1) or of DER SubjectPublicKeyInfo
   (`certificate` 0). NULL when the bytes are neither. */
static inline EVP_PKEY *kcx_public_key_from_der(const unsigned char *der, long length, int certificate) {
    const unsigned char *cursor = der;
    EVP_PKEY *key = NULL;
    if (certificate) {
        X509 *x509 = d2i_X509(NULL, &cursor, length);
        if (x509 != NULL) key = X509_get_pubkey(x509);
        X509_free(x509);
    } else {
        key = d2i_PUBKEY(NULL, &cursor, length);
    }
    ERR_clear_error();
    return key;
}

/* Frees memory OpenSSL allocated for a caller (OPENSSL_free is a macro). */
static inline void kcx_free(void *pointer) { OPENSSL_free(pointer); }
