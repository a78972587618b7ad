// `status` and `reload` against a control socket in a temporary directory that answers canned
// documents, as the daemon would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_fixture.h"
#include "ops/control_socket.h"
#include "ops/status.h"

namespace kubevip::cli {
namespace {

using testing::CliHarness;
using ::testing::HasSubstr;
using testing::isOneErrorLine;

ops::NodeStatus sampleStatus() {
  ops::NodeStatus s;
  s.node = "node1";
  s.version = "0.1.0";
  s.election.backend = "raft";
  s.election.leader = "node2";
  s.election.role = ops::ElectionRole::kFollower;
  s.election.term = 7;
  s.ready = {true, ""};
  s.vips = {{"192.168.1.10", "eth0", ops::VipState::kIdle, "node2", "2026-12-06T10:01:02Z"}};
  return s;
}

// A daemon stand-in: answers every request with `answer` and records what it was asked.
class CannedDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kubevip-cli-ops-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = dir_ + "/kube-vip.sock";
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void answer(std::string document) {
    auto server = ops::ControlSocketServer::create(
        socket_, [this, document = std::move(document)](const std::string& request) {
          asked_ = request;
          return document;
        });
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
  }

  std::string dir_;
  std::string socket_;
  std::string asked_;  // written on the server thread, read after the exchange finished
  std::unique_ptr<ops::ControlSocketServer> server_;
};

TEST_F(CannedDaemon, StatusPrintsTheTextRendering) {
  answer(ops::statusToJson(sampleStatus()));
  CliHarness cli;
  auto r = cli.run({"status", "--socket", socket_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(asked_, "status");
  EXPECT_EQ(r.out, ops::renderStatusText(sampleStatus()));
  EXPECT_THAT(r.out, HasSubstr("leader: node2 (this node: node1, follower, term 7)\n"));
  EXPECT_EQ(r.err, "");
}

TEST_F(CannedDaemon, StatusJsonPrintsTheDocumentAsReceivedIndented) {
  nlohmann::json doc = nlohmann::json::parse(ops::statusToJson(sampleStatus()));
  doc["added_by_a_newer_daemon"] = 1;
  answer(doc.dump());
  CliHarness cli;
  auto r = cli.run({"status", "--socket", socket_, "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), doc);
  EXPECT_THAT(r.out, HasSubstr("\n  \"node\": \"node1\""));
}

TEST_F(CannedDaemon, StatusWithABrokenDocumentNamesTheField) {
  answer(R"({"node": "node1"})");
  CliHarness cli;
  auto r = cli.run({"status", "--socket", socket_});
  EXPECT_EQ(r.status, kExitFailure);
  EXPECT_TRUE(isOneErrorLine(r.err));
  EXPECT_THAT(r.err, HasSubstr("unreadable status: status document: field 'version' is missing"));
}

TEST_F(CannedDaemon, ARefusalOfTheDaemonIsPrinted) {
  answer(ops::controlErrorDocument("permission denied: only root"));
  CliHarness cli;
  auto r = cli.run({"status", "--socket", socket_});
  EXPECT_EQ(r.status, kExitFailure);
  EXPECT_EQ(r.err,
            "kube-vip: the daemon at " + socket_ + " refused: permission denied: only root\n");
}

TEST_F(CannedDaemon, ReloadPrintsTheMessageAndExitsZeroWhenApplied) {
  answer(ops::reloadOutcomeJson({true, "configuration reloaded: 2 settings changed"}));
  CliHarness cli;
  auto r = cli.run({"reload", "--socket", socket_});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(asked_, "reload");
  EXPECT_EQ(r.out, "configuration reloaded: 2 settings changed\n");
}

TEST_F(CannedDaemon, ReloadRefusedExitsOneWithTheMessage) {
  answer(ops::reloadOutcomeJson({false, "vip cannot change while running; restart"}));
  CliHarness cli;
  auto r = cli.run({"reload", "--socket", socket_});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "kube-vip: reload refused: vip cannot change while running; restart\n");
}

TEST_F(CannedDaemon, ReloadWithAnUnreadableAnswer) {
  answer(R"({"ok": "yes"})");
  CliHarness cli;
  auto r = cli.run({"reload", "--socket", socket_});
  EXPECT_EQ(r.status, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("the reload answer has no boolean field 'ok'"));
}

TEST_F(CannedDaemon, NoDaemonRunning) {
  CliHarness cli;
  for (const char* command : {"status", "reload"}) {
    auto r = cli.run({command, "--socket", socket_});
    EXPECT_EQ(r.status, kExitFailure);
    EXPECT_EQ(r.err,
              "kube-vip: cannot connect to " + socket_ + ": no such file (is kube-vip running?)\n");
  }
}

TEST(StatusCommand, ABadOutputIsOneLineAndExitStatus2) {
  CliHarness cli;
  auto r = cli.run({"status", "--output", "yaml"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_TRUE(isOneErrorLine(r.err));
  EXPECT_THAT(r.err, HasSubstr("yaml"));
}

TEST(StatusCommand, TheDefaultSocketIsTheDaemonsDefault) {
  CliHarness cli;
  auto r = cli.run({"status", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("/run/kube-vip/kube-vip.sock"));
}

}  // namespace
}  // namespace kubevip::cli
