#!/usr/bin/env bash
# Makes the MinIO server (`minio`) and client (`mc`) that Incus 6.0 runs for local storage buckets (dir pools), and
# prints the directory that holds them: put it first on PATH of the incusd that should serve buckets (the bucket
# tests start a private daemon with it). Built once from Go modules (pinned versions) into the tools cache, then
# copied to a directory any user can read: incusd runs minio as an unprivileged user, which cannot read /root.
# MinIO is AGPL: the project only runs these binaries as an external test tool; nothing links or ships them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MINIO_VERSION="${PULUMI_INCUS_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
MC_VERSION="${PULUMI_INCUS_MC_VERSION:-v0.0.0-20250313080218-cf909e1063a9}"
BUILD_DIR="$TOOLS_DIR/minio/$MINIO_VERSION-$MC_VERSION"
RUN_DIR="${PULUMI_INCUS_MINIO_DIR:-/usr/local/libexec/pulumi-incus/minio}"

build() { # build <module> <version> <binary>
  local module="$1" version="$2" bin="$3" start
  [ -x "$BUILD_DIR/$bin" ] && return 0
  have go || die "Go is needed to build $bin (go install $module@$version)"
  mkdir -p "$BUILD_DIR"
  start=$(date +%s)
  log "building $bin from $module@$version (slow: minio takes 5-25 minutes on 2 cores)"
  GOBIN="$BUILD_DIR" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$module@$version" >&2 || die "go install $module@$version failed"
  log "built $bin in $(( $(date +%s) - start )) s"
}

start=$(date +%s)
build github.com/minio/minio "$MINIO_VERSION" minio
build github.com/minio/mc "$MC_VERSION" mc
mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"
for bin in minio mc; do
  if ! cmp -s "$BUILD_DIR/$bin" "$RUN_DIR/$bin"; then install -m 755 "$BUILD_DIR/$bin" "$RUN_DIR/$bin"; fi
done
# Every directory above it must be searchable by others (it is under /usr/local by default).
log "minio and mc ready in $RUN_DIR ($(( $(date +%s) - start )) s)"
echo "$RUN_DIR"
