// enableForwarding() over the sysctl files in /proc/sys, which show and change the settings of the
// calling thread's network namespace.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/unique_fd.h"
#include "nft/nftables.h"

namespace kubevip::nft {
namespace {

// net.ipv6.conf.all.forwarding turns forwarding on for every interface (and for interfaces
// created later through conf.default), as net.ipv4.ip_forward does for IPv4.
const char* forwardingFile(IpFamily family) {
  return family == IpFamily::kV4 ? "/proc/sys/net/ipv4/ip_forward"
                                 : "/proc/sys/net/ipv6/conf/all/forwarding";
}

}  // namespace

Result<bool> enableForwarding(IpFamily family) {
  const std::string path = forwardingFile(family);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return systemError("cannot open " + path, errno);
  char current = 0;
  const ssize_t got = ::read(fd.get(), &current, 1);
  if (got < 0) return systemError("cannot read " + path, errno);
  if (got == 1 && current == '1') return false;
  // A sysctl file takes the whole value in one write from its start.
  if (::pwrite(fd.get(), "1\n", 2, 0) != 2) return systemError("cannot write 1 to " + path, errno);
  return true;
}

}  // namespace kubevip::nft
