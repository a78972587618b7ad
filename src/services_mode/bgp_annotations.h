// A Service's own BGP attributes, from its annotations, over the configured ones (bgp.communities,
// bgp.largeCommunities, bgp.localPref, bgp.med):
//   kube-vip.io/bgp-communities        "65000:100,65000:200"  replaces the communities (RFC 1997)
//   kube-vip.io/bgp-large-communities  "1:2:3,4:5:6"          replaces the large ones (RFC 8092)
//   kube-vip.io/bgp-local-pref         0-4294967295           replaces LOCAL_PREF
//   kube-vip.io/bgp-med                0-4294967295           replaces MED
// A value that does not parse is left out (the configured attribute stays) with a warning that
// names the Service and the annotation: the address is still announced. The group's first
// Service's annotations apply to its address; a change reaches a held address at the next
// reconcile and is announced again at once (vip::RoutedVip::setPolicy). Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bgp/speaker.h"

namespace kubevip::services_mode {

inline constexpr std::string_view kBgpCommunitiesAnnotation = "kube-vip.io/bgp-communities";
inline constexpr std::string_view kBgpLargeCommunitiesAnnotation =
    "kube-vip.io/bgp-large-communities";
inline constexpr std::string_view kBgpLocalPrefAnnotation = "kube-vip.io/bgp-local-pref";
inline constexpr std::string_view kBgpMedAnnotation = "kube-vip.io/bgp-med";

struct ServiceRoutePolicy {
  bgp::RoutePolicy policy;
  std::vector<std::string> warnings;  // one line each
};

// `service` is "namespace/name", for the warnings.
ServiceRoutePolicy serviceRoutePolicy(const bgp::RoutePolicy& configured,
                                      const std::map<std::string, std::string>& annotations,
                                      const std::string& service);

}  // namespace kubevip::services_mode
