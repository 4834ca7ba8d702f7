#!/usr/bin/env bash
# Builds dist/packages/piragua_<version>-<revision>_<arch>.deb with dpkg-deb (npm run package:deb).
#
# Needs: dpkg-deb, npm and the dev dependencies (npm ci), access to the npm registry.
# Environment:
#   PIRAGUA_PKG_OUT       output directory (default dist/packages)
#   PIRAGUA_DEB_ARCH      amd64 or arm64 (default: this machine's); the app is plain JavaScript,
#                         only the bundled Node runtime differs
#   PIRAGUA_DEB_REVISION  Debian revision (default 1)
#   PIRAGUA_NODE_VERSION  bundled Node.js (default in scripts/packaging/lib.sh)
# Prints the path of the .deb on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/packaging/lib.sh
source scripts/packaging/lib.sh

command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"
arch=${PIRAGUA_DEB_ARCH:-$(dpkg --print-architecture)}
case "$arch" in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *) die "unsupported architecture $arch (amd64 or arm64)" ;;
esac
# npm's 1.2.0-rc.1 sorts after 1.2.0 in Debian unless the dash becomes a tilde.
version="$(app_version | sed 's/-/~/')-${PIRAGUA_DEB_REVISION:-1}"
out=${PIRAGUA_PKG_OUT:-dist/packages}
deb="$out/piragua_${version}_${arch}.deb"
set_source_date_epoch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

stage_app "$root/opt/piragua" "$node_arch"
install -D -m 0644 deploy/piragua.service "$root/lib/systemd/system/piragua.service"
# `piragua k8s migrate-pvs` and what comes after it.
install -D -m 0755 deploy/piragua-cli "$root/usr/bin/piragua"
# A conffile, 0600: it holds the admin key. postinst fills in the key on the first install.
install -D -m 0600 deploy/environment.example "$root/etc/piragua/environment"
install -D -m 0644 deploy/README.md "$root/usr/share/doc/piragua/README.deploy.md"
install -D -m 0644 deploy/debian/copyright "$root/usr/share/doc/piragua/copyright"
cp -r deploy/kubernetes "$root/usr/share/doc/piragua/kubernetes"
chmod -R u+rwX,go+rX,go-w "$root/usr/share/doc/piragua"

mkdir -p "$root/DEBIAN"
echo /etc/piragua/environment >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "deploy/debian/$script" "$root/DEBIAN/$script"
done
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  -e "s/@MAINTAINER@/${PIRAGUA_DEB_MAINTAINER:-piragua maintainers <maintainers@piragua.invalid>}/" \
  deploy/debian/control.in >"$root/DEBIAN/control"

mkdir -p "$out"
log "building $deb"
# --root-owner-group: every file root:root whoever builds; xz is what every dpkg reads.
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
log "$(du -h "$deb" | cut -f1) $deb"
echo "$deb"
