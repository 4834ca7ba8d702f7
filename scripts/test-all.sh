#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (as root), then runs every suite:
# static checks, unit tests, the Kubernetes kit's checks, e2e tests of the built service, and tests
# against a real glusterd.
# Ends with one line "N passed, M failed" and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

results=test-results
rm -rf "$results" && mkdir -p "$results"
failed_steps=()

step() {
  local name=$1
  shift
  echo "=== $name"
  if ! "$@"; then
    failed_steps+=("$name")
  fi
}

install_system_packages() {
  local missing=()
  command -v glusterd >/dev/null || missing+=(glusterfs-server)
  command -v mount.glusterfs >/dev/null || missing+=(glusterfs-client)
  command -v getfattr >/dev/null || missing+=(attr)
  command -v rpmbuild >/dev/null || missing+=(rpm)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  [ -x /usr/bin/chromium ] || missing+=(chromium) # Swagger UI e2e test (headless, through playwright-core)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "need root to install: ${missing[*]}" >&2
      return 1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

step "system packages" install_system_packages
step "npm ci" npm ci --no-audit --no-fund
step "build" npm run build --silent
step "typecheck" npm run typecheck --silent
step "lint" npm run lint --silent
step "format" npm run format:check --silent
step "openapi.json is current" node dist/bin/write-openapi.js --check openapi.json
step "unit tests" npx vitest run --config vitest.config.ts --reporter=default --reporter=json --outputFile.json="$results/unit.json"
# The CSI kit without a cluster: manifests against the Kubernetes API schema and each other, the Dockerfile.
step "kubernetes kit tests" npx vitest run --config vitest.k8s.config.ts --reporter=default --reporter=json --outputFile.json="$results/kubernetes.json"
step "e2e tests" npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json="$results/e2e.json"
step "gluster tests" npx vitest run --config vitest.gluster.config.ts --reporter=default --reporter=json --outputFile.json="$results/gluster.json"
step "packaging tests" bash scripts/packaging/test-packaging.sh --report "$results/packaging.json"

node scripts/sum-test-results.mjs "$results" "${#failed_steps[@]}" "${failed_steps[@]}"
