#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Node and npm:
# the npm packages (npm ci) and, only when missing, the Debian packages of the
# real servers the integration tests start (InfluxDB 1.x, VictoriaMetrics,
# Mosquitto and its clients, Redis, PostgreSQL, Chromium, curl, promtool).
set -euo pipefail
cd "$(dirname "$0")/../.."

# A changed lock or patch (patches/, applied by npm ci's postinstall) installs again.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ -n "$(find patches -newer node_modules/.package-lock.json -print -quit 2>/dev/null)" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi

declare -A need=(
  [influxd]=influxdb
  [victoria-metrics]=victoria-metrics
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [chromium]=chromium
  [curl]=curl
  [openssl]=openssl
  [redis-server]=redis-server
  [promtool]=prometheus
)
missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/usr/bin/$bin" ] || missing+=("${need[$bin]}")
done
# PostgreSQL's server binaries live under a versioned directory, off PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# CJK fonts only make the page's screenshot artifacts readable; tests do not need them.
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # policy-rc.d keeps the packages' own services from starting: tests start their own servers.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: ready"
