#!/usr/bin/env bash
# What the cluster path costs per `up`: the same stack of N busybox containers (examples/bench-instances, N=30 by
# default: BENCH_COUNT) deployed with the pulumi CLI and the installed npm tarball on a private standalone incusd and
# on a private 3-member cluster (tests/cluster/cluster.ts, 127.0.28.x), both through a unix socket; on the cluster also
# placed with `target: "@default"` and reached over HTTPS. Prints seconds and requests to Incus for up, no-change up,
# preview, refresh and destroy. Asserts nothing; every daemon is private and stopped by PID at the end.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
bash scripts/setup-image.sh >/dev/null
npx tsc -p tsconfig.json
exec npx tsx scripts/bench-cluster.ts
