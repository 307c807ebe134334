#!/usr/bin/env bash
# Builds the test images locally (nothing can come from an image server here), caches each tarball in the tools
# folder so it is built once per machine, and imports each into the default project under a fixed alias:
#   pulumi-incus/busybox  Debian's busybox-static, a few MB: for tests that only need a running container.
#   pulumi-incus/debian   a Debian minbase rootfs from the Debian mirror with curl: a real userland (glibc, so a
#                         Node binary mounted from the host runs) for the guest API, exec and file tests.
# Both are unified tarballs (metadata.yaml + rootfs/) booted by busybox init. Prints the busybox tarball's path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TOOLS_DIR/images"
tarball="$dir/busybox.tar.gz"
# The Debian image's recipe version is in its file name: a changed recipe builds a new tarball.
debian_tarball="$dir/debian-bookworm-v2.tar.gz"
DEBIAN_IMAGE_ALIAS="${PULUMI_INCUS_DEBIAN_IMAGE:-pulumi-incus/debian}"
DEBIAN_MIRROR="${PULUMI_INCUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$dir"

# busybox init: keep PID 1 alive, run /etc/rc.local once if the instance has one (files pushed before the first
# start land there), and shut down cleanly on SIGPWR/SIGTERM from `incus stop`.
write_inittab() {
  printf '%s\n' \
    '::sysinit:/bin/mount -t tmpfs tmpfs /tmp' \
    "::once:/bin/sh -c '[ -x /etc/rc.local ] && exec /etc/rc.local'" \
    '::respawn:/bin/sleep 2147483647' \
    '::shutdown:/bin/sync' > "$1/etc/inittab"
}

write_metadata() { # dir description os release
  cat > "$1/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: 1795000000
properties:
  description: $2
  os: $3
  release: "$4"
META
}

build_busybox() {
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
  printf '::sysinit:/bin/mount -t tmpfs tmpfs /tmp\n::respawn:/bin/sleep 2147483647\n::shutdown:/bin/sync\n' > "$root/etc/inittab"
  write_metadata "$w/image" "pulumi-incus busybox test image" busybox "$("$root/bin/busybox" | head -1 | awk '{print $2}')"
  tar -C "$w/image" --numeric-owner --owner=0 --group=0 -czf "$tarball.tmp" metadata.yaml rootfs
  mv "$tarball.tmp" "$tarball"
  rm -rf "$w"
}

build_debian() {
  local w; w="$(mktemp -d)"
  local started=$SECONDS
  have debootstrap || apt_install debootstrap
  log "building the Debian minbase test image from $DEBIAN_MIRROR (a few minutes the first time)"
  local root="$w/image/rootfs"
  # busybox gives init and the small tools; curl speaks HTTP over /dev/incus/sock (the guest API).
  debootstrap --variant=minbase --include=busybox,curl bookworm "$root" "$DEBIAN_MIRROR" > "$w/debootstrap.log" 2>&1 ||
    { tail -20 "$w/debootstrap.log" >&2; rm -rf "$w"; die "debootstrap failed"; }
  # What a test image never needs: package caches and lists, documentation, translations.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/log/*
  ln -sf /bin/busybox "$root/sbin/init"
  write_inittab "$root"
  # Reports Ready to Incus through the guest API (what a workload does once it is set up).
  cat > "$root/usr/local/bin/incus-ready" <<'READY'
#!/bin/sh
# Tells Incus this instance is ready: PATCH /1.0 {"state":"Ready"} on the guest API socket. Retries: right after a
# start the guest API has been seen to answer 500 (it failed to identify the caller).
exec curl -sf --retry 5 --retry-delay 1 --unix-socket /dev/incus/sock -X PATCH -H 'Content-Type: application/json' -d '{"state":"Ready"}' http://incus/1.0
READY
  chmod 0755 "$root/usr/local/bin/incus-ready"
  write_metadata "$w/image" "pulumi-incus Debian minbase test image" debian bookworm
  tar -C "$w/image" --numeric-owner --xattrs -czf "$debian_tarball.tmp" metadata.yaml rootfs
  mv "$debian_tarball.tmp" "$debian_tarball"
  find "$dir" -name 'debian-bookworm-v*.tar.gz' ! -path "$debian_tarball" -delete # earlier recipes
  rm -rf "$w"
  log "Debian test image built in $((SECONDS - started)) s ($(du -h "$debian_tarball" | cut -f1))"
}

import_image() { # tarball alias
  local want have_fp
  want="$(sha256sum "$1" | cut -d' ' -f1)"
  have_fp="$(incus image info "$2" 2>/dev/null | awk '/^Fingerprint:/ {print $2}')" || true
  [ "$have_fp" = "$want" ] && return 0
  # A rebuilt tarball (new recipe) replaces the image the alias pointed at.
  [ -n "$have_fp" ] && incus image delete "$have_fp" >/dev/null
  log "importing $(basename "$1") as $2"
  incus image import "$1" --alias "$2" >/dev/null
}

[ -s "$tarball" ] || build_busybox
[ -s "$debian_tarball" ] || build_debian
import_image "$tarball" "$TEST_IMAGE_ALIAS"
import_image "$debian_tarball" "$DEBIAN_IMAGE_ALIAS"
echo "$tarball"
