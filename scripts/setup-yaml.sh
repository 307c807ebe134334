#!/usr/bin/env bash
# Makes the Pulumi YAML language host (pulumi-language-yaml) available and prints its directory. Order: one of
# the pinned version already built in the cache; otherwise a build from Go modules (about 3 min on 2 cores).
# The CLI finds language hosts on PATH, so callers put the printed directory on PATH (scripts/env.sh: prepare_yaml).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

V="${PULUMI_INCUS_YAML_VERSION:-1.25.0}"
D="$TOOLS_DIR/pulumi-language-yaml-$V/bin"

if [ -x "$D/pulumi-language-yaml" ]; then echo "$D"; exit 0; fi
have go || die "Go is needed to build pulumi-language-yaml from source and none is on PATH"
start=$(date +%s)
log "building pulumi-language-yaml $V from Go modules (about 3 minutes on 2 cores)"
mkdir -p "$D"
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
# Same clipboard replace as the CLI build: pkg/v3 (a dependency of pulumi-yaml) carries it in its own go.mod.
clip=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
(cd "$w" && go mod init local.build/pulumi-language-yaml >/dev/null 2>&1 && go mod edit -replace="$clip" &&
  go get "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$V" >/dev/null 2>&1 &&
  go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$V" \
    -o "$D/pulumi-language-yaml.tmp" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml) ||
  die "building pulumi-language-yaml $V failed"
mv "$D/pulumi-language-yaml.tmp" "$D/pulumi-language-yaml"
log "pulumi-language-yaml $V built in $(( $(date +%s) - start )) s"
echo "$D"
