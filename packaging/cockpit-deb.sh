#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# virt-nfsroot-cockpit_<version>_all.deb: the Cockpit page (install component "cockpit" of a
# build configured with -DCMAKE_INSTALL_PREFIX=/usr), with dpkg-deb: the main .deb (cpack) holds
# everything else. Usage: cockpit-deb.sh BUILD_DIR VERSION OUTDIR
set -euo pipefail
B=$1 VERSION=$2 OUT=$3
SRC=$(cd "$(dirname "$0")/.." && pwd)
PKG=virt-nfsroot-cockpit
W=$(mktemp -d "${TMPDIR:-/tmp}/$PKG.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/root
DESTDIR=$R cmake --install "$B" --component cockpit --prefix /usr >/dev/null
[ -f "$R/usr/share/cockpit/virt-nfsroot/manifest.json" ] ||
    { echo "cockpit-deb: the build has no Cockpit page (ENABLE_COCKPIT, npm)" >&2; exit 1; }
DOC=$R/usr/share/doc/$PKG
install -d -m 0755 "$DOC" "$R/DEBIAN"
install -m 0644 "$SRC/packaging/debian/copyright-cockpit" "$DOC/copyright"
gzip -9nc "$SRC/packaging/debian/changelog" >"$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"
(cd "$R" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$R/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$R" | cut -f1)
cat >"$R/DEBIAN/control" <<EOC
Package: $PKG
Version: $VERSION
Architecture: all
Maintainer: virt-nfsroot maintainers <maintainers@virt-nfsroot.org>
Installed-Size: $size
Depends: cockpit-bridge, libvirt-clients, virt-nfsroot (>= $VERSION)
Enhances: cockpit-machines
Section: admin
Priority: optional
Homepage: https://virt-nfsroot.org/
Description: Cockpit page for libvirt guests whose root is served over NFS
 A page in Cockpit's web console beside Virtual Machines (cockpit-machines):
 the domains with an NFS root, started and stopped there (virsh), the
 guests virt-nfsroot exports and the boot check's verdict, unreadable
 records and orphans with their fix, the host checks of 'virt-nfsroot doctor',
 and forms to create, delete and annotate guests. It runs the installed
 virt-nfsroot command; nothing is fetched at run time.
EOC
chmod 0644 "$R/DEBIAN/control" "$R/DEBIAN/md5sums"
mkdir -p "$OUT"
dpkg-deb --root-owner-group -Zxz --build "$R" "$OUT/${PKG}_${VERSION}_all.deb" >/dev/null
echo "$OUT/${PKG}_${VERSION}_all.deb"
