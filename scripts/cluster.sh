#!/usr/bin/env bash
# A private 3-member Incus cluster for trying things by hand (tests/cluster/cluster.ts, the fixture the cluster tests
# use): `bash scripts/cluster.sh up` forms it on 127.0.9.2-4:8443 (CLUSTER_NET=<n> for 127.0.<n>.x, CLUSTER_SIZE,
# CLUSTER_TAG) under /var/lib/pulumi-incus-cluster/<tag> and prints how to point the incus CLI or a program at it;
# `status` lists the members and their PIDs; `down` stops them by the recorded PIDs and removes the folder.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
case "${1:-status}" in
  up) bash scripts/setup-image.sh >/dev/null ;;
  down | status) ;;
  *) die "usage: scripts/cluster.sh up|down|status" ;;
esac
exec npx tsx tests/cluster/cli.ts "${1:-status}"
