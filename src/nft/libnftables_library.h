// libnftables, loaded the first time the kernel data plane is programmed rather than when the
// program starts.
//
// libnftables.so.1 brings libnftnl, libxtables, libjansson and libgmp with it. Linked as a
// DT_NEEDED library, the dynamic loader would map and relocate them at every start, also on the
// nodes that never balance in the kernel (no TCP/UDP balancer, or the userspace one only): the
// same reason, and the same pattern, as libcurl's loading (k8s/curl_library.h). Loaded with
// dlopen() by the first openNftables(), it costs nothing where none is opened.
//
// The library is found by its soname, libnftables.so.1, so packages must depend on it by name
// (dpkg-shlibdeps and ldd do not see it). It is loaded once and never unloaded; a missing library
// or symbol is an Error naming the file and what the loader said.
#pragma once

#include <nftables/libnftables.h>

#include "common/result.h"

namespace kubevip::nft {

inline constexpr const char* kNftablesLibraryFile = "libnftables.so.1";

// The libnftables functions LibNftables calls, named as in <nftables/libnftables.h> without the
// "nft_".
struct NftablesLibrary {
  decltype(&::nft_ctx_new) ctx_new;
  decltype(&::nft_ctx_free) ctx_free;
  decltype(&::nft_ctx_output_set_flags) ctx_output_set_flags;
  decltype(&::nft_ctx_buffer_output) ctx_buffer_output;
  decltype(&::nft_ctx_buffer_error) ctx_buffer_error;
  decltype(&::nft_ctx_get_output_buffer) ctx_get_output_buffer;
  decltype(&::nft_ctx_get_error_buffer) ctx_get_error_buffer;
  decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer;
};

// Loads `file` (a soname or a path) and resolves every function of NftablesLibrary. Each call
// loads anew; the daemon uses nftablesLibrary().
Result<NftablesLibrary> loadNftablesLibrary(const char* file);

// libnftables.so.1, loaded on the first call (thread-safe); later calls return the same table, or
// the same error.
Result<const NftablesLibrary*> nftablesLibrary();

}  // namespace kubevip::nft
