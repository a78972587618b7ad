// The status document: JSON both ways, tolerance of what may be missing, errors naming the field,
// and the text rendering against golden output.
#include "ops/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kubevip::ops {
namespace {

using ::testing::HasSubstr;

NodeStatus raftFollower() {
  NodeStatus s;
  s.node = "node1";
  s.version = "0.1.0";
  s.mode = NodeMode::kRaft;
  s.election.backend = "raft";
  s.election.leader = "node2";
  s.election.is_leader = false;
  s.election.role = ElectionRole::kFollower;
  s.election.term = 7;
  s.election.peers = {{"node1", "10.0.0.1:10000", true},
                      {"node2", "10.0.0.2:10000", true},
                      {"node3", "10.0.0.3:10000", false}};
  s.ready = {true, "leader node2 known"};
  s.vips = {{"192.168.1.10", "eth0", VipState::kIdle, "node2", "2026-12-06T10:01:02Z"},
            {"fd00::10", "eth0", VipState::kIdle, "", std::nullopt}};
  s.balancers = {{"web",
                  "tcp",
                  "proxy",
                  "192.168.1.10:80",
                  3,
                  {{"10.0.0.1:8080", true, 3}, {"10.0.0.2:8080", false, 0}}},
                 {"api", "http", "proxy", "", 0, {}},
                 {"dns", "udp", "kernel", "192.168.1.10:53", 0, {{"10.0.0.3:53", true, 0}}}};
  return s;
}

NodeStatus leaseLeader() {
  NodeStatus s;
  s.node = "worker-a";
  s.version = "0.1.0";
  s.mode = NodeMode::kLease;
  s.election.backend = "lease";
  s.election.leader = "worker-a";
  s.election.is_leader = true;
  s.election.role = ElectionRole::kLeader;
  s.election.lease = LeaseStatus{"kube-system", "plndr-cp-lock", "worker-a"};
  s.election.leadership_time_left_s = 4.25;
  s.ready = {false, "API server unreachable: connection refused"};
  s.vips = {{"10.0.0.100", "ens3", VipState::kHolding, "worker-a", "2026-12-06T09:00:00Z"}};
  return s;
}

NodeStatus bgpLeader() {
  NodeStatus s = leaseLeader();
  s.vips = {{"10.0.0.100", "lo", VipState::kHolding, "worker-a", "2026-12-06T09:00:00Z"}};
  BgpStatus b;
  b.local_as = 65000;
  b.router_id = "10.0.0.5";
  b.peers = {{"10.0.0.254:179", 65001, "established", "2026-12-06T09:00:01Z", 1, 3, ""},
             {"[fd00::fe]:1179", 65002, "active", std::nullopt, 0, 0,
              "hold timer expired (RFC 4271 §6.5)"}};
  s.bgp = b;
  return s;
}

TEST(StatusJson, RoundTrips) {
  for (const NodeStatus& s : {raftFollower(), leaseLeader(), bgpLeader()}) {
    auto back = statusFromJson(statusToJson(s));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, s);
    auto pretty = statusFromJson(statusToJson(s, 2));
    ASSERT_TRUE(pretty.ok());
    EXPECT_EQ(*pretty, s);
  }
}

TEST(StatusJson, HasTheDocumentedFieldNames) {
  auto doc = nlohmann::json::parse(statusToJson(leaseLeader()));
  EXPECT_EQ(doc["mode"], "lease");
  EXPECT_EQ(doc["election"]["role"], "leader");
  EXPECT_EQ(doc["election"]["lease"]["namespace"], "kube-system");
  EXPECT_EQ(doc["election"]["leadership_time_left_s"], 4.25);
  EXPECT_FALSE(doc["election"].contains("term"));  // absent, not null, when unknown
  EXPECT_EQ(doc["vips"][0]["state"], "holding");
  EXPECT_EQ(doc["vips"][0]["since"], "2026-12-06T09:00:00Z");
  auto raft = nlohmann::json::parse(statusToJson(raftFollower()));
  EXPECT_EQ(raft["election"]["term"], 7);
  EXPECT_FALSE(raft["vips"][1].contains("since"));
  EXPECT_EQ(raft["balancers"][0]["backends"][1]["up"], false);
}

