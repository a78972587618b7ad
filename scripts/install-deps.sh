#!/usr/bin/env bash
# Installs every Debian package kube-vip needs to build, test, benchmark and demo, and nothing more.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
# Must run as root (apt-get). The README says why each package is here.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make clang-format clang-tidy
  # libraries linked into the daemon
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libmnl-dev libuv1-dev libraft-dev
  nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libhttp-parser-dev
  # libnftables' header (the daemon loads the library with dlopen(): src/nft/libnftables_library.h)
  libnftables-dev
  # unit tests
  libgtest-dev libgmock-dev
  # end-to-end tests, demo and benchmarks: namespaces, captures, peers and yardsticks
  iproute2 nftables tcpdump tshark iputils-arping ndisc6 procps psmisc python3 openssl curl
  keepalived haproxy nginx-light wrk prometheus
  # the etcd cluster the etcd elector's end-to-end tests and figures elect through (etcd, etcdctl)
  etcd-server etcd-client
  # BGP peers of the end-to-end tests and benchmarks (each started by the tests in a namespace)
  bird2 frr gobgpd
  # the BGP decoder's fuzzer (make fuzz): clang and its libFuzzer runtime (libclang_rt.fuzzer),
  # which --no-install-recommends would leave out
  clang libclang-rt-14-dev
  # edge packaging (make package, make test-arm64): the arm64 cross toolchain, the daemon's and the
  # unit tests' libraries from Debian's arm64 multiarch packages, and user-mode emulation to run
  # arm64 programs here (the static build also runs inside an arm64 root filesystem, in a chroot)
  crossbuild-essential-arm64 qemu-user-static
  libspdlog-dev:arm64 libfmt-dev:arm64 libmnl-dev:arm64 libuv1-dev:arm64 libraft-dev:arm64
  libcurl4-openssl-dev:arm64 libssl-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
  # (the yaml-cpp and http-parser -dev packages cannot be co-installed for two architectures: the
  # cross build uses the native headers and these arm64 libraries; cmake/MultiarchRuntimeOnly.cmake)
  libyaml-cpp0.7:arm64 libhttp-parser2.9:arm64
  # loaded with dlopen() (no -dev package needed): the arm64 image and .deb carry and name it
  libnftables1:arm64
  # the container image's test: skopeo and umoci read it, containerd imports it as a node would
  skopeo umoci containerd
  # the .deb (dpkg-shlibdeps) and its test: lintian, a fresh Debian root to install it in, booted
  dpkg-dev lintian debootstrap systemd-container
)
# kubectl, the real client the in-cluster tests check the test API server against. Debian 12
# packages it (1.20) as kubernetes-client; a kubectl already on the PATH (a newer one) is kept,
# since both install /usr/bin/kubectl.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The arm64 libraries come from the same mirror as multiarch packages.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packaged services must not run on their own: the tests start their own instances.
for svc in nginx haproxy keepalived prometheus bird frr gobgpd containerd etcd; do
  systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
done
