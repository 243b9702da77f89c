#!/usr/bin/env bash
# Makes sure a Chromium the browser tests (e2e/browser) can drive is installed.
#
# - Already there (EXEUNT_CHROMIUM, Debian's /usr/lib/chromium/chromium, or chromium /
#   chromium-browser / google-chrome on PATH): nothing to do; prints which one.
# - Missing, running as root on Debian or Ubuntu: installs Debian's `chromium` package with
#   apt-get (no recommended packages).
# - Missing otherwise: fails, saying what to install. The browser tests are never skipped for
#   want of a browser; a missing one is a failure, in CI as anywhere.
#
# The tests find the browser the same way (e2e/browser/chromium.go): keep the two lists equal.
set -euo pipefail

fail() {
	echo "testpeers/install-chromium.sh: $*" >&2
	exit 1
}

find_chromium() {
	if [ -n "${EXEUNT_CHROMIUM:-}" ]; then
		[ -x "$EXEUNT_CHROMIUM" ] || fail "EXEUNT_CHROMIUM=$EXEUNT_CHROMIUM is not an executable file"
		echo "$EXEUNT_CHROMIUM"
		return 0
	fi
	# Debian's real binary first: /usr/bin/chromium is a wrapper script around it.
	if [ -x /usr/lib/chromium/chromium ]; then
		echo /usr/lib/chromium/chromium
		return 0
	fi
	for name in chromium chromium-browser google-chrome google-chrome-stable; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
	return 1
}

if found="$(find_chromium)"; then
	echo "testpeers: Chromium is installed: $found" >&2
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	fail "Chromium is not installed, and installing it needs root. Install it yourself (Debian/Ubuntu: sudo apt-get install --no-install-recommends chromium), or point EXEUNT_CHROMIUM at a Chromium or Chrome binary; the browser tests need it."
fi
command -v apt-get >/dev/null 2>&1 ||
	fail "Chromium is not installed and there is no apt-get here: install Chromium (or Chrome) with this system's package manager, or point EXEUNT_CHROMIUM at its binary; the browser tests need it."

echo "testpeers: installing Chromium (apt-get install chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when they do not know the package yet.
if ! apt-cache show chromium >/dev/null 2>&1; then
	apt-get update -q || fail "apt-get update failed"
fi
apt-get install -y -q --no-install-recommends chromium ||
	fail "apt-get install chromium failed (see above)"

found="$(find_chromium)" || fail "apt-get installed chromium, but no chromium binary can be found"
echo "testpeers: Chromium is installed: $found ($("$found" --version 2>/dev/null || echo "version unknown"))" >&2