TEST(StatusJson, ToleratesMissingOptionalFieldsAndUnknownOnes) {
  auto s = statusFromJson(R"({
    "node": "n", "version": "9.9", "mode": "single-node", "future_field": {"x": 1},
    "election": {"backend": "none", "leader": "n", "is_leader": true, "role": "leader",
                 "term": null, "new_thing": 3},
    "ready": {"ok": true, "reason": ""}
  })");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->mode, NodeMode::kSingleNode);
  EXPECT_FALSE(s->election.term.has_value());
  EXPECT_TRUE(s->election.peers.empty());
  EXPECT_TRUE(s->vips.empty());
  EXPECT_TRUE(s->balancers.empty());
}

struct BadField {
  std::string json_pointer;    // where to break the document
  nlohmann::json replacement;  // null: remove the field
  std::string message;
};

TEST(StatusJson, ErrorsNameTheField) {
  const BadField cases[] = {
      {"/node", nullptr, "status document: field 'node' is missing"},
      {"/mode", "cluster",
       "status document: field 'mode' is 'cluster', expected one of raft, "
       "lease, single-node, services, etcd"},
      {"/election", nullptr, "status document: field 'election' is missing"},
      {"/election/role", 3, "status document: field 'election.role' is not a string"},
      {"/election/term", -1,
       "status document: field 'election.term' is not a non-negative "
       "integer"},
      {"/election/peers/1/voter", "yes",
       "status document: field 'election.peers[1].voter' is not true or false"},
      {"/ready/reason", nullptr, "status document: field 'ready.reason' is missing"},
      {"/vips/0/state", "held",
       "status document: field 'vips[0].state' is 'held', expected one "
       "of idle, probing, holding"},
      {"/vips", "none", "status document: field 'vips' is not a list"},
      {"/balancers/0/backends/0/active_connections", nullptr,
       "status document: field 'balancers[0].backends[0].active_connections' is missing"},
      {"/balancers/1", 5, "status document: field 'balancers[1]' is not an object"},
  };
  for (const BadField& c : cases) {
    auto doc = nlohmann::json::parse(statusToJson(raftFollower()));
    nlohmann::json::json_pointer where(c.json_pointer);
    if (c.replacement.is_null()) {
      doc[where.parent_pointer()].erase(where.back());
    } else {
      doc[where] = c.replacement;
    }
    auto s = statusFromJson(doc.dump());
    ASSERT_FALSE(s.ok()) << c.json_pointer;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().message, c.message);
  }
  EXPECT_EQ(statusFromJson("{").error().message, "status document: not valid JSON");
  EXPECT_EQ(statusFromJson("[]").error().message, "status document: not a JSON object");
}

TEST(StatusJson, InvalidUtf8InANameDoesNotThrow) {
  NodeStatus s = raftFollower();
  s.node = "bad\xff";
  EXPECT_THAT(statusToJson(s), HasSubstr("bad"));
}

TEST(StatusText, RaftFollowerGolden) {
  EXPECT_EQ(renderStatusText(raftFollower()),
            "node node1: kube-vip 0.1.0, mode raft, election by raft\n"
            "leader: node2 (this node: node1, follower, term 7)\n"
            "peers: node1 10.0.0.1:10000, node2 10.0.0.2:10000, node3 10.0.0.3:10000 (not "
            "voting)\n"
            "ready: yes (leader node2 known)\n"
            "vip 192.168.1.10 on eth0: held by node2 since 2026-12-06T10:01:02Z; this node idle\n"
            "vip fd00::10 on eth0: held by nobody known; this node idle\n"
            "balancer web (tcp, 192.168.1.10:80, 3 active): 10.0.0.1:8080 up (3 active), "
            "10.0.0.2:8080 down (0 active)\n"
            "balancer api (http, not listening, 0 active): no backends\n"
            "balancer dns (udp, kernel forwarding, forwarding 192.168.1.10:53): 10.0.0.3:53 up (0 "
            "active)\n");
}

TEST(StatusText, LeaseLeaderGolden) {
  EXPECT_EQ(renderStatusText(leaseLeader()),
            "node worker-a: kube-vip 0.1.0, mode lease, election by lease\n"
            "leader: worker-a (this node: worker-a, leader)\n"
            "leadership time left: 4.2s\n"
            "lease: kube-system/plndr-cp-lock, held by worker-a\n"
            "ready: no (API server unreachable: connection refused)\n"
            "vip 10.0.0.100 on ens3: held by worker-a since 2026-12-06T09:00:00Z; this node "
            "holding\n");
}

