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
#                  check` of the sample
#   systemd boot   (amd64) the root booted by systemd-nspawn in a network namespace of the test's
#                  own: the unconfigured unit is skipped, not failed; configured, the unit (with all
#                  its sandboxing) runs the daemon as user kube-vip with only the unit's
#                  capabilities, which adds the VIP and listens on port 443 of it; `systemctl
#                  reload` and `kube-vip status` answer; `systemctl stop` releases the VIP; then
#                  purge removes the package
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
netns=kvdeb$$x$(printf '%04x' $((RANDOM % 65536)))
nspawn_pid=
cleanup() {
  rm -rf "$unpacked"
  if [ -n "$nspawn_pid" ]; then
    kill "$nspawn_pid" 2>/dev/null && wait "$nspawn_pid" 2>/dev/null
  fi
  if [ -e "/run/netns/$netns" ]; then
    local p
    for p in $(ip netns pids "$netns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$netns"
  fi
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
  # and those it loads later with dlopen() (scripts/package/lib.sh)
  needed="$needed ${kubevip_runtime_sonames[*]}"
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
  in_root 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd systemd-sysv'
  in_root 'systemd-analyze verify /lib/systemd/system/kube-vip.service'
}

# The booted root's network: a namespace of this test with eth0 (10.201.0.1/24) and its veth peer,
# so that the announcements stay inside it. The VIP and the load balancer's port:
boot_vip=10.201.0.100
boot_port=443
# NET_BIND_SERVICE (10), NET_ADMIN (12), NET_RAW (13): the unit's AmbientCapabilities.
boot_capabilities=0000000000003400

# in_booted COMMAND...: COMMAND in the booted root, next to its systemd.
in_booted() { nsenter -t "$boot_init" -m -u -i -n -p -- "$@"; }
booted_vip() { ip -n "$netns" -o addr show dev eth0 | grep -qF " $boot_vip/"; }
booted_daemon() {  # the pid of kube-vip in the test's namespace, if it runs
  local p
  for p in $(ip netns pids "$netns"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kube-vip ] && { echo "$p"; return 0; }
  done
  return 1
}
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
boot_fail() {
  say "systemd's view of kube-vip:" >&2
  in_booted systemctl status --no-pager kube-vip >&2 || true
  in_booted journalctl --no-pager -n 30 -u kube-vip >&2 || true
  fail "$*"
}

boot_root() {
  command -v systemd-nspawn >/dev/null || fail "systemd-nspawn is needed (package systemd-container)"
  ip netns add "$netns"
  ip -n "$netns" link add eth0 type veth peer name peer0
  ip -n "$netns" addr add 10.201.0.1/24 dev eth0
  local link
  for link in lo eth0 peer0; do ip -n "$netns" link set "$link" up; done
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/kube-vip/config.yaml"
  # CAP_NET_ADMIN: nspawn leaves it out of the root's bounding set unless asked.
  systemd-nspawn --quiet --register=no --keep-unit --capability=CAP_NET_ADMIN -D "$root" \
    --network-namespace-path="/run/netns/$netns" --boot >"$work/nspawn.log" 2>&1 &
  nspawn_pid=$!
  boot_init=
  local p
  wait_for 30 eval 'for p in $(ip netns pids "$netns"); do
      [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && [ "$(awk "/^NSpid:/ { print \$NF }" /proc/$p/status)" = 1 ] && boot_init=$p
    done; [ -n "$boot_init" ]' || fail "systemd-nspawn did not boot the root (log: $work/nspawn.log)"
  wait_for 60 eval '[[ "$(in_booted systemctl is-system-running 2>/dev/null)" =~ ^(running|degraded)$ ]]' ||
    fail "the booted root did not finish starting (log: $work/nspawn.log)"

  # Unconfigured: skipped by its ConditionPathExists, not failed and not restarting.
  [ "$(in_booted systemctl show -P ConditionResult kube-vip)" = no ] ||
    boot_fail "kube-vip.service started without /etc/kube-vip/config.yaml"
  ! in_booted systemctl -q is-failed kube-vip || boot_fail "kube-vip.service failed without a configuration"

  cat >"$root/etc/kube-vip/config.yaml" <<YAML
localPeer: {id: node1, address: 10.201.0.1, port: 10000}
remotePeers: []
vip: $boot_vip
interface: eth0
singleNode: true
loadBalancers:
  - name: https
    type: tcp
    port: $boot_port
    backends:
      - {address: 10.201.0.1, port: 8080}
YAML
  in_booted chown root:kube-vip /etc/kube-vip/config.yaml
  in_booted chmod 0640 /etc/kube-vip/config.yaml
  in_booted systemctl start kube-vip || boot_fail "systemctl start kube-vip failed"
  wait_for 10 booted_vip || boot_fail "the service did not add $boot_vip within 10 s"
  local daemon uid
  daemon=$(booted_daemon) || boot_fail "no kube-vip process in the booted root"
  uid=$(in_booted id -u kube-vip)
  [ "$(awk '/^Uid:/ { print $3 }' "/proc/$daemon/status")" = "$uid" ] ||
    boot_fail "the daemon does not run as user kube-vip ($uid): $(grep ^Uid: "/proc/$daemon/status")"
  [ "$(awk '/^CapEff:/ { print $2 }' "/proc/$daemon/status")" = "$boot_capabilities" ] ||
    boot_fail "the daemon's capabilities are not the unit's: $(grep ^CapEff: "/proc/$daemon/status")"
  wait_for 5 eval '[ -n "$(ip netns exec "$netns" ss -Hltn "sport = :$boot_port")" ]' ||
    boot_fail "nothing listens on port $boot_port"
  in_booted kube-vip status | grep -F "vip $boot_vip" | grep -qF "this node holding" ||
    boot_fail "kube-vip status does not show $boot_vip held"
  say "booted: kube-vip.service runs pid $daemon as uid $uid with capabilities $boot_capabilities, holds $boot_vip, listens on port $boot_port"
  in_booted systemctl reload kube-vip || boot_fail "systemctl reload kube-vip failed"
  in_booted systemctl stop kube-vip
  wait_for 3 eval '! booted_vip' || boot_fail "$boot_vip is still there 3 s after systemctl stop"
  say "booted: systemctl reload answered, systemctl stop released $boot_vip"

  # SIGRTMIN+4 asks systemd to power off (systemd(1)); nspawn then exits.
  kill -s SIGRTMIN+4 "$boot_init"
  wait "$nspawn_pid" || true
  nspawn_pid=
  [ -z "$(ip netns pids "$netns")" ] || fail "processes of the booted root outlived it"
}

purge_in_root() {
  in_root 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kube-vip && ! test -e /usr/sbin/kube-vip && ! test -e /etc/systemd/system/multi-user.target.wants/kube-vip.service && ! test -e /var/lib/kube-vip'
}

part lintian check_lintian
part contents check_contents
part depends check_depends
if [ "$arch" = amd64 ]; then
  [ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, chroot)"
  part debootstrap make_root
  part apt-install install_in_root
  part in-root check_in_root
  part boot boot_root
  part purge purge_in_root
else
  say "$arch: not installed in a fresh root (amd64 only)"
fi
say "passed: $deb"
printf '%s\n' "${timings[@]}"
