#!/usr/bin/env bash
# Prints a directory whose `node` is version 22 or newer: the system Node when new enough, otherwise the npm
# package node@22 (it carries a Node 22 binary from the npm registry) installed once into the tools folder.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if have node && [ "$(major_of node)" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
dir="$TOOLS_DIR/node22"
if [ -x "$dir/node_modules/.bin/node" ] && [ "$(major_of "$dir/node_modules/.bin/node")" -ge 22 ]; then
  echo "$dir/node_modules/.bin"; exit 0
fi
have npm || apt_install nodejs npm
log "installing Node 22 from the npm package node@22 into $dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error node@22 >/dev/null
[ "$(major_of "$dir/node_modules/.bin/node")" -ge 22 ] || die "node@22 did not install a Node 22 binary"
echo "$dir/node_modules/.bin"
