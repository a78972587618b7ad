// For tests that run real RaftElectors in one process: members on free loopback ports, and a
// scratch data directory that is removed with the object.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "config/config.h"

namespace kubevip::election {

// True when a TCP socket can bind 127.0.0.1:port right now.
inline bool loopbackPortFree(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// `count` members "node-0", "node-1", ... on 127.0.0.1, each on a random free port (random, so
// that tests run in parallel rarely race for one).
inline std::vector<config::Peer> loopbackMembers(int count) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> dist(20000, 59999);
  std::vector<config::Peer> members;
  for (int i = 0; i < count; ++i) {
    uint16_t port = 0;
    do {
      port = static_cast<uint16_t>(dist(rng));
    } while (!loopbackPortFree(port));
    members.push_back(
        config::Peer{"node-" + std::to_string(i), *IpAddress::parse("127.0.0.1"), port});
  }
  return members;
}

// A fresh directory under /tmp, removed with everything in it when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kubevip::election
