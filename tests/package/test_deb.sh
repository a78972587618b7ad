#!/usr/bin/env bash
# shellcheck disable=SC2016 # the commands in single quotes are run in the fresh root
# test_deb.sh ARCH DEB: checks a kube-vip .deb made by scripts/package/deb.sh.
#   lintian        no error (E:) tags; warnings are printed
#   contents       the files, their owners and modes, the control fields, the unit's key lines
#   depends        every library the binary needs (ELF NEEDED) comes from a package in Depends; the
#                  Depends of the other architecture's .deb next to this one name the same packages
#   fresh root     (amd64) apt installs the .deb on a fresh Debian 12 root (debootstrap minbase),
#                  so the Depends resolve from the mirror; the user, the directories, the enabled
#                  unit; `systemd-analyze verify` of the unit; `kube-vip version` and `kube-vip
#                  check` of the sample; purge removes it all
# Needs root for the fresh root. The root is built from this machine's apt mirror, in
# $TEST_DEB_DIR (default /var/tmp/kube-vip-test-deb, downloaded packages are kept there for the next
# run) and removed at the end, even on failure. Each part's duration is printed.
set -euo pipefail

say() { printf '%s test_deb: %s\n' "$(date +%T)" "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: test_deb.sh ARCH DEB (ARCH: amd64 or arm64)"
arch=$1 deb=$(realpath -e "$2" 2>/dev/null) || fail "no such package: $2"
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/debian-root.sh
. "$repo/scripts/lib/debian-root.sh"
# shellcheck source=scripts/package/lib.sh
. "$repo/scripts/package/lib.sh"
triplet=$(kubevip_triplet "$arch")

work=${TEST_DEB_DIR:-/var/tmp/kube-vip-test-deb}
root=$work/root
unpacked=$(mktemp -d)
cleanup() {
  rm -rf "$unpacked"
  if [ -d "$root" ]; then
    debian_root_kill_processes "$root"
    rm -rf "$root"
  fi
}
trap cleanup EXIT

timings=()
part() {  # part NAME FUNCTION: runs FUNCTION, timed
  local name=$1 start=$SECONDS
  say "$name"
  "$2"
  timings+=("$(printf '%-11s %4d s' "$name" $((SECONDS - start)))")
}

field() { dpkg-deb -f "$deb" "$1"; }
# The package names of a Depends line, without versions or alternatives' order.
depends_names() { tr ',|' '\n' | sed -e 's/(.*)//' -e 's/:.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u; }

check_lintian() {
  local out
  out=$(lintian --allow-root "$deb" 2>&1) || true
  [ -z "$out" ] || printf '%s\n' "$out"
  if grep -q '^E:' <<<"$out"; then fail "lintian reports errors (E:) for $deb"; fi
}

check_contents() {
  [ "$(field Package)" = kube-vip ] || fail "Package is '$(field Package)', not kube-vip"
  [ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', not $arch"
  local f version
  for f in Version Maintainer Section Priority Homepage Description Depends Installed-Size; do
    [ -n "$(field "$f")" ] || fail "control field $f is missing or empty"
  done
  version=$(field Version)
  [ "$(basename "$deb")" = "kube-vip_${version}_$arch.deb" ] ||
    fail "file name $(basename "$deb") does not match kube-vip_${version}_$arch.deb"

  local listing
  listing=$(dpkg-deb -c "$deb")
  # mode owner path: every file is root's (dpkg-deb --root-owner-group).
  local expected=(
    "-rwxr-xr-x ./usr/sbin/kube-vip"
    "-rw-r--r-- ./lib/systemd/system/kube-vip.service"
    "-rw-r--r-- ./usr/share/doc/kube-vip/copyright"
    "-rw-r--r-- ./usr/share/doc/kube-vip/changelog.gz"
    "-rw-r--r-- ./usr/share/doc/kube-vip/README.Debian"
    "-rw-r--r-- ./usr/share/doc/kube-vip/examples/config.yaml"
    "-rw-r--r-- ./usr/share/man/man8/kube-vip.8.gz"
  )
  local entry
  for entry in "${expected[@]}"; do
    awk -v m="${entry% *}" -v p="${entry#* }" '$1 == m && $2 == "root/root" && $6 == p { found = 1 } END { exit !found }' \
      <<<"$listing" || fail "$deb lacks ${entry#* } with mode ${entry% *} owned by root/root"
  done
  if awk '$2 != "root/root"' <<<"$listing" | grep -q .; then
    fail "files not owned by root/root: $(awk '$2 != "root/root" { print $6 }' <<<"$listing")"
  fi

  dpkg-deb -R "$deb" "$unpacked/pkg"
  for f in postinst prerm postrm md5sums; do
    [ -f "$unpacked/pkg/DEBIAN/$f" ] || fail "control member $f is missing"
  done
  (cd "$unpacked/pkg" && md5sum --quiet -c DEBIAN/md5sums) || fail "md5sums do not match the files"
  local unit=$unpacked/pkg/lib/systemd/system/kube-vip.service line
  for line in 'ExecStart=/usr/sbin/kube-vip start -c /etc/kube-vip/config.yaml' \
    'ConditionPathExists=/etc/kube-vip/config.yaml' 'Restart=always' 'StateDirectory=kube-vip' \
    'AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE' \
    'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE' 'User=kube-vip'; do
    grep -qxF "$line" "$unit" || fail "the unit lacks the line: $line"
  done
  if readelf -S "$unpacked/pkg/usr/sbin/kube-vip" | grep -qF '.symtab'; then
    fail "usr/sbin/kube-vip is not stripped (it has a .symtab)"
  fi
}

check_depends() {
  local names needed lib path owner provided
  names=$(field Depends | depends_names)
  needed=$(readelf -d "$unpacked/pkg/usr/sbin/kube-vip" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  [ -n "$needed" ] || fail "the binary names no shared libraries (readelf -d)"
  for lib in $needed; do
    path=
    for dir in /lib/$triplet /usr/lib/$triplet /lib /usr/lib; do
      if [ -e "$dir/$lib" ]; then path=$dir/$lib; break; fi
    done
    [ -n "$path" ] || fail "library $lib of the $arch binary is not installed here: cannot check Depends"
    owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null) ||
      fail "no package owns $path"
    owner=${owner%%:*}
    # The package itself, or a name it provides (libspdlog1.10 provides libspdlog1.10-fmt9).
    provided=$(dpkg-query -W -f '${Provides}' "$owner:$arch" 2>/dev/null | depends_names || true)
    # shellcheck disable=SC2086 # one name a line
    printf '%s\n' "$owner" $provided | grep -qxF -f - <(echo "$names") ||
      fail "$lib comes from $owner, which Depends does not name: $(field Depends)"
  done
  local other other_deb
  for other in amd64 arm64; do
    [ "$other" != "$arch" ] || continue
    other_deb=$(dirname "$deb")/kube-vip_$(field Version)_$other.deb
    [ -f "$other_deb" ] || { say "no $other_deb next to it: Depends not compared across architectures"; continue; }
    diff <(echo "$names") <(dpkg-deb -f "$other_deb" Depends | depends_names) >&2 ||
      fail "Depends of $arch and $other name different packages (< $arch, > $other)"
  done
}

make_root() {
  local suite=bookworm mirror security
  mirror=$(debian_root_apt_source_uri "$suite" | head -n 1)
  security=$(debian_root_apt_source_uri "$suite-security" | head -n 1)
  [ -n "$mirror" ] || fail "no apt source for $suite found in /etc/apt: cannot pick a mirror"
  mkdir -p "$work/debs"
  rm -rf "$root"
  debootstrap --variant=minbase --cache-dir="$work/debs" "$suite" "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed (log: $work/debootstrap.log)"; }
  debian_root_configure "$root" "$suite" "$mirror" "$security"
}

in_root() {  # in_root COMMAND: runs COMMAND in the root, its output in $work/in-root.log
  debian_root_run "$root" "$1" >>"$work/in-root.log" 2>&1 || {
    tail -n 30 "$work/in-root.log" >&2
    fail "in the fresh root: $1 (log: $work/in-root.log)"
  }
}

install_in_root() {
  : >"$work/in-root.log"
  cp "$deb" "$root/root/"
  # init-system-helpers (deb-systemd-helper) is what enables the unit, as on any installed system.
  in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends init-system-helpers ./root/$(basename "$deb")"
}

check_in_root() {
  in_root 'dpkg-query -W -f="\${Status}" kube-vip | grep -qx "install ok installed"'
  in_root 'test -x /usr/sbin/kube-vip && test -f /lib/systemd/system/kube-vip.service'
  in_root 'getent passwd kube-vip && test "$(stat -c "%U:%G %a" /etc/kube-vip)" = "root:kube-vip 750"'
  in_root 'test -L /etc/systemd/system/multi-user.target.wants/kube-vip.service'
  in_root "kube-vip version | grep -qF '$(field Version)'"
  in_root 'kube-vip check -c /usr/share/doc/kube-vip/examples/config.yaml'
  in_root 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd'
  in_root 'systemd-analyze verify /lib/systemd/system/kube-vip.service'
  in_root 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kube-vip && ! test -e /usr/sbin/kube-vip && ! test -e /etc/systemd/system/multi-user.target.wants/kube-vip.service'
}

part lintian check_lintian
part contents check_contents
part depends check_depends
if [ "$arch" = amd64 ]; then
  [ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, chroot)"
  part debootstrap make_root
  part apt-install install_in_root
  part in-root check_in_root
else
  say "$arch: not installed in a fresh root (amd64 only)"
fi
say "passed: $deb"
printf '%s\n' "${timings[@]}"
