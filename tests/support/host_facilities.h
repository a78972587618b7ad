#pragma once
// Probes for kernel facilities some tests exercise through the daemon's code. Each probe asks the
// kernel directly, with valid arguments and without any of the code under test, so a missing
// facility is told apart from a bug: such a test is skipped, with the reason, where the facility is
// absent. That happens under user-mode emulation (qemu-aarch64 runs the arm64 unit tests and does
// not forward these calls) and on kernels built without them; natively on this project's test
// machines every probe succeeds and every test runs.
#include <linux/aio_abi.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace kubevip::test {

// Linux native AIO (io_setup), which libraft probes at start: without it no Raft node starts.
inline bool hostHasLinuxAio() {
  aio_context_t context = 0;
  if (::syscall(SYS_io_setup, 1, &context) != 0) return false;
  ::syscall(SYS_io_destroy, context);
  return true;
}

// TCP MD5 signatures (RFC 2385) set with setsockopt(TCP_MD5SIG).
inline bool hostHasTcpMd5() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  tcp_md5sig key{};
  auto* peer = reinterpret_cast<sockaddr_in*>(&key.tcpm_addr);
  peer->sin_family = AF_INET;
  peer->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  key.tcpm_keylen = 3;
  std::memcpy(key.tcpm_key, "key", 3);
  bool accepted = ::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &key, sizeof(key)) == 0;
  ::close(fd);
  return accepted;
}

// Reading back a socket's interface binding with getsockopt(SO_BINDTODEVICE).
inline bool hostReportsSocketDevice() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const char loopback[] = "lo";
  char device[IFNAMSIZ] = {};
  socklen_t length = sizeof(device);
  bool answered = ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, loopback, sizeof(loopback)) == 0 &&
                  ::getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, &length) == 0;
  ::close(fd);
  return answered;
}

}  // namespace kubevip::test
