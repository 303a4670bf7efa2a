/* OpenSSL's libcrypto for RS256: key generation, signing and verification, SHA-256.
   Wrapped here because some of its entry points are macros or variadic. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
