#!/usr/bin/env bash
# Builds dist/packages/piragua-<version>-1.<arch>.rpm from deploy/rpm/piragua.spec with rpmbuild
# (on Debian: apt-get install rpm).
#
#   bash scripts/packaging/package-rpm.sh [--from-deb FILE | --from-dir DIR]
#
# --from-deb takes /opt/piragua from a .deb built by scripts/package-deb.sh (same bits, no second
# build), --from-dir from a directory laid out like /opt/piragua; otherwise it stages the app
# itself like package-deb.sh. Environment: PIRAGUA_PKG_OUT,
# PIRAGUA_RPM_ARCH (x86_64 or aarch64; default this machine's), PIRAGUA_RPM_RELEASE (default 1),
# PIRAGUA_RPM_PAYLOAD (rpm's _binary_payload, default w6T.xzdio), PIRAGUA_NODE_VERSION.
# Prints the path of the .rpm on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/packaging/lib.sh
source scripts/packaging/lib.sh

from_deb=''
from_dir=''
while [ $# -gt 0 ]; do
  case "$1" in
    --from-deb) from_deb=$2 && shift 2 ;;
    --from-dir) from_dir=$2 && shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done

command -v rpmbuild >/dev/null || die "rpmbuild is missing (Debian: apt-get install rpm)"
arch=${PIRAGUA_RPM_ARCH:-$(uname -m)}
case "$arch" in
  x86_64) node_arch=x64 deb_arch=amd64 ;;
  aarch64) node_arch=arm64 deb_arch=arm64 ;;
  *) die "unsupported architecture $arch (x86_64 or aarch64)" ;;
esac
version=$(app_version)
case "$version" in *-*) die "rpm versions cannot hold '-' ($version)" ;; esac
out=${PIRAGUA_PKG_OUT:-dist/packages}
set_source_date_epoch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top="$work/rpmbuild"
mkdir -p "$top/SOURCES" "$top/SPECS" "$work/app"

if [ -n "$from_deb" ]; then
  [ "$(dpkg-deb -f "$from_deb" Architecture)" = "$deb_arch" ] || die "$from_deb is not $deb_arch"
  dpkg-deb --fsys-tarfile "$from_deb" | tar -x -C "$work" ./opt/piragua
  mv "$work/opt/piragua"/* "$work/app/"
elif [ -n "$from_dir" ]; then
  if [ ! -f "$from_dir/dist/main.js" ] || [ ! -x "$from_dir/node/bin/node" ]; then
    die "$from_dir is not an /opt/piragua tree"
  fi
  cp -a "$from_dir"/. "$work/app/"
else
  stage_app "$work/app" "$node_arch"
fi
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -czf "$top/SOURCES/piragua-$version-linux-$node_arch.tar.gz" -C "$work/app" .
cp deploy/piragua.service deploy/environment.example deploy/piragua-cli "$top/SOURCES/"
cp deploy/README.md "$top/SOURCES/README.deploy.md"
cp deploy/rpm/piragua.spec "$top/SPECS/"

log "rpmbuild -bb piragua.spec ($arch)"
# --nodeps: the build host is not an rpm system, so BuildRequires could not be checked anyway.
# xz payload: readable by every rpm since RHEL 6 (zstd needs a newer rpm than RHEL 8.0's).
rpmbuild -bb --nodeps --target "$arch" \
  --define "_topdir $top" \
  --define "piragua_version $version" \
  --define "node_arch $node_arch" \
  --define "piragua_release ${PIRAGUA_RPM_RELEASE:-1}" \
  --define "_binary_payload ${PIRAGUA_RPM_PAYLOAD:-w6T.xzdio}" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "clamp_mtime_to_source_date_epoch 1" \
  "$top/SPECS/piragua.spec" >&2

mkdir -p "$out"
rpm=$(find "$top/RPMS" -name '*.rpm' -print -quit)
[ -n "$rpm" ] || die "rpmbuild made no package"
cp "$rpm" "$out/"
rpm="$out/$(basename "$rpm")"
log "$(du -h "$rpm" | cut -f1) $rpm"
echo "$rpm"
