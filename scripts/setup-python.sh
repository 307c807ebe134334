#!/usr/bin/env bash
# Makes the Pulumi Python language host (pulumi-language-python and its exec shim) available and prints its
# directory; callers put it on PATH, where the CLI looks for language hosts. Built from Go modules once (about 2-3 min
# on 2 cores), cached in ~/.cache/pulumi-incus. Programs also need Python 3 with a venv holding
# `pulumi==$PULUMI_PYTHON_SDK_VERSION` (PyPI) and sdk/python.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

V="$PULUMI_PYTHON_HOST_VERSION"
D="$TOOLS_DIR/pulumi-language-python-$V/bin"
built() { [ -x "$D/pulumi-language-python" ] && [ -x "$D/pulumi-language-python-exec" ]; }
if built; then echo "$D"; exit 0; fi
# One build at a time (scripts/test.sh's background set-up and a test asking for the host).
mkdir -p "$D"
exec 9>"$D/.lock"
flock 9
if built; then echo "$D"; exit 0; fi
have go || die "Go is needed to build pulumi-language-python from source and none is on PATH"
start=$(date +%s)
log "building pulumi-language-python $V from Go modules (about 2-3 minutes on 2 cores)"
mkdir -p "$D"
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
pkg=github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
(cd "$w" && go mod init local.build/pulumi-language-python >/dev/null 2>&1 &&
  go get "$pkg@v$V" >/dev/null 2>&1 &&
  # shellcheck disable=SC2086
  go build $PULUMI_GO_BUILD_FLAGS -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V" \
    -o "$D/pulumi-language-python.tmp" "$pkg") || die "building pulumi-language-python $V failed"
# The host runs programs through the `pulumi-language-python-exec` script found beside itself; the CLI's release
# carries the same script (same arguments) in sdk/v3/python/cmd.
sdk="$(cd "$w" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -f "$sdk/python/cmd/pulumi-language-python-exec" ] || die "no pulumi-language-python-exec in sdk/v3 $PULUMI_VERSION ($sdk)"
install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" "$D/"
mv "$D/pulumi-language-python.tmp" "$D/pulumi-language-python"
log "pulumi-language-python $V built in $(( $(date +%s) - start )) s"
echo "$D"
