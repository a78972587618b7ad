// The in-cluster (`kube-vip manager`) configuration: kube-vip's environment variables and the
// matching flags, turned into a Config that elects with a Lease, or, with
// leader_election_type=etcd, elects the control-plane VIP through etcd (the Services mode keeps
// its Leases).
//
// Names and defaults are the Go kube-vip's (vip_interface, address, port, vip_arp, cp_enable,
// svc_enable, svc_election, vip_leaderelection, vip_leasename, vip_leaseduration, ...), so existing
// static-pod and DaemonSet manifests keep working. Precedence: flags > environment > file (the
// optional base Config). cp_enable and svc_enable may each be on or off, not both off. Refused with
// one clear line: no election at all (vip_leaderelection=false, unless only Services are served
// with svc_election=true, which elects per Service). Pure: the environment comes in through a
// lookup function, so tests need no real one.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "config/loader.h"

namespace kubevip::config {

struct InClusterVariable {
  std::string_view name;           // environment variable, e.g. "vip_leaseduration"
  std::string_view flag;           // `kube-vip manager` flag, e.g. "leaseDuration"
  std::string_view default_value;  // as the Go kube-vip documents it ("" = none)
  std::string_view meaning;
};

// Every variable `manager` reads, in the order of the documentation table.
const std::vector<InClusterVariable>& inClusterVariables();

// Flag values given on the command line, keyed by variable name ("vip_leaseduration" -> "10").
using InClusterFlags = std::map<std::string, std::string, std::less<>>;

// Builds the manager's Config over `base` (defaults or a file). `hostname` is vip_nodename's
// default. Errors are one line naming the variable or flag and what is expected.
Result<Config> inClusterConfig(Config base, const Getenv& getenv, const InClusterFlags& flags,
                               const std::string& hostname);

}  // namespace kubevip::config
