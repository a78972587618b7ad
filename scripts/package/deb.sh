#!/usr/bin/env bash
# deb.sh ARCH BINARY OUTPUT_DEB: the Debian package kube-vip_<version>_<arch>.deb of one stripped
# binary, with the files of packaging/debian: the systemd unit, the maintainer scripts, copyright,
# README.Debian, a manual page, and a sample configuration that the binary itself writes and then accepts.
#
# Depends come from dpkg-shlibdeps run for ARCH (DEB_HOST_ARCH), which finds the arm64 libraries
# through the multiarch packages installed on this machine. Files are owned by root
# (--root-owner-group) and dated from the last commit, so two builds of one commit are identical.
# An arm64 binary is run under qemu-aarch64-static to write the sample.
set -euo pipefail

die() { echo "deb.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: deb.sh ARCH BINARY OUTPUT_DEB (ARCH: amd64 or arm64)"
arch=$1 binary=$2 output=$3

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/package/lib.sh
. "$here/lib.sh"
kubevip_triplet "$arch" >/dev/null || exit 1
[ -f "$binary" ] || die "binary $binary does not exist"
case "$arch" in amd64) machine='X86-64' ;; arm64) machine='AArch64' ;; esac
found=$(readelf -h "$binary" 2>/dev/null | sed -n 's/^ *Machine: *//p' || true)
[[ $found == *"$machine"* ]] ||
  die "$binary is not an $arch program (its machine: ${found:-none, not an ELF file})"
kubevip_load_package_env
files=$kubevip_repo/packaging/debian
maintainer=${DEB_MAINTAINER:-kube-vip maintainers <maintainers@kube-vip.io>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$kubevip_repo" log -1 --format=%ct)}

# run BINARY ARGS...: the binary for $arch, under emulation when this machine is another arch.
run() {
  if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    "$binary" "$@"
  elif [ "$arch" = arm64 ]; then
    command -v qemu-aarch64-static >/dev/null || die "qemu-aarch64-static is needed to run the arm64 binary (package qemu-user-static)"
    qemu-aarch64-static "$binary" "$@"
  else
    die "cannot run a $arch binary on $(dpkg --print-architecture)"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a source tree: debian/control, and the package's files in debian/kube-vip.
mkdir -p "$work/debian"
printf 'Source: kube-vip\n\nPackage: kube-vip\nArchitecture: any\n' >"$work/debian/control"
root=$work/debian/kube-vip
doc=$root/usr/share/doc/kube-vip

install -D -m 0755 "$binary" "$root/usr/sbin/kube-vip"
install -D -m 0644 "$files/kube-vip.service" "$root/lib/systemd/system/kube-vip.service"
install -D -m 0644 "$files/copyright" "$doc/copyright"
install -D -m 0644 "$files/README.Debian" "$doc/README.Debian"
# The version has no Debian revision (it is CMake's), so this is a native package and its changelog
# is changelog.gz (Debian policy 12.7), not changelog.Debian.gz.
install -d "$root/usr/share/man/man8"
gzip -9n <"$files/kube-vip.8" >"$root/usr/share/man/man8/kube-vip.8.gz"
chmod 0644 "$root/usr/share/man/man8/kube-vip.8.gz"
changelog_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
sed -e "s/@VERSION@/$KUBEVIP_VERSION/g" -e "s|@MAINTAINER@|$maintainer|g" \
  -e "s/@DATE@/$changelog_date/g" "$files/changelog" | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

mkdir -p "$doc/examples"
{
  echo "# Sample configuration of kube-vip $KUBEVIP_VERSION. Copy it to /etc/kube-vip/config.yaml"
  echo "# (owner root, group kube-vip, mode 0640), edit it, then: systemctl enable --now kube-vip"
  run sample config
} >"$doc/examples/config.yaml" || die "the binary could not write its sample configuration"
chmod 0644 "$doc/examples/config.yaml"
run check -c "$doc/examples/config.yaml" >/dev/null ||
  die "the binary rejects its own sample configuration $doc/examples/config.yaml"

# dpkg-shlibdeps finds the package root by its DEBIAN directory.
mkdir -p "$root/DEBIAN"
depends=$(cd "$work" && DEB_HOST_ARCH=$arch dpkg-shlibdeps -O -e"debian/kube-vip/usr/sbin/kube-vip" |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for $binary"
# And the libraries it loads later with dlopen(), which no NEEDED entry names (lib.sh).
depends="$depends, $kubevip_runtime_depends"

for script in postinst prerm postrm; do
  install -m 0755 "$files/$script" "$root/DEBIAN/$script"
done
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$KUBEVIP_VERSION/" -e "s/@ARCH@/$arch/" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@SHLIBS_DEPENDS@/$depends/" \
  "$files/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$(dirname "$output")"
dpkg-deb --root-owner-group -Zxz --build "$root" "$output" >/dev/null
echo "deb.sh: $output ($(du -h "$output" | cut -f1))"
