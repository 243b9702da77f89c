#!/usr/bin/env bash
# Makes sure an etcd server the fleet tests (e2e/etcdpeer) can start is installed.
#
# - Already there (EXEUNT_ETCD, or etcd on PATH, or Debian's /usr/bin/etcd): nothing to do;
#   prints which one and its version.
# - Missing, running as root on Debian or Ubuntu: installs Debian's `etcd-server` package
#   (etcd 3.4 on Debian 12) with apt-get, without recommended packages. The package's own
#   service is not needed: the tests start etcd themselves on free loopback ports with a
#   temporary data directory.
# - Missing otherwise: fails, saying what to install. The etcd tests are never skipped for
#   want of an etcd; a missing one is a failure, in CI as anywhere.
#
# The tests find the binary the same way (e2e/etcdpeer/binary.go): keep the two lists equal.
set -euo pipefail

fail() {
	echo "testpeers/install-etcd.sh: $*" >&2
	exit 1
}

find_etcd() {
	if [ -n "${EXEUNT_ETCD:-}" ]; then
		[ -x "$EXEUNT_ETCD" ] || fail "EXEUNT_ETCD=$EXEUNT_ETCD is not an executable file"
		echo "$EXEUNT_ETCD"
		return 0
	fi
	if command -v etcd >/dev/null 2>&1; then
		command -v etcd
		return 0
	fi
	if [ -x /usr/bin/etcd ]; then
		echo /usr/bin/etcd
		return 0
	fi
	return 1
}

version_of() {
	local out
	out="$("$1" --version 2>/dev/null)" || out=""
	out="${out%%$'\n'*}"
	echo "${out:-version unknown}"
}

if found="$(find_etcd)"; then
	echo "testpeers: etcd is installed: $found ($(version_of "$found"))" >&2
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	fail "etcd is not installed, and installing it needs root. Install it yourself (Debian/Ubuntu: sudo apt-get install --no-install-recommends etcd-server), or point EXEUNT_ETCD at an etcd 3.4 or later binary; the etcd tests need it."
fi
command -v apt-get >/dev/null 2>&1 ||
	fail "etcd is not installed and there is no apt-get here: install etcd 3.4 or later with this system's package manager, or point EXEUNT_ETCD at its binary; the etcd tests need it."

echo "testpeers: installing etcd (apt-get install etcd-server)" >&2
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when they do not know the package yet.
if ! apt-cache show etcd-server >/dev/null 2>&1; then
	apt-get update -q || fail "apt-get update failed"
fi
# The package's maintainer scripts would start its system service where an init system
# runs; a policy-rc.d that says "no" keeps them from doing so, for this install only.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
status=0
apt-get install -y -q --no-install-recommends etcd-server || status=$?
if [ -n "$made_policy" ]; then
	rm -f "$policy"
fi
[ "$status" -eq 0 ] || fail "apt-get install etcd-server failed (see above)"

found="$(find_etcd)" || fail "apt-get installed etcd-server, but no etcd binary can be found"
echo "testpeers: etcd is installed: $found ($(version_of "$found"))" >&2
