#!/usr/bin/env bash
# make package: everything a user installs, in dist/, named with the version from CMake:
#   kube-vip-linux-amd64, kube-vip-linux-arm64     the daemon, stripped (dynamically linked against
#                                                  Debian 12's libraries; the .deb names them)
#   kube-vip-image-amd64.tar, kube-vip-image-arm64.tar   OCI image archives (scripts/package/image.sh)
#   kube-vip_<version>_amd64.deb, _arm64.deb       Debian packages with the systemd unit (deb.sh)
# The amd64 binary is the release build's (make build ran first: nothing is compiled twice); the
# arm64 one comes from the cross build in build/arm64, the tree `make test-arm64` builds its unit
# tests in, so the libraries are compiled for arm64 once. `make test-package` checks all of it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/package/lib.sh
. "$here/lib.sh"
cd "$kubevip_repo"
kubevip_load_package_env
jobs=${JOBS:-$(nproc)}

say() { printf 'package: %s\n' "$*"; }

say "cross build for arm64 (build/arm64)"
cmake --preset arm64 >/dev/null
cmake --build --preset arm64 -j "$jobs" --target kube-vip

rm -rf dist
mkdir -p dist
strip -o dist/kube-vip-linux-amd64 build/release/bin/kube-vip
aarch64-linux-gnu-strip -o dist/kube-vip-linux-arm64 build/arm64/bin/kube-vip

for arch in amd64 arm64; do
  say "image for $arch"
  bash "$here/image.sh" "$arch" "dist/kube-vip-linux-$arch" "dist/kube-vip-image-$arch.tar"
  say "Debian package for $arch"
  bash "$here/deb.sh" "$arch" "dist/kube-vip-linux-$arch" "dist/kube-vip_${KUBEVIP_VERSION}_$arch.deb"
done
say "dist/ (version $KUBEVIP_VERSION):"
find dist -maxdepth 1 -type f -printf '%10s  %f\n' | sort -k2
