#!/usr/bin/env bash
# All packaging tests: deploy/ checks (Kubernetes examples, unit, environment file, Dockerfile),
# the .deb (built, inspected, installed, upgraded, purged, run) and the .rpm (spec checked, built
# from the .deb's files, inspected, installed, upgraded, erased).
#
#   bash scripts/packaging/test-packaging.sh [--report FILE]
#
# As root it first installs what it uses from Debian's packages when missing: rpm (rpmbuild) and
# the maintainer scripts' linter. Needs `npm ci` done (the app is compiled with its tsc).
# Ends with "N passed, M failed" (all three together) and exits 1 if any check failed;
# --report writes the totals as a vitest-shaped JSON for scripts/sum-test-results.mjs.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

report=''
while [ $# -gt 0 ]; do
  case "$1" in
    --report) report=$2 && shift 2 ;;
    *) echo "unknown argument $1" >&2 && exit 2 ;;
  esac
done

missing=()
command -v rpmbuild >/dev/null || missing+=(rpm)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "=== apt-get install ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null ||
    echo "could not install ${missing[*]}: those checks are skipped" >&2
fi

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT

echo "=== deploy/ checks"
node scripts/packaging/check-deploy.mjs --report "$reports/deploy.json"
echo "=== .deb"
bash scripts/packaging/test-deb.sh --report "$reports/deb.json" | tee "$reports/deb.log"
deb=$(sed -n 's/^=== [0-9.]*[KMG]* \(.*\.deb\)$/\1/p' "$reports/deb.log" | head -n 1)
echo "=== .rpm"
if [ -n "$deb" ] && [ -f "$deb" ]; then
  bash scripts/packaging/test-rpm.sh --from-deb "$deb" --report "$reports/rpm.json"
else
  bash scripts/packaging/test-rpm.sh --report "$reports/rpm.json"
fi

# shellcheck disable=SC2016 # JavaScript template literals, not shell
node -e '
  const fs = require("fs"), path = require("path");
  const [dir, out] = process.argv.slice(1);
  const total = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numFailedTestSuites: 0 };
  const parts = ["deploy", "deb", "rpm"];
  for (const part of parts) {
    const file = path.join(dir, part + ".json");
    if (!fs.existsSync(file)) { total.numFailedTests++; console.log(`not ok - ${part} tests wrote no report`); continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const k of Object.keys(total)) total[k] += r[k] || 0;
  }
  if (out) { fs.mkdirSync(path.dirname(out), { recursive: true }); fs.writeFileSync(out, JSON.stringify(total)); }
  const skipped = total.numPendingTests ? `, ${total.numPendingTests} skipped` : "";
  console.log(`packaging: ${total.numPassedTests} passed, ${total.numFailedTests} failed${skipped}`);
  process.exit(total.numFailedTests > 0 ? 1 : 0);
' "$reports" "$report"
