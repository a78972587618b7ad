#include "k8s/curl_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

namespace kubevip::k8s {
namespace {

// Resolves `name` into `slot`; false (with `missing` set) when the library lacks it.
template <typename Function>
bool resolve(void* handle, const char* name, Function& slot, std::string& missing) {
  slot = reinterpret_cast<Function>(dlsym(handle, name));
  if (slot == nullptr && missing.empty()) missing = name;
  return slot != nullptr;
}

}  // namespace

Result<CurlLibrary> loadCurlLibrary(const char* file) {
  // RTLD_LOCAL: libcurl's symbols (and those of the libraries it brings) stay out of the global
  // scope, so they cannot interpose on anything the daemon already uses.
  void* handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    // glibc keeps dlerror()'s message per thread (since 2.34), so this reads this thread's.
    const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe)
    return makeError(ErrorCode::kUnavailable,
                     fmt::format("cannot load {}, which the API server client needs: {} (install "
                                 "Debian's libcurl4)",
                                 file, why != nullptr ? why : "unknown error"));
  }
  CurlLibrary lib{};
  std::string missing;
  resolve(handle, "curl_global_init", lib.global_init, missing);
  resolve(handle, "curl_easy_init", lib.easy_init, missing);
  resolve(handle, "curl_easy_cleanup", lib.easy_cleanup, missing);
  resolve(handle, "curl_easy_reset", lib.easy_reset, missing);
  resolve(handle, "curl_easy_setopt", lib.easy_setopt, missing);
  resolve(handle, "curl_easy_getinfo", lib.easy_getinfo, missing);
  resolve(handle, "curl_easy_perform", lib.easy_perform, missing);
  resolve(handle, "curl_easy_strerror", lib.easy_strerror, missing);
  resolve(handle, "curl_slist_append", lib.slist_append, missing);
  resolve(handle, "curl_slist_free_all", lib.slist_free_all, missing);
  resolve(handle, "curl_multi_init", lib.multi_init, missing);
  resolve(handle, "curl_multi_cleanup", lib.multi_cleanup, missing);
  resolve(handle, "curl_multi_add_handle", lib.multi_add_handle, missing);
  resolve(handle, "curl_multi_remove_handle", lib.multi_remove_handle, missing);
  resolve(handle, "curl_multi_perform", lib.multi_perform, missing);
  resolve(handle, "curl_multi_info_read", lib.multi_info_read, missing);
  resolve(handle, "curl_multi_poll", lib.multi_poll, missing);
  resolve(handle, "curl_multi_wakeup", lib.multi_wakeup, missing);
  if (!missing.empty()) {
    dlclose(handle);
    return makeError(ErrorCode::kUnavailable,
                     fmt::format("{} has no {} (libcurl 7.85 or newer is needed)", file, missing));
  }
  // Not thread-safe in libcurl, and needed once per process: callers serialise (curlLibrary()).
  const CURLcode init = lib.global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    return makeError(ErrorCode::kInternal,
                     fmt::format("curl_global_init failed: {}", lib.easy_strerror(init)));
  }
  return lib;
}

Result<const CurlLibrary*> curlLibrary() {
  // A function-local static: initialised once, by the first caller, while others wait.
  static const Result<CurlLibrary> loaded = loadCurlLibrary(kCurlLibraryFile);
  if (!loaded) return loaded.error();
  return &*loaded;
}

}  // namespace kubevip::k8s
