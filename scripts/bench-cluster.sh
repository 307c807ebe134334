#!/usr/bin/env bash
# The cluster benchmark (issue 28, goal 5): N busybox containers (300 by default) spread by cluster group over a
# private 3-member cluster (127.0.50.2-4; BENCH_CLUSTER_NET=<n> for 127.0.<n>.x), `pulumi up` and `destroy` at the default parallelism and at --parallel ≥ N
# against the raw floor (the same REST calls all in parallel) and an empty program, 3 rounds, median and spread, a
# table and a plot. Asserts nothing; the cluster is private and stopped by PID at the end (scripts/bench-cluster.js).
#   bash scripts/bench-cluster.sh                                 # 300 containers, 3 rounds: about 45 minutes on 2 cores
#   BENCH_SIZES=30 BENCH_ROUNDS=1 BENCH_MODES=default bash scripts/bench-cluster.sh    # a smoke run, a few minutes
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
log "benchmarking the cluster case"
exec node "$REPO_ROOT/scripts/bench-cluster.js"
