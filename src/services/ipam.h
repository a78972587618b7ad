// Built-in address management for Services of type LoadBalancer: which address a Service gets.
//
// Overview
//   The pools come from the kube-vip-cloud-provider ConfigMap (`kube-system/kubevip`), whose data
//   parseIpamConfig() reads:
//     cidr-global, range-global            the pool of every namespace without one of its own
//     cidr-<namespace>, range-<namespace>  the pool of one namespace
//     allow-share-<namespace>              "true"/"false": may Services of the namespace share one
//                                          address when their ports differ (allow-share-global:
//                                          the default for namespaces without their own key)
//   Values are comma lists of CIDRs or of first-last ranges, IPv4 and IPv6 mixed (address_pool.h
//   says how CIDRs become addresses). Other keys (the cloud provider's `interface-<namespace>` and
//   so on) are not address pools and are left to whoever reads them. A namespace literally named
//   "global" cannot have a pool of its own, as with the cloud provider.
//
//   allocateAddresses() picks, for a Service that has none, one address per IP family it asks for.
//   Pure: the caller lists the addresses other Services already hold (AddressesInUse) and writes
//   the answer itself.
//
// Which pool
//   For each family, the namespace's pool (cidr-<ns> and range-<ns> together) if it has addresses
//   of that family, else the global pool (cidr-global and range-global together). This differs from
//   the kube-vip-cloud-provider, which takes the first key present among cidr-<ns>, cidr-global,
//   range-<ns>, range-global for all families at once: there a cidr-global hides a namespace's
//   range-<ns>, and a namespace with only an IPv4 pool gets no IPv6 address from the global pool.
//   Namespace first, per family, is what the keys' names promise. An exhausted namespace pool is
//   not topped up from the global one: the namespace's keys are its limit.
//
// Which address
//   The lowest free address of the pool (ranges in ascending order). An address is free when no
//   other Service holds it, or when sharing is allowed for the Service's namespace, every Service
//   on the address is in that same namespace, and none of their ports overlaps ours (overlap: the
//   same port number and protocol). A Service without ports overlaps everything, so it neither
//   joins nor admits company (as in the cloud provider). Sharing applies to both families.
//
// Families (spec.ipFamilyPolicy, spec.ipFamilies)
//   SingleStack: the first of ipFamilies; with none given, IPv4 if the pool has IPv4, else IPv6.
//   PreferDualStack: both families if both pools have addresses, else the one that has; if one of
//     two pools is exhausted the Service gets the other alone (as in the cloud provider); error
//     only when nothing can be had.
//   RequireDualStack: both, or an error (a missing or exhausted pool of either family).
//   The answer lists the families in the order of ipFamilies (IPv4 first when none is given).
//
// Concurrency between managers
//   allocateAddresses() is deterministic: the same ConfigMap, Service and addresses in use give the
//   same answer, on every node. Two managers that race on one Service therefore compute the same
//   choice, and the API server settles who writes it: the caller writes
//   `kube-vip.io/loadbalancerIPs` with an update carrying the Service's resourceVersion as it read
//   it; on 409 Conflict it re-reads the Service (it now has an address, or it changed) and the
//   addresses in use, and computes again. resourceVersion guards one object only: two managers
//   allocating for two different Services at the same moment may both see an address free and both
//   writes succeed. The caller must rule that out, e.g. by allocating only while it holds the one
//   services-wide lease, or by re-reading the Services after its write and giving up a clash to a
//   fixed tie-break.
//
// Cost
//   AddressesInUse (addresses_in_use.h) keeps sorted indexes per family. Per range of the pool, the
//   lowest unused address is one lookup in the runs of consecutive used addresses, and, with
//   sharing allowed, the lowest shareable address one lookup per distinct port signature among the
//   namespace's joinable addresses: O(log n) each. Never proportional to the size of the pool (an
//   IPv6 /64 costs what a /24 costs) nor to the number of addresses in use.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "services/address_pool.h"
#include "services/addresses_in_use.h"

namespace kubevip::services {

struct IpamConfig {
  AddressPool global;
  std::map<std::string, AddressPool> namespaces;  // only namespaces with a cidr-/range- key
  std::map<std::string, bool> allow_share;        // allow-share-<namespace>
  bool allow_share_global = false;                // allow-share-global, false when absent

  bool sharingAllowed(const std::string& namespace_name) const;
  // The pool that serves `family` for the namespace: its own if it has addresses of that family,
  // else the global one (possibly empty).
  const AddressPool& poolFor(const std::string& namespace_name, IpFamily family) const;
};

// Reads the ConfigMap's data. Errors name the key and the bad item.
Result<IpamConfig> parseIpamConfig(const std::map<std::string, std::string>& data);

enum class IpFamilyPolicy { kSingleStack, kPreferDualStack, kRequireDualStack };

struct AllocationRequest {
  std::string namespace_name;
  IpFamilyPolicy policy = IpFamilyPolicy::kSingleStack;
  std::vector<IpFamily> families;  // spec.ipFamilies in order; may be empty
  std::vector<ServicePort> ports;
};

// One address per family granted, in the order described above. Errors: kNotFound when no pool
// serves a family that must be served, kConflict when a pool is exhausted (the message names the
// pool's keys and the family).
Result<std::vector<IpAddress>> allocateAddresses(const IpamConfig& config,
                                                 const AllocationRequest& request,
                                                 const AddressesInUse& in_use);

}  // namespace kubevip::services
