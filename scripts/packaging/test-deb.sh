#!/usr/bin/env bash
# Tests the .deb: its metadata, contents and maintainer scripts; install, upgrade, remove and
# purge in throwaway roots (`dpkg --root`); and the installed service answering over HTTP.
#
#   bash scripts/packaging/test-deb.sh [--deb FILE] [--report FILE]
#
# Without --deb it builds one with scripts/package-deb.sh. Needs root (dpkg --root, overlay mount),
# dpkg-deb and node. Ends with "N passed, M failed" and exits 1 if any check failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=scripts/packaging/test-lib.sh
source scripts/packaging/test-lib.sh

deb=
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$2 && shift 2 ;;
    --report) REPORT=$2 && shift 2 ;;
    *) echo "unknown argument $1" >&2 && exit 2 ;;
  esac
done

tmp=$(mktemp -d)
cleanup() {
  unmount_overlays
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$deb" ]; then
  echo "=== building the .deb"
  if deb=$(bash scripts/package-deb.sh 2>"$tmp/build.log"); then ok "npm run package:deb builds $deb"; else
    not_ok "scripts/package-deb.sh failed" "$(tail -n 30 "$tmp/build.log")"
    finish
    exit 1
  fi
fi
[ -f "$deb" ] || { not_ok "no such .deb: $deb" && finish && exit 1; }
echo "=== $(du -h "$deb" | cut -f1) $deb"

# --- metadata -------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
check "Package is piragua" test "$(field Package)" = piragua
check "Version is package.json's ($(field Version))" \
  test "$(field Version)" = "$(node -p 'require("./package.json").version' | sed 's/-/~/')-${PIRAGUA_DEB_REVISION:-1}"
check "Architecture is this machine's" test "$(field Architecture)" = "${PIRAGUA_DEB_ARCH:-$(dpkg --print-architecture)}"
depends=$(field Depends)
for dep in glusterfs-client glusterfs-cli mount; do
  check "Depends on $dep ($depends)" grep -Eq "(^|, )$dep(\$|[ ,])" <<<"$depends"
done
check "no dependency on the system nodejs" bash -c "! grep -q nodejs <<<'$depends'"
check "conffiles lists /etc/piragua/environment" \
  test "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/piragua/environment
dpkg-deb -I "$deb" >"$tmp/info"
for script in postinst prerm postrm; do
  check "control archive has an executable $script" grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script " "$tmp/info"
  dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$script" >"$tmp/$script"
  check "$script is valid POSIX sh (sh -n)" sh -n "$tmp/$script"
  if command -v shellcheck >/dev/null; then
    check "$script passes shellcheck" shellcheck -s sh "$tmp/$script"
  else
    skip "$script: shellcheck not installed"
  fi
done

# --- contents -------------------------------------------------------------------------------
dpkg-deb -c "$deb" >"$tmp/contents"
has() { grep -Eq "^$1 +root/root +[0-9]+ [0-9-]+ [0-9:]+ \\./$2\$" "$tmp/contents"; }
check "unit file /lib/systemd/system/piragua.service" has '-rw-r--r--' lib/systemd/system/piragua.service
check "environment file /etc/piragua/environment, mode 0600" has '-rw-------' etc/piragua/environment
check "entry point /opt/piragua/dist/main.js" has '-rw-r--r--' opt/piragua/dist/main.js
check "package.json next to dist/ (\"type\": \"module\")" has '-rw-r--r--' opt/piragua/package.json
check "bundled runtime /opt/piragua/node/bin/node, executable" has '-rwxr-xr-x' opt/piragua/node/bin/node
check "command /usr/bin/piragua, executable" has '-rwxr-xr-x' usr/bin/piragua
check "production dependency @nestjs/core" has '-rw-r--r--' opt/piragua/node_modules/@nestjs/core/package.json
check "every file belongs to root/root" bash -c "! awk '\$2 != \"root/root\"' '$tmp/contents' | grep -q ."
check "no development dependency (vitest, @swc/core, fast-check, unplugin-swc)" \
  bash -c "! grep -Eq '\\./opt/piragua/node_modules/(vitest|@swc/core|fast-check|unplugin-swc)/' '$tmp/contents'"
check "no test files in dist/" bash -c "! grep -Eq '\\./opt/piragua/dist/.*\\.spec\\.js' '$tmp/contents'"
check "no native addons (*.node)" bash -c "! grep -Eq '\\.node\$' '$tmp/contents'"

dpkg-deb -x "$deb" "$tmp/x"
check "packaged unit is deploy/piragua.service" cmp "$tmp/x/lib/systemd/system/piragua.service" deploy/piragua.service
check "packaged environment is deploy/environment.example" cmp "$tmp/x/etc/piragua/environment" deploy/environment.example
check "unit starts the bundled runtime on dist/main.js" \
  grep -qx 'ExecStart=/opt/piragua/node/bin/node /opt/piragua/dist/main.js' "$tmp/x/lib/systemd/system/piragua.service"
check "bundled runtime runs ($("$tmp/x/opt/piragua/node/bin/node" --version 2>&1))" "$tmp/x/opt/piragua/node/bin/node" --version
check "packaged /usr/bin/piragua is deploy/piragua-cli" cmp "$tmp/x/usr/bin/piragua" deploy/piragua-cli
check "packaged piragua k8s migrate-pvs runs on the production dependencies" bash -c \
  "'$tmp/x/opt/piragua/node/bin/node' '$tmp/x/opt/piragua/dist/bin/piragua-k8s.js' migrate-pvs --help | grep -q '^usage: piragua k8s migrate-pvs'"
check "bundled runtime satisfies package.json engines" "$tmp/x/opt/piragua/node/bin/node" -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  const want = require(process.argv[1]).engines.node.match(/>=\s*(\d+)\.(\d+)/);
  process.exit(maj > +want[1] || (maj === +want[1] && min >= +want[2]) ? 0 : 1);' "$PWD/package.json"

# --- install, upgrade, remove, purge in an empty root (chrootless) ---------------------------
new_root() {
  local root=$1
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
  : >"$root/var/lib/dpkg/status"
  : >"$root/var/lib/dpkg/available"
}
# repack VERSION [CHANGE_CONFFILE]: the same package under another version, optionally with a
# different shipped environment file, to exercise upgrades.
repack() {
  local version=$1 dir="$tmp/repack-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  dpkg-deb -R "$deb" "$dir/root"
  sed -i "s/^Version: .*/Version: $version/" "$dir/root/DEBIAN/control"
  [ -z "${2:-}" ] || echo "# a line added by a newer package version" >>"$dir/root/etc/piragua/environment"
  dpkg-deb --root-owner-group -Znone --build "$dir/root" "$dir/piragua.deb" >/dev/null
  echo "$dir/piragua.deb"
}
key_of() { sed -n 's/^HEKETI_ADMIN_KEY=//p' "$1/etc/piragua/environment"; }

echo "=== dpkg --root (chrootless, DPKG_ROOT) into an empty root"
R="$tmp/root"
new_root "$R"
D=(dpkg --root="$R" --force-script-chrootless --force-depends)
check "dpkg --root=<tmp> --force-depends -i installs it" "${D[@]}" -i "$deb"
check "dpkg reports it installed" bash -c "dpkg --root='$R' -s piragua | grep -qx 'Status: install ok installed'"
key=$(key_of "$R")
check "postinst replaced the placeholder with a random 64-hex-digit key" grep -Eq '^[0-9a-f]{64}$' <<<"$key"
check "environment file is 0600 root:root" test "$(stat -c '%a %U:%G' "$R/etc/piragua/environment")" = "600 root:root"
check "/var/lib/piragua/mounts exists, /var/lib/piragua is 0700" \
  bash -c "[ -d '$R/var/lib/piragua/mounts' ] && [ \"\$(stat -c %a '$R/var/lib/piragua')\" = 700 ]"
check "unit enabled for multi-user.target without a running systemd" \
  test "$(readlink "$R/etc/systemd/system/multi-user.target.wants/piragua.service")" = /lib/systemd/system/piragua.service
check "installed service answers /hello and checks JWTs with the generated key" run_installed_service "$R"

# The operator configures the file; an upgrade that ships the same file must not touch it.
sed -i 's/^PIRAGUA_GLUSTER_VOLUMES=.*/PIRAGUA_GLUSTER_VOLUMES=gv-operator/' "$R/etc/piragua/environment"
cp -p "$R/etc/piragua/environment" "$tmp/operator-env"
v2=$(repack 0.1.0-1+upgrade1)
check "upgrade to a new version installs" "${D[@]}" -i "$v2"
check "upgrade kept the operator's environment file (and its key)" cmp "$tmp/operator-env" "$R/etc/piragua/environment"
check "upgrade did not re-enable or re-key anything" test "$(key_of "$R")" = "$key"
v3=$(repack 0.1.0-1+upgrade2 conffile-changed)
check "upgrade whose shipped environment changed: --force-confdef --force-confold keeps the operator's" \
  bash -c "$(printf '%q ' "${D[@]}") --force-confdef --force-confold -i '$v3' </dev/null && cmp '$tmp/operator-env' '$R/etc/piragua/environment'"
check "... and leaves the new version beside it as environment.dpkg-dist" test -f "$R/etc/piragua/environment.dpkg-dist"
check "dpkg -r removes the program but keeps the configuration" \
  bash -c "$(printf '%q ' "${D[@]}") -r piragua && [ ! -e '$R/opt/piragua/dist/main.js' ] && cmp '$tmp/operator-env' '$R/etc/piragua/environment'"
check "reinstall after remove keeps the key" bash -c "$(printf '%q ' "${D[@]}") -i '$v3' && [ \"\$(sed -n 's/^HEKETI_ADMIN_KEY=//p' '$R/etc/piragua/environment')\" = '$key' ]"
mkdir -p "$R/var/lib/piragua/mounts/gv-operator"
echo "PV data" >"$R/var/lib/piragua/mounts/gv-operator/must-survive"
check "dpkg -P purges configuration, unit link, empty directories" \
  bash -c "$(printf '%q ' "${D[@]}") -P piragua 2>&1 && [ ! -e '$R/etc/piragua' ] && [ ! -L '$R/etc/systemd/system/multi-user.target.wants/piragua.service' ]"
check "purge never deletes what is under the mount directory" test -f "$R/var/lib/piragua/mounts/gv-operator/must-survive"

# --- install into a copy-on-write view of this machine, maintainer scripts chrooted ----------
echo "=== dpkg --root into an overlay of / (maintainer scripts run chrooted, as on a real system)"
if [ "$(id -u)" -ne 0 ]; then
  skip "chrooted install: needs root"
elif ! mount_root_overlay; then
  skip "chrooted install: this machine does not allow overlay mounts"
else
  M=$OVERLAY
  force=()
  dpkg -s glusterfs-client glusterfs-cli >/dev/null 2>&1 || force=(--force-depends)
  check "dpkg --root=<overlay> -i${force[*]:+ ${force[*]}} installs it" dpkg --root="$M" "${force[@]}" -i "$deb"
  check "chrooted postinst generated the key" grep -Eq '^HEKETI_ADMIN_KEY=[0-9a-f]{64}$' "$M/etc/piragua/environment"
  check "service installed this way answers" run_installed_service "$M"
  if command -v systemd-analyze >/dev/null; then
    # In the overlay: the machine's own systemd units plus the package's, ExecStart= resolved there.
    check "systemd-analyze verify: no warning about the unit" \
      bash -c "out=\$(systemd-analyze verify --root='$M' /lib/systemd/system/piragua.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
  else
    skip "systemd-analyze not installed"
  fi
  check "dpkg --root=<overlay> -P purges it" bash -c "dpkg --root='$M' -P piragua && [ ! -e '$M/etc/piragua' ] && [ ! -e '$M/opt/piragua' ]"
  unmount_overlays
fi

finish
