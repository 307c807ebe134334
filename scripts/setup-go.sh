#!/usr/bin/env bash
# Makes the Pulumi Go language host (pulumi-language-go) available and prints its directory; callers put it on PATH,
# where the CLI looks for language hosts. Built from Go modules once (about 1 min), cached in ~/.cache/pulumi-incus.
#   setup-go.sh        the host
#   setup-go.sh warm   also compiles sdk/go (and the Pulumi Go SDK under it) into Go's build cache with the flags Go
#                      programs are built with here, so a program's first `pulumi up` only compiles its own code
#                      (cold: ~9 min on 2 busy cores). scripts/test.sh runs this in the background.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

V="$PULUMI_GO_HOST_VERSION"
D="$TOOLS_DIR/pulumi-language-go-$V/bin"
mkdir -p "$D"
# One build at a time (the background warm-up and a test asking for the host).
exec 9>"$D/.lock"
flock 9
export CGO_ENABLED=0 GOFLAGS=-mod=mod
if [ ! -x "$D/pulumi-language-go" ]; then
  have go || die "Go is needed to build pulumi-language-go from source and none is on PATH"
  start=$(date +%s)
  log "building pulumi-language-go $V from Go modules (about 1 minute)"
  w="$(mktemp -d)"
  trap 'rm -rf "$w"' EXIT
  pkg=github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go
  (cd "$w" && go mod init local.build/pulumi-language-go >/dev/null 2>&1 &&
    go get "$pkg@v$V" >/dev/null 2>&1 &&
    # shellcheck disable=SC2086
    go build $PULUMI_GO_BUILD_FLAGS -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V" \
      -o "$D/pulumi-language-go.tmp" "$pkg") || die "building pulumi-language-go $V failed"
  mv "$D/pulumi-language-go.tmp" "$D/pulumi-language-go"
  log "pulumi-language-go $V built in $(( $(date +%s) - start )) s"
fi
if [ "${1:-}" = warm ]; then
  start=$(date +%s)
  log "compiling sdk/go into Go's build cache"
  # shellcheck disable=SC2086
  (cd "$REPO_ROOT/sdk/go/incus" && GOFLAGS="-mod=mod $PULUMI_GO_BUILD_FLAGS" go build ./... ) || die "compiling sdk/go failed"
  log "sdk/go compiled in $(( $(date +%s) - start )) s"
fi
echo "$D"
