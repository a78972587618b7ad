# shellcheck shell=bash
# Sourced by the packaging scripts. Reads the version and the image name CMake wrote into the
# release build directory (build/release/package.env), so every artefact is named from CMake's
# project version and nothing else.
kubevip_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

kubevip_load_package_env() {
  local env_file=$kubevip_repo/build/release/package.env
  [ -f "$env_file" ] || { echo "package: $env_file is missing: configure first (cmake --preset release)" >&2; return 1; }
  # shellcheck disable=SC1090
  . "$env_file"
  export KUBEVIP_VERSION KUBEVIP_IMAGE
}

# Debian's name for an architecture, and the GNU triplet of its multiarch directories.
kubevip_triplet() {
  case "$1" in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) echo "package: unknown architecture '$1' (amd64 or arm64)" >&2; return 1 ;;
  esac
}

# Libraries the daemon loads with dlopen() when it first needs them, so they are in no NEEDED entry
# and neither the image's library walk nor dpkg-shlibdeps can see them: libcurl, loaded by the first
# API server client (src/k8s/curl_library.cc), so that the out-of-cluster mode never maps it and its
# libraries; libnftables, loaded by the first kernel load balancer (src/nft/libnftables_library.cc).
# Each soname here, and the Debian package (with the oldest version the code needs) that provides it.
# shellcheck disable=SC2034 # used by the scripts that source this file
kubevip_runtime_sonames=(libcurl.so.4 libnftables.so.1)
# libcurl 7.85: the client sets CURLOPT_PROTOCOLS_STR (new in 7.85), and libcurl ignores an option
# it does not know, so an older one would run without that restriction (the *_BLOB options need
# 7.77). libnftables 1.0.6: Debian 12's, the version the rulesets are tested against (the goldens
# of tests/nft and their kernel test); the JSON they use (DNAT to an address . port map in an inet
# table) is older, but no older libnftables was tested with it.
# shellcheck disable=SC2034
kubevip_runtime_depends="libcurl4 (>= 7.85.0), libnftables1 (>= 1.0.6)"
