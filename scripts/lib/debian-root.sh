# shellcheck shell=bash disable=SC2016
# Sourced by the scripts that build a fresh Debian root with debootstrap (check-fresh.sh,
# tests/package/test_deb.sh). The root's packages come from the mirror this machine's apt already
# uses (read from its apt configuration, so no mirror is named here). Commands run in the root in a
# private mount namespace, so every mount disappears with them. Packaged services are kept from
# starting inside the root (policy-rc.d), as in any chroot: they would otherwise run in this host's
# network namespace.

# The URI of the first apt source (one-line or deb822 format) whose suites include $1.
debian_root_apt_source_uri() {
  local wanted=$1 file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v s="$wanted" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == s) { print $i; exit } break } }' "$file"
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v s="$wanted" '
      /^[ \t]*$/ { if (uri != "" && hit) exit; uri = ""; hit = 0; next }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
      END { if (uri != "" && hit) print uri }' "$file"
  done
}

# debian_root_kill_processes ROOT: any process still running in ROOT (left by a failed run).
debian_root_kill_processes() {
  local root=$1 p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  return 0
}

# debian_root_configure ROOT SUITE MIRROR [SECURITY_MIRROR]: after debootstrap, the root's apt uses
# the same mirrors and this host's Acquire settings (proxies, validity checks); services do not
# start; names resolve as on this host.
debian_root_configure() {
  local root=$1 suite=$2 mirror=$3 security=${4:-}
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
  } >"$root/etc/apt/sources.list"
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|(https?|ftp)::Proxy) ' \
    >"$root/etc/apt/apt.conf.d/99host-acquire" || true
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# debian_root_run ROOT COMMAND: COMMAND (one string, run by bash -c) as root in a login-like clean
# environment inside ROOT, with /proc, /sys, /dev, and fresh /run and /tmp, in a mount namespace
# of its own.
debian_root_run() {
  unshare --mount --propagation private -- bash -euc '
    root=$1; shift
    # The root must be a mount point of its own: `ip netns exec` makes "/" a slave mount.
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/run"
    mount -t tmpfs tmpfs "$root/tmp"
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      bash -c "$*"' debian_root_run "$@"
}
