# Sourced by the README's commands and CI: puts Node >= 22 and the pinned Pulumi CLI first on PATH and sets the
# offline, local-backend Pulumi settings. Installs what is missing (idempotent, seconds when all is there).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NODE_BIN="$(bash "$REPO_ROOT/scripts/setup-node.sh")"
export PATH="$NODE_BIN:$PATH"
if [ ! -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ] || [ "$REPO_ROOT/package-lock.json" -nt "$REPO_ROOT/node_modules/.package-lock.json" ]; then
  log "npm ci"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
PULUMI_BIN="$(bash "$REPO_ROOT/scripts/setup-pulumi.sh")"
export PATH="$PULUMI_BIN:$PATH"
pulumi_env
# State of the stacks these scripts run lives in the repo's .state (a file:// backend), unless the user chose one.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$REPO_ROOT/.state}"
mkdir -p "$REPO_ROOT/.state"

# The daemon answering with its pool and test image, and the TypeScript built: what the lab, the tests and the
# benchmarks all start from. Leaves the shell in the repository root.
prepare_lab() {
  bash "$REPO_ROOT/scripts/setup-incus.sh"
  bash "$REPO_ROOT/scripts/setup-image.sh" >/dev/null
  cd "$REPO_ROOT"
  log "building"
  npx tsc -p tsconfig.json
}

# The Pulumi YAML language host on PATH, for YAML programs (examples/yaml-lab): built from Go modules the first
# time (a few minutes), then cached in ~/.cache/pulumi-incus.
prepare_yaml() {
  local d
  d="$(bash "$REPO_ROOT/scripts/setup-yaml.sh")"
  export PATH="$d:$PATH"
}
