# Shared helpers for the set-up scripts: sourced, never run on its own.
# Every script is idempotent and prints one line per step so a slow step is easy to spot.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools the scripts install themselves (Node 22, caches) live here, outside the repo, so a clean clone reuses them.
TOOLS_DIR="${PULUMI_INCUS_TOOLS:-$HOME/.cache/pulumi-incus}"
PULUMI_VERSION="${PULUMI_INCUS_PULUMI_VERSION:-3.274.1}"
# Fallback pin: the reference records that the Go proxy served 3.259.0 when newer tags were refused.
PULUMI_FALLBACK_VERSION="3.259.0"
# The last sdk/v3 release that still contained the Node.js language host (see shared reference, section 4).
PULUMI_LANGUAGE_HOST_VERSION="3.68.0"
# Python and Go programs (sdk/python, sdk/go, examples/python-lab, examples/go-lab): every pin in one place. The SDKs
# are generated with pkg/v3's codegen (scripts/gensdk); the newest language hosts the Go proxy serves inside sdk/v3
# are Python 3.79.0 and Go 3.66.0 (later ones live in modules it refuses); PyPI's newest `pulumi` is 3.272.0.
PULUMI_CODEGEN_VERSION="3.274.1"
PULUMI_PYTHON_HOST_VERSION="3.79.0"
PULUMI_GO_HOST_VERSION="3.66.0"
PULUMI_PYTHON_SDK_VERSION="3.272.0"
PULUMI_GO_SDK_VERSION="3.274.1"
# Go builds share one module and build cache (Go's defaults, ~/go/pkg/mod and ~/.cache/go-build) and the CLI build's
# flags, so a Go program's first build reuses what the CLI build compiled.
PULUMI_GO_BUILD_FLAGS="-trimpath -tags=osusergo,grpcnotrace"
TEST_IMAGE_ALIAS="${PULUMI_INCUS_TEST_IMAGE:-pulumi-incus/busybox}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# Offline, local-only Pulumi settings used by every run the scripts start.
pulumi_env() {
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
  export PULUMI_HOME="${PULUMI_HOME:-$HOME/.pulumi}"
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Removes the locks of this stack in a local file:// backend that were left by a `pulumi` process of this machine
# that is gone (a killed CLI), so the next run does not stop at "the stack is currently locked … `pulumi cancel`".
# A lock of a live process, or of another machine, is left alone.
clear_stale_locks() {
  local stack="$1" dir lock pid host
  case "${PULUMI_BACKEND_URL:-}" in file://*) ;; *) return 0 ;; esac
  dir="${PULUMI_BACKEND_URL#file://}/.pulumi/locks"
  [ -d "$dir" ] || return 0
  while IFS= read -r lock; do
    # The lock's JSON names the pulumi process and its machine: "<pid> <hostname>" (empty when unreadable).
    read -r pid host < <(node -e 'try { const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${l.pid ?? ""} ${l.hostname ?? ""}`) } catch { console.log("") }' "$lock") || true
    if [ -n "$pid" ] && [ "$host" = "$(hostname)" ] && ! kill -0 "$pid" 2>/dev/null; then
      log "removing the lock of pulumi process $pid, which is gone: $lock"
      rm -f "$lock" "$lock.attrs"
    fi
  done < <(find "$dir" -path "*/$stack/*.json" -type f 2>/dev/null)
}

# A `pulumi` killed while it saved a checkpoint can leave the file backend's metadata sidecar (`<file>.attrs`) empty:
# gocloud's fileblob renames the new file into place but truncates and rewrites its sidecar, and every later command
# then fails with "failed to load checkpoint: EOF". A missing sidecar reads as default metadata, so empty ones go.
repair_torn_sidecars() {
  local f
  case "${PULUMI_BACKEND_URL:-}" in file://*) ;; *) return 0 ;; esac
  [ -d "${PULUMI_BACKEND_URL#file://}/.pulumi" ] || return 0
  while IFS= read -r f; do
    log "removing the empty metadata file a killed pulumi left: $f"
    rm -f "$f"
  done < <(find "${PULUMI_BACKEND_URL#file://}/.pulumi" -name '*.attrs' -type f -empty 2>/dev/null)
}

# After a successful `up`, the creates a killed CLI left pending are settled (the owner mark let this run take over
# what they made): Pulumi would warn about them on every run until an interactive refresh, so they are cleared.
clear_settled_pending_creates() {
  local pending
  pending="$(pulumi stack export | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log((JSON.parse(s).deployment?.pending_operations ?? []).length))')"
  if [ "$pending" != 0 ]; then
    log "clearing $pending pending operation(s) of an interrupted run, now settled"
    pulumi refresh --yes --skip-preview --clear-pending-creates >/dev/null
  fi
}

# The lab commands of scripts/lab.sh and scripts/yaml-lab.sh, in the current directory's project: `up` (default;
# prints the outputs), `destroy`, `preview` (with the diff), or any other pulumi command.
run_lab() {
  local stack="$1"
  shift
  repair_torn_sidecars
  pulumi stack select --create "$stack" >/dev/null
  clear_stale_locks "$stack"
  case "${1:-up}" in
    up)
      pulumi up --yes --skip-preview
      clear_settled_pending_creates
      pulumi stack output --json ;;
    destroy) pulumi destroy --yes ;;
    preview) pulumi preview --diff ;;
    *) pulumi "$@" ;;
  esac
}
