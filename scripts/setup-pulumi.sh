#!/usr/bin/env bash
# Makes the pinned Pulumi CLI, the Node.js language host and the dynamic-provider launcher available in
# ~/.pulumi/versions/<v>/bin and prints that directory. Order: a pulumi of that version on PATH or already
# there; the official installer when reachable; otherwise a build from Go modules (offline machines).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin_dir_for() { echo "${PULUMI_HOME:-$HOME/.pulumi}/versions/$1/bin"; }

version_of() { "$1" version 2>/dev/null | tr -d 'v\r' || true; }

complete_in() { # a directory with all three binaries of the given version
  local d="$1" v="$2"
  [ -x "$d/pulumi" ] && [ -x "$d/pulumi-language-nodejs" ] && [ -x "$d/pulumi-resource-pulumi-nodejs" ] &&
    [ "$(version_of "$d/pulumi")" = "$v" ]
}

install_launcher() { # the launcher ships in the @pulumi/pulumi npm package
  local d="$1" src="$REPO_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  [ -x "$d/pulumi-resource-pulumi-nodejs" ] && return 0
  [ -f "$src" ] || die "run npm ci first: $src is missing"
  install -m 755 "$src" "$d/"
}

try_path() {
  local v="$1" d p
  d="$(bin_dir_for "$v")"
  if complete_in "$d" "$v"; then echo "$d"; return 0; fi
  if p="$(command -v pulumi)" && [ "$(version_of "$p")" = "$v" ]; then
    local pd; pd="$(dirname "$(readlink -f "$p")")"
    if [ -x "$pd/pulumi-language-nodejs" ]; then
      mkdir -p "$d"; for b in "$pd"/pulumi*; do ln -sf "$b" "$d/"; done
      install_launcher "$d"; echo "$d"; return 0
    fi
  fi
  return 1
}

try_installer() {
  local v="$1" d; d="$(bin_dir_for "$v")"
  have curl || return 1
  curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com/ 2>/dev/null || return 1
  log "installing Pulumi $v with the official installer"
  local tmp; tmp="$(mktemp -d)"
  curl -fsSL --max-time 120 "https://get.pulumi.com/releases/sdk/pulumi-v$v-linux-x64.tar.gz" | tar -xz -C "$tmp" || return 1
  mkdir -p "$d"; cp "$tmp"/pulumi/* "$d/"; rm -rf "$tmp"
  complete_in "$d" "$v" || return 1
  echo "$d"
}

build_from_go() {
  local v="$1" d; d="$(bin_dir_for "$v")"
  have go || die "Go is needed to build Pulumi from source and none is on PATH"
  mkdir -p "$d"
  local w; w="$(mktemp -d)"
  local clip=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
  export CGO_ENABLED=0 GOFLAGS=-mod=mod
  if [ ! -x "$d/pulumi" ] || [ "$(version_of "$d/pulumi")" != "$v" ]; then
    log "building pulumi $v from Go modules (a few minutes on 2 cores)"
    mkdir "$w/cli"
    ( cd "$w/cli" && go mod init local.build/pulumi-cli >/dev/null 2>&1 && go mod edit -replace="$clip" &&
      go get "github.com/pulumi/pulumi/sdk/v3@v$v" "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$v" >/dev/null 2>&1 &&
      go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v" \
        -o "$d/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ) || { rm -rf "$w"; return 1; }
    mv "$d/pulumi.tmp" "$d/pulumi"
  fi
  if [ ! -x "$d/pulumi-language-nodejs" ]; then
    local lh="$PULUMI_LANGUAGE_HOST_VERSION"
    log "building pulumi-language-nodejs $lh from Go modules"
    mkdir "$w/lh"
    ( cd "$w/lh" && go mod init local.build/pulumi-language-nodejs >/dev/null 2>&1 &&
      go get "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@v$lh" >/dev/null 2>&1 &&
      go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$lh" \
        -o "$d/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs ) ||
      { rm -rf "$w"; return 1; }
    mv "$d/pulumi-language-nodejs.tmp" "$d/pulumi-language-nodejs"
  fi
  rm -rf "$w"
  install_launcher "$d"
  complete_in "$d" "$v" && echo "$d"
}

main() {
  local v
  for v in "$PULUMI_VERSION" "$PULUMI_FALLBACK_VERSION"; do
    try_path "$v" && return 0
  done
  for v in "$PULUMI_VERSION" "$PULUMI_FALLBACK_VERSION"; do
    try_installer "$v" && return 0
    build_from_go "$v" && return 0
    log "could not get Pulumi $v; trying the fallback pin"
  done
  die "no Pulumi CLI could be found, installed or built"
}
main
