#!/usr/bin/env bash
# Builds a tiny container image from Debian's busybox-static (a unified tarball: metadata.yaml + rootfs/), caches
# it in the tools folder so it is built once per machine, and imports it into the default project under a fixed
# alias. Prints the tarball's path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TOOLS_DIR/images"
tarball="$dir/busybox.tar.gz"
mkdir -p "$dir"

build() {
  local w; w="$(mktemp -d)"
  log "building the busybox test image"
  ( cd "$w" && apt-get download busybox-static >/dev/null 2>&1 ) || { apt_install busybox-static >/dev/null; cp /bin/busybox "$w/busybox"; }
  if ls "$w"/busybox-static_*.deb >/dev/null 2>&1; then dpkg-deb -x "$w"/busybox-static_*.deb "$w/deb"; cp "$w/deb/bin/busybox" "$w/busybox"; fi
  local root="$w/image/rootfs"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,run,var}
  cp "$w/busybox" "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  ln -sf /bin/busybox "$root/sbin/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  # busybox init: keep PID 1 alive and shut down cleanly on SIGPWR/SIGTERM from `incus stop`.
  printf '::sysinit:/bin/mount -t tmpfs tmpfs /tmp\n::respawn:/bin/sleep 2147483647\n::shutdown:/bin/sync\n' > "$root/etc/inittab"
  cat > "$w/image/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: 1795000000
properties:
  description: pulumi-incus busybox test image
  os: busybox
  release: "$("$root/bin/busybox" | head -1 | awk '{print $2}')"
META
  tar -C "$w/image" --numeric-owner --owner=0 --group=0 -czf "$tarball.tmp" metadata.yaml rootfs
  mv "$tarball.tmp" "$tarball"
  rm -rf "$w"
}

[ -s "$tarball" ] || build
if ! incus image info "$TEST_IMAGE_ALIAS" >/dev/null 2>&1; then
  log "importing the test image as $TEST_IMAGE_ALIAS"
  incus image import "$tarball" --alias "$TEST_IMAGE_ALIAS" >/dev/null
fi
echo "$tarball"
