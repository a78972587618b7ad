#!/usr/bin/env bash
# make test-package: every check of what `make package` put in dist/: the binaries, the images and
# the Debian packages, each arch. Runs them all and fails at the end if any failed, naming which.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/package/lib.sh
. "$here/../../scripts/package/lib.sh"
kubevip_load_package_env || exit 1
dist=$kubevip_repo/dist
failed=()
run() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  if "$@"; then echo "== $name: passed ($((SECONDS - start)) s)"
  else echo "== $name: FAILED ($((SECONDS - start)) s)"; failed+=("$name"); fi
}
run binaries bash "$here/test_binaries.sh" "$dist"
for arch in amd64 arm64; do
  run "image-$arch" bash "$here/test_image.sh" "$arch" "$dist/kube-vip-image-$arch.tar"
  run "deb-$arch" bash "$here/test_deb.sh" "$arch" "$dist/kube-vip_${KUBEVIP_VERSION}_$arch.deb"
done
[ ${#failed[@]} -eq 0 ] || { echo "test-package: failed: ${failed[*]}" >&2; exit 1; }
echo "test-package: all passed"
