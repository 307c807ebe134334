#!/usr/bin/env bash
# The README's test command: sets up Node, the Pulumi CLI, the Incus daemon and the test image when missing, builds,
# then runs every suite (unit, integration against the real daemon, e2e through the real engine).
# Extra arguments go to jest (e.g. `scripts/test.sh --selectProjects unit`).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
# minio and mc for the storage bucket tests' private daemon: built from Go modules once (minutes on a clean machine),
# here rather than inside a test's time limit. Without them only those tests fail (they say why).
bash scripts/setup-minio.sh >/dev/null || log "minio/mc could not be built: the storage bucket tests will fail"
# LXD 5.0.2 for the lxd suite: Debian's .debs unpacked into the cache (seconds; never installed as a service).
bash scripts/setup-lxd.sh >/dev/null || log "LXD could not be unpacked: the lxd tests will fail"
# The Pulumi YAML language host for the YAML e2e tests: built from Go modules once (minutes), here rather than
# inside a test's time limit while other suites load the machine.
bash scripts/setup-yaml.sh >/dev/null || log "the YAML language host could not be built: the YAML e2e tests will fail"
# Open vSwitch and OVN for the OVN tests: pinned .debs unpacked into the cache (seconds; never installed).
bash scripts/setup-ovn.sh >/dev/null || log "Open vSwitch/OVN could not be unpacked: the OVN tests will fail"
# Python and Go programs (tests/e2e/sdks.test.ts): the SDK generator and both language hosts, built from Go modules
# once (minutes), then Go's build cache warmed with sdk/go (the Pulumi Go SDK's first compile is the slow part): in the
# background while the other suites run; the test waits for it (the scripts take a lock).
sdk_log="$(mktemp)"
(bash scripts/setup-gensdk.sh && bash scripts/setup-python.sh && bash scripts/setup-go.sh warm) >"$sdk_log" 2>&1 &
sdk_setup=$!
report="$(mktemp)"
before="$(node scripts/daemon-snapshot.js)"
set +e
npx jest --ci --maxWorkers=2 --json --outputFile="$report" "$@"
rc=$?
wait "$sdk_setup" || { log "setting up the Python and Go hosts failed (the SDK tests fail too):"; cat "$sdk_log" >&2; }
rm -f "$sdk_log"
set -e
# The suites work in their own projects and uniquely named objects; anything else they changed is a defect.
after="$(node scripts/daemon-snapshot.js)"
if [ "$before" != "$after" ]; then
  log "the tests left the daemon changed outside their own objects:"
  diff <(echo "$before") <(echo "$after") >&2 || true
  rc=1
fi
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  if (r.numTotalTests === 0) { console.log("no test ran"); process.exit(1); }
' "$report" || rc=1
rm -f "$report"
exit $rc
