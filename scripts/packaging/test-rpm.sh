#!/usr/bin/env bash
# Tests the RPM spec and package: rpmspec parses the spec; the package's requirements, config
# files and contents; and, where overlay mounts work, install, upgrade and erase with
# `rpm --root` into a copy-on-write view of this machine, scriptlets chrooted.
#
#   bash scripts/packaging/test-rpm.sh [--rpm FILE] [--from-deb FILE] [--report FILE]
#
# Without --rpm it builds one with scripts/packaging/package-rpm.sh (from the given .deb's files
# when --from-deb is set). Needs rpm/rpmbuild (Debian: apt-get install rpm); without them it only
# reports the checks as skipped. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=scripts/packaging/test-lib.sh
source scripts/packaging/test-lib.sh

rpm_file=''
from_deb=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rpm) rpm_file=$2 && shift 2 ;;
    --from-deb) from_deb=(--from-deb "$2") && shift 2 ;;
    --report) REPORT=$2 && shift 2 ;;
    *) echo "unknown argument $1" >&2 && exit 2 ;;
  esac
done

if ! command -v rpmbuild >/dev/null || ! command -v rpmspec >/dev/null; then
  skip "rpm packaging: rpmbuild/rpmspec not installed (Debian: apt-get install rpm)"
  finish
  exit
fi

tmp=$(mktemp -d)
cleanup() {
  unmount_overlays
  rm -rf "$tmp"
}
trap cleanup EXIT

version=$(node -p 'require("./package.json").version')
check "rpmspec parses deploy/rpm/piragua.spec" rpmspec -P deploy/rpm/piragua.spec --define "piragua_version $version"
check "rpmspec: the spec names version $version" \
  test "$(rpmspec -q --srpm --qf '%{VERSION}' deploy/rpm/piragua.spec --define "piragua_version $version" 2>/dev/null)" = "$version"

if [ -z "$rpm_file" ]; then
  echo "=== building the .rpm"
  if rpm_file=$(bash scripts/packaging/package-rpm.sh "${from_deb[@]}" 2>"$tmp/build.log"); then ok "package-rpm.sh builds $rpm_file"; else
    not_ok "scripts/packaging/package-rpm.sh failed" "$(tail -n 30 "$tmp/build.log")"
    finish
    exit 1
  fi
fi
echo "=== $(du -h "$rpm_file" | cut -f1) $rpm_file"

q() { rpm -qp "$@" "$rpm_file" 2>/dev/null; }
requires=$(q --requires)
for dep in glusterfs-fuse glusterfs-cli util-linux; do
  check "Requires $dep" grep -qx "$dep" <<<"$requires"
done
check "no automatic requirement on a system node" bash -c "! grep -Eq '(^|/)node(js)?\b' <<<'$requires'"
check "config file /etc/piragua/environment, %config(noreplace)" \
  bash -c "rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' '$rpm_file' 2>/dev/null | grep -Eqx '/etc/piragua/environment cn?'"
q -lv >"$tmp/contents"
has() { grep -Eq "^$1 +[0-9]+ root +root .* $2\$" "$tmp/contents"; }
check "environment file is 0600" has '-rw-------' /etc/piragua/environment
check "unit file in /usr/lib/systemd/system" has '-rw-r--r--' /usr/lib/systemd/system/piragua.service
check "entry point /opt/piragua/dist/main.js" has '-rw-r--r--' /opt/piragua/dist/main.js
check "bundled runtime /opt/piragua/node/bin/node" has '-rwxr-xr-x' /opt/piragua/node/bin/node
check "command /usr/bin/piragua" has '-rwxr-xr-x' /usr/bin/piragua
check "/var/lib/piragua is 0700" has 'drwx------' /var/lib/piragua
check "no /usr/lib/.build-id links" bash -c "! grep -q '/usr/lib/.build-id' '$tmp/contents'"
q --scripts >"$tmp/scripts"
check "scriptlets: %post, %preun, %postun" bash -c "grep -q '^postinstall scriptlet' '$tmp/scripts' && grep -q '^preuninstall scriptlet' '$tmp/scripts' && grep -q '^postuninstall scriptlet' '$tmp/scripts'"

echo "=== rpm --root into an overlay of / (scriptlets run chrooted)"
if [ "$(id -u)" -ne 0 ]; then
  skip "rpm install: needs root"
elif ! mount_root_overlay; then
  skip "rpm install: this machine does not allow overlay mounts"
else
  M=$OVERLAY
  # --nodeps: this Debian machine's rpm database knows no glusterfs-fuse.
  R=(rpm --root="$M" --nodeps)
  check "rpm --root=<overlay> --nodeps -i installs it" "${R[@]}" -i "$rpm_file"
  key=$(sed -n 's/^HEKETI_ADMIN_KEY=//p' "$M/etc/piragua/environment")
  check "%post replaced the placeholder with a random 64-hex-digit key" grep -Eq '^[0-9a-f]{64}$' <<<"$key"
  check "environment file is 0600 after %post" test "$(stat -c %a "$M/etc/piragua/environment")" = 600
  check "unit enabled for multi-user.target without a running systemd" \
    test "$(readlink "$M/etc/systemd/system/multi-user.target.wants/piragua.service")" = /usr/lib/systemd/system/piragua.service
  check "installed service answers /hello and checks JWTs with the generated key" run_installed_service "$M"

  sed -i 's/^PIRAGUA_GLUSTER_VOLUMES=.*/PIRAGUA_GLUSTER_VOLUMES=gv-operator/' "$M/etc/piragua/environment"
  cp -p "$M/etc/piragua/environment" "$tmp/operator-env"
  # Release 2 of the installed files, quickly compressed, to exercise an upgrade.
  upgrade=$(PIRAGUA_PKG_OUT="$tmp/out" PIRAGUA_RPM_RELEASE=2 PIRAGUA_RPM_PAYLOAD=w1.gzdio \
    bash scripts/packaging/package-rpm.sh --from-dir "$M/opt/piragua" 2>"$tmp/upgrade.log")
  if [ -n "$upgrade" ]; then
    check "rpm -U to release 2" "${R[@]}" -U "$upgrade"
  else
    not_ok "building release 2 for the upgrade failed" "$(tail -n 30 "$tmp/upgrade.log")"
  fi
  check "upgrade kept the operator's environment file (and its key)" cmp "$tmp/operator-env" "$M/etc/piragua/environment"
  check "rpm -e erases it" bash -c "rpm --root='$M' -e piragua && [ ! -e '$M/opt/piragua' ] && [ ! -e '$M/usr/lib/systemd/system/piragua.service' ]"
  check "... keeping the operator's file as environment.rpmsave, removing the unit link" \
    bash -c "cmp '$tmp/operator-env' '$M/etc/piragua/environment.rpmsave' && [ ! -L '$M/etc/systemd/system/multi-user.target.wants/piragua.service' ]"
  unmount_overlays
fi

finish
