#include "bgp/hex.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace kubevip::bgp::testing {

std::vector<uint8_t> fromHex(std::string_view text) {
  std::vector<uint8_t> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      EXPECT_EQ(word.size(), 2u) << "'" << word << "' is not one octet in hex";
      out.push_back(static_cast<uint8_t>(std::stoul(word, nullptr, 16)));
    }
  }
  return out;
}

std::vector<uint8_t> golden(const std::string& name) {
  std::string path = std::string(KUBEVIP_BGP_GOLDEN_DIR) + "/" + name + ".hex";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return fromHex(text.str());
}

std::vector<uint8_t> message(uint8_t type, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out(16, 0xff);
  std::size_t length = 19 + body.size();
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  out.push_back(type);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> bodyOf(const std::vector<uint8_t>& whole) {
  return {whole.begin() + 19, whole.end()};
}

}  // namespace kubevip::bgp::testing
