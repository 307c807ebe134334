#!/usr/bin/env bash
# Deployment benchmark: prints figures and a plot, asserts nothing (see scripts/bench-deploy.js for what it measures).
#   up, no-change up, preview, refresh and destroy of N busybox containers, of N profiles (TypeScript and Pulumi
#   YAML) and of a mixed stack, beside the raw REST floor, an empty program and N trivial dynamic resources.
# It runs on a private incusd of its own (stopped at the end), in temporary projects and a temporary file://
# backend, all removed at the end.
#   bash scripts/bench-deploy.sh                       # defaults: a few minutes
#   BENCH_SIZES=100,300 BENCH_PROFILES=100,1000 BENCH_ROUNDS=3 BENCH_MODES=default,parallel bash scripts/bench-deploy.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
[ "${BENCH_YAML:-1}" = 0 ] || prepare_yaml
log "benchmarking (a few minutes)"
exec node "$REPO_ROOT/scripts/bench-deploy.js"
