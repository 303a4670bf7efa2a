/* libcurl for Swift, opened on first use instead of being linked: loading it with the libraries it
   depends on (OpenSSL, GnuTLS, krb5, LDAP, libssh2, ...) costs about 4 ms, which commands that send
   no request (--version, --help, completion, token decode) should not pay. The typed wrappers also
   stand in for libcurl's variadic setopt/getinfo, which Swift cannot call.

   Declarations only: the one table of libcurl's functions lives in ccurl.c, so every Swift file
   that calls these sees the table ccurl_load() filled (static inline functions in a header gave
   each file its own, empty, copy). */
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>

/* Loads libcurl once (thread-safe) and runs curl_global_init. NULL when ready, else the reason. */
const char *ccurl_load(void);

/* Only after ccurl_load() returned NULL. */
CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *h);
void ccurl_easy_reset(CURL *h);
CURLcode ccurl_easy_perform(CURL *h);
const char *ccurl_easy_strerror(CURLcode c);
struct curl_slist *ccurl_slist_append(struct curl_slist *l, const char *s);
void ccurl_slist_free_all(struct curl_slist *l);

CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_setopt_str(CURL *h, CURLoption o, const char *v);
CURLcode ccurl_setopt_ptr(CURL *h, CURLoption o, void *v);
CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode ccurl_setopt_write_cb(CURL *h, CURLoption o, curl_write_callback cb);
/* A blob option (CURLOPT_CAINFO_BLOB); libcurl copies the bytes. */
CURLcode ccurl_setopt_blob_copy(CURL *h, CURLoption o, const void *data, size_t length);
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *out);
CURLcode ccurl_getinfo_str(CURL *h, CURLINFO i, char **out);
CURLcode ccurl_getinfo_double(CURL *h, CURLINFO i, double *out);

#endif
