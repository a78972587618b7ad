// Groups the handled Services by the addresses they announce, and names each group's election.
//
// kube-vip announces each address from exactly one node. When Services share an address
// (allow-share-<namespace>, or the same address written by hand), they must be announced by the
// same node, so the unit of election is not the Service but a group: the Services and addresses
// connected by "Service S wants address A". A group is usually one Service with its one address
// (or two, dual-stack); Services sharing an address, and every address any of them wants, form
// one group.
//
// Data flow: the Services controller runs shouldHandleService() and wantedAddresses()
// (service_policy.h) on every Service, passes the results here, and runs one election per group
// under the group's lease name; the winner announces all of the group's addresses.
//
// Lease names (coordination.k8s.io Leases), chosen so that the common case is unchanged from the
// Go kube-vip's svc_election:
//   - a group of ONE Service: the Service's kube-vip.io/leaseName annotation when set, otherwise
//     "kubevip-<service name>", in the Service's namespace. This is exactly the Lease the Go
//     kube-vip uses per Service, so nodes running either implementation contend on the same lock.
//   - a group of SEVERAL Services: "kubevip-shared-<lowest address>" in `shared_lease_namespace`
//     (kube-vip's own namespace), the address written with '-' for '.' and ':' (IPv6 in full, eight
//     groups of four hex digits, so the name is a valid DNS label and unique per address). Derived
//     from an address and not from a member, so that it does not depend on which Service was
//     created first or is deleted first; in one fixed namespace, because the members may live in
//     different namespaces.
// A group's name changes when its membership crosses between one and several Services, or when
// its lowest address leaves it. The caller must then stop announcing under the old election before
// it campaigns under the new one: two elections for one address running at once could elect two
// nodes.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace kubevip::services {

struct ServiceRef {
  std::string service_namespace;
  std::string name;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  auto operator<=>(const ServiceRef&) const = default;
  bool operator==(const ServiceRef&) const = default;
};

// One handled Service and what wantedAddresses() said about it.
struct ServiceAddresses {
  ServiceRef service;
  std::vector<IpAddress> addresses;
  std::string lease_name_annotation;  // kube-vip.io/leaseName, empty when not set
};

struct AddressGroup {
  std::vector<IpAddress> addresses;  // IPv4 before IPv6, then by value
  std::vector<ServiceRef> services;  // by namespace, then name
  std::string lease_name;
  std::string lease_namespace;

  bool operator==(const AddressGroup&) const = default;
};

struct GroupingOptions {
  std::string shared_lease_namespace = "kube-system";
};

// IPv4 before IPv6, then byte order: the order used for groups and names.
bool addressLess(const IpAddress& a, const IpAddress& b);

// "10-0-0-1", "fd00-0000-0000-0000-0000-0000-0000-0001".
std::string addressLabel(const IpAddress& address);

// Groups in the order of their lowest address; Services without addresses are left out (they wait
// for one). Deterministic: the same input in any order gives the same output.
std::vector<AddressGroup> groupByAddress(const std::vector<ServiceAddresses>& services,
                                         const GroupingOptions& options);

}  // namespace kubevip::services
