#include "nft/libnftables_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <string>

namespace kubevip::nft {
namespace {

// Resolves `name` into `slot`; remembers the first name the library lacks in `missing`.
template <typename Function>
void resolve(void* handle, const char* name, Function& slot, std::string& missing) {
  slot = reinterpret_cast<Function>(dlsym(handle, name));
  if (slot == nullptr && missing.empty()) missing = name;
}

}  // namespace

Result<NftablesLibrary> loadNftablesLibrary(const char* file) {
  // RTLD_LOCAL: its symbols (and those of libnftnl, libjansson, ...) stay out of the global scope,
  // so they cannot interpose on anything the daemon already uses (libmnl is shared with it).
  void* handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    // glibc keeps dlerror()'s message per thread (since 2.34), so this reads this thread's.
    const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe)
    return makeError(ErrorCode::kUnavailable,
                     fmt::format("cannot load {}, which the kernel load balancer needs: {} "
                                 "(install Debian's libnftables1)",
                                 file, why != nullptr ? why : "unknown error"));
  }
  NftablesLibrary lib{};
  std::string missing;
  resolve(handle, "nft_ctx_new", lib.ctx_new, missing);
  resolve(handle, "nft_ctx_free", lib.ctx_free, missing);
  resolve(handle, "nft_ctx_output_set_flags", lib.ctx_output_set_flags, missing);
  resolve(handle, "nft_ctx_buffer_output", lib.ctx_buffer_output, missing);
  resolve(handle, "nft_ctx_buffer_error", lib.ctx_buffer_error, missing);
  resolve(handle, "nft_ctx_get_output_buffer", lib.ctx_get_output_buffer, missing);
  resolve(handle, "nft_ctx_get_error_buffer", lib.ctx_get_error_buffer, missing);
  resolve(handle, "nft_run_cmd_from_buffer", lib.run_cmd_from_buffer, missing);
  if (!missing.empty()) {
    dlclose(handle);
    return makeError(
        ErrorCode::kUnavailable,
        fmt::format("{} has no {} (libnftables 1.0.6 or newer is needed)", file, missing));
  }
  return lib;
}

Result<const NftablesLibrary*> nftablesLibrary() {
  // A function-local static: initialised once, by the first caller, while others wait.
  static const Result<NftablesLibrary> loaded = loadNftablesLibrary(kNftablesLibraryFile);
  if (!loaded) return loaded.error();
  return &*loaded;
}

}  // namespace kubevip::nft
