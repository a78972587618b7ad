#!/usr/bin/env bash
# Usage: tests/package/test_image.sh ARCH TAR      (ARCH: amd64 or arm64)
#
# Checks the OCI image archive scripts/package/image.sh built for ARCH, as the tools that consume it
# read it: skopeo copies it out of the archive by its tag, umoci unpacks its root filesystem. Then:
#   - the archive's names: ref.name v<version> and io.containerd.image.name (what `ctr images
#     import` names it: the manifest command's default image);
#   - the config: architecture, ENTRYPOINT ["/kube-vip"], the org.opencontainers.image labels;
#   - the root filesystem: /kube-vip, the loader and shared libraries only (no shell, no other
#     program, no symlink), each library needed by the binary or another library in it;
#   - `kube-vip version`, `sample config` and `check -c` run in a chroot of that root filesystem (an
#     arm64 image through qemu-aarch64-static copied into it), so a library missing from the image
#     fails the test. The configuration path loads yaml-cpp and every library the daemon links.
# When podman or containerd are installed, the image is also loaded and run by them (see below).
# Needs root (chroot). Everything lives in one temporary directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/package/lib.sh
. "$here/../../scripts/package/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 ARCH TAR   (ARCH: amd64 or arm64)" >&2; exit 2; }
arch=$1 archive=$(readlink -f "$2")
triplet=$(kubevip_triplet "$arch")
[ -f "$archive" ] || { echo "test_image: $2 does not exist" >&2; exit 1; }
kubevip_load_package_env
tag=v$KUBEVIP_VERSION

work=$(mktemp -d /tmp/test_image.XXXXXX)
cleanup() {
  # Whatever the optional runtimes below left running or mounted goes first.
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$work"
}
cleanup_hooks=()
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect WHAT ACTUAL EXPECTED
expect() {
  if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1 is '$2', expected '$3'"; fi
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- names in index.json ---------------------------------------------------------------------
index=$(tar -xOf "$archive" index.json) || { echo "FAIL: $archive has no index.json" >&2; exit 1; }
expect "number of images in the archive" "$(json 'len(d["manifests"])' <<<"$index")" 1
expect "index.json ref.name" \
  "$(json 'd["manifests"][0]["annotations"].get("org.opencontainers.image.ref.name","")' <<<"$index")" "$tag"
expect "index.json io.containerd.image.name" \
  "$(json 'd["manifests"][0]["annotations"].get("io.containerd.image.name","")' <<<"$index")" "$KUBEVIP_IMAGE"

# --- the image as skopeo reads it ------------------------------------------------------------
skopeo copy -q "oci-archive:$archive:$tag" "oci:$work/layout:$tag" ||
  { echo "FAIL: skopeo cannot copy $archive:$tag" >&2; exit 1; }
config=$(skopeo inspect --config "oci:$work/layout:$tag")
expect "os" "$(json 'd["os"]' <<<"$config")" linux
expect "architecture" "$(json 'd["architecture"]' <<<"$config")" "$arch"
expect "entrypoint" "$(json 'd["config"].get("Entrypoint")' <<<"$config")" "['/kube-vip']"
expect "cmd" "$(json 'd["config"].get("Cmd")' <<<"$config")" None
label() { json "d['config'].get('Labels',{}).get('org.opencontainers.image.$1','')" <<<"$config"; }
expect "label version" "$(label version)" "$KUBEVIP_VERSION"
expect "label title" "$(label title)" kube-vip
for name in source description revision; do
  if [ -n "$(label "$name")" ]; then pass "label $name is set"; else fail "label $name is missing"; fi
done

# --- the root filesystem ---------------------------------------------------------------------
umoci unpack --image "$work/layout:$tag" "$work/bundle" >/dev/null ||
  { echo "FAIL: umoci cannot unpack the image" >&2; exit 1; }
rootfs=$work/bundle/rootfs
[ -x "$rootfs/kube-vip" ] || { echo "FAIL: /kube-vip is not in the image" >&2; exit 1; }
interpreter=$(readelf -l "$rootfs/kube-vip" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
[ ! -e "$rootfs/bin/sh" ] && pass "no /bin/sh" || fail "the image has /bin/sh"
symlinks=$(cd "$rootfs" && find . -type l | sed 's/^\.//')
[ -z "$symlinks" ] && pass "no symlinks" || fail "symlinks in the image: $symlinks"
needed=$(cd "$rootfs" && find . -type f -exec readelf -d {} + 2>/dev/null |
  sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p' | sort -u)
libraries=0
while read -r path; do
  case "$path" in
    /kube-vip | "$interpreter") continue ;;
    /lib/$triplet/lib*.so* | /usr/lib/$triplet/lib*.so*) ;;
    *) fail "$path is neither /kube-vip nor a shared library in the $triplet directories"; continue ;;
  esac
  if grep -qxF "$(basename "$path")" <<<"$needed"; then
    libraries=$((libraries + 1))
  else
    fail "$path is not needed by /kube-vip nor by any library in the image"
  fi
done < <(cd "$rootfs" && find . -not -type d | sed 's/^\.//' | sort)
pass "$libraries shared libraries, each needed"
[ -f "$rootfs$interpreter" ] && pass "loader $interpreter" || fail "the loader $interpreter is missing"

# --- run it in a chroot of the root filesystem -----------------------------------------------
# An arm64 image runs through user-mode emulation; the emulator is static, so it needs nothing
# from the image, and it is copied in only for this (the image itself has no program but kube-vip).
in_chroot=(chroot "$rootfs")
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
  emulator=/usr/bin/qemu-aarch64-static
  [ -x "$emulator" ] || { echo "FAIL: $emulator is needed to run the $arch image here" >&2; exit 1; }
  cp "$emulator" "$rootfs/qemu-emulator"
  in_chroot+=(/qemu-emulator)
fi
if version=$("${in_chroot[@]}" /kube-vip version 2>&1); then
  expect "kube-vip version (in the image's root filesystem)" "$version" "kube-vip $KUBEVIP_VERSION"
else
  fail "kube-vip version does not run in the image's root filesystem: $version"
fi
# A configuration with a Raft cluster and a load balancer, made and checked by the image's binary.
if out=$("${in_chroot[@]}" /kube-vip sample config --interface lo --vip 127.0.0.10 2>&1 \
  >"$rootfs/check.yaml") && out=$("${in_chroot[@]}" /kube-vip check -c /check.yaml 2>&1); then
  pass "kube-vip sample config | check -c: $out"
else
  fail "kube-vip sample config / check -c fails in the image's root filesystem: ${out:-}"
fi

if [ "$failures" -ne 0 ]; then
  echo "test_image: $failures check(s) failed for $archive" >&2
  exit 1
fi
echo "test_image: $archive ($arch) passed"
