// Nftables over libnftables' JSON API: each operation is one nft_run_cmd_from_buffer() call with
// a JSON document, which libnftables sends to the kernel as one netlink batch (one transaction).
//
// Two traits of libnftables 1.0.6 shape this file:
// - nft_ctx_new() opens the context's netlink socket (NETLINK_NETFILTER) and, when it cannot,
//   prints "Unable to initialize Netlink socket" and calls exit(): the daemon would vanish
//   without releasing its VIP. So openNftables() first opens such a socket itself and turns a
//   failure into an Error. What stays open is a race with another thread taking the last free
//   descriptor between the two opens.
// - It keeps process-wide state (one-time initialisation in nft_ctx_new(), an interface cache
//   every command releases), so every call into it holds one process-wide lock.
#include <fmt/format.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/unique_fd.h"
#include "nft/libnftables_library.h"
#include "nft/nftables.h"

namespace kubevip::nft {
namespace {

// Lists the inet tables, so that an absent table is an answer rather than an error (listing the
// table itself fails alike for "absent" and for anything else).
constexpr const char* kListInetTables =
    R"({"nftables": [{"list": {"tables": {"family": "inet"}}}]})";

// Held around every call into libnftables (see above).
std::mutex& libraryLock() {
  static std::mutex lock;
  return lock;
}

// Whether this process can open the socket nft_ctx_new() is about to open (and exit() without).
Status probeNetfilterSocket() {
  UniqueFd probe(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (probe.get() < 0) {
    return systemError(fmt::format("cannot open a netfilter netlink socket (NETLINK_NETFILTER) "
                                   "to program table inet {}",
                                   kTableName),
                       errno);
  }
  return okStatus();
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

class LibNftables final : public Nftables {
 public:
  LibNftables(const NftablesLibrary& lib, nft_ctx* context) : lib_(lib), context_(context) {}
  ~LibNftables() override {
    const std::lock_guard<std::mutex> locked(libraryLock());
    lib_.ctx_free(context_);
  }
  LibNftables(const LibNftables&) = delete;
  LibNftables& operator=(const LibNftables&) = delete;
  LibNftables(LibNftables&&) = delete;
  LibNftables& operator=(LibNftables&&) = delete;

  Status replace(const std::vector<Service>& services) override {
    if (Status valid = validateServices(services); !valid) {
      Error error = valid.error();
      error.message = fmt::format("cannot program table inet {}: {}", kTableName, error.message);
      return error;
    }
    auto done = run(replaceTableJson(services), "replacing");
    if (!done) return done.error();
    return okStatus();
  }

  Status remove() override {
    auto done = run(deleteTableJson(), "deleting");
    if (!done) return done.error();
    return okStatus();
  }

  Result<bool> tablePresent() override {
    auto listing = run(kListInetTables, "looking for");
    if (!listing) return listing.error();
    // {"nftables": [{"metainfo": {...}}, {"table": {"family": "inet", "name": ..., ...}}, ...]}
    const auto document = nlohmann::json::parse(*listing, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.contains("nftables") ||
        !document["nftables"].is_array()) {
      return makeError(
          ErrorCode::kInternal,
          fmt::format("looking for table inet {}: libnftables listed no JSON array: {}", kTableName,
                      trimmed(*listing)));
    }
    for (const auto& entry : document["nftables"]) {
      if (!entry.contains("table")) continue;
      const auto& table = entry["table"];
      if (table.value("family", "") == "inet" && table.value("name", "") == kTableName) return true;
    }
    return false;
  }

 private:
  // Runs one JSON document; its output on success, libnftables' error text otherwise.
  Result<std::string> run(const std::string& commands, std::string_view what) {
    const std::lock_guard<std::mutex> locked(libraryLock());
    const int status = lib_.run_cmd_from_buffer(context_, commands.c_str());
    // Each get returns what was written since the previous one, so both are read every time.
    std::string output = lib_.ctx_get_output_buffer(context_);
    const std::string errors = lib_.ctx_get_error_buffer(context_);
    if (status != 0) {
      return makeError(
          ErrorCode::kSystem,
          fmt::format("{} table inet {} failed: {}", what, kTableName,
                      errors.empty() ? "libnftables gave no reason" : trimmed(errors)));
    }
    return output;
  }

  const NftablesLibrary& lib_;
  nft_ctx* const context_;
};

}  // namespace

Result<std::unique_ptr<Nftables>> openNftables() {
  auto lib = nftablesLibrary();
  if (!lib) return lib.error();
  const std::lock_guard<std::mutex> locked(libraryLock());
  if (Status usable = probeNetfilterSocket(); !usable) return usable.error();
  nft_ctx* context = (*lib)->ctx_new(NFT_CTX_DEFAULT);
  if (context == nullptr) {
    return makeError(ErrorCode::kInternal, "libnftables could not make a context (nft_ctx_new)");
  }
  // JSON output also makes libnftables 1.0.6 read its input as JSON (1.0.7 added an input flag).
  (*lib)->ctx_output_set_flags(context, NFT_CTX_OUTPUT_JSON);
  // Into buffers rather than the daemon's stdout and stderr, so that errors reach the caller.
  if ((*lib)->ctx_buffer_output(context) != 0 || (*lib)->ctx_buffer_error(context) != 0) {
    (*lib)->ctx_free(context);
    return makeError(ErrorCode::kInternal, "libnftables could not buffer its output");
  }
  return std::unique_ptr<Nftables>(std::make_unique<LibNftables>(**lib, context));
}

}  // namespace kubevip::nft
