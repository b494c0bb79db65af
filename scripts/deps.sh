#!/usr/bin/env bash
# Installs what the test suites need on a fresh Debian 12 machine, as root.
# Idempotent: it only acts on what is missing and prints one line per action.
set -euo pipefail

cd "$(dirname "$0")/.."

packages=(certbot lego pebble nginx-light openssl postgresql haproxy dehydrated uacme acme-tiny caddy acmetool ruby-acme-client curl softhsm2)

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

missing=()
for pkg in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages ${missing[*]}; run this script as root to install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "deps: apt-get update"
	apt-get update -qq >/dev/null
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# Debian's caddy package starts a web server on ports 80 and 443 where
	# systemd runs; the tests start their own Caddy, so stop the one we added.
	if [[ " ${missing[*]} " == *" caddy "* ]] && [ -d /run/systemd/system ]; then
		echo "deps: stopping and disabling the caddy service the package started"
		systemctl disable --now caddy.service >/dev/null 2>&1 || true
	fi
fi

echo "deps: go mod download"
go mod download

# Debian's package starts the cluster through systemd, which containers lack.
if command -v pg_lsclusters >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
	for version in $(ls /etc/postgresql); do
		if [ -d "/etc/postgresql/$version/main" ] &&
			! pg_lsclusters --no-header "$version" main 2>/dev/null | grep -q online; then
			echo "deps: starting PostgreSQL $version cluster main"
			pg_ctlcluster --skip-systemctl-redirect "$version" main start
		fi
	done
fi
