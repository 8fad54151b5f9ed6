#!/usr/bin/env bash
# The .deb that CPack builds from this build tree (packaging/CMakeLists.txt) holds what a system
# needs to run Streamkeeper as a service, and systemd accepts its unit:
#   - dpkg-deb -c: /usr/bin/streamkeeper and ds-admin, the unit in /lib/systemd/system, the
#     configuration in /etc/streamkeeper/; nothing of the dev component (headers, libraries);
#   - dpkg-deb -x: both binaries run (--help) from the extracted tree; the default configuration's
#     keys are exactly the server's flags (`streamkeeper --help`), most commented out; once the
#     server reads configuration files (--config, --print-config), it reads the packaged one;
#   - dpkg-deb -e: the configuration is a conffile; the maintainer scripts parse; the package
#     depends on adduser and on the shared libraries the binaries link (dpkg-shlibdeps);
#   - systemd-analyze verify accepts the unit, without a single warning, with the extracted tree
#     as root (so its ExecStart is the packaged binary), and `systemd-analyze security` rates its
#     exposure no worse than today's 1.5.
#
#   deb_package_test.sh BUILD_DIR
set -euo pipefail

build=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamkeeper-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$tmp/out" --config CPackConfig.cmake) >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack"; }
debs=("$tmp"/out/*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "expected one .deb, got: ${debs[*]}"
deb=${debs[0]}
echo "built $(basename "$deb")"

echo "== dpkg-deb -c"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
for f in ./usr/bin/streamkeeper ./usr/bin/ds-admin ./lib/systemd/system/streamkeeper.service \
         ./etc/streamkeeper/streamkeeper.toml; do
  grep -qxF "$f" "$tmp/contents" || fail "$f is not in the package"
done
if grep -E '^\./usr/(local|include)/|\.a$|cmake' "$tmp/contents" >&2; then
  fail "the package holds files of the dev component or outside /usr"
fi

echo "== dpkg-deb -x"
root=$tmp/root
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/streamkeeper" --help >"$tmp/help" || fail "streamkeeper --help"
"$root/usr/bin/ds-admin" --help >/dev/null || fail "ds-admin --help"
grep -q -- '--data-dir' "$tmp/help" || fail "streamkeeper --help does not list --data-dir"

config=$root/etc/streamkeeper/streamkeeper.toml
flags=$(sed -nE 's/^ +(-[a-zA-Z], )?--([a-z0-9-]+).*/\2/p' "$tmp/help")
keys=$(sed -nE 's/^#? *([a-z0-9-]+) *=.*/\1/p' "$config")
[[ -n $keys ]] || fail "no keys in streamkeeper.toml"
for key in $keys; do
  grep -qxF "$key" <<<"$flags" || fail "streamkeeper.toml: '$key' is not a flag of streamkeeper"
done
# ...and every flag of the server has its line (commented out at its default, if not set), so
# that a new flag is documented where the service is configured.
for flag in $flags; do
  case $flag in help | config | print-config | version) continue ;; esac
  grep -qxF "$flag" <<<"$keys" || fail "streamkeeper.toml does not list the flag --$flag"
done
for set in 'host = "127.0.0.1"' 'port = 4437' 'data-dir = "/var/lib/streamkeeper"'; do
  grep -qxF "$set" "$config" || fail "streamkeeper.toml does not set: $set"
done
if grep -qxF config <<<"$flags" && grep -qxF print-config <<<"$flags"; then
  "$root/usr/bin/streamkeeper" --config "$config" --print-config >"$tmp/effective" ||
    fail "streamkeeper does not accept the packaged configuration"
  grep -qF '/var/lib/streamkeeper' "$tmp/effective" ||
    fail "--print-config does not show the packaged data-dir"
else
  echo "note: streamkeeper has no --config/--print-config yet; the configuration is checked by key names only"
fi

echo "== dpkg-deb -e"
dpkg-deb -e "$deb" "$tmp/control"
grep -qxF /etc/streamkeeper/streamkeeper.toml "$tmp/control/conffiles" ||
  fail "/etc/streamkeeper/streamkeeper.toml is not a conffile"
for script in postinst prerm postrm; do
  [[ -x $tmp/control/$script ]] || fail "no executable $script"
  sh -n "$tmp/control/$script" || fail "$script does not parse"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in adduser libc6 libstdc++6 libboost-json libspdlog libtcmalloc-minimal; do
  grep -qF "$dep" <<<"$depends" || fail "the package does not depend on $dep"
done

echo "== systemd-analyze"
# The unit's dependencies (sysinit.target, ...) come from this system's units.
mkdir -p "$root/usr/lib/systemd"
cp -r /lib/systemd/system "$root/usr/lib/systemd/system"
grep -qx 'ExecStart=/usr/bin/streamkeeper --config /etc/streamkeeper/streamkeeper.toml' \
  "$root/lib/systemd/system/streamkeeper.service" || fail "ExecStart is not the packaged binary and configuration"
systemd-analyze verify --root="$root" streamkeeper.service >"$tmp/verify" 2>&1 ||
  { cat "$tmp/verify"; fail "systemd-analyze verify"; }
[[ ! -s $tmp/verify ]] || { cat "$tmp/verify"; fail "systemd-analyze verify warns"; }
systemd-analyze security --offline=true --root="$root" --threshold=15 streamkeeper.service \
  >"$tmp/security" 2>&1 || { cat "$tmp/security"; fail "the unit's exposure rose above 1.5"; }
tail -n 1 "$tmp/security"

echo "PASS"
