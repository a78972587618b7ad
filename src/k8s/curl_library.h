// libcurl, loaded when the first API server client is made rather than when the program starts.
//
// Debian's libcurl4 (the OpenSSL flavour) needs 28 shared libraries of its own: GnuTLS and
// p11-kit through librtmp, Kerberos, LDAP, SASL, libssh2, nghttp2, zstd, brotli, libidn2, ...
// Linked as a DT_NEEDED library, the dynamic loader maps and relocates all of them at every start
// and runs their constructors (GnuTLS initialises itself on load), also in the modes that never
// talk to an API server: a Raft cluster out of Kubernetes and singleNode. That cost 4.2 MiB of
// the 14.4 MiB resident of an idle Raft member (bench/footprint/run.sh). Loaded with dlopen()
// by the first HttpTransport, it costs nothing where no HttpTransport is made, and the same as
// before where one is.
//
// The library is found by its soname, libcurl.so.4, so packages must depend on it by name
// (dpkg-shlibdeps and ldd no longer see it). It is loaded once and never unloaded; a missing
// library or symbol is an Error naming the file and what the loader said.
#pragma once

#include <curl/curl.h>

#include "common/result.h"

namespace kubevip::k8s {

inline constexpr const char* kCurlLibraryFile = "libcurl.so.4";

// The libcurl functions HttpTransport calls, named as in <curl/curl.h> without the "curl_".
struct CurlLibrary {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_wakeup) multi_wakeup;
};

// Loads `file` (a soname or a path) and resolves every function of CurlLibrary, then calls
// curl_global_init once. Each call loads anew; the daemon uses curlLibrary().
Result<CurlLibrary> loadCurlLibrary(const char* file);

// libcurl.so.4, loaded on the first call (thread-safe); later calls return the same table, or
// the same error.
Result<const CurlLibrary*> curlLibrary();

}  // namespace kubevip::k8s
