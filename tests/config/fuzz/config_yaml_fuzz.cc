// libFuzzer target over the configuration file: parseConfigYaml on any text, validateConfig on
// whatever parses, and the render round trip loader.h promises (renderConfigYaml's YAML reads back
// to an equal Config). Beyond "no crash, no exception, no out-of-bounds read" (ASan/UBSan), every
// refusal must carry a message, since the daemon prints it as the reason it does not start.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.h"

namespace {

using namespace kubevip::config;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseConfigYaml(text, "fuzz.yaml");
  if (!parsed) {
    check(!parsed.error().message.empty());
    return 0;
  }
  Config config = std::move(parsed.value());
  // The key file would be read from this machine's file system: what it names is not the input.
  config.cluster_key_file.clear();
  auto valid = validateConfig(config, [](const std::string&) { return true; });
  check(valid.ok() || !valid.error().message.empty());

  auto again = parseConfigYaml(renderConfigYaml(config), "rendered.yaml");
  check(again.ok());
  check(again.value() == config);
  return 0;
}
