#!/usr/bin/env bash
# `npm run check`: the contributor's quick check, with no daemon, no root and no Pulumi CLI: type-check of the
# sources, examples, scripts and tests (tests/types holds the SDK's type-level tests), lint and format (biome ci), and the unit tests
# (which include "sdk/generated/ is up to date"). Needs Node >= 22 and `npm ci`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n== %s\n' "$*"; }
step "type-check (tsconfig.test.json: provider, sdk, examples, scripts, tests)"
npx tsc -p tsconfig.test.json --noEmit
step "lint and format (biome ci: fails on a lint error or a file that differs from biome format)"
npx biome ci .
step "unit tests"
npx jest --selectProjects unit
