#!/usr/bin/env bash
# LXD 5.0.2 (Debian bookworm's) for the LXD test suites, never installed: the lxd package's postinst starts system
# services, so its pinned .debs are fetched with `apt-get download` and unpacked with `dpkg -x` into the tools cache.
# The tests start `lxd` themselves with a private LXD_DIR (tests/lxd/daemon.ts). Idempotent; prints the root dir.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LXD_VERSION="5.0.2-5+deb12u6"
# lxd and its client, and the two libraries incus-base does not already bring (liblxc1, lxcfs, libuv1 are there).
PACKAGES=("lxd=$LXD_VERSION" "lxd-client=$LXD_VERSION" "libdqlite0=1.11.1-1" "libraft2=0.15.0-1")
root="$TOOLS_DIR/lxd/$LXD_VERSION"

if [ ! -x "$root/usr/bin/lxd" ] || [ ! -x "$root/usr/bin/lxc" ]; then
  have apt-get || die "apt-get is needed to fetch the LXD packages"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  log "downloading ${PACKAGES[*]}"
  if ! (cd "$work" && apt-get download -qq "${PACKAGES[@]}" >/dev/null 2>&1); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    (cd "$work" && apt-get download -qq "${PACKAGES[@]}" >/dev/null)
  fi
  rm -rf "$root.tmp"
  mkdir -p "$root.tmp"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$root.tmp"; done
  rm -rf "$root"
  mv "$root.tmp" "$root"
  log "LXD $LXD_VERSION unpacked into $root"
fi
echo "$root"
