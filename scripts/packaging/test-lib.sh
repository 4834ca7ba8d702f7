# shellcheck shell=bash
# Helpers for the packaging tests (sourced): one line per check, a closing "N passed, M failed".

PASSED=0
FAILED=0
SKIPPED=0
# shellcheck disable=SC2034 # set by the scripts that source this file
REPORT=

ok() {
  PASSED=$((PASSED + 1))
  printf 'ok - %s\n' "$1"
}
not_ok() {
  FAILED=$((FAILED + 1))
  printf 'not ok - %s\n' "$1"
  [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /'
}
skip() {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip - %s\n' "$1"
}

# check NAME COMMAND...: passes when the command exits 0; its output is shown only on failure.
check() {
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$output"; fi
}

# A vitest-shaped JSON report, so scripts/sum-test-results.mjs can count these checks too.
write_report() {
  [ -n "$REPORT" ] || return 0
  mkdir -p "$(dirname "$REPORT")"
  printf '{"numPassedTests":%d,"numFailedTests":%d,"numPendingTests":%d,"numTodoTests":0,"numFailedTestSuites":0}\n' \
    "$PASSED" "$FAILED" "$SKIPPED" >"$REPORT"
}

finish() {
  write_report
  echo "$PASSED passed, $FAILED failed$([ "$SKIPPED" -eq 0 ] || echo ", $SKIPPED skipped")"
  [ "$FAILED" -eq 0 ]
}

# A copy-on-write view of this machine's root (overlayfs): `dpkg --root`/`rpm --root` into it run
# the maintainer scripts chrooted, as on a real system, and nothing reaches the real root.
# Sets OVERLAY to the merged directory; fails where overlay mounts are not allowed. Call it
# directly, not in $(...): the mount must be recorded in this shell for unmount_overlays.
OVERLAY=''
OVERLAYS=()
mount_root_overlay() {
  local base
  base=$(mktemp -d)
  mkdir -p "$base/upper" "$base/work" "$base/merged"
  if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/merged" 2>/dev/null; then
    rm -rf "$base"
    return 1
  fi
  OVERLAYS+=("$base")
  # shellcheck disable=SC2034 # read by the scripts that source this file
  OVERLAY="$base/merged"
}
unmount_overlays() {
  local base
  for base in "${OVERLAYS[@]}"; do
    umount "$base/merged" 2>/dev/null || umount -l "$base/merged" 2>/dev/null || true
    # Delete only what is no longer mounted.
    mountpoint -q "$base/merged" || rm -rf "$base"
  done
  OVERLAYS=()
}

# run_installed_service ROOT: starts ROOT/opt/piragua with the installed environment file, on the
# local backend and a free loopback port, and checks /hello and authentication with its admin key.
run_installed_service() {
  local root=$1 data port pid logfile rc
  data=$(mktemp -d)
  logfile="$data/service.log"
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  (
    set -a
    # shellcheck disable=SC1091
    . "$root/etc/piragua/environment"
    set +a
    cd "$data" || exit 1
    PIRAGUA_BACKEND=local PIRAGUA_DATA_DIR="$data/data" PIRAGUA_LISTEN_ADDRESS=127.0.0.1 HEKETI_HTTP_PORT=$port \
      exec "$root/opt/piragua/node/bin/node" "$root/opt/piragua/dist/main.js"
  ) >"$logfile" 2>&1 &
  pid=$!
  node "$(dirname "${BASH_SOURCE[0]}")/http-check.mjs" "http://127.0.0.1:$port" \
    "$(sed -n 's/^HEKETI_ADMIN_KEY=//p' "$root/etc/piragua/environment")"
  rc=$?
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ "$rc" -ne 0 ]; then
    echo "--- service log"
    cat "$logfile"
  fi
  rm -rf "$data"
  return "$rc"
}
