#!/usr/bin/env bash
# Makes the SDK generator (scripts/gensdk: Pulumi's codegen for Python and Go) available and prints its path. Built
# from Go modules once per version and source (about 1 min when the CLI build's cache is warm, a few cold), cached in
# ~/.cache/pulumi-incus. `npm run generate:sdks` calls it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/scripts/gensdk/main.go"
key="$(sha256sum "$src" | cut -c1-12)"
D="$TOOLS_DIR/gensdk-$PULUMI_CODEGEN_VERSION-$key"
if [ -x "$D/gensdk" ]; then echo "$D/gensdk"; exit 0; fi
# One build at a time (scripts/test.sh's background set-up and `npm run generate` or a test).
mkdir -p "$D"
exec 9>"$D/.lock"
flock 9
if [ -x "$D/gensdk" ]; then echo "$D/gensdk"; exit 0; fi
have go || die "Go is needed to build the SDK generator and none is on PATH"
start=$(date +%s)
log "building the SDK generator (pkg/v3 $PULUMI_CODEGEN_VERSION codegen) from Go modules"
mkdir -p "$D"
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
clip=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
cp "$src" "$w/"
(cd "$w" && go mod init local.build/gensdk >/dev/null 2>&1 && go mod edit -replace="$clip" &&
  go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_CODEGEN_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_CODEGEN_VERSION" >/dev/null 2>&1 &&
  go mod tidy >/dev/null 2>&1 &&
  # shellcheck disable=SC2086
  go build $PULUMI_GO_BUILD_FLAGS -ldflags "-s -w" -o "$D/gensdk.tmp" .) || die "building the SDK generator failed"
mv "$D/gensdk.tmp" "$D/gensdk"
log "SDK generator built in $(( $(date +%s) - start )) s"
echo "$D/gensdk"