NodeStatus etcdFollower() {
  NodeStatus s;
  s.node = "node2";
  s.version = "0.1.0";
  s.mode = NodeMode::kEtcd;
  s.election.backend = "etcd";
  s.election.leader = "node1";
  s.election.role = ElectionRole::kFollower;
  s.election.term = 1234;
  s.election.etcd = EtcdKeyStatus{"/kube-vip/kube-system/plndr-cp-lock", "node1"};
  s.ready = {true, "ok"};
  return s;
}

TEST(StatusJson, EtcdKeyRoundTrips) {
  auto doc = nlohmann::json::parse(statusToJson(etcdFollower()));
  EXPECT_EQ(doc["mode"], "etcd");
  EXPECT_EQ(doc["election"]["etcd"]["key"], "/kube-vip/kube-system/plndr-cp-lock");
  EXPECT_EQ(doc["election"]["etcd"]["holder"], "node1");
  EXPECT_EQ(doc["election"]["term"], 1234);
  auto back = statusFromJson(statusToJson(etcdFollower()));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, etcdFollower());
}

TEST(StatusText, EtcdFollowerGolden) {
  EXPECT_EQ(renderStatusText(etcdFollower()),
            "node node2: kube-vip 0.1.0, mode etcd, election by etcd\n"
            "leader: node1 (this node: node2, follower, fencing token 1234)\n"
            "etcd key: /kube-vip/kube-system/plndr-cp-lock, held by node1\n"
            "ready: yes (ok)\n");
}

TEST(StatusJson, BgpPartHasTheDocumentedFieldNames) {
  auto doc = nlohmann::json::parse(statusToJson(bgpLeader()));
  EXPECT_EQ(doc["bgp"]["local_as"], 65000);
  EXPECT_EQ(doc["bgp"]["peers"][0]["peer"], "10.0.0.254:179");
  EXPECT_EQ(doc["bgp"]["peers"][0]["state"], "established");
  EXPECT_EQ(doc["bgp"]["peers"][0]["established_since"], "2026-12-06T09:00:01Z");
  EXPECT_EQ(doc["bgp"]["peers"][0]["routes_announced"], 1);
  EXPECT_FALSE(doc["bgp"]["peers"][1].contains("established_since"));
  EXPECT_FALSE(nlohmann::json::parse(statusToJson(leaseLeader())).contains("bgp"));
  auto bad = statusFromJson(R"({"node":"a","version":"1","mode":"lease",
      "election":{"backend":"lease","leader":"","is_leader":false,"role":"follower"},
      "ready":{"ok":true,"reason":""},"bgp":{"local_as":1,"router_id":"x","peers":[{"as":1}]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "status document: field 'bgp.peers[0].peer' is missing");
}

TEST(StatusText, BgpGolden) {
  EXPECT_THAT(renderStatusText(bgpLeader()),
              HasSubstr("vip 10.0.0.100 on lo: held by worker-a since 2026-12-06T09:00:00Z; this "
                        "node holding\n"
                        "bgp: AS 65000, router id 10.0.0.5\n"
                        "bgp peer 10.0.0.254:179 (AS 65001): established since "
                        "2026-12-06T09:00:01Z, 1 route announced, 3 updates sent\n"
                        "bgp peer [fd00::fe]:1179 (AS 65002): active, 0 routes announced, 0 "
                        "updates sent; last error: hold timer expired (RFC 4271 §6.5)\n"));
}

TEST(StatusText, NoLeaderKnown) {
  NodeStatus s = raftFollower();
  s.election.leader = "";
  s.election.role = ElectionRole::kCandidate;
  s.election.term = 8;
  EXPECT_THAT(renderStatusText(s), HasSubstr("leader: none known (this node: node1, candidate, "
                                             "term 8)\n"));
}

TEST(IsoUtc, WholeSecondsInUtc) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1796551262)) +
           std::chrono::milliseconds(999);
  EXPECT_EQ(isoUtc(t), "2026-12-06T10:01:02Z");
}

}  // namespace
}  // namespace kubevip::ops
