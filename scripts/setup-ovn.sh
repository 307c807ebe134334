#!/usr/bin/env bash
# Makes Open vSwitch and OVN (with OVN-IC) available for the OVN tests and prints the root they are unpacked in.
# They are never installed: openvswitch-switch's postinst would start a system service. The pinned .debs are fetched
# with `apt-get download` and unpacked with `dpkg -x` into the cache; tests/ovn/stack.ts runs the daemons from there
# with private directories, inside a network namespace of their own. Idempotent: a complete unpack is reused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OVS_V="3.1.0-2+deb12u1"
OVN_V="23.03.1-1~deb12u2"
# libxdp1 is the one shared library ovs-vswitchd needs that incus-base does not bring; it is unpacked next to it.
PKGS=(
  "openvswitch-common=$OVS_V" "openvswitch-switch=$OVS_V"
  "ovn-common=$OVN_V" "ovn-central=$OVN_V" "ovn-host=$OVN_V" "ovn-ic=$OVN_V" "ovn-ic-db=$OVN_V"
  "libxdp1=1.3.1-1"
)
ROOT="$TOOLS_DIR/ovn"
STAMP="$ROOT/.unpacked-$OVS_V-$OVN_V"

if [ -f "$STAMP" ]; then echo "$ROOT"; exit 0; fi
have apt-get || die "apt-get is needed to fetch the Open vSwitch and OVN packages"
start=$(date +%s)
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
chmod 755 "$w" # apt drops to the _apt user for downloads when it can write there
fetch() { (cd "$w" && apt-get download -q "${PKGS[@]}" >/dev/null 2>&1); }
if ! fetch; then
  # A machine whose package lists are missing or older than the pins: update them once, then try again.
  log "apt-get update (the package lists do not have the pinned Open vSwitch/OVN versions)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  fetch || die "apt-get download ${PKGS[*]} failed"
fi
rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
for deb in "$w"/*.deb; do dpkg -x "$deb" "$ROOT.tmp"; done
[ -x "$ROOT.tmp/usr/lib/openvswitch-switch/ovs-vswitchd" ] && [ -x "$ROOT.tmp/usr/bin/ovn-controller" ] && [ -x "$ROOT.tmp/usr/bin/ovn-ic" ] ||
  die "the unpacked packages lack ovs-vswitchd, ovn-controller or ovn-ic"
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
touch "$STAMP"
log "Open vSwitch $OVS_V and OVN $OVN_V unpacked in $ROOT in $(( $(date +%s) - start )) s"
echo "$ROOT"
