/* libcurl's functions, bound once per process by ccurl_load() (see include/ccurl.h). */
#include "ccurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

struct ccurl_functions {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    /* NULL once loaded; else why libcurl could not be used. */
    const char *load_error;
};

/* The one table for the process. */
static struct ccurl_functions functions;

static struct ccurl_functions *ccurl_state(void) { return &functions; }

static void ccurl_load_once(void) {
    struct ccurl_functions *f = ccurl_state();
    /* RTLD_LAZY: libcurl itself is linked BIND_NOW (Debian), so its own imports are still checked
       here; the dependencies linked without it (krb5, GSSAPI, librtmp, nghttp2, brotli, zlib, ...)
       bind a function on its first call instead of all of them now: about 1,800 fewer symbol
       look-ups and 0.6 ms less CPU per request-sending command (docs/performance.md). */
    void *library = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (!library) { f->load_error = dlerror(); return; }
#define CCURL_BIND(field, symbol) \
    *(void **)(&f->field) = dlsym(library, symbol); \
    if (!f->field) { f->load_error = "libcurl.so.4 has no " symbol; return; }
    CCURL_BIND(global_init, "curl_global_init")
    CCURL_BIND(easy_init, "curl_easy_init")
    CCURL_BIND(easy_cleanup, "curl_easy_cleanup")
    CCURL_BIND(easy_reset, "curl_easy_reset")
    CCURL_BIND(easy_perform, "curl_easy_perform")
    CCURL_BIND(easy_strerror, "curl_easy_strerror")
    CCURL_BIND(easy_setopt, "curl_easy_setopt")
    CCURL_BIND(easy_getinfo, "curl_easy_getinfo")
    CCURL_BIND(slist_append, "curl_slist_append")
    CCURL_BIND(slist_free_all, "curl_slist_free_all")
#undef CCURL_BIND
    if (f->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) { f->load_error = "curl_global_init failed"; return; }
}

const char *ccurl_load(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ccurl_load_once);
    return ccurl_state()->load_error;
}

CURL *ccurl_easy_init(void) { return ccurl_state()->easy_init(); }
void ccurl_easy_cleanup(CURL *h) { ccurl_state()->easy_cleanup(h); }
void ccurl_easy_reset(CURL *h) { ccurl_state()->easy_reset(h); }
CURLcode ccurl_easy_perform(CURL *h) { return ccurl_state()->easy_perform(h); }
const char *ccurl_easy_strerror(CURLcode c) { return ccurl_state()->easy_strerror(c); }
struct curl_slist *ccurl_slist_append(struct curl_slist *l, const char *s) { return ccurl_state()->slist_append(l, s); }
void ccurl_slist_free_all(struct curl_slist *l) { ccurl_state()->slist_free_all(l); }

CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) { return ccurl_state()->easy_setopt(h, o, v); }
CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return ccurl_state()->easy_setopt(h, o, v); }
CURLcode ccurl_setopt_str(CURL *h, CURLoption o, const char *v) { return ccurl_state()->easy_setopt(h, o, v); }
CURLcode ccurl_setopt_ptr(CURL *h, CURLoption o, void *v) { return ccurl_state()->easy_setopt(h, o, v); }
CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return ccurl_state()->easy_setopt(h, o, v); }
CURLcode ccurl_setopt_write_cb(CURL *h, CURLoption o, curl_write_callback cb) { return ccurl_state()->easy_setopt(h, o, cb); }
CURLcode ccurl_setopt_blob_copy(CURL *h, CURLoption o, const void *data, size_t length) {
    struct curl_blob blob = {(void *)data, length, CURL_BLOB_COPY};
    return ccurl_state()->easy_setopt(h, o, &blob);
}
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *out) { return ccurl_state()->easy_getinfo(h, i, out); }
CURLcode ccurl_getinfo_str(CURL *h, CURLINFO i, char **out) { return ccurl_state()->easy_getinfo(h, i, out); }
CURLcode ccurl_getinfo_double(CURL *h, CURLINFO i, double *out) { return ccurl_state()->easy_getinfo(h, i, out); }
