// ControlSocketServer and requestControl over real Unix sockets in a temporary directory: the
// file's mode and life cycle, the bounds, who is served, and the client's errors.
#include "ops/control_socket.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "loopback_client.h"

namespace kubevip::ops {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kubevip-ops-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/kube-vip.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ControlSocketServer::Handler echo() {
    return [](const std::string& request) { return "{\"asked\": \"" + request + "\"}"; };
  }
  std::unique_ptr<ControlSocketServer> mustCreate(ControlSocketServer::Handler handler,
                                                  ControlSocketLimits limits = {}) {
    auto server = ControlSocketServer::create(path_, std::move(handler), limits);
    EXPECT_TRUE(server.ok()) << server.error().describe();
    return server.ok() ? std::move(*server) : nullptr;
  }
  // A raw client: connects, sends `bytes` as they are, reads until the server closes.
  std::string rawExchange(const std::string& bytes) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    testing::guardReceive(fd.get());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      return "connect failed";
    }
    testing::sendAll(fd.get(), bytes);
    return testing::readAll(fd.get());
  }
  static mode_t modeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(ControlSocketTest, AnswersOneRequestLine) {
  auto server = mustCreate(echo());
  ASSERT_TRUE(server);
  auto answer = requestControl(path_, "status", seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(*answer, "{\"asked\": \"status\"}");
  EXPECT_EQ(*requestControl(path_, "debug raft", seconds(5)), "{\"asked\": \"debug raft\"}");
}

TEST_F(ControlSocketTest, TheSocketFileIs0600WhateverTheUmask) {
  mode_t old = ::umask(0);  // would give 0777 to a socket file created without care
  auto server = mustCreate(echo());
  ::umask(old);
  ASSERT_TRUE(server);
  EXPECT_EQ(modeOf(path_), 0600u);
}

TEST_F(ControlSocketTest, MissingParentDirectoriesAreCreated0755) {
  path_ = dir_ + "/run/kube-vip/kube-vip.sock";
  mode_t old = ::umask(077);
  auto server = mustCreate(echo());
  ::umask(old);
  ASSERT_TRUE(server);
  EXPECT_EQ(modeOf(dir_ + "/run"), 0755u);
  EXPECT_EQ(modeOf(dir_ + "/run/kube-vip"), 0755u);
  EXPECT_TRUE(requestControl(path_, "status", seconds(5)).ok());
}

TEST_F(ControlSocketTest, AStaleSocketFromACrashedRunIsReplaced) {
  {
    // Bound and closed without unlinking: what a killed daemon leaves.
    UniqueFd dead(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(dead.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  auto refused = requestControl(path_, "status", seconds(5));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "cannot connect to " + path_ + ": connection refused (is kube-vip running?)");
  auto server = mustCreate(echo());
  ASSERT_TRUE(server);
  EXPECT_TRUE(requestControl(path_, "status", seconds(5)).ok());
}

TEST_F(ControlSocketTest, ASocketInUseIsNotTakenOver) {
  auto first = mustCreate(echo());
  ASSERT_TRUE(first);
  auto second = ControlSocketServer::create(path_, echo());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  EXPECT_THAT(second.error().message, HasSubstr("in use by a running kube-vip"));
  EXPECT_TRUE(requestControl(path_, "status", seconds(5)).ok());
}

TEST_F(ControlSocketTest, APathThatIsNotASocketIsRefusedAndLeftAlone) {
  std::ofstream(path_) << "precious";
  auto server = ControlSocketServer::create(path_, echo());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message,
            "control socket path " + path_ + " exists and is not a socket; refusing to replace it");
  std::ifstream in(path_);
  std::string contents;
  in >> contents;
  EXPECT_EQ(contents, "precious");
}

TEST_F(ControlSocketTest, ATooLongPathIsNamed) {
  path_ = dir_ + "/" + std::string(120, 'a');
  auto server = ControlSocketServer::create(path_, echo());
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.error().message, HasSubstr("is longer than 107 bytes"));
}

TEST_F(ControlSocketTest, TheFileIsRemovedAtStopUnlessReplaced) {
  auto server = mustCreate(echo());
  ASSERT_TRUE(server);
  server.reset();
  EXPECT_FALSE(std::filesystem::exists(path_));

  server = mustCreate(echo());
  ASSERT_TRUE(server);
  std::filesystem::remove(path_);
  std::ofstream(path_) << "someone else's";
  server.reset();
  EXPECT_TRUE(std::filesystem::exists(path_));
}

TEST_F(ControlSocketTest, ALongOrUnendedRequestIsRefused) {
  auto server = mustCreate(echo());
  ASSERT_TRUE(server);
  std::string answer = rawExchange(std::string(4096, 'a'));
  EXPECT_EQ(controlErrorIn(answer), "request longer than 1024 bytes");
  EXPECT_EQ(controlErrorIn(rawExchange("\x01\x02\n")), "request is not one line of printable text");
  EXPECT_TRUE(requestControl(path_, "status", seconds(5)).ok());
}

TEST_F(ControlSocketTest, AClientThatSendsNothingIsCutOffAtTheDeadline) {
  ControlSocketLimits limits;
  limits.timeout = milliseconds(100);
  auto server = mustCreate(echo(), limits);
  ASSERT_TRUE(server);
  EXPECT_EQ(controlErrorIn(rawExchange("stat")), "no request line in time");
}

TEST_F(ControlSocketTest, TheClientGivesUpOnADaemonThatDoesNotAnswer) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  auto server = mustCreate([&](const std::string&) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return release; });
    return std::string("{}");
  });
  ASSERT_TRUE(server);
  auto answer = requestControl(path_, "status", milliseconds(100));
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(answer.error().message, "no answer from " + path_ + " within 100 ms");
}

TEST_F(ControlSocketTest, NoDaemonIsNamedAsSuch) {
  auto answer = requestControl(path_, "status", seconds(1));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(answer.error().message,
            "cannot connect to " + path_ + ": no such file (is kube-vip running?)");
}

TEST_F(ControlSocketTest, APeerOfAnotherUserIsRefusedEvenIfTheFileWereOpen) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another user";
  auto server = mustCreate(echo());
  ASSERT_TRUE(server);
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);  // take the first lock away: the second must hold
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls and stack buffers in the child of a threaded process.
    ::close(pipe_fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::_exit(4);
    ssize_t w = ::write(fd, "status\n", 7);
    (void)w;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      if (::write(pipe_fds[1], buffer, static_cast<size_t>(n)) != n) ::_exit(5);
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto error = controlErrorIn(answer);
  ASSERT_TRUE(error.has_value()) << answer;
  EXPECT_THAT(*error, StartsWith("permission denied"));
}

}  // namespace
}  // namespace kubevip::ops
