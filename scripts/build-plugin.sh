#!/usr/bin/env bash
# Builds the plugin tarball of the `incus` resource provider (for Pulumi YAML and other non-Node programs):
#   dist/pulumi-resource-incus-v<version>-<os>-<arch>.tar.gz
# holding the launcher `pulumi-resource-incus` next to this package (dist/, package.json) and its production
# dependencies in node_modules (installed from the npm cache: no network). Install it with
#   pulumi plugin install resource incus <version> -f dist/pulumi-resource-incus-v<version>-linux-amd64.tar.gz
# It needs Node.js >= 22 on PATH where it runs; the JavaScript inside is the same on every OS and architecture.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
start=$(date +%s)
version="$(node -p 'require("./package.json").version')"
os="$(uname -s | tr 'A-Z' 'a-z')"
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
out="$REPO_ROOT/dist/pulumi-resource-incus-v$version-$os-$arch.tar.gz"
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
# Compiled into the work directory, not dist/: the checkout's own build (which running tests use) stays untouched.
log "compiling pulumi-incus $version"
mkdir "$w/stage"
npx tsc -p tsconfig.build.json --outDir "$w/stage/dist"
cp package.json README.md LICENSE CHANGELOG.md "$w/stage/"
log "installing its production dependencies (npm ci from the lockfile, offline: from the npm cache)"
cp package-lock.json "$w/stage/"
(cd "$w/stage" && npm ci --offline --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
install -m 755 provider/plugin/incus/pulumi-resource-incus "$w/stage/"
mkdir -p "$(dirname "$out")"
# Written beside and renamed into place: tests build it concurrently, and a reader must never see a half-written file.
tar -czf "$out.part.$$" -C "$w/stage" .
mv -f "$out.part.$$" "$out"
log "wrote $out ($(du -h "$out" | cut -f1)) in $(( $(date +%s) - start )) s"
echo "$out"
