#!/usr/bin/env bash
# Deployment benchmark: prints figures, asserts nothing (see scripts/bench-deploy.js for what it measures).
#   (a) `pulumi up` of N busybox containers (N = 10, 30) against the same N through direct parallel REST calls;
#   (b) a 100-profile stack: time, requests to Incus and peak memory of no-change `up`, `preview`, `refresh`.
# Everything runs in temporary Incus projects and a temporary file:// backend, and is removed at the end.
#   bash scripts/bench-deploy.sh                       # defaults
#   BENCH_SIZES=10 BENCH_PROFILES=50 BENCH_PARALLEL=32 bash scripts/bench-deploy.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
log "benchmarking (a few minutes)"
exec node "$REPO_ROOT/scripts/bench-deploy.js"
