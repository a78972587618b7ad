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
export LC_ALL=C  # readelf's output is parsed below

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/package/lib.sh
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

# --- the image as skopeo reads it (by its tag) -----------------------------------------------
# (skopeo inspect, not skopeo copy: copy would write a cache under /var/lib/containers)
config=$(skopeo inspect --config "oci-archive:$archive:$tag") ||
  { echo "FAIL: skopeo cannot read $archive:$tag" >&2; exit 1; }
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
# The archive is a tar of an image layout, which umoci unpacks by the same tag.
mkdir "$work/layout" && tar -xf "$archive" -C "$work/layout"
umoci unpack --image "$work/layout:$tag" "$work/bundle" >/dev/null ||
  { echo "FAIL: umoci cannot unpack the image" >&2; exit 1; }
rootfs=$work/bundle/rootfs
[ -x "$rootfs/kube-vip" ] || { echo "FAIL: /kube-vip is not in the image" >&2; exit 1; }
interpreter=$(readelf -l "$rootfs/kube-vip" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
if [ -e "$rootfs/bin/sh" ]; then fail "the image has /bin/sh"; else pass "no /bin/sh"; fi
symlinks=$(cd "$rootfs" && find . -type l | sed 's/^\.//')
if [ -n "$symlinks" ]; then fail "symlinks in the image: $symlinks"; else pass "no symlinks"; fi
needed=$( (cd "$rootfs" && find . -type f -exec readelf -d {} + 2>/dev/null |
  sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'
  printf '%s\n' "${kubevip_runtime_sonames[@]}") | sort -u)
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
if [ -f "$rootfs$interpreter" ]; then pass "loader $interpreter"; else fail "the loader $interpreter is missing"; fi

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
# What the daemon loads later with dlopen() (libcurl, for the API server client) must load there
# too, with all it needs: the image's own loader lists it from inside the root filesystem.
for soname in "${kubevip_runtime_sonames[@]}"; do
  path=/usr/lib/$triplet/$soname
  [ -e "$rootfs$path" ] || path=/lib/$triplet/$soname
  if out=$("${in_chroot[@]}" "$interpreter" --list "$path" 2>&1) && ! grep -q "not found" <<<"$out"; then
    pass "$soname (loaded at run time) and its $(grep -c '=>' <<<"$out") libraries load in the image"
  else
    fail "$soname (loaded at run time) does not load in the image: $out"
  fi
done
# A configuration with a Raft cluster and a load balancer, made and checked by the image's binary.
if out=$("${in_chroot[@]}" /kube-vip sample config --interface lo --vip 127.0.0.10 2>&1 \
  >"$rootfs/check.yaml") && out=$("${in_chroot[@]}" /kube-vip check -c /check.yaml 2>&1); then
  pass "kube-vip sample config | check -c: $out"
else
  fail "kube-vip sample config / check -c fails in the image's root filesystem: ${out:-}"
fi

# --- containerd: the way a node without a registry loads it ---------------------------------
# A private containerd (its own root, state, socket and opt directory in $work; no CRI plugin),
# then `ctr -n k8s.io images import` as the README documents it, with the platform of the image
# (ctr imports only the host's platform otherwise) and the native snapshotter (a plain copy: works
# where overlayfs cannot be stacked). The image must be listed under the manifest's default name.
# Not `ctr run`: containerd 1.6 puts shim sockets under /run/containerd whatever --state says.
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
  fail "containerd and ctr are needed (Debian package containerd; scripts/install-deps.sh)"
else
  mkdir -p "$work/containerd"
  cat >"$work/containerd/config.toml" <<TOML
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
TOML
  containerd --config "$work/containerd/config.toml" >"$work/containerd/log" 2>&1 &
  containerd_pid=$!
  cleanup_hooks+=("kill $containerd_pid 2>/dev/null; wait $containerd_pid 2>/dev/null")
  ctr=(ctr --address "$work/containerd/containerd.sock" -n k8s.io)
  for _ in $(seq 100); do
    "${ctr[@]}" version >/dev/null 2>&1 && break
    kill -0 "$containerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! "${ctr[@]}" version >/dev/null 2>&1; then
    fail "the private containerd did not start: $(tail -n 5 "$work/containerd/log")"
  elif ! out=$("${ctr[@]}" images import --snapshotter native --platform "linux/$arch" "$archive" 2>&1); then
    fail "ctr images import: $out"
  else
    listed=$("${ctr[@]}" images ls | awk -v name="$KUBEVIP_IMAGE" '$1 == name {print $1, $6}')
    expect "ctr images ls (name, platform)" "$listed" "$KUBEVIP_IMAGE linux/$arch"
  fi
fi

# --- podman, when it is installed: the image runs in a container ------------------------------
# Its own storage (vfs: no mounts), run and tmp directories in $work, no network. podman's limits
# for root (1048576 files, 4194304 processes) need CAP_SYS_RESOURCE, which a CI container may lack,
# so the container gets ordinary ones. runc when it is there (containerd brings it): crun refuses
# hosts with cgroup v1 and v2 mounted side by side. Only an image of this host's architecture runs
# (there is no binfmt emulation).
if command -v podman >/dev/null; then
  podman=(podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp"
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend none)
  if command -v runc >/dev/null; then podman+=(--runtime "$(command -v runc)"); fi
  # podman 4.3 keeps a blob cache in /var/lib/containers/cache whatever --root says; a directory
  # that this test brought into being goes again (on a host that has it, it stays a cache).
  [ -e /var/lib/containers ] || cleanup_hooks+=("rm -rf /var/lib/containers")
  if ! out=$("${podman[@]}" load -q -i "$archive" 2>&1); then
    fail "podman load: $out"
  elif ! "${podman[@]}" image exists "$KUBEVIP_IMAGE"; then
    fail "podman load did not name the image $KUBEVIP_IMAGE: $out"
  elif [ "$arch" = "$(dpkg --print-architecture)" ]; then
    out=$("${podman[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
      "$KUBEVIP_IMAGE" version 2>&1) || true
    expect "podman run $KUBEVIP_IMAGE version" "$out" "kube-vip $KUBEVIP_VERSION"
  else
    pass "podman load named it $KUBEVIP_IMAGE (an image for $arch does not run here)"
  fi
else
  echo "skip: podman is not installed (the image is not run in a container)"
fi

if [ "$failures" -ne 0 ]; then
  echo "test_image: $failures check(s) failed for $archive" >&2
  exit 1
fi
echo "test_image: $archive ($arch) passed"
