#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 (bookworm) machine for building and testing
# Streamkeeper. Run as root. Installs only what is missing: a machine that
# already has everything makes no apt-get call and no network call.
#
#   tools/setup.sh
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "setup.sh: error: $*" >&2; exit 1; }
note() { echo "setup.sh: $*"; }

packages=(
  librocksdb-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcxxopts-dev
  libspdlog-dev
  libtomlplusplus-dev  # --config files (src/config/)
  libssl-dev openssl  # access control (src/access/) and HTTPS (src/http/tls_context.h); tests make keys and certificates with the CLI
  libgtest-dev libgmock-dev libbenchmark-dev
  libgoogle-perftools-dev
  ninja-build ccache cmake g++ pkg-config
  clang libclang-rt-14-dev  # the fuzz targets (libFuzzer's runtime is only "recommended")
  curl ca-certificates
  # tests/packaging: cpack's .deb (dpkg-shlibdeps from dpkg-dev; CPack finds ELF files with
  # `file`), dpkg-deb, and systemd-analyze to verify the unit
  dpkg-dev file systemd
  prometheus  # for promtool: tests/metrics checks a scrape with `promtool check metrics`
  nginx  # tools/nginx/: the caching-proxy test and benchmark run their own nginx (see below)
)

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

apt_updated=0
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "must run as root to install: $*"
  command -v apt-get >/dev/null || die "apt-get not found (this script targets Debian 12)"
  if [[ $apt_updated -eq 0 ]]; then
    note "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  note "installing: $*"
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "$@" >/dev/null ||
    die "apt-get install failed for: $*"
}

# --- Debian packages ---------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done
command -v node >/dev/null || missing+=(nodejs)
# Debian's nginx and prometheus packages start their services on install (ports 80 and 9090)
# and enable them at boot. Only their binaries are wanted here (the nginx test and benchmark run
# their own nginx on loopback ports, never as a daemon; the metrics test runs promtool), so
# service starts are refused during the install (policy-rc.d, honoured by invoke-rc.d and
# deb-systemd-invoke) and the boot-time links of what this run installed are removed after it.
# A machine that already had a package keeps whatever it runs.
binary_only=()
for p in "${missing[@]}"; do
  [[ "$p" == nginx || "$p" == prometheus ]] && binary_only+=("$p")
done
own_policy=0
restore_policy() { [[ $own_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d; own_policy=0; }
if [[ ${#binary_only[@]} -gt 0 && ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# written by streamkeeper tools/setup.sh for the install only\nexit 101\n' \
    >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
  trap restore_policy EXIT
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  apt_install "${missing[@]}"
fi
restore_policy
for service in "${binary_only[@]}"; do
  command -v deb-systemd-helper >/dev/null &&
    deb-systemd-helper disable "$service.service" >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null && update-rc.d "$service" disable >/dev/null 2>&1 || true
  # A policy-rc.d of the machine's own may have let the service start: stop it.
  if [[ -d /run/systemd/system ]] && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl stop "$service" >/dev/null 2>&1 || true
  fi
  note "$service installed as a binary only (service not started, not enabled at boot)"
done
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || die "nginx is not installed"
command -v promtool >/dev/null || die "promtool is not on PATH after installing prometheus"

# npm: a nodesource `nodejs` bundles npm, and Debian's `npm` conflicts with
# it, so install Debian's npm only when node comes from Debian's nodejs.
if ! command -v npm >/dev/null; then
  node_pkg_version=$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || true)
  if [[ -n "$node_pkg_version" && "$node_pkg_version" != *nodesource* ]]; then
    apt_install npm
  else
    die "npm is not on PATH, and node ($(command -v node)) is not Debian's nodejs package; install the npm that matches it"
  fi
fi
command -v node >/dev/null || die "node is still not on PATH after installing nodejs"
command -v npm >/dev/null || die "npm is still not on PATH after installing npm"

# The conformance suite's vitest 4 / vite need Node.js >= 20.19 (Debian 12's
# own nodejs is 18): warn rather than fail, the C++ build does not need it.
node_version=$(node -p 'process.versions.node')
IFS=. read -r node_major node_minor _ <<<"$node_version"
if (( node_major < 20 || (node_major == 20 && node_minor < 19) )); then
  echo "setup.sh: warning: Node.js $node_version is too old for the conformance tests (need >= 20.19)" >&2
fi

# --- npm packages for tests/conformance --------------------------------------
conf=$repo/tests/conformance
if [[ -f "$conf/package-lock.json" ]]; then
  if [[ ! -f "$conf/node_modules/.package-lock.json" ||
        "$conf/package-lock.json" -nt "$conf/node_modules/.package-lock.json" ]]; then
    note "npm ci in tests/conformance"
    (cd "$conf" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      die "npm ci failed in $conf"
  fi
fi

note "ok"
