#!/usr/bin/env bash
# make deb: the Debian package of sotto, sottoctl and sotto-loadgen, built with dpkg-deb from a release build with
# the Swift runtime and Foundation linked in statically (-static-stdlib), so the package depends only on Debian's
# own libraries. Writes .build/deb/sotto_VERSION_amd64.deb and prints its path last.
#
# usage: scripts/build-deb.sh [SWIFT]
# Packaging sources: packaging/debian/ (control template, maintainer scripts, the unit, the production config).
set -euo pipefail

swift="${1:-${SWIFT:-swift}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
products=(sotto sottoctl sotto-loadgen)
out=.build/deb
stage="$out/root"
maintainer="${DEB_MAINTAINER:-Sotto maintainers <maintainers@users.noreply.r-seed-3493f681.example>}"

version="$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/AdminProtocol/SottoVersion.swift)"
[ -n "$version" ] || { echo "build-deb.sh: no version in Sources/AdminProtocol/SottoVersion.swift" >&2; exit 1; }
# Dates in the package (changelog, man pages) come from the last commit, so the same tree gives the same files.
stamp="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
export SOURCE_DATE_EPOCH="$stamp"

echo "== release build, Swift runtime linked statically"
# Linked with -z now (full RELRO: the dynamic relocations are resolved at start and made read-only).
flags=(-c release -Xswiftc -static-stdlib -Xlinker -z -Xlinker now)
for product in "${products[@]}"; do
    "$swift" build "${flags[@]}" --product "$product"
done
bin="$("$swift" build "${flags[@]}" --show-bin-path)"

# The check that the runtime really is inside: no Swift or Foundation library may be left to the loader.
for product in "${products[@]}"; do
    if ldd "$bin/$product" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU'; then
        echo "build-deb.sh: $product still loads the Swift runtime shown above; -static-stdlib did not take" >&2
        exit 1
    fi
done

echo "== staging $stage"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/man/man1" "$stage/usr/share/doc/sotto/examples" \
    "$stage/lib/systemd/system" "$stage/etc/sotto/tls" "$stage/var/lib/sotto" "$stage/var/log/sotto"
for product in "${products[@]}"; do
    # Stripped, as Debian ships executables: the symbol tables would double the package for no runtime use.
    install -m 0755 "$bin/$product" "$stage/usr/bin/$product"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$product"
done
install -m 0644 packaging/debian/sotto.service "$stage/lib/systemd/system/sotto.service"
install -m 0644 packaging/debian/sotto.toml "$stage/etc/sotto/sotto.toml"
install -m 0644 packaging/debian/copyright "$stage/usr/share/doc/sotto/copyright"
install -m 0644 docs/install.md "$stage/usr/share/doc/sotto/install.md"
# Every key with what it does and its default (the development config's values, paths relative to it).
install -m 0644 conf/sotto.toml "$stage/usr/share/doc/sotto/examples/sotto.toml"
# postinst gives /var/lib/sotto, /var/log/sotto and /etc/sotto/tls their owners and modes (0750) once the user
# exists; they are empty until then.
chmod 0755 "$stage/etc/sotto" "$stage/etc/sotto/tls" "$stage/var/lib/sotto" "$stage/var/log/sotto"

# A native package's changelog: one entry for this version.
date_rfc2822="$(date -u -R -d "@$stamp")"
{
    echo "sotto ($version) unstable; urgency=medium"
    echo
    echo "  * Sotto $version, built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo " -- $maintainer  $date_rfc2822"
} | gzip -9n >"$stage/usr/share/doc/sotto/changelog.gz"
chmod 0644 "$stage/usr/share/doc/sotto/changelog.gz"

echo "== man pages from each executable's --help (swift-argument-parser's generate-manual)"
# The plugin (`swift package generate-manual`) would rebuild every product of the package without -static-stdlib
# first; its tool, built from the same offline checkout of swift-argument-parser, runs on the binaries built above.
parser="$("$swift" package show-dependencies --format json |
    python3 -c 'import json,sys
def walk(d):
    for x in d["dependencies"]:
        if x["identity"] == "swift-argument-parser": print(x["path"]); sys.exit()
        walk(x)
walk(json.load(sys.stdin))')"
"$swift" build -c release --package-path "$parser" --scratch-path .build-manual --product generate-manual
manual_date="$(date -u -d "@$stamp" +%Y-%m-%d)"
for product in "${products[@]}"; do
    .build-manual/release/generate-manual "$bin/$product" --section 1 --date "$manual_date" \
        --authors "Sotto maintainers" --output-directory "$stage/usr/share/man/man1"
done
gzip -9n "$stage"/usr/share/man/man1/*.1
chmod 0644 "$stage"/usr/share/man/man1/*.1.gz

echo "== control"
# Depends from the libraries the executables load, through their shlibs/symbols files (dpkg-shlibdeps needs a
# debian/control beside it, so it runs in a scratch tree of its own).
shlibs="$out/shlibs"
rm -rf "$shlibs" && mkdir -p "$shlibs/debian"
printf 'Source: sotto\n\nPackage: sotto\nArchitecture: amd64\n' >"$shlibs/debian/control"
(cd "$shlibs" && dpkg-shlibdeps -O "${products[@]/#/$root/$stage/usr/bin/}" 2>/dev/null) >"$shlibs/substvars"
libraries="$(sed -n 's/^shlibs:Depends=//p' "$shlibs/substvars")"
[ -n "$libraries" ] || { echo "build-deb.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }
# adduser: postinst makes the user and groups with it.
depends="$libraries, adduser"
installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
    -e "s|@DEPENDS@|$depends|" packaging/debian/control.in >"$stage/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$stage/DEBIAN/$script"
done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
    xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$stamp" {} +

deb="$out/sotto_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "Depends: $depends"
echo "$deb"
