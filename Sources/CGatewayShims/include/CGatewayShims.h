// Typed, non-variadic wrappers for the libcurl functions Swift cannot call, and the libcurl macros Swift cannot import.
//
// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are C variadics: Swift does not import them. Each wrapper
// below fixes the type of the third argument, so a wrong type is a compile error in Swift instead of undefined
// behaviour in C. Modelled on swift-corelibs-foundation's Sources/_CFURLSessionInterface/include/
// CFURLSessionInterface.h. Everything here is a one-line forward; the logic lives in GatewayProviders.
#pragma once

#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: curl_easy_setopt

/// For options that take a `long` (flags, enum values, sizes below 2 GiB, timeouts in milliseconds).
CURLcode CGatewayCurl_easy_setopt_long(CURL *_Nonnull handle, CURLoption option, long value);

/// For options that take a NUL-terminated string, which libcurl copies (CURLOPT_URL, CURLOPT_USERAGENT, ...).
CURLcode CGatewayCurl_easy_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value);

/// For options that take an opaque pointer libcurl keeps without copying (CURLOPT_WRITEDATA, CURLOPT_PRIVATE,
/// CURLOPT_ERRORBUFFER, ...). The caller keeps the memory alive for as long as the handle uses it.
CURLcode CGatewayCurl_easy_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value);

/// For options that take a `curl_off_t` (the `_LARGE` sizes).
CURLcode CGatewayCurl_easy_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value);

/// For options that take a header list (CURLOPT_HTTPHEADER); the list must outlive the transfer.
CURLcode CGatewayCurl_easy_setopt_slist(CURL *_Nonnull handle, CURLoption option,
                                        struct curl_slist *_Nullable value);

/// For CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION, which share the write-callback shape.
CURLcode CGatewayCurl_easy_setopt_write_function(CURL *_Nonnull handle, CURLoption option,
                                                 curl_write_callback _Nullable value);

/// For CURLOPT_READFUNCTION.
CURLcode CGatewayCurl_easy_setopt_read_function(CURL *_Nonnull handle, CURLoption option,
                                                curl_read_callback _Nullable value);

/// For CURLOPT_XFERINFOFUNCTION.
CURLcode CGatewayCurl_easy_setopt_xferinfo_function(CURL *_Nonnull handle, CURLoption option,
                                                    curl_xferinfo_callback _Nullable value);

/// For CURLOPT_DEBUGFUNCTION.
CURLcode CGatewayCurl_easy_setopt_debug_function(CURL *_Nonnull handle, CURLoption option,
                                                 curl_debug_callback _Nullable value);

// MARK: curl_easy_getinfo

/// For CURLINFO_LONG items (CURLINFO_RESPONSE_CODE, CURLINFO_NUM_CONNECTS, ...).
CURLcode CGatewayCurl_easy_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull value);

/// For CURLINFO_DOUBLE items.
CURLcode CGatewayCurl_easy_getinfo_double(CURL *_Nonnull handle, CURLINFO info, double *_Nonnull value);

/// For CURLINFO_OFF_T items (the `_T` timings in microseconds and sizes).
CURLcode CGatewayCurl_easy_getinfo_off_t(CURL *_Nonnull handle, CURLINFO info, curl_off_t *_Nonnull value);

/// For CURLINFO_STRING items; the string belongs to the handle.
CURLcode CGatewayCurl_easy_getinfo_string(CURL *_Nonnull handle, CURLINFO info,
                                          const char *_Nullable *_Nonnull value);

/// For CURLINFO_PRIVATE, which returns the pointer given to CURLOPT_PRIVATE.
CURLcode CGatewayCurl_easy_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull value);

// MARK: curl_multi_setopt

/// For multi options that take a `long` (CURLMOPT_PIPELINING, CURLMOPT_MAX_HOST_CONNECTIONS, ...).
CURLMcode CGatewayCurl_multi_setopt_long(CURLM *_Nonnull handle, CURLMoption option, long value);

/// For multi options that take an opaque pointer (CURLMOPT_SOCKETDATA, CURLMOPT_TIMERDATA).
CURLMcode CGatewayCurl_multi_setopt_pointer(CURLM *_Nonnull handle, CURLMoption option, void *_Nullable value);

// MARK: Threads

/// Names the calling thread (pthread_setname_np, a GNU extension Glibc's Swift overlay does not expose). Names are
/// truncated to the platform's limit (15 bytes on Linux). Returns 0 on success.
int CGatewayThread_set_name(const char *_Nonnull name);

// MARK: Macros Swift does not import

/// CURL_WRITEFUNC_PAUSE as the `size_t` a write callback returns.
extern const size_t CGatewayCurl_writefunc_pause;
/// CURLPAUSE_CONT: resume both directions.
extern const int CGatewayCurl_pause_cont;
/// CURL_GLOBAL_ALL, for curl_global_init.
extern const long CGatewayCurl_global_all;

#ifdef __cplusplus
}
#endif
