#!/usr/bin/env bash
# Makes a local Incus daemon answer on its unix socket, with a `dir` storage pool `default` and a root disk in the
# default profile. Installs incus-base from bookworm-backports when it is missing and starts incusd by hand when
# no init system runs it. Never changes a pool, profile or daemon a user already has.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INCUS_STATE_DIR="$TOOLS_DIR/incusd"   # PID file and log of a daemon these scripts started
mkdir -p "$INCUS_STATE_DIR"

ensure_packages() {
  local missing=()
  [ -x /usr/libexec/incus/incusd ] || missing+=(incus-base)
  have incus || missing+=(incus-client)
  # incusd runs `dnsmasq --version` before creating any bridge, even an address-less one.
  have dnsmasq || missing+=(dnsmasq-base)
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding the bookworm-backports suite"
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  apt_updated=0
  local p pkgs=()
  for p in "${missing[@]}"; do
    case "$p" in incus-base|incus-client) pkgs+=("$p/bookworm-backports") ;; *) pkgs+=("$p") ;; esac
  done
  apt_install "${pkgs[@]}" || apt_install -t bookworm-backports incus-base incus-client dnsmasq-base
}

answers() { incus query /1.0 >/dev/null 2>&1; }

# A process that exists and is not a zombie (an incusd killed moments ago may not be reaped yet).
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" && [ -n "$st" ] && [[ "$st" != Z* ]]; }

launch_daemon() {
  local pidfile="$1" logfile="$2"
  log "starting incusd (log: $logfile)"
  mkdir -p /var/lib/incus /var/log/incus
  # setsid: the daemon outlives this script and is not tied to the caller's terminal or process group.
  # The proxy settings point at a closed loopback port: incusd's own background fetches (instance types from
  # the public image server) then fail at once on loopback instead of sending DNS queries or traffic outside this
  # machine; loopback addresses (image servers and remotes on 127.0.0.1) are never proxied.
  # It runs from /: its working directory is inherited by the rsync it runs for snapshots and copies, which fails
  # ("getcwd(): No such file or directory") once a checkout it was started from is removed.
  local group
  group="$(getent group incus-admin >/dev/null && echo incus-admin || echo root)"
  (cd / && https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 no_proxy=127.0.0.1,localhost,::1 \
    exec setsid /usr/libexec/incus/incusd --group "$group") >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

start_daemon() {
  answers && return 0
  local pidfile="$INCUS_STATE_DIR/incusd.pid" logfile="$INCUS_STATE_DIR/incusd.log"
  if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
    log "incusd (pid $(cat "$pidfile")) is starting; waiting"
  else
    launch_daemon "$pidfile" "$logfile"
  fi
  local i relaunched=0
  for i in $(seq 1 120); do
    answers && { log "incusd answers"; return 0; }
    if ! alive "$(cat "$pidfile")" && [ "$relaunched" = 0 ]; then
      relaunched=1
      launch_daemon "$pidfile" "$logfile"
    fi
    sleep 0.5
  done
  tail -n 30 "$logfile" >&2 || true
  die "incusd did not answer within 60 s"
}

ensure_storage() {
  if ! incus storage show default >/dev/null 2>&1; then
    log "creating dir storage pool 'default'"
    incus storage create default dir >/dev/null
  fi
  if ! incus profile device show default 2>/dev/null | grep -q '^root:'; then
    log "adding a root disk to the default profile"
    incus profile device add default root disk path=/ pool=default >/dev/null
  fi
}

ensure_packages
start_daemon
ensure_storage
log "incus $(incus query /1.0 | sed -n 's/.*"server_version": "\([^"]*\)".*/\1/p') ready"
