// The Raft cluster key: clusterKeyFile in the file, vip_clusterkeyfile / vip_clusterkey in the
// environment, and readClusterKey's errors, which name the file or the variable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/loader.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

class ClusterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kubevip-cluster-key-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string writeFile(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  Config parse(const std::string& extra) {
    auto parsed = parseConfigYaml(
        "vip: 10.0.0.100\ninterface: eth0\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n"
        "remotePeers: [{id: b, address: 10.0.0.2, port: 1}]\n" +
            extra,
        "config.yaml");
    EXPECT_TRUE(parsed.ok()) << parsed.error().describe();
    return parsed.ok() ? *parsed : Config{};
  }

  std::string dir_;
};

TEST_F(ClusterKeyTest, NoneConfigured) {
  auto key = readClusterKey(parse(""));
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->has_value());
}

TEST_F(ClusterKeyTest, FromTheFileNamedInTheConfiguration) {
  const std::string path = writeFile("cluster.key", std::string(kKey) + "\n");
  Config c = parse("clusterKeyFile: " + path + "\n");
  EXPECT_EQ(c.cluster_key_file, path);
  auto key = readClusterKey(c);
  ASSERT_TRUE(key.ok()) << key.error().describe();
  ASSERT_TRUE(key->has_value());
  EXPECT_EQ(formatClusterKey(**key), kKey);
  // Written back (the path, never the key) and read back equal.
  const std::string yaml = renderConfigYaml(c);
  EXPECT_THAT(yaml, HasSubstr("clusterKeyFile: " + path));
  EXPECT_EQ(*parseConfigYaml(yaml, "rendered"), c);
}

TEST_F(ClusterKeyTest, ErrorsNameTheFileAndWhereItWasSet) {
  Config missing = parse("clusterKeyFile: " + dir_ + "/absent\n");
  auto key = readClusterKey(missing);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr("config.yaml:5:"));
  EXPECT_THAT(key.error().message, HasSubstr(dir_ + "/absent: cannot be read"));
  EXPECT_FALSE(validateConfig(missing, [](const std::string&) { return true; }).ok());

  Config short_key = parse("clusterKeyFile: " + writeFile("short.key", "abcd") + "\n");
  key = readClusterKey(short_key);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr("short.key: a cluster key is 64 hexadecimal digits"));
}

TEST_F(ClusterKeyTest, FromTheEnvironment) {
  Config c = parse("");
  std::map<std::string, std::string> vars{{"vip_clusterkey", kKey}};
  ASSERT_TRUE(applyEnvironment(c, [&](const char* name) -> std::optional<std::string> {
                auto it = vars.find(name);
                return it == vars.end() ? std::nullopt : std::optional(it->second);
              }).ok());
  auto key = readClusterKey(c);
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_EQ(formatClusterKey(**key), kKey);
  EXPECT_THAT(renderConfigYaml(c), ::testing::Not(HasSubstr(kKey)));

  c.cluster_key = "nothex";
  key = readClusterKey(c);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr("environment variable vip_clusterkey"));
}

}  // namespace
}  // namespace kubevip::config
