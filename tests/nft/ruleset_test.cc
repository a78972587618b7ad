// The JSON of every golden ruleset (golden_cases.h), byte for byte, and the validation of what
// cannot be programmed. KUBEVIP_UPDATE_GOLDEN=1 rewrites the .json files from the code instead
// (then read the diff: the kernel test checks each one loads and lists as golden/<name>.nft).
#include "nft/ruleset.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "nft/golden_cases.h"

namespace kubevip::nft {
namespace {

using testing::goldenCases;
using testing::ip;
using testing::webService;

std::string goldenPath(const std::string& name) {
  return std::string(KUBEVIP_NFT_GOLDEN_DIR) + "/" + name + ".json";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void expectGolden(const std::string& name, const std::string& json) {
  // The output must be one JSON document libnftables can parse.
  EXPECT_TRUE(nlohmann::json::accept(json)) << json;
  // Read before any thread starts: gtest runs the tests on the main thread.
  if (std::getenv("KUBEVIP_UPDATE_GOLDEN") != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    std::ofstream(goldenPath(name)) << json;
    return;
  }
  EXPECT_EQ(json, readFile(goldenPath(name))) << "golden " << goldenPath(name);
}

TEST(NftRulesetGolden, EveryCase) {
  for (const auto& golden : goldenCases()) {
    SCOPED_TRACE(golden.name);
    ASSERT_TRUE(validateServices(golden.services).ok())
        << validateServices(golden.services).error().message;
    expectGolden(golden.name, replaceTableJson(golden.services));
  }
}

TEST(NftRulesetGolden, DeleteTable) { expectGolden("delete_table", deleteTableJson()); }

TEST(NftRuleset, ReplacementStartsWithAddAndDeleteOfTheTable) {
  // add + delete makes the delete valid whether or not the table exists, and puts the removal of
  // the old rules in the same transaction as the new ones.
  auto document = nlohmann::json::parse(replaceTableJson({webService()}));
  const auto& commands = document["nftables"];
  ASSERT_GE(commands.size(), 3U);
  const nlohmann::json table{{"family", "inet"}, {"name", "kube_vip"}};
  EXPECT_EQ(commands[0], (nlohmann::json{{"add", {{"table", table}}}}));
  EXPECT_EQ(commands[1], (nlohmann::json{{"delete", {{"table", table}}}}));
  EXPECT_EQ(commands[2], (nlohmann::json{{"add", {{"table", table}}}}));
}

TEST(NftRuleset, CommentsAreCutAndKeptPrintable) {
  Service service = webService();
  service.name = std::string(200, 'a') + "\"";
  auto document = nlohmann::json::parse(replaceTableJson({service}));
  for (const auto& command : document["nftables"]) {
    if (!command.contains("add") || !command["add"].contains("rule")) continue;
    EXPECT_EQ(command["add"]["rule"]["comment"], std::string(kCommentMaxLength, 'a'));
  }
  service.name = "ns/svc \"x\"\n\xc3\xa9";
  document = nlohmann::json::parse(replaceTableJson({service}));
  // One underscore per byte: the quotes, the newline and both bytes of the e acute.
  EXPECT_EQ(document["nftables"][7]["add"]["rule"]["comment"], "ns/svc _x____");
}

Status validateOne(const Service& service) { return validateServices({service}); }

void expectInvalid(const Status& status, const std::string& fragment) {
  ASSERT_FALSE(status.ok()) << "expected an error containing: " << fragment;
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find(fragment), std::string::npos) << status.error().message;
}

TEST(NftRulesetValidation, NamesWhatIsWrongAndWhere) {
  Service service = webService();
  service.port = 0;
  expectInvalid(validateOne(service), "service 'web' (tcp 10.0.0.100:0): port 0");

  service = webService();
  service.vip = IpAddress();
  expectInvalid(validateOne(service), "the VIP is unspecified");

  service = webService();
  service.destinations[1].weight = 0;
  expectInvalid(validateOne(service),
                "service 'web' (tcp 10.0.0.100:80): destination 2 "
                "(10.0.1.2:80) has weight 0");

  service = webService();
  service.destinations[2].port = 0;
  expectInvalid(validateOne(service), "destination 3 (10.0.1.3:0) has port 0");

  service = webService();
  service.destinations[0].address = ip("fd00::1");
  expectInvalid(validateOne(service), "destination 1 ([fd00::1]:80) is not of the VIP's family");

  service = webService();
  service.destinations = {{ip("10.0.1.1"), 80, 0xffffffffU}, {ip("10.0.1.2"), 80, 1}};
  expectInvalid(validateOne(service), "the weights sum to 4294967296");
}

TEST(NftRulesetValidation, OneRulePerVipProtocolAndPort) {
  Service first = webService();
  Service second = webService();
  second.name = "other";
  expectInvalid(validateServices({first, second}),
                "service 'other' (tcp 10.0.0.100:80): another service has the same VIP");
  second.protocol = Protocol::kUdp;  // the same port over UDP is another service
  EXPECT_TRUE(validateServices({first, second}).ok());
}

TEST(NftRulesetValidation, TheLargestTotalWeightIsAccepted) {
  Service service = webService();
  service.destinations = {{ip("10.0.1.1"), 80, 0xfffffffeU}, {ip("10.0.1.2"), 80, 1}};
  ASSERT_TRUE(validateOne(service).ok());
  auto document = nlohmann::json::parse(replaceTableJson({service}));
  const auto& map = document["nftables"][7]["add"]["rule"]["expr"][2]["dnat"]["addr"]["map"];
  EXPECT_EQ(map["key"]["numgen"]["mod"], 0xffffffffU);
  EXPECT_EQ(map["data"]["set"][1][0], 0xfffffffeU);
}

}  // namespace
}  // namespace kubevip::nft
