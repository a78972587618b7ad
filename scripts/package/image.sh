#!/usr/bin/env bash
# Usage: scripts/package/image.sh ARCH BINARY OUTPUT_TAR      (ARCH: amd64 or arm64)
#
# Builds the container image of kube-vip for ARCH as an OCI image archive, without a container
# engine: `skopeo copy oci-archive:...`, `podman load -i` and `ctr -n k8s.io images import` read it.
#
# The root filesystem is /kube-vip (BINARY) and exactly the shared libraries it loads: the ELF
# NEEDED entries and the libraries it loads later with dlopen() (lib.sh), followed recursively, looked up where the loader looks by default (without
# /etc/ld.so.cache: /lib/<triplet>, then /usr/lib/<triplet>, in the arch's Debian multiarch
# directories on this host), each stored under that path as a regular file named by its soname,
# plus the loader at the path PT_INTERP names. Nothing else: no shell, no package manager.
# Files that are deliberately NOT in the image, and why it still works:
#   - /etc/nsswitch.conf and NSS modules: glibc >= 2.34 (Debian 12 has 2.36) has the files and dns
#     services built into libc.so.6, and without nsswitch.conf it looks names up in /etc/hosts
#     first, then in DNS (tried in a chroot of the image against an NXDOMAIN-only DNS server: a
#     name from /etc/hosts resolves), so the pod's hostAliases work with no file and no dlopen.
#   - /etc/hosts, /etc/resolv.conf, /etc/hostname: the container runtime bind-mounts them (kubelet
#     writes them; for hostNetwork pods from the node's own).
#   - /etc/ld.so.cache: without it the loader searches the multiarch directories above.
#   - CA certificates: the API server's CA comes from the kubeconfig or the service account mount.
#     (A kubeconfig without certificate-authority would need the system bundle, which libcurl looks
#     for in /etc/ssl/certs; the image does not carry it.)
#   - /etc/localtime: without it log timestamps are UTC, as in most containers.
#   - locales, /etc/gnutls/config: looked for and not needed (the C locale; GnuTLS's defaults).
# The daemon started from a chroot of the image (single node, a VIP on lo, /metrics served) opened
# no other file and loaded no library by dlopen; `manager` from that chroot passed the in-cluster
# failover test (TLS to the API server, Lease election, ARP).
# Labels: version and the image name come from build/release/package.env (CMake), the revision and
# the creation time from the git commit (SOURCE_DATE_EPOCH overrides the time), so that two builds
# of one commit are identical byte for byte.
set -euo pipefail
export LC_ALL=C  # readelf's output is parsed below

# Where the project's source lives (org.opencontainers.image.source) when the repository has no
# remote named origin. Change it here.
kubevip_default_source="https://github.com/kube-vip/kube-vip-cpp"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/package/lib.sh
. "$here/lib.sh"

usage() {
  echo "usage: $0 ARCH BINARY OUTPUT_TAR   (ARCH: amd64 or arm64)" >&2
  exit 2
}
[ $# -eq 3 ] || usage
arch=$1 binary=$2 output=$3
triplet=$(kubevip_triplet "$arch")
[ -f "$binary" ] || { echo "image: binary $binary does not exist" >&2; exit 1; }
kubevip_load_package_env

# The ELF machine must match ARCH: an amd64 binary in an arm64 image would only fail on the node.
case "$arch" in
  amd64) machine="Advanced Micro Devices X86-64" variant="" ;;
  arm64) machine="AArch64" variant="v8" ;;
esac
actual_machine=$(readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
[ "$actual_machine" = "$machine" ] ||
  { echo "image: $binary is for '$actual_machine', not $arch ($machine)" >&2; exit 1; }

needed_of() { readelf -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'; }
interpreter=$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interpreter" ] || { echo "image: $binary has no PT_INTERP (not dynamically linked?)" >&2; exit 1; }
[ -e "$interpreter" ] ||
  { echo "image: the loader $interpreter of $binary is not installed here (the $arch libc6 package)" >&2; exit 1; }
interpreter_soname=$(basename "$interpreter")

declare -A image_path=()   # soname -> path in the image
declare -A source_path=()  # soname -> file on this host
queue=("$binary")
while [ ${#queue[@]} -gt 0 ]; do
  elf=${queue[0]}
  queue=("${queue[@]:1}")
  loaded_later=()
  [ "$elf" = "$binary" ] && loaded_later=("${kubevip_runtime_sonames[@]}")
  for soname in $(needed_of "$elf") "${loaded_later[@]}"; do
    # libc names the loader as NEEDED; the loader already mapped is that library.
    [ "$soname" = "$interpreter_soname" ] && continue
    [ -n "${image_path[$soname]:-}" ] && continue
    found=""
    for dir in "/lib/$triplet" "/usr/lib/$triplet"; do
      if [ -e "$dir/$soname" ]; then found=$dir/$soname; break; fi
    done
    [ -n "$found" ] || {
      echo "image: $soname (needed by $elf) is not in /lib/$triplet or /usr/lib/$triplet: install its $arch package" >&2
      exit 1
    }
    image_path[$soname]=$found
    source_path[$soname]=$(readlink -f "$found")
    queue+=("${source_path[$soname]}")
  done
done

files=(--file "/kube-vip=$binary" --file "$interpreter=$(readlink -f "$interpreter")")
for soname in "${!image_path[@]}"; do
  files+=(--file "${image_path[$soname]}=${source_path[$soname]}")
done

# The remote as a web address (git@host:path and ssh://git@host/path become https://host/path); a
# remote that is a local path (a clone of a clone) says nothing about the source, so the default.
source_url_of() {
  local url=$1
  case "$url" in
    https://*) ;;
    git@*:*) url=${url#git@}; url=https://${url/://} ;;
    ssh://git@*) url=https://${url#ssh://git@} ;;
    *) echo "$kubevip_default_source"; return ;;
  esac
  echo "${url%.git}"
}

repo=$kubevip_repo
if revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null); then
  commit_time=$(git -C "$repo" log -1 --format=%ct)
  source_url=$(source_url_of "$(git -C "$repo" remote get-url origin 2>/dev/null)")
else
  revision=unknown commit_time="" source_url=$kubevip_default_source
fi
created=${SOURCE_DATE_EPOCH:-$commit_time}
[ -n "$created" ] ||
  { echo "image: $repo is not a git checkout: set SOURCE_DATE_EPOCH (the image's creation time)" >&2; exit 1; }

description="Highly available virtual IP and load balancer for Kubernetes control planes and \
Services (C++)"
mkdir -p "$(dirname "$output")"
python3 "$here/oci_archive.py" --output "$output" --architecture "$arch" --variant "$variant" \
  --created "$created" --entrypoint /kube-vip "${files[@]}" \
  --label "org.opencontainers.image.title=kube-vip" \
  --label "org.opencontainers.image.description=$description" \
  --label "org.opencontainers.image.version=$KUBEVIP_VERSION" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.source=$source_url" \
  --index-annotation "org.opencontainers.image.ref.name=v$KUBEVIP_VERSION" \
  --index-annotation "io.containerd.image.name=$KUBEVIP_IMAGE"
echo "image: $output ($arch, ${#image_path[@]} libraries, $(du -k "$output" | cut -f1) KiB)"
